import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { WEBHOOK_PROVIDER_IDS } from "../../src/config/webhook-provider-ids.js";
import {
  bookingsCsv,
  choosePrevious,
  irreversible,
  newJournal,
  newRollbackId,
  planUndo,
  remainingSteps,
  ROLLBACK_ID_PATTERN,
  withStep,
  type AffectedBooking,
} from "../../src/core/rollback-plan.js";
import { newSnapshot, planDisable, planRestore, snapshotIdFor, webhookSnapshotSchema, type WebhookSnapshot } from "../../src/core/webhook-snapshots.js";
import { findUnfinishedSnapshot, keyFingerprint, newSnapshotPath, readSnapshotFile, resolveSnapshot, writeSnapshotFile } from "../../src/ops/webhook-switch.js";
import type { CalendlyRegistration, StripeRegistration } from "../../src/providers/webhook-registrations.js";
import { tempDir } from "../support/cli.js";

/**
 * The snapshot format and the disable/restore plans as pure functions: a table
 * of worlds (what is registered now, what the snapshot holds) and what each
 * plan does. The rollback plan's pure parts (choosing the deployment, undo,
 * CSV) are at the end.
 */

const CAL_URL = "https://app.example.com/api/webhooks/calendly";
const STRIPE_URL = "https://app.example.com/api/webhooks/stripe";
const ORG = "https://api.calendly.com/organizations/ORG1";
const USER = "https://api.calendly.com/users/USER1";
const urls = { calendly: CAL_URL, stripe: STRIPE_URL };

function cal(id: string, over: Partial<CalendlyRegistration> = {}): CalendlyRegistration {
  return {
    provider: "calendly",
    id: `https://api.calendly.com/webhook_subscriptions/${id}`,
    url: CAL_URL,
    events: ["invitee.created", "invitee.canceled"],
    state: "active",
    scope: "organization",
    organization: ORG,
    user: null,
    group: null,
    createdAt: "2025-01-01T00:00:00.000000Z",
    ...over,
  };
}

function stripe(id: string, over: Partial<StripeRegistration> = {}): StripeRegistration {
  return {
    provider: "stripe",
    id,
    url: STRIPE_URL,
    events: ["checkout.session.completed", "payment_intent.succeeded"],
    state: "enabled",
    description: "bookflow",
    metadata: { team: "ops" },
    apiVersion: null,
    livemode: false,
    createdAt: "2025-01-01T00:00:00.000Z",
    ...over,
  };
}

function snapshotOf(plan: ReturnType<typeof planDisable>, over: Partial<WebhookSnapshot> = {}): WebhookSnapshot {
  return { ...newSnapshot({ id: "s1", at: new Date("2025-06-01T12:00:00Z"), actor: "ops", reason: null, plan, urls, calendlySigningKeyFingerprint: null }), ...over };
}

