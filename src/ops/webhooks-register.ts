import type Stripe from "stripe";
import type { Context } from "../context.js";
import { recordAudit } from "../core/audit.js";
import { assessRegistrations, planRegistration, type CalendlyScope, type RegisterAction, type RegisterNote } from "../core/webhook-expectations.js";
import { ConfigError, ProviderError } from "../errors.js";
import type { CalendlyClient } from "../providers/calendly/client.js";
import { stripeProviderError } from "../providers/stripe-errors.js";
import type { WebhookProviderId } from "../providers/webhook-providers.js";
import { fromCalendly, fromStripe } from "../providers/webhook-registrations.js";
import { withDatabase } from "./database.js";
import { loadExpectations, readCalendly, readStripe } from "./webhooks-status.js";

/**
 * `webhooks register` as a use case: creates what is missing, so running it
 * twice creates nothing the second time. The plan comes from
 * src/core/webhook-expectations.ts (pure); `applyRegister` does it and writes
 * one AuditLog entry per change.
 *
 * - Calendly: a subscription with CALENDLY_WEBHOOK_SIGNING_KEY as its signing
 *   key, organization scope when the token may list the organization's
 *   subscriptions, else user scope. An incomplete or disabled subscription on
 *   the URL cannot be edited: `replace` deletes it and creates a complete one.
 * - Stripe: a new endpoint (its `whsec_` secret returned once); an endpoint on
 *   the URL that lacks events is updated in place.
 */

export interface RegisterInput {
  providers: readonly WebhookProviderId[];
  replace: boolean;
  config?: string | undefined;
}

export interface RegisterPlan {
  providers: WebhookProviderId[];
  actions: RegisterAction[];
  notes: RegisterNote[];
  /** Calendly: the organization and user the subscriptions are created for. */
  calendly: { organization: string; user: string } | null;
}

export interface AppliedAction {
  action: RegisterAction;
  /** The registration created or updated. */
  id: string;
  /** Stripe, new endpoint: its signing secret (as Stripe returned it: the caller masks it). */
  signingSecret?: string;
  /** Calendly: the scope actually used (organization falls back to user when the token may not create one). */
  scope?: CalendlyScope;
  /** Calendly replace: the subscription deleted. */
  deleted?: string;
}

export interface RegisterOutcome {
  applied: AppliedAction[];
  /** The error that stopped the run (what was applied before it is in `applied`). */
  failure: unknown;
}

export async function planRegister(ctx: Pick<Context, "env" | "cwd" | "clients">, input: RegisterInput): Promise<RegisterPlan> {
  const expectations = loadExpectations(ctx, input.providers, input.config);
  const plan: RegisterPlan = { providers: [...input.providers], actions: [], notes: [], calendly: null };
  for (const e of expectations) {
    let part: ReturnType<typeof planRegistration>;
    if (e.provider === "calendly") {
      const read = await readCalendly(await ctx.clients.calendly());
      plan.calendly = { organization: read.organization!, user: read.user! };
      part = planRegistration(assessRegistrations(e, read.registrations), { replace: input.replace, calendlyScope: read.organizationListed ? "organization" : "user" });
    } else {
      const read = await readStripe(await ctx.clients.stripe());
      part = planRegistration(assessRegistrations(e, read.registrations), { replace: input.replace, calendlyScope: "organization" });
    }
    plan.actions.push(...part.actions);
    plan.notes.push(...part.notes);
  }
  if (plan.actions.some((a) => a.provider === "calendly") && !ctx.env.CALENDLY_WEBHOOK_SIGNING_KEY?.trim()) {
    throw new ConfigError(
      "CALENDLY_WEBHOOK_SIGNING_KEY is not set: a Calendly subscription created without it gets a key Calendly never shows, and the app could not verify its deliveries.",
      "Set CALENDLY_WEBHOOK_SIGNING_KEY (the key the app verifies with), then run register again.",
      "ENV_MISSING",
    );
  }
  return plan;
}

/** Applies the plan in order, one audit entry per change; stops at the first failure (running again does what is left). */
export async function applyRegister(
  ctx: Pick<Context, "env" | "clients" | "db">,
  plan: RegisterPlan,
  options: { actor: string; onApplied?: (a: AppliedAction) => void },
): Promise<RegisterOutcome> {
  // The audit log must be reachable before anything changes.
  const db = await withDatabase("write the audit log", async () => {
    const d = await ctx.db();
    await d.prisma.auditLog.findFirst({ select: { id: true } });
    return d;
  });
  const signingKey = ctx.env.CALENDLY_WEBHOOK_SIGNING_KEY?.trim() ?? "";
  const applied: AppliedAction[] = [];
  for (const action of plan.actions) {
    try {
      const done = action.provider === "stripe" ? await applyStripe(action, await ctx.clients.stripe()) : await applyCalendly(action, { client: await ctx.clients.calendly(), ...plan.calendly! }, signingKey);
      for (const entry of done.audit) await recordAudit(db.prisma, { actor: options.actor, reason: "bookflow webhooks register", ...entry });
      applied.push(done.applied);
      options.onApplied?.(done.applied);
    } catch (err) {
      return { applied, failure: err };
    }
  }
  return { applied, failure: undefined };
}

interface AuditDraft {
  action: string;
  target: string;
  before?: unknown;
  after?: unknown;
}

type Done = { applied: AppliedAction; audit: AuditDraft[] };

async function applyStripe(action: RegisterAction, stripe: Stripe): Promise<Done> {
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
  throw new Error(`unknown register action ${JSON.stringify(action)}`);
}

interface CalendlySetup {
  client: CalendlyClient;
  organization: string;
  user: string;
}

async function applyCalendly(action: RegisterAction, calendly: CalendlySetup, signingKey: string): Promise<Done> {
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
  c: CalendlySetup,
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
