import { z } from "zod";
import { stripeProviderError } from "../../src/providers/stripe-errors.js";
import type Stripe from "stripe";
import { confirmPlanHeld, isInteractive, type ConfirmDecision, type PlanView } from "../support/confirm.js";
import { resolveActor } from "../../src/config/actor.js";
import { mask } from "../../src/config/redact.js";
import { parseOrThrow } from "../../src/config/validation.js";
import { recordAudit } from "../../src/core/audit.js";
import {
  assessRegistrations,
  describeAction,
  planRegistration,
  type CalendlyScope,
  type RegisterAction,
  type RegisterNote,
} from "../../src/core/webhook-expectations.js";
import { ConfigError, ProviderError } from "../../src/errors.js";
import { EXIT } from "../../src/engine/exit-codes.js";
import type { CalendlyClient } from "../../src/providers/calendly/client.js";
import { fromCalendly, fromStripe } from "../../src/providers/webhook-registrations.js";
import { loadExpectations, readCalendly, readStripe, selectProviders, type WebhooksDeps } from "./webhooks-status.js";
import { withDatabase } from "../support/database.js";

/**
 * `bookflow webhooks register [calendly|stripe]`: creates what is missing, so
 * running it twice creates nothing the second time. The plan comes from
 * src/core/webhook-expectations.ts (pure); this handler shows it through the
 * confirmation gate, applies it, and writes one AuditLog entry per change.
 *
 * - Calendly: a subscription with CALENDLY_WEBHOOK_SIGNING_KEY as its signing
 *   key, organization scope when the token may list the organization's
 *   subscriptions, else user scope. An incomplete or disabled subscription on
 *   the URL cannot be edited: `--replace` deletes it and creates a complete one.
 * - Stripe: a new endpoint (its `whsec_` secret printed once, masked unless
 *   --show-secret); an endpoint on the URL that lacks events is updated in place.
 */

export interface RegisterDeps extends WebhooksDeps {
  /** The confirmation prompt (tests); default @inquirer/prompts on a terminal. */
  ask?: (question: string) => Promise<boolean>;
  interactive?: boolean;
}

const registerOptionsSchema = z.object({
  provider: z.string().optional(),
  dryRun: z.boolean().default(false),
  yes: z.boolean().default(false),
  json: z.boolean().default(false),
  showSecret: z.boolean().default(false),
  replace: z.boolean().default(false),
  actor: z.string().optional(),
  config: z.string().min(1, { message: "must name a file" }).optional(),
});

export type WebhooksRegisterOptions = z.input<typeof registerOptionsSchema>;

export interface AppliedAction {
  action: RegisterAction;
  /** The registration created or updated. */
  id: string;
  /** Stripe, new endpoint: its signing secret (masked unless --show-secret). */
  signingSecret?: string;
  /** Calendly: the scope actually used (organization falls back to user when the token may not create one). */
  scope?: CalendlyScope;
  /** Calendly replace: the subscription deleted. */
  deleted?: string;
}

export interface RegisterReport {
  decision: ConfirmDecision;
  actions: RegisterAction[];
  notes: RegisterNote[];
  applied: AppliedAction[];
  /** No blocking note: everything register was asked to take care of is in place. */
  ok: boolean;
}

interface ProviderSetup {
  calendly?: { client: CalendlyClient; organization: string; user: string };
  stripe?: Stripe;
}