describe("planDisable", () => {
  it("deletes every Calendly subscription on the URL and disables every enabled Stripe endpoint on it, Calendly first", () => {
    const plan = planDisable({
      providers: [...WEBHOOK_PROVIDER_IDS],
      urls,
      current: {
        calendly: [cal("A"), cal("B", { url: "https://other.example.com/hook" })],
        stripe: [stripe("we_1"), stripe("we_2", { url: "https://other.example.com/hook" })],
      },
    });
    expect(plan.actions.map((a) => [a.kind, a.id])).toEqual([
      ["delete-calendly", cal("A").id],
      ["disable-stripe", "we_1"],
    ]);
    expect(plan.calendly.map((i) => i.id)).toEqual([cal("A").id]);
    expect(plan.stripe).toEqual([expect.objectContaining({ id: "we_1", state: "enabled", description: "bookflow", metadata: { team: "ops" } })]);
  });

  it("matches the URL ignoring a trailing slash and the host's case", () => {
    const plan = planDisable({ providers: ["calendly"], urls, current: { calendly: [cal("A", { url: "https://APP.example.com/api/webhooks/calendly/" })] } });
    expect(plan.actions).toHaveLength(1);
  });

  it("saves an already disabled Stripe endpoint as disabled and leaves it", () => {
    const plan = planDisable({ providers: ["stripe"], urls, current: { stripe: [stripe("we_1", { state: "disabled" })] } });
    expect(plan.actions).toEqual([]);
    expect(plan.stripe[0]!.state).toBe("disabled");
    expect(plan.notes.join()).toContain("already disabled");
  });

  it("only the providers asked for", () => {
    const plan = planDisable({ providers: ["stripe"], urls: { stripe: STRIPE_URL }, current: { stripe: [stripe("we_1")] } });
    expect(plan.actions.map((a) => a.provider)).toEqual(["stripe"]);
    expect(plan.calendly).toEqual([]);
  });

  it("resuming an unfinished snapshot keeps what it saved (already deleted) and does only what is left", () => {
    const first = planDisable({ providers: [...WEBHOOK_PROVIDER_IDS], urls, current: { calendly: [cal("A")], stripe: [stripe("we_1")] } });
    const unfinished = snapshotOf(first);
    // The first run deleted the Calendly subscription, then Stripe failed.
    const again = planDisable({ providers: ["stripe"], urls, current: { calendly: [], stripe: [stripe("we_1")] }, resume: unfinished });
    expect(again.providers).toEqual(["calendly", "stripe"]);
    expect(again.resumes).toBe("s1");
    expect(again.calendly.map((i) => i.id)).toEqual([cal("A").id]);
    expect(again.actions.map((a) => a.id)).toEqual(["we_1"]);
    // And once Stripe is disabled too, nothing is left; the snapshot still says it was enabled.
    const done = planDisable({ providers: [...WEBHOOK_PROVIDER_IDS], urls, current: { calendly: [], stripe: [stripe("we_1", { state: "disabled" })] }, resume: unfinished });
    expect(done.actions).toEqual([]);
    expect(done.stripe[0]!.state).toBe("enabled");
  });

  it("says when there is nothing on the URL", () => {
    const plan = planDisable({ providers: [...WEBHOOK_PROVIDER_IDS], urls, current: { calendly: [], stripe: [] } });
    expect(plan.actions).toEqual([]);
    expect(plan.notes).toHaveLength(2);
  });
});

describe("planRestore", () => {
  const disabled = snapshotOf(planDisable({ providers: [...WEBHOOK_PROVIDER_IDS], urls, current: { calendly: [cal("A")], stripe: [stripe("we_1"), stripe("we_off", { state: "disabled" })] } }));

  it("re-creates the deleted Calendly subscription and re-enables the Stripe endpoint that was enabled (not the one that was disabled)", () => {
    const plan = planRestore(disabled, { calendly: [], stripe: [stripe("we_1", { state: "disabled" }), stripe("we_off", { state: "disabled" })] });
    expect(plan.actions.map((a) => a.kind)).toEqual(["create-calendly", "enable-stripe"]);
    expect(plan.actions[0]).toMatchObject({ item: { url: CAL_URL, scope: "organization", organization: ORG, events: ["invitee.created", "invitee.canceled"] } });
    expect(plan.skipped).toEqual([expect.objectContaining({ id: "we_off" })]);
    expect(plan.blocked).toEqual([]);
  });

  it("is idempotent: a subscription with the same URL, scope and events (another id) is not created again; an enabled endpoint is left", () => {
    const plan = planRestore(disabled, { calendly: [cal("NEW", { events: ["invitee.canceled", "invitee.created"] })], stripe: [stripe("we_1"), stripe("we_off", { state: "disabled" })] });
    expect(plan.actions).toEqual([]);
    expect(plan.skipped.map((s) => s.reason)).toEqual([expect.stringContaining("already re-created"), "already enabled", expect.stringContaining("already disabled")]);
  });

  it("blocks when another subscription holds the URL and scope with other events (Calendly allows one)", () => {
    const plan = planRestore(disabled, { calendly: [cal("OTHER", { events: ["invitee.created"] })], stripe: [stripe("we_1", { state: "disabled" })] });
    expect(plan.actions.map((a) => a.kind)).toEqual(["enable-stripe"]);
    expect(plan.blocked).toEqual([expect.objectContaining({ provider: "calendly", reason: expect.stringContaining("one per URL") })]);
  });

  it("re-creates a Stripe endpoint deleted since (with a note about its new secret), unless a twin exists", () => {
    const gone = planRestore(disabled, { calendly: [cal("A")], stripe: [] }, ["stripe"]);
    expect(gone.actions).toEqual([expect.objectContaining({ kind: "recreate-stripe", item: expect.objectContaining({ id: "we_1", metadata: { team: "ops" } }) })]);
    expect(gone.notes.join()).toContain("STRIPE_WEBHOOK_SECRET");
    const twin = planRestore(disabled, { stripe: [stripe("we_twin")] }, ["stripe"]);
    expect(twin.actions).toEqual([]);
  });

  it("user-scope subscriptions keep their user; duplicates in the snapshot are re-created once", () => {
    const snap = snapshotOf(planDisable({ providers: ["calendly"], urls, current: { calendly: [cal("U1", { scope: "user", user: USER }), cal("U2", { scope: "user", user: USER })] } }));
    const plan = planRestore(snap, { calendly: [] });
    expect(plan.actions).toEqual([expect.objectContaining({ kind: "create-calendly", item: expect.objectContaining({ scope: "user", user: USER }) })]);
    expect(plan.skipped[0]!.reason).toContain("same definition");
  });
});

