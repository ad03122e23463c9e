import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scenariosRunCommand, type RunOptions } from "../../commands/handlers/scenarios.js";
import { createContext } from "../../src/context.js";
import { setManualProcessing } from "../../src/core/webhook-intake.js";
import { createCalendlyClient } from "../../src/providers/calendly/client.js";
import type { RunReport } from "../../src/engine/report.js";
import type { CheckResult } from "../../src/engine/check.js";
import { SANDBOX_SECRETS } from "../../src/sandbox/world.js";
import { DEFAULT_CALENDLY_EVENTS, DEFAULT_STRIPE_EVENTS } from "../../src/config/webhook-events.js";
import { createStripeClient } from "../../src/providers/stripe-client.js";
import { tempDir } from "../support/cli.js";
import { startTestSandbox, type TestSandbox } from "../support/sandbox.js";

/**
 * Each scenario in a sandbox broken for it fails at the step that names the
 * break, with the last state seen (and the providers' delivery logs) in the
 * message; and its cleanup still leaves nothing behind. Waits are bounded
 * short (--step-timeout) so each broken world costs about a second.
 */

let s: TestSandbox;
beforeAll(async () => {
  s = await startTestSandbox();
});
afterAll(() => s?.stop());

async function run(name: string, options: Partial<RunOptions> = {}): Promise<{ code: number; report: RunReport; result: CheckResult; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const ctx = createContext({ env: { ...s.world.env } as NodeJS.ProcessEnv, out: (t) => out.push(t), err: (t) => err.push(t), cwd: tempDir() });
  const code = await scenariosRunCommand()({ names: [name], format: ["json"], stepTimeout: "1200ms", ...options }, { ctx });
  const report = JSON.parse(out.join("")) as RunReport;
  return { code, report, result: report.results[0]!, err: err.join("") };
}

/** The step the scenario stopped at, and what the other steps did. */
function stoppedAt(result: CheckResult): { step: string; status: string; message: string; after: string[] } {
  const steps = result.steps!;
  const i = steps.findIndex((x) => x.status === "fail" || x.status === "error");
  expect(i, `no failing step in ${result.id}: ${result.message}`).toBeGreaterThanOrEqual(0);
  expect(steps.slice(0, i).every((x) => x.status === "pass")).toBe(true);
  return { step: steps[i]!.id, status: steps[i]!.status, message: steps[i]!.message, after: [...new Set(steps.slice(i + 1).map((x) => x.status))] };
}