export async function webhooksRegister(rawOptions: WebhooksRegisterOptions, deps: RegisterDeps): Promise<number> {
  const { ctx } = deps;
  try {
    const opts = parseOrThrow(registerOptionsSchema, rawOptions, "options for webhooks register", "See `bookflow webhooks register --help`.");
    const providers = selectProviders(opts.provider, "register");
    const expectations = loadExpectations(ctx, providers, opts.config, deps.cwd ?? process.cwd());
    const actor = resolveActor(opts.actor, ctx.env);

    const { calendlyFromEnv, stripeFromEnv } = await import("../../src/providers/from-env.js");
    const setup: ProviderSetup = {};
    const actions: RegisterAction[] = [];
    const notes: RegisterNote[] = [];
    for (const e of expectations) {
      if (e.provider === "calendly") {
        const client = await calendlyFromEnv(ctx.env);
        const read = await readCalendly(client);
        setup.calendly = { client, organization: read.organization!, user: read.user! };
        const plan = planRegistration(assessRegistrations(e, read.registrations), { replace: opts.replace, calendlyScope: read.organizationListed ? "organization" : "user" });
        actions.push(...plan.actions);
        notes.push(...plan.notes);
      } else {
        const stripe = await stripeFromEnv(ctx.env);
        setup.stripe = stripe;
        const plan = planRegistration(assessRegistrations(e, (await readStripe(stripe)).registrations), { replace: opts.replace, calendlyScope: "organization" });
        actions.push(...plan.actions);
        notes.push(...plan.notes);
      }
    }
    const signingKey = ctx.env.CALENDLY_WEBHOOK_SIGNING_KEY?.trim();
    if (actions.some((a) => a.provider === "calendly") && !signingKey) {
      throw new ConfigError(
        "CALENDLY_WEBHOOK_SIGNING_KEY is not set: a Calendly subscription created without it gets a key Calendly never shows, and the app could not verify its deliveries.",
        "Set CALENDLY_WEBHOOK_SIGNING_KEY (the key the app verifies with), then run register again.",
        "ENV_MISSING",
      );
    }

    const view: PlanView = {
      title: `Register webhooks (${providers.join(", ")})`,
      steps: actions.map(describeAction),
      json: { actions, notes },
    };
    // With --json, one JSON document on stdout: the gate's own output is kept only when it aborts.
    const { decision } = await confirmPlanHeld(view, { yes: opts.yes, dryRun: opts.dryRun, json: opts.json }, {
      out: ctx.out,
      err: ctx.err,
      interactive: deps.interactive ?? isInteractive(ctx.env),
      hold: !!opts.json,
      ...(deps.ask ? { ask: deps.ask } : {}),
    });
    if (!opts.json) for (const n of notes) ctx.out(`${n.blocking ? "needs attention" : "note"} (${n.provider}): ${n.message}\n`);

    const applied: AppliedAction[] = [];
    let failure: unknown;
    if (decision === "apply") {
      // The audit log must be reachable before anything changes.
      const db = await withDatabase("write the audit log", async () => {
        const d = await ctx.db();
        await d.prisma.auditLog.findFirst({ select: { id: true } });
        return d;
      });
      for (const action of actions) {
        try {
          const done = await apply(action, setup, signingKey ?? "");
          for (const entry of done.audit) await recordAudit(db.prisma, { actor, reason: "bookflow webhooks register", ...entry });
          const shown = done.applied.signingSecret && !opts.showSecret ? { ...done.applied, signingSecret: mask(done.applied.signingSecret) } : done.applied;
          applied.push(shown);
          if (!opts.json) ctx.out(describeApplied(shown, opts.showSecret, done.applied.signingSecret));
        } catch (err) {
          failure = err;
          break;
        }
      }
    }

    const report: RegisterReport = { decision, actions, notes, applied, ok: !failure && !notes.some((n) => n.blocking) };
    if (opts.json) ctx.out(`${JSON.stringify(report, null, 2)}\n`);
    if (failure) {
      if (!opts.json && applied.length) ctx.err(`Stopped after ${applied.length} of ${actions.length} changes; run register again to finish (it only does what is still missing).\n`);
      throw failure;
    }
    if (decision === "dry-run" && !opts.json) ctx.out("Dry run: nothing was changed.\n");
    return report.ok ? EXIT.OK : EXIT.FAILED;
  } finally {
    await ctx.close();
  }
}

interface AuditDraft {
  action: string;
  target: string;
  before?: unknown;
  after?: unknown;
}