describe("snapshot files", () => {
  const plan = planDisable({ providers: [...WEBHOOK_PROVIDER_IDS], urls, current: { calendly: [cal("A")], stripe: [stripe("we_1")] } });

  it("round-trip through the schema; names sort by time and never collide", () => {
    const dir = tempDir();
    const at = new Date("2025-06-01T12:30:05.123Z");
    expect(snapshotIdFor(at)).toBe("2025-06-01T12-30-05-123Z");
    const a = newSnapshotPath(dir, at);
    writeSnapshotFile(a.path, snapshotOf(plan, { id: a.id }));
    const b = newSnapshotPath(dir, at);
    expect(b.id).toBe("2025-06-01T12-30-05-123Z-1");
    expect(readSnapshotFile(a.path)).toEqual(snapshotOf(plan, { id: a.id }));
    expect(webhookSnapshotSchema.safeParse(JSON.parse(readFileSync(a.path, "utf8"))).success).toBe(true);
  });

  it("holds no secret: only a short fingerprint of the Calendly signing key", () => {
    const key = "sandbox_calendly_signing_key_FAKE_0001";
    const s = newSnapshot({ id: "x", at: new Date(), actor: "ops", reason: null, plan, urls, calendlySigningKeyFingerprint: keyFingerprint(key) });
    expect(JSON.stringify(s)).not.toContain(key);
    expect(s.calendlySigningKeyFingerprint).toMatch(/^[0-9a-f]{12}$/);
  });

  it("an unknown snapshot, a file that is not JSON, one of another shape or another version: ConfigError naming the problem", () => {
    const dir = tempDir();
    expect(() => resolveSnapshot("nope.json", dir, dir)).toThrow(expect.objectContaining({ code: "SNAPSHOT_NOT_FOUND" }));
    expect(() => resolveSnapshot(undefined, dir, dir)).toThrow(expect.objectContaining({ code: "SNAPSHOT_NOT_FOUND" }));
    writeFileSync(join(dir, "bad.json"), "{not json");
    expect(() => resolveSnapshot("bad.json", dir, dir)).toThrow(expect.objectContaining({ code: "SNAPSHOT_INVALID", message: expect.stringContaining("not JSON") }));
    writeFileSync(join(dir, "shape.json"), JSON.stringify({ ...snapshotOf(plan), stripe: [{ id: "we_1" }] }));
    expect(() => resolveSnapshot("shape.json", dir, dir)).toThrow(expect.objectContaining({ code: "SNAPSHOT_INVALID", message: expect.stringContaining("stripe.0.url") }));
    writeFileSync(join(dir, "v2.json"), JSON.stringify({ ...snapshotOf(plan), version: 2 }));
    expect(() => resolveSnapshot("v2.json", dir, dir)).toThrow(expect.objectContaining({ message: expect.stringContaining("version 2") }));
  });

  it("--snapshot takes a path or an id in the snapshots folder; the newest unfinished one is found for a resumed disable", () => {
    const root = tempDir();
    const dir = join(root, "snapshots");
    mkdirSync(dir);
    writeSnapshotFile(join(dir, "2025-06-01T10-00-00-000Z.json"), snapshotOf(plan, { id: "2025-06-01T10-00-00-000Z", status: "disabled" }));
    expect(resolveSnapshot("2025-06-01T10-00-00-000Z", dir, root).path).toBe(join(dir, "2025-06-01T10-00-00-000Z.json"));
    expect(resolveSnapshot("snapshots/2025-06-01T10-00-00-000Z.json", dir, root).snapshot.status).toBe("disabled");
    expect(findUnfinishedSnapshot(dir)).toBeNull();
    writeSnapshotFile(join(dir, "2025-06-01T11-00-00-000Z.json"), snapshotOf(plan, { id: "2025-06-01T11-00-00-000Z", status: "disabling" }));
    expect(findUnfinishedSnapshot(dir)?.snapshot.id).toBe("2025-06-01T11-00-00-000Z");
    expect(resolveSnapshot(undefined, dir, root).snapshot.id).toBe("2025-06-01T11-00-00-000Z");
  });
});

