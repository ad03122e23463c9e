import type Stripe from "stripe";
import type { Context } from "../context.js";
import { loadBookflowConfig } from "../config/bookflow-config.js";
import { assessRegistrations, stripeFailingDeliveries, type Expectation, type FailingDeliveries, type ProviderAssessment, type RegistrationMark } from "../core/webhook-expectations.js";
import { ProviderError } from "../errors.js";
import type { CalendlyClient } from "../providers/calendly/client.js";
import { stripeProviderError } from "../providers/stripe-errors.js";
import type { WebhookProviderId } from "../providers/webhook-providers.js";
import {
  expectedRegistration,
  readCalendlyRegistrations,
  readStripeRegistrations,
  readUndeliveredStripeEvents,
  type CalendlyRegistration,
  type StripeRegistration,
  type WebhookRegistration,
} from "../providers/webhook-registrations.js";

/**
 * `webhooks status` as a use case: both providers' registrations, marked
 * against what the configuration expects (src/core/webhook-expectations.ts).
 * Configuration errors throw (exit 2); a provider that cannot be read is
 * reported in its entry. `webhooks register` reads through the same functions.
 */

/** What must be registered for each provider: the URL from the environment, the events from bookflow.config.json. */
export function loadExpectations(ctx: Pick<Context, "env" | "cwd">, providers: readonly WebhookProviderId[], configPath: string | undefined): Expectation[] {
  const { config } = loadBookflowConfig(configPath, ctx.cwd);
  return providers.map((p) => expectedRegistration(p, ctx.env, config[p].events));
}

export interface ProviderRead<R extends WebhookRegistration = WebhookRegistration> {
  provider: WebhookProviderId;
  registrations: R[];
  /** Calendly: whether the organization's subscriptions could be listed (else only the user's were). */
  organizationListed?: boolean;
  organization?: string;
  user?: string;
  /** The provider's own signal of failing deliveries, by registration id (read only when asked for). */
  failingDeliveries?: Record<string, FailingDeliveries>;
}

/** How far back `webhooks status` reads Stripe's undelivered events. */
const UNDELIVERED_WINDOW_SECONDS = 24 * 3600;

export async function readCalendly(client: CalendlyClient): Promise<ProviderRead<CalendlyRegistration>> {
  const r = await readCalendlyRegistrations(client);
  const failingDeliveries = Object.fromEntries(Object.entries(r.retryStartedAt).map(([uri, since]) => [uri, { since }]));
  return { provider: "calendly", registrations: r.registrations, organizationListed: r.organizationListed, organization: r.organization, user: r.user, failingDeliveries };
}

/** Stripe's endpoints; with `deliveries`, also the events each receives still undelivered after the grace period. */
export async function readStripe(stripe: Stripe, deliveries?: { graceMinutes: number }): Promise<ProviderRead<StripeRegistration>> {
  let registrations: StripeRegistration[];
  try {
    registrations = await readStripeRegistrations(stripe);
  } catch (err) {
    throw stripeProviderError(err, "GET /v1/webhook_endpoints", { access: "webhook endpoints" });
  }
  if (!deliveries) return { provider: "stripe", registrations };
  const readAt = Math.floor(Date.now() / 1000);
  let events;
  try {
    events = await readUndeliveredStripeEvents(stripe, readAt - UNDELIVERED_WINDOW_SECONDS);
  } catch (err) {
    throw stripeProviderError(err, "GET /v1/events", { access: "events" });
  }
  const failingDeliveries: Record<string, FailingDeliveries> = {};
  for (const r of registrations) {
    const failing = stripeFailingDeliveries(r, events, readAt, deliveries.graceMinutes);
    if (failing) failingDeliveries[r.id] = failing;
  }
  return { provider: "stripe", registrations, failingDeliveries };
}

/**
 * A reader per provider, its client built first: a missing token is a
 * configuration error (exit 2), raised before any request.
 */
export async function providerReaders(ctx: Pick<Context, "clients">, providers: readonly WebhookProviderId[], deliveries?: { graceMinutes: number }): Promise<(() => Promise<ProviderRead>)[]> {
  const readers: (() => Promise<ProviderRead>)[] = [];
  for (const p of providers) {
    if (p === "calendly") {
      const client = await ctx.clients.calendly();
      readers.push(() => readCalendly(client));
    } else {
      const stripe = await ctx.clients.stripe();
      readers.push(() => readStripe(stripe, deliveries));
    }
  }
  return readers;
}

export interface ProviderStatus {
  provider: WebhookProviderId;
  ok: boolean;
  expected: { url: string; events: string[] };
  /** Set when nothing points at the expected URL. */
  missing: { url: string; events: string[] } | null;
  registrations: (WebhookRegistration & { role: string; marks: RegistrationMark[] })[];
  errors: number;
  warnings: number;
  notes: string[];
  /** The provider could not be read. */
  error: { message: string; hint: string | null } | null;
}

export interface WebhooksStatusReport {
  ok: boolean;
  strict: boolean;
  providers: Partial<Record<WebhookProviderId, ProviderStatus>>;
}

export function providerStatus(assessment: ProviderAssessment<WebhookRegistration>, read: ProviderRead, strict: boolean): ProviderStatus {
  const notes: string[] = [];
  if (read.provider === "calendly" && read.organizationListed === false) {
    notes.push("The token may not list the organization's subscriptions (403), so only the user's own are shown; organization-scope subscriptions need an owner or admin.");
  }
  return {
    provider: assessment.provider,
    ok: assessment.ok && (!strict || assessment.warnings === 0),
    expected: assessment.expected,
    missing: assessment.missing,
    registrations: assessment.registrations.map((m) => ({ ...m.registration, role: m.role, marks: m.marks })),
    errors: assessment.errors,
    warnings: assessment.warnings,
    notes,
    error: null,
  };
}

export interface WebhooksStatusInput {
  providers: readonly WebhookProviderId[];
  /** --config (default ./bookflow.config.json when it exists). */
  config?: string | undefined;
  /** Warnings fail too. */
  strict: boolean;
}

/** Reads the providers (side by side) and marks what they have. */
export async function webhooksStatus(ctx: Pick<Context, "env" | "cwd" | "clients">, input: WebhooksStatusInput): Promise<WebhooksStatusReport> {
  const expectations = loadExpectations(ctx, input.providers, input.config);
  const { config } = loadBookflowConfig(input.config, ctx.cwd);
  const readers = await providerReaders(ctx, input.providers, { graceMinutes: config.thresholds.webhookDeliveryGraceMinutes });
  const providers: Partial<Record<WebhookProviderId, ProviderStatus>> = {};
  const reads = await Promise.allSettled(readers.map((read) => read()));
  expectations.forEach((e, i) => {
    const r = reads[i]!;
    if (r.status === "fulfilled") {
      providers[e.provider] = providerStatus(assessRegistrations(e, r.value.registrations, r.value.failingDeliveries), r.value, input.strict);
    } else {
      const err = r.reason as unknown;
      if (!(err instanceof ProviderError)) throw err;
      providers[e.provider] = unreadable(e, err);
    }
  });
  return { ok: Object.values(providers).every((p) => p.ok), strict: input.strict, providers };
}

function unreadable(e: Expectation, err: ProviderError): ProviderStatus {
  return {
    provider: e.provider,
    ok: false,
    expected: { url: e.url, events: [...e.events] },
    missing: null,
    registrations: [],
    errors: 1,
    warnings: 0,
    notes: [],
    error: { message: err.message, hint: err.hint ?? null },
  };
}