async function apply(action: RegisterAction, setup: ProviderSetup, signingKey: string): Promise<{ applied: AppliedAction; audit: AuditDraft[] }> {
  if (action.provider === "stripe") {
    const stripe = setup.stripe!;
    if (action.kind === "create") {
      let endpoint: Stripe.WebhookEndpoint;
      try {
        endpoint = await stripe.webhookEndpoints.create({
          url: action.url,
          enabled_events: action.events as Stripe.WebhookEndpointCreateParams.EnabledEvent[],
          description: "Booking webhooks (created by bookflow webhooks register)",
          metadata: { created_by: "bookflow" },
        });
      } catch (err) {
        throw stripeProviderError(err, "POST /v1/webhook_endpoints");
      }
      const r = fromStripe(endpoint);
      return {
        applied: { action, id: endpoint.id, ...(endpoint.secret ? { signingSecret: endpoint.secret } : {}) },
        audit: [{ action: "webhooks.register.create", target: `stripe:${endpoint.id}`, after: { url: r.url, events: r.events, state: r.state } }],
      };
    }
    if (action.kind === "update-events") {
      let endpoint: Stripe.WebhookEndpoint;
      try {
        endpoint = await stripe.webhookEndpoints.update(action.id, { enabled_events: action.to as Stripe.WebhookEndpointUpdateParams.EnabledEvent[] });
      } catch (err) {
        throw stripeProviderError(err, `POST /v1/webhook_endpoints/${action.id}`);
      }
      return {
        applied: { action, id: endpoint.id },
        audit: [{ action: "webhooks.register.update_events", target: `stripe:${endpoint.id}`, before: { events: action.from }, after: { events: [...endpoint.enabled_events] } }],
      };
    }
  }
  const calendly = setup.calendly!;
  if (action.kind === "create") {
    const { subscription, scope } = await createCalendly(calendly, action.url, action.events, action.scope ?? "organization", signingKey);
    const r = fromCalendly(subscription);
    return {
      applied: { action, id: r.id, scope },
      audit: [{ action: "webhooks.register.create", target: `calendly:${r.id}`, after: { url: r.url, events: r.events, scope: r.scope, state: r.state } }],
    };
  }
  if (action.kind === "replace") {
    // Calendly refuses a second subscription on the same URL and scope, so the old one goes first; its whole
    // definition is in the audit entry. If the create then fails, running register again creates it.
    const old = fromCalendly(await calendly.client.getWebhookSubscription(action.id));
    await calendly.client.deleteWebhookSubscription(action.id);
    const audit: AuditDraft[] = [{ action: "webhooks.register.replace.delete", target: `calendly:${old.id}`, before: old }];
    try {
      const { subscription, scope } = await createCalendly(calendly, action.url, action.to, action.scope, signingKey);
      const r = fromCalendly(subscription);
      audit.push({ action: "webhooks.register.replace.create", target: `calendly:${r.id}`, before: { replaces: old.id, events: old.events }, after: { url: r.url, events: r.events, scope: r.scope, state: r.state } });
      return { applied: { action, id: r.id, scope, deleted: old.id }, audit };
    } catch (err) {
      if (err instanceof ProviderError) {
        throw new ProviderError(
          "calendly",
          err.endpoint,
          `${err.message} (the incomplete subscription ${old.id} was already deleted; nothing receives Calendly events at ${action.url} now)`,
          err.status,
          "Run `bookflow webhooks register calendly` again to create the subscription.",
        );
      }
      throw err;
    }
  }
  throw new Error(`unknown register action ${JSON.stringify(action)}`);
}

async function createCalendly(
  c: NonNullable<ProviderSetup["calendly"]>,
  url: string,
  events: string[],
  scope: CalendlyScope,
  signingKey: string,
): Promise<{ subscription: Awaited<ReturnType<CalendlyClient["createWebhookSubscription"]>>; scope: CalendlyScope }> {
  const params = { url, events, organization: c.organization, signingKey };
  if (scope === "organization") {
    try {
      return { subscription: await c.client.createWebhookSubscription({ ...params, scope: "organization" }), scope };
    } catch (err) {
      // Organization scope needs an owner or admin; a user's own subscription receives the user's events.
      if (!(err instanceof ProviderError && err.status === 403)) throw err;
    }
  }
  return { subscription: await c.client.createWebhookSubscription({ ...params, scope: "user", user: c.user }), scope: "user" };
}

function describeApplied(a: AppliedAction, showSecret: boolean, secret: string | undefined): string {
  const lines: string[] = [];
  switch (a.action.kind) {
    case "create":
      lines.push(a.action.provider === "calendly" ? `created Calendly subscription ${a.id} (${a.scope} scope), signed with CALENDLY_WEBHOOK_SIGNING_KEY` : `created Stripe webhook endpoint ${a.id}`);
      break;
    case "update-events":
      lines.push(`updated Stripe webhook endpoint ${a.id}: now receives ${a.action.to.join(", ")}`);
      break;
    case "replace":
      lines.push(`replaced Calendly subscription ${a.deleted} with ${a.id} (${a.scope} scope)`);
      break;
  }
  if (secret) {
    lines.push(
      `  signing secret: ${showSecret ? secret : mask(secret)}${showSecret ? "" : "  (masked: pass --show-secret to print it; Stripe returns it only now, later only the dashboard can reveal it)"}`,
      `  set STRIPE_WEBHOOK_SECRET to it in the app's environment, or the app rejects every delivery to this endpoint`,
    );
  }
  return `${lines.join("\n")}\n`;
}