describe("rollback plan (pure parts)", () => {
  const HOUR = 3_600_000;
  const dep = (uid: string, hoursAgo: number, over: Partial<{ state: string; target: string | null }> = {}) => ({
    uid,
    url: `${uid}.vercel.app`,
    state: "READY",
    target: "production" as string | null,
    createdAt: Date.parse("2025-06-01T12:00:00Z") - hoursAgo * HOUR,
    commitSha: null,
    ...over,
  });

  it("goes back to the newest READY production deployment older than the live one", () => {
    const live = dep("dpl_3", 0);
    const all = [live, dep("dpl_2b", 1, { state: "ERROR" }), dep("dpl_2p", 1.5, { target: null }), dep("dpl_2", 2), dep("dpl_1", 3), dep("dpl_4", -1)];
    expect(choosePrevious(live, all)?.uid).toBe("dpl_2");
    expect(choosePrevious(dep("dpl_1", 3), all)).toBeNull();
  });

  it("ids look like rb-YYYYMMDD-HHMMSS-xxxx", () => {
    const id = newRollbackId(new Date("2025-06-01T12:30:05Z"), "3fa9");
    expect(id).toBe("rb-20250601-123005-3fa9");
    expect(ROLLBACK_ID_PATTERN.test(id)).toBe(true);
  });

  it("undo reverses only what was started, and leaves manual processing on if it was on before", () => {
    const j = newJournal({ id: "rb-20250601-123005-3fa9", at: new Date(), actor: "ops", reason: null, projectId: "prj", useVercelCli: false, providers: [...WEBHOOK_PROVIDER_IDS], bad: dep("dpl_3", 0), previous: dep("dpl_2", 2) });
    expect(remainingSteps(j)).toEqual(["promote", "disable-webhooks", "manual-processing", "affected-bookings"]);
    expect(planUndo(j).filter((i) => i.applies)).toEqual([]);
    expect(irreversible(j)).toEqual([]);
    const partly = withStep(withStep(j, "promote", { status: "done" }), "disable-webhooks", { status: "failed", detail: { snapshot: "/x/s.json" } });
    expect(remainingSteps(partly)).toEqual(["disable-webhooks", "manual-processing", "affected-bookings"]);
    expect(planUndo(partly).filter((i) => i.applies).map((i) => i.name)).toEqual(["promote", "disable-webhooks"]);
    expect(irreversible(partly).join(" ")).toContain("Calendly does not redeliver");
    const wasOn = withStep(partly, "manual-processing", { status: "done", detail: { previous: true } });
    expect(planUndo(wasOn).find((i) => i.name === "manual-processing")).toMatchObject({ applies: false, description: expect.stringContaining("Leave manual processing on") });
  });

  it("CSV: a header, quoted cells where needed, spreadsheet formulas defused", () => {
    const b: AffectedBooking = {
      id: "b1",
      inviteeEmail: "a@example.com",
      inviteeName: '=HYPERLINK("x"), "Ada"',
      status: "CONFIRMED",
      paymentStatus: "PAID",
      amountCents: 9900,
      currency: "usd",
      startTime: "2025-06-02T10:00:00.000Z",
      updatedAt: "2025-06-01T12:10:00.000Z",
      sessionType: "Paid build session",
      calendlyEventUri: null,
    };
    const lines = bookingsCsv([b]).trimEnd().split("\n");
    expect(lines[0]).toBe("id,inviteeEmail,inviteeName,status,paymentStatus,amountCents,currency,startTime,updatedAt,sessionType,calendlyEventUri");
    expect(lines[1]).toBe(`b1,a@example.com,"'=HYPERLINK(""x""), ""Ada""",CONFIRMED,PAID,9900,usd,2025-06-02T10:00:00.000Z,2025-06-01T12:10:00.000Z,Paid build session,`);
  });
});
