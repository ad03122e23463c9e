/**
 * Webhook registrations against what the configuration expects: pure
 * decisions for `bookflow webhooks status` (a mark on every registration) and
 * `bookflow webhooks register` (the plan: what to create or fix). No I/O: the
 * registrations are read elsewhere (src/providers/webhook-registrations.ts)
 * and handed in.
 *
 * For one provider, the registrations whose URL is the expected one are
 * ranked (enabled first, then fewest missing events, then oldest); the first
 * is the `primary`, the others are `duplicate`s (each delivers every event a
 * second time). Registrations on any other URL are `other-url`.
 */
import { sameWebhookUrl } from "../config/webhook-urls.js";
import type { WebhookProviderId } from "../config/webhook-provider-ids.js";


/** The fields of a Calendly subscription or Stripe endpoint these decisions read. */
export interface RegistrationLike {
  provider: WebhookProviderId;
  id: string;
  url: string;
  events: readonly string[];
  /** Calendly: active | disabled; Stripe: enabled | disabled. */
  state: string;
  createdAt: string;
  /** Calendly only: user | organization | group. */
  scope?: string;
}

export interface Expectation {
  provider: WebhookProviderId;
  url: string;
  events: readonly string[];
}

export type MarkCode = "ok" | "missing-events" | "disabled" | "duplicate" | "wrong-url" | "deliveries-failing";
/** `error` fails `status` (exit 1); `warning` fails it only with --strict. */
export type MarkSeverity = "ok" | "warning" | "error";

export interface RegistrationMark {
  code: MarkCode;
  severity: MarkSeverity;
  message: string;
  /** missing-events: the expected events it does not receive. */
  events?: string[];
  /** duplicate: the primary registration on the same URL. */
  duplicateOf?: string;
  /** wrong-url: where it should point. */
  expectedUrl?: string;
  /** deliveries-failing: since when (Calendly's retry_started_at; Stripe: the oldest undelivered event) and, for Stripe, how many events. */
  since?: string;
  count?: number;
}

/**
 * The provider's own signal that its deliveries to a registration fail:
 * Calendly's `retry_started_at`, or Stripe events of types it receives still
 * undelivered after the grace period (`count`).
 */
export interface FailingDeliveries {
  since: string;
  count?: number;
}

/** A Stripe event not yet delivered to every endpoint subscribed to it. */
export interface UndeliveredEvent {
  id: string;
  type: string;
  /** Unix seconds. */
  created: number;
}

/**
 * Stripe's undelivered events a registration receives that are older than the
 * grace period, as a FailingDeliveries (null when none). Stripe counts pending
 * deliveries per event, not per endpoint: every enabled endpoint receiving the
 * event's type is marked.
 */
export function stripeFailingDeliveries(registration: Pick<RegistrationLike, "events" | "state">, events: readonly UndeliveredEvent[], readAt: number, graceMinutes: number): FailingDeliveries | null {
  const failing = stripeEventsStillUndelivered(registration, events, readAt, graceMinutes);
  if (!failing.length) return null;
  return { since: new Date(failing[0]!.created * 1000).toISOString(), count: failing.length };
}

/**
 * The one rule for Stripe's delivery signal (the `stripe.webhook-deliveries-succeeding` check and `webhooks status`
 * both apply it): the undelivered events of a type the registration receives, older than the grace period, oldest
 * first. None for a registration that is not enabled.
 */
export function stripeEventsStillUndelivered<E extends UndeliveredEvent>(registration: Pick<RegistrationLike, "events" | "state">, events: readonly E[], readAt: number, graceMinutes: number): E[] {
  if (!isEnabled(registration)) return [];
  const cutoff = readAt - graceMinutes * 60;
  return events
    .filter((e) => e.created <= cutoff && (registration.events.includes("*") || registration.events.includes(e.type)))
    .sort((a, b) => a.created - b.created || a.id.localeCompare(b.id));
}

function deliveriesMark(provider: WebhookProviderId, failing: FailingDeliveries, severity: MarkSeverity): RegistrationMark {
  const message =
    provider === "calendly"
      ? `Calendly has been retrying failed deliveries since ${failing.since} and disables the subscription 24 hours after: check that the app answers 2xx and that CALENDLY_WEBHOOK_SIGNING_KEY is this subscription's signing key`
      : `${failing.count ?? "some"} event${failing.count === 1 ? "" : "s"} it receives still undelivered, the oldest since ${failing.since}: check that STRIPE_WEBHOOK_SECRET is this endpoint's signing secret and read its delivery attempts in the Stripe dashboard`;
  return { code: "deliveries-failing", severity, since: failing.since, ...(failing.count !== undefined ? { count: failing.count } : {}), message };
}

export type RegistrationRole = "primary" | "duplicate" | "other-url";

export interface MarkedRegistration<R extends RegistrationLike = RegistrationLike> {
  registration: R;
  role: RegistrationRole;
  marks: RegistrationMark[];
}

