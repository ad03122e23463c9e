/**
 * The webhook registrations of both providers in one shape, for the
 * `webhooks` and `rollback` commands: Calendly webhook subscriptions and
 * Stripe webhook endpoints, read through the provider clients, next to what
 * the configuration expects (the URLs from the environment, the events from
 * bookflow.config.json).
 */
import type Stripe from "stripe";
import { ConfigError } from "../errors.js";
import type { CalendlyClient } from "./calendly/client.js";
import type { CalendlyWebhookSubscription } from "./calendly/schemas.js";
import { WEBHOOK_PROVIDERS, type WebhookProviderId } from "./webhook-providers.js";


export interface CalendlyRegistration {
  provider: "calendly";
  /** The subscription URI (Calendly's id for it). */
  id: string;
  url: string;
  events: string[];
  state: "active" | "disabled";
  scope: "user" | "organization" | "group";
  organization: string;
  user: string | null;
  group: string | null;
  createdAt: string;
}

export interface StripeRegistration {
  provider: "stripe";
  /** `we_…` */
  id: string;
  url: string;
  events: string[];
  state: "enabled" | "disabled";
  description: string | null;
  metadata: Record<string, string>;
  apiVersion: string | null;
  livemode: boolean;
  createdAt: string;
}

export type WebhookRegistration = CalendlyRegistration | StripeRegistration;

export interface ExpectedRegistration {
  provider: WebhookProviderId;
  url: string;
  events: string[];
}

/** What must be registered: CALENDLY_WEBHOOK_URL / STRIPE_WEBHOOK_URL with the configured events. */
export function expectedRegistration(provider: WebhookProviderId, env: Record<string, string | undefined>, events: readonly string[]): ExpectedRegistration {
  const name = WEBHOOK_PROVIDERS[provider].env.url;
  const url = env[name]?.trim();
  if (!url) throw new ConfigError(`${name} is not set, so bookflow does not know where ${provider} should deliver webhooks.`, `Set ${name} to the app's webhook URL, e.g. https://app.example.com/api/webhooks/${provider}.`, "ENV_MISSING");
  try {
    new URL(url);
  } catch {
    throw new ConfigError(`${name} is not a URL.`, `Set ${name} to a full URL, e.g. https://app.example.com/api/webhooks/${provider}.`);
  }
  return { provider, url, events: [...events] };
}

export function fromCalendly(s: CalendlyWebhookSubscription): CalendlyRegistration {
  return {
    provider: "calendly",
    id: s.uri,
    url: s.callback_url,
    events: [...s.events],
    state: s.state,
    scope: s.scope,
    organization: s.organization,
    user: s.user ?? null,
    group: s.group ?? null,
    createdAt: s.created_at,
  };
}

export function fromStripe(e: Stripe.WebhookEndpoint): StripeRegistration {
  return {
    provider: "stripe",
    id: e.id,
    url: e.url,
    events: [...e.enabled_events],
    state: e.status === "disabled" ? "disabled" : "enabled",
    description: e.description ?? null,
    metadata: { ...(e.metadata ?? {}) },
    apiVersion: e.api_version ?? null,
    livemode: e.livemode,
    createdAt: new Date(e.created * 1000).toISOString(),
  };
}

/**
 * Every Calendly subscription the token can see: the organization's (when the
 * token's user may list them; else `organizationListed` is false) and the user's own.
 */
export async function readCalendlyRegistrations(
  client: CalendlyClient,
): Promise<{ organization: string; user: string; registrations: CalendlyRegistration[]; organizationListed: boolean; retryStartedAt: Record<string, string> }> {
  const me = await client.getCurrentUser();
  const organization = me.current_organization;
  const [org, own] = await Promise.all([
    client.listWebhookSubscriptions({ organization, scope: "organization" }).catch((err: unknown) => {
      if ((err as { status?: unknown }).status === 403) return null;
      throw err;
    }),
    client.listWebhookSubscriptions({ organization, scope: "user", user: me.uri }),
  ]);
  const seen = new Set<string>();
  const subscriptions = [...(org ?? []), ...own].filter((s) => !seen.has(s.uri) && seen.add(s.uri));
  // Calendly's own delivery signal: set while it retries failed deliveries (it disables the subscription after 24 hours of them).
  const retryStartedAt = Object.fromEntries(subscriptions.flatMap((s) => (s.retry_started_at ? [[s.uri, s.retry_started_at]] : [])));
  return { organization, user: me.uri, registrations: subscriptions.map(fromCalendly), organizationListed: org !== null, retryStartedAt };
}

/** Every Stripe webhook endpoint of the account (all pages). */
export async function readStripeRegistrations(stripe: Stripe): Promise<StripeRegistration[]> {
  const out: StripeRegistration[] = [];
  for await (const endpoint of stripe.webhookEndpoints.list({ limit: 100 })) out.push(fromStripe(endpoint));
  return out;
}

/** An event Stripe has not delivered to every endpoint subscribed to it (`pending_webhooks > 0`). */
export interface UndeliveredStripeEvent {
  id: string;
  type: string;
  /** Unix seconds. */
  created: number;
}

/** Stripe's own delivery signal: `GET /v1/events?delivery_success=false` since `since` (unix seconds), at most `max` events. */
export async function readUndeliveredStripeEvents(stripe: Stripe, since: number, max = 1000): Promise<UndeliveredStripeEvent[]> {
  const out: UndeliveredStripeEvent[] = [];
  for await (const e of stripe.events.list({ created: { gte: since }, delivery_success: false, limit: 100 })) {
    if (out.length >= max) break;
    if (e.pending_webhooks > 0) out.push({ id: e.id, type: e.type, created: e.created });
  }
  return out;
}