async function nothingTagged(report: RunReport): Promise<void> {
  const tag = report.scenarioRun!.runTag;
  const { prisma } = s.database.db;
  expect(await prisma.booking.count({ where: { runTag: tag } })).toBe(0);
  const [row] = await prisma.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM "WebhookEvent" WHERE payload::text LIKE ${`%${tag}%`}`;
  expect(Number(row!.n)).toBe(0);
}

describe("scenarios in a sandbox broken for them", () => {
  it("free flow, email sending fails: fails at confirmation-email, quoting the EmailMessage's error", async () => {
    s.world.sendgrid.failSends("all");
    try {
      const r = await run("free-session");
      expect(r.code).toBe(1);
      expect(r.result.status).toBe("fail");
      const at = stoppedAt(r.result);
      expect(at.step).toBe("confirmation-email");
      expect(at.message).toMatch(/no CONFIRMATION email for booking \S+ in the SendGrid inbox of scenario\+\S+ .*after 1\.2 s/);
      expect(at.message).toMatch(/CONFIRMATION EmailMessage is (FAILED|QUEUED)/);
      expect(r.result.message).toMatch(/^step confirmation-email \(Confirmation email sent to the invitee\) failed: /);
      await nothingTagged(r.report);
    } finally {
      s.world.sendgrid.failSends(0);
    }
  });

  it("paid flow, the app's Stripe webhook secret is wrong: payment never applied, the Stripe deliveries answered 401", async () => {
    const [endpoint] = s.world.stripe.webhookEndpoints();
    // Rolled at Stripe, not in the app: the app now holds the wrong secret.
    s.world.stripe.setWebhookSecret(endpoint!.id, "whsec_rolledButNotDeployed0000000000");
    try {
      const r = await run("paid-session");
      expect(r.code).toBe(1);
      const at = stoppedAt(r.result);
      expect(at.step).toBe("payment-applied");
      expect(at.after).toEqual(["skip"]);
      expect(at.message).toMatch(/^booking \S+ still PENDING\/UNPAID after 1\.2 s; last webhook: invitee\.created PROCESSED; .*Stripe checkout\.session\.completed: answered 401/);
      expect(r.result.expected).toBe("CONFIRMED/PAID");
      expect(r.result.actual).toBe("PENDING/UNPAID");
      await nothingTagged(r.report);
    } finally {
      s.world.stripe.setWebhookSecret(endpoint!.id, s.world.env.STRIPE_WEBHOOK_SECRET!);
      await s.world.stripe.idle();
    }
  });

  it("cancellation, the Calendly subscription lacks invitee.canceled: fails at cancellation-processed, saying no delivery was made", async () => {
    const calendly = createCalendlyClient({ token: SANDBOX_SECRETS.CALENDLY_API_TOKEN, baseUrl: s.world.env.CALENDLY_API_BASE! });
    const me = await calendly.getCurrentUser();
    const [sub] = await calendly.listWebhookSubscriptions({ organization: me.current_organization, scope: "organization" });
    const recreate = async (events: string[]) => {
      await calendly.deleteWebhookSubscription(sub!.uri);
      const created = await calendly.createWebhookSubscription({ url: sub!.callback_url, events, organization: me.current_organization, scope: "organization", signingKey: SANDBOX_SECRETS.CALENDLY_WEBHOOK_SIGNING_KEY });
      sub!.uri = created.uri;
    };
    await recreate(["invitee.created"]);
    try {
      const r = await run("cancellation");
      expect(r.code).toBe(1);
      const at = stoppedAt(r.result);
      expect(at.step).toBe("cancellation-processed");
      expect(at.message).toMatch(/^no invitee\.canceled webhook recorded for booking \S+ after 1\.2 s/);
      expect(at.message).toContain("Calendly sent no invitee.canceled delivery for this invitee");
      await nothingTagged(r.report);
    } finally {
      await recreate([...DEFAULT_CALENDLY_EVENTS]);
    }
  });

  it("reschedule, email sending fails: moved and still paid, then fails at rescheduled-email, quoting the EmailMessage's error", async () => {
    s.world.sendgrid.failSends("all");
    try {
      const r = await run("reschedule");
      expect(r.code).toBe(1);
      const at = stoppedAt(r.result);
      expect(at.step).toBe("rescheduled-email");
      expect(r.result.steps!.find((x) => x.id === "booking-moved")!.status).toBe("pass");
      expect(r.result.steps!.find((x) => x.id === "no-refund")!.status).toBe("pass");
      expect(at.message).toMatch(/no RESCHEDULED email for booking \S+/);
      expect(at.message).toMatch(/RESCHEDULED EmailMessage is (FAILED|QUEUED)/);
      await nothingTagged(r.report);
    } finally {
      s.world.sendgrid.failSends(0);
    }
  });

  /** Runs `body` with the app's Stripe endpoint subscribed to every default event but `event`. */
  async function withoutStripeEvent(event: string, body: () => Promise<void>): Promise<void> {
    const [endpoint] = s.world.stripe.webhookEndpoints();
    const stripe = await createStripeClient({ secretKey: s.world.env.STRIPE_SECRET_KEY!, apiBase: s.world.env.STRIPE_API_BASE });
    await stripe.webhookEndpoints.update(endpoint!.id, { enabled_events: DEFAULT_STRIPE_EVENTS.filter((e) => e !== event) });
    try {
      await body();
    } finally {
      await stripe.webhookEndpoints.update(endpoint!.id, { enabled_events: [...DEFAULT_STRIPE_EVENTS] });
    }
  }

  it("abandoned checkout, the Stripe endpoint lacks checkout.session.expired: fails at booking-cancelled, saying Stripe sent none", async () => {
    await withoutStripeEvent("checkout.session.expired", async () => {
      const r = await run("abandoned-checkout");
      expect(r.code).toBe(1);
      const at = stoppedAt(r.result);
      expect(at.step).toBe("booking-cancelled");
      expect(at.message).toMatch(/^booking \S+ still PENDING\/UNPAID after 1\.2 s/);
      expect(at.message).toContain("Stripe sent no checkout.session.expired delivery for this booking");
      await nothingTagged(r.report);
    });
  });

  it("refund outside bookflow, the Stripe endpoint lacks charge.refunded: fails at refund-recorded, saying Stripe sent none", async () => {
    await withoutStripeEvent("charge.refunded", async () => {
      const r = await run("refund-outside-bookflow");
      expect(r.code).toBe(1);
      const at = stoppedAt(r.result);
      expect(at.step).toBe("refund-recorded");
      expect(at.message).toMatch(/^booking \S+ still CONFIRMED\/PAID after 1\.2 s/);
      expect(at.message).toContain("Stripe sent no charge.refunded delivery for this booking");
      await nothingTagged(r.report);
    });
  });

  it("webhook processing, the app in manual-processing mode: fails at invitee-created-processed (HELD), at once", async () => {
    const { prisma } = s.database.db;
    await setManualProcessing(prisma, true, "test", "broken world for the webhook-processing scenario");
    try {
      const r = await run("webhook-processing", { stepTimeout: "10s" });
      expect(r.code).toBe(1);
      const at = stoppedAt(r.result);
      expect(at.step).toBe("invitee-created-processed");
      expect(at.message).toMatch(/^invitee\.created is HELD: the app is in manual-processing mode/);
      // HELD never changes by waiting: the step fails without waiting out its 10 s.
      expect(at.message).not.toContain("after 10 s");
      expect(r.result.steps!.find((x) => x.id === "invitee-created-received")!.status).toBe("pass");
      expect(r.result.actual).toBe("HELD");
      // The held event carried the run tag: the cleanup removed it too.
      await nothingTagged(r.report);
      expect(await prisma.webhookEvent.count({ where: { outcome: "HELD" } })).toBe(0);
    } finally {
      await setManualProcessing(prisma, false, "test");
    }
  });

  it("the world, repaired, passes all seven again", { timeout: 60_000 }, async () => {
    const out: string[] = [];
    const ctx = createContext({ env: { ...s.world.env } as NodeJS.ProcessEnv, out: (t) => out.push(t), err: () => {}, cwd: tempDir() });
    const code = await scenariosRunCommand()({ format: ["json"] }, { ctx });
    const report = JSON.parse(out.join("")) as RunReport;
    expect(report.results.filter((r) => r.status !== "pass").map((r) => `${r.id}: ${r.message}`)).toEqual([]);
    expect(code).toBe(0);
  });
});