export interface ProviderAssessment<R extends RegistrationLike = RegistrationLike> {
  provider: WebhookProviderId;
  expected: { url: string; events: string[] };
  /** Primary first, then duplicates, then other URLs (oldest first within each). */
  registrations: MarkedRegistration<R>[];
  /** Set when no registration at all points at the expected URL. */
  missing: { url: string; events: string[] } | null;
  /** No error marks and nothing missing. */
  ok: boolean;
  errors: number;
  warnings: number;
}

export function isEnabled(r: Pick<RegistrationLike, "state">): boolean {
  return r.state === "active" || r.state === "enabled";
}

/** The expected events a registration does not receive (Stripe's "*" receives everything). */
export function missingEvents(registration: Pick<RegistrationLike, "events">, expected: readonly string[]): string[] {
  if (registration.events.includes("*")) return [];
  return expected.filter((e) => !registration.events.includes(e));
}

/** Registrations on the expected URL, best first: enabled, then fewest missing events, then oldest. */
export function rankOnUrl<R extends RegistrationLike>(expectation: Expectation, registrations: readonly R[]): R[] {
  return registrations
    .filter((r) => sameWebhookUrl(r.url, expectation.url))
    .map((r) => ({ r, enabled: isEnabled(r), missing: missingEvents(r, expectation.events).length }))
    .sort((a, b) => Number(b.enabled) - Number(a.enabled) || a.missing - b.missing || a.r.createdAt.localeCompare(b.r.createdAt) || a.r.id.localeCompare(b.r.id))
    .map((x) => x.r);
}

/**
 * `failing`: the provider's own signal of failing deliveries, by registration id
 * (an error on the primary and on enabled duplicates, a warning elsewhere).
 */
export function assessRegistrations<R extends RegistrationLike>(expectation: Expectation, registrations: readonly R[], failing: Readonly<Record<string, FailingDeliveries>> = {}): ProviderAssessment<R> {
  const expectedEvents = [...expectation.events];
  const onUrl = rankOnUrl(expectation, registrations);
  const primary = onUrl[0];
  const byAge = (a: R, b: R) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id);
  const others = registrations.filter((r) => !sameWebhookUrl(r.url, expectation.url)).sort(byAge);
  const missing = primary ? null : { url: expectation.url, events: expectedEvents };
  const marked: MarkedRegistration<R>[] = [];

  if (primary) {
    const marks: RegistrationMark[] = [];
    const lacking = missingEvents(primary, expectedEvents);
    if (lacking.length) marks.push({ code: "missing-events", severity: "error", events: lacking, message: `does not receive ${lacking.join(", ")}` });
    if (!isEnabled(primary)) marks.push({ code: "disabled", severity: "error", message: `is ${primary.state}: the provider delivers nothing to it` });
    const failingPrimary = failing[primary.id];
    if (failingPrimary && isEnabled(primary)) marks.push(deliveriesMark(primary.provider, failingPrimary, "error"));
    if (!marks.length) marks.push({ code: "ok", severity: "ok", message: `receives ${expectedEvents.join(", ")} at the expected URL` });
    marked.push({ registration: primary, role: "primary", marks });
  }
  for (const dup of onUrl.slice(1).sort(byAge)) {
    const enabled = isEnabled(dup);
    marked.push({
      registration: dup,
      role: "duplicate",
      marks: [
        {
          code: "duplicate",
          severity: enabled ? "error" : "warning",
          duplicateOf: primary!.id,
          message: enabled
            ? `a second registration on the same URL as ${primary!.id}: every event it receives is delivered twice`
            : `a second, ${dup.state} registration on the same URL as ${primary!.id}: it delivers nothing, but may be re-enabled by mistake`,
        },
        ...(failing[dup.id] && enabled ? [deliveriesMark(dup.provider, failing[dup.id]!, "error")] : []),
      ],
    });
  }
  for (const other of others) {
    // Pointing elsewhere is an error when nothing serves the expected URL and it carries the expected events
    // (an old domain, a typo); otherwise it may well belong to another app.
    const overlaps = other.events.includes("*") || other.events.some((e) => expectedEvents.includes(e));
    const severity: MarkSeverity = missing && overlaps ? "error" : "warning";
    marked.push({
      registration: other,
      role: "other-url",
      marks: [
        { code: "wrong-url", severity, expectedUrl: expectation.url, message: `points at ${other.url}, not the expected ${expectation.url}` },
        ...(failing[other.id] && isEnabled(other) ? [deliveriesMark(other.provider, failing[other.id]!, "warning")] : []),
      ],
    });
  }

  const all = marked.flatMap((m) => m.marks);
  const errors = all.filter((m) => m.severity === "error").length + (missing ? 1 : 0);
  const warnings = all.filter((m) => m.severity === "warning").length;
  return { provider: expectation.provider, expected: { url: expectation.url, events: expectedEvents }, registrations: marked, missing, ok: errors === 0, errors, warnings };
}

// ---------------------------------------------------------------------------
// The register plan

export type CalendlyScope = "organization" | "user";

export type RegisterAction =
  | { kind: "create"; provider: WebhookProviderId; url: string; events: string[]; scope?: CalendlyScope }
  /** Stripe: enabled_events updated in place (the events it had are kept). */
  | { kind: "update-events"; provider: "stripe"; id: string; url: string; from: string[]; to: string[] }
  /** Calendly: subscriptions cannot be edited, so the incomplete or disabled one is deleted and a complete one created. */
  | { kind: "replace"; provider: "calendly"; id: string; url: string; from: string[]; to: string[]; scope: CalendlyScope; because: "missing-events" | "disabled" };

export interface RegisterNote {
  provider: WebhookProviderId;
  /** The registration it is about. */
  id?: string;
  message: string;
  /** Something register was asked to fix but will not (without a flag): the command exits 1. */
  blocking: boolean;
}

export interface RegisterPlan {
  actions: RegisterAction[];
  notes: RegisterNote[];
}

export interface RegisterPlanOptions {
  /** Calendly: delete an incomplete or disabled subscription and create a complete one (`--replace`). */
  replace: boolean;
  /** Calendly: the scope of a new subscription (organization when the token may list the organization's, else user). */
  calendlyScope: CalendlyScope;
}

/** What `register` does for one provider, from its assessment. Pure; running it on the result of the plan yields no actions. */
export function planRegistration(assessment: ProviderAssessment, options: RegisterPlanOptions): RegisterPlan {
  const { provider, expected } = assessment;
  const actions: RegisterAction[] = [];
  const notes: RegisterNote[] = [];
  if (assessment.missing) {
    actions.push({ kind: "create", provider, url: expected.url, events: [...expected.events], ...(provider === "calendly" ? { scope: options.calendlyScope } : {}) });
  }
  for (const { registration: r, role, marks } of assessment.registrations) {
    if (role === "primary") {
      const lacking = marks.find((m) => m.code === "missing-events")?.events ?? [];
      const disabled = marks.some((m) => m.code === "disabled");
      const complete = union(r.events, expected.events);
      if (provider === "stripe") {
        if (lacking.length) actions.push({ kind: "update-events", provider: "stripe", id: r.id, url: r.url, from: [...r.events], to: complete });
        if (disabled) {
          notes.push({
            provider,
            id: r.id,
            blocking: true,
            message: `${r.id} is disabled and register does not re-enable it (a rollback may have disabled it on purpose): run \`bookflow webhooks restore\`, or enable it in the Stripe dashboard.`,
          });
        }
      } else if (lacking.length || disabled) {
        const because = lacking.length ? "missing-events" : "disabled";
        const what = lacking.length ? `does not receive ${lacking.join(", ")}` : `is ${r.state}`;
        if (options.replace) {
          const scope: CalendlyScope = r.scope === "user" || r.scope === "organization" ? r.scope : options.calendlyScope;
          actions.push({ kind: "replace", provider: "calendly", id: r.id, url: r.url, from: [...r.events], to: complete, scope, because });
        } else {
          notes.push({
            provider,
            id: r.id,
            blocking: true,
            message: `${r.id} ${what}. Calendly subscriptions cannot be edited or re-enabled: re-run with --replace to delete it and create a complete one (deliveries pause for the moment between the two calls).`,
          });
        }
      }
    } else if (role === "duplicate") {
      notes.push({
        provider,
        id: r.id,
        blocking: false,
        message: `${r.id} is an extra registration on the expected URL (events are delivered twice); left alone: delete it in the ${provider === "calendly" ? "Calendly" : "Stripe"} dashboard or API if it is not needed.`,
      });
    } else if (marks.some((m) => m.severity === "error")) {
      notes.push({ provider, id: r.id, blocking: false, message: `${r.id} points at ${r.url}, not ${expected.url}; left alone (a registration on the expected URL is created).` });
    }
  }
  return { actions, notes };
}

/** `a` in order, then what `b` adds. */
export function union(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])];
}

/** One line per action, for the plan view. */
export function describeAction(a: RegisterAction): string {
  switch (a.kind) {
    case "create":
      return `${a.provider}: create ${a.provider === "calendly" ? `${a.scope === "user" ? "a user" : "an organization"}-scope subscription` : "a webhook endpoint"} for ${a.url} receiving ${a.events.join(", ")}`;
    case "update-events":
      return `stripe: update ${a.id} in place to receive ${a.to.join(", ")} (adds ${a.to.filter((e) => !a.from.includes(e)).join(", ")})`;
    case "replace":
      return `calendly: ${a.because === "disabled" ? "replace the disabled" : "replace the incomplete"} subscription ${a.id}: delete it, then create ${a.scope === "user" ? "a user" : "an organization"}-scope subscription for ${a.url} receiving ${a.to.join(", ")}`;
  }
}
