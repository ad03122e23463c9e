/**
 * `bookflow webhooks replay`: builds a realistic Calendly or Stripe webhook
 * body (a fixture, or one that refers to a real booking), signs it exactly as
 * the provider would (or deliberately not, or wrongly), POSTs it with undici
 * and measures the round trip; then, for `--verify-db`, polls (bounded) until
 * the booking reflects the event.
 *
 * No database access here: the caller hands in readers (`--verify-db`), so
 * this stays an adapter over HTTP and the signing helpers.
 */
import { randomBytes } from "node:crypto";
import { request } from "undici";
import { ProviderError } from "../errors.js";
import { WEBHOOK_PROVIDERS, type WebhookProviderId } from "./webhook-providers.js";
import { calendlyInviteeCanceled, calendlyInviteeCreated, stripeCheckoutCompleted, stripePaymentIntentSucceeded } from "./webhook-events.js";

/** The event types the reference app acts on, by provider. */
export const REPLAY_EVENT_TYPES = {
  calendly: ["invitee.created", "invitee.canceled"],
  stripe: ["checkout.session.completed", "payment_intent.succeeded"],
} as const;

export type ReplayEventType = (typeof REPLAY_EVENT_TYPES)[WebhookProviderId][number];

export const ALL_REPLAY_EVENT_TYPES: readonly ReplayEventType[] = [...REPLAY_EVENT_TYPES.calendly, ...REPLAY_EVENT_TYPES.stripe];

/** The provider an event type belongs to, or undefined for a type replay does not know. */
export function providerOfEventType(type: string): WebhookProviderId | undefined {
  if ((REPLAY_EVENT_TYPES.calendly as readonly string[]).includes(type)) return "calendly";
  if ((REPLAY_EVENT_TYPES.stripe as readonly string[]).includes(type)) return "stripe";
  return undefined;
}

/**
 * The Calendly event type a fixture `invitee.created` books when no database
 * can be read: the seed data's free intro call (docs/webhooks.md says so).
 */
export const DEFAULT_FIXTURE_EVENT_TYPE_URI = "https://api.calendly.com/event_types/ada-intro-call";

/** What a `--booking` replay needs to know of the booking. */
export interface ReplayBooking {
  id: string;
  calendlyInviteeUri: string | null;
  inviteeEmail: string;
  inviteeName: string | null;
  startTime: Date;
  endTime: Date;
  amountCents: number;
  currency: string;
  stripeCheckoutSessionId: string | null;
  stripePaymentIntentId: string | null;
  /** The session type's Calendly event type URI. */
  eventTypeUri: string | null;
}

export type ReplaySource =
  /** A fresh fixture; `eventTypeUri` is the Calendly event type an invitee.created books. */
  | { kind: "fixture"; eventTypeUri: string; runTag?: string }
  | { kind: "booking"; booking: ReplayBooking };

/** Thrown when a booking cannot be the subject of an event (e.g. no Calendly invitee for a Calendly event). */
export class ReplaySourceError extends Error {}

/** A realistic webhook body of `type` (see src/providers/webhook-events.ts for the shapes). */
export function buildReplayEvent(type: ReplayEventType, source: ReplaySource): Record<string, unknown> {
  if (source.kind === "fixture") {
    switch (type) {
      case "invitee.created":
        return calendlyInviteeCreated({ eventTypeUri: source.eventTypeUri, name: "Bookflow Replay", ...(source.runTag ? { utmCampaign: source.runTag } : {}) });
      case "invitee.canceled":
        return calendlyInviteeCanceled({ eventTypeUri: source.eventTypeUri, name: "Bookflow Replay", reason: "Replayed by bookflow", ...(source.runTag ? { utmCampaign: source.runTag } : {}) });
      case "checkout.session.completed":
        return stripeCheckoutCompleted({ amountCents: 9900 });
      case "payment_intent.succeeded":
        return stripePaymentIntentSucceeded({ amountCents: 9900 });
    }
  }
  const b = source.booking;
  const calendly = () => {
    if (!b.calendlyInviteeUri) throw new ReplaySourceError(`Booking ${b.id} has no Calendly invitee URI, so no Calendly event can refer to it.`);
    if (!b.eventTypeUri) throw new ReplaySourceError(`The session type of booking ${b.id} has no Calendly event type URI.`);
    return {
      eventTypeUri: b.eventTypeUri,
      inviteeUri: b.calendlyInviteeUri,
      email: b.inviteeEmail,
      name: b.inviteeName ?? "Bookflow Replay",
      startTime: b.startTime.toISOString(),
      durationMinutes: Math.max(1, Math.round((b.endTime.getTime() - b.startTime.getTime()) / 60_000)),
    };
  };
  const payment = {
    bookingId: b.id,
    ...(b.calendlyInviteeUri ? { calendlyInviteeUri: b.calendlyInviteeUri } : {}),
    amountCents: b.amountCents,
    currency: b.currency,
    email: b.inviteeEmail,
    ...(b.stripeCheckoutSessionId ? { sessionId: b.stripeCheckoutSessionId } : {}),
    ...(b.stripePaymentIntentId ? { paymentIntentId: b.stripePaymentIntentId } : {}),
  };
  switch (type) {
    case "invitee.created":
      return calendlyInviteeCreated(calendly());
    case "invitee.canceled":
      return calendlyInviteeCanceled({ ...calendly(), reason: "Replayed by bookflow", cancelerType: "host", canceledBy: "bookflow replay" });
    case "checkout.session.completed":
      return stripeCheckoutCompleted(payment);
    case "payment_intent.succeeded":
      return stripePaymentIntentSucceeded(payment);
  }
}

export type SignatureMode = "signed" | "unsigned" | "bad-signature";

export function signatureHeaderName(provider: WebhookProviderId): string {
  return WEBHOOK_PROVIDERS[provider].signatureHeader;
}

/**
 * The signature header for `rawBody`, as the provider makes it: Calendly's
 * HMAC with the subscription's signing key, Stripe's through its SDK with the
 * endpoint's `whsec_` secret. `bad-signature`: a well-formed header made with
 * a key that is not the configured one. `unsigned`: no header.
 */
export async function signatureHeaders(provider: WebhookProviderId, rawBody: string, mode: SignatureMode, secret: string | undefined, timestampSeconds?: number): Promise<Record<string, string>> {
  if (mode === "unsigned") return {};
  const key = mode === "bad-signature" ? wrongKey(provider, secret) : (secret ?? "");
  const value = await WEBHOOK_PROVIDERS[provider].sign(rawBody, key, timestampSeconds);
  return { [signatureHeaderName(provider)]: value };
}

function wrongKey(provider: WebhookProviderId, secret: string | undefined): string {
  let key: string;
  do key = (provider === "stripe" ? "whsec_" : "") + randomBytes(24).toString("base64url");
  while (key === secret);
  return key;
}

export interface DeliveryResult {
  url: string;
  status: number;
  /** From sending the request to the end of the response body. */
  latencyMs: number;
  /** The response body as text (at most 64 KiB). */
  body: string;
  /** The body parsed, when it is JSON. */
  json: unknown;
}

const MAX_BODY = 64 * 1024;

/** POSTs a webhook body as the provider would, and measures the round trip. A non-2xx answer is a result, not an error. */
export async function postWebhook(url: string, rawBody: string, headers: Record<string, string>, options: { timeoutMs?: number; provider: WebhookProviderId }): Promise<DeliveryResult> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const started = performance.now();
  let status: number;
  let text: string;
  try {
    const res = await request(url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": options.provider === "calendly" ? "Calendly Webhooks (bookflow replay)" : "Stripe/1.0 (+https://stripe.com/docs/webhooks; bookflow replay)",
        ...headers,
      },
      body: rawBody,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal: AbortSignal.timeout(timeoutMs),
    });
    status = res.statusCode;
    text = await res.body.text();
  } catch (err) {
    const code = (err as { code?: string }).code;
    const name = (err as { name?: string }).name;
    const timedOut = name === "TimeoutError" || name === "AbortError" || code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT";
    throw new ProviderError(
      "webhook endpoint",
      `POST ${url}`,
      timedOut ? `no answer within ${timeoutMs} ms` : `network error${code ? ` ${code}` : ""}: ${err instanceof Error ? err.message : String(err)}`,
      undefined,
      timedOut ? "The endpoint is slow or hangs; raise --timeout or check the app." : "Check that the URL is right and the app is running (--url, or CALENDLY_WEBHOOK_URL / STRIPE_WEBHOOK_URL).",
    );
  }
  const latencyMs = Math.round((performance.now() - started) * 10) / 10;
  const body = text.length > MAX_BODY ? text.slice(0, MAX_BODY) : text;
  let json: unknown = undefined;
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON: the text is the answer */
  }
  return { url, status, latencyMs, body, json };
}

// ---------------------------------------------------------------------------
// --expect

export interface StatusExpectation {
  /** As given: "2xx", "4xx", "401". */
  text: string;
  matches(status: number): boolean;
}

/** "2xx" / "4xx" (any class 1xx–5xx) or an exact status code; undefined when the text is neither. */
export function parseStatusExpectation(text: string): StatusExpectation | undefined {
  const t = text.trim().toLowerCase();
  const cls = /^([1-5])xx$/.exec(t);
  if (cls) {
    const c = Number(cls[1]);
    return { text: t, matches: (s) => Math.floor(s / 100) === c };
  }
  if (/^[1-5]\d\d$/.test(t)) {
    const code = Number(t);
    return { text: t, matches: (s) => s === code };
  }
  return undefined;
}

// ---------------------------------------------------------------------------
// --verify-db

/** How to find the booking an event is about (any field that is set). */
export interface BookingLocator {
  bookingId?: string;
  inviteeUri?: string;
  checkoutSessionId?: string;
  paymentIntentId?: string;
}

export interface BookingSnapshot {
  id: string;
  status: string;
  paymentStatus: string;
}

const str = (v: unknown): string | undefined => (typeof v === "string" && v.trim() ? v : undefined);
const obj = (v: unknown): Record<string, unknown> => (v && typeof v === "object" ? (v as Record<string, unknown>) : {});

/** Where the booking of an event body is: the invitee URI (Calendly), the metadata or ids (Stripe). Empty when the event names none. */
export function bookingLocatorOf(provider: WebhookProviderId, body: unknown): BookingLocator {
  if (provider === "calendly") {
    const uri = str(obj(obj(body).payload).uri);
    return uri ? { inviteeUri: uri } : {};
  }
  const o = obj(obj(obj(body).data).object);
  const metadata = obj(o.metadata);
  const loc: BookingLocator = {};
  const bookingId = str(metadata.booking_id) ?? str(o.client_reference_id);
  const inviteeUri = str(metadata.calendly_invitee_uri);
  if (bookingId) loc.bookingId = bookingId;
  if (inviteeUri) loc.inviteeUri = inviteeUri;
  const id = str(o.id);
  if (id?.startsWith("cs_")) loc.checkoutSessionId = id;
  if (id?.startsWith("pi_")) loc.paymentIntentId = id;
  const pi = str(o.payment_intent);
  if (pi) loc.paymentIntentId = pi;
  return loc;
}

export function hasLocator(loc: BookingLocator): boolean {
  return Boolean(loc.bookingId || loc.inviteeUri || loc.checkoutSessionId || loc.paymentIntentId);
}

/** The id under which the app records a delivery (WebhookEvent.providerEventId), as the intake derives it. */
export function providerEventIdOf(provider: WebhookProviderId, body: unknown): string | undefined {
  if (provider === "stripe") return str(obj(body).id);
  const type = str(obj(body).event);
  const uri = str(obj(obj(body).payload).uri);
  return type && uri ? `${type}:${uri}` : undefined;
}

/** What the booking looks like once the event is applied; null when the event does not change a booking. */
export function reflects(type: ReplayEventType, body: unknown): ((b: BookingSnapshot | null) => boolean) | null {
  const o = obj(obj(obj(body).data).object);
  switch (type) {
    case "invitee.created":
      return (b) => b !== null;
    case "invitee.canceled":
      return (b) => b?.status === "CANCELLED";
    case "checkout.session.completed":
      if (o.payment_status !== "paid") return null;
      return (b) => b?.paymentStatus === "PAID" || b?.paymentStatus === "REFUNDED";
    case "payment_intent.succeeded":
      return (b) => b?.paymentStatus === "PAID" || b?.paymentStatus === "REFUNDED";
  }
}

export interface VerifyDbOptions {
  timeoutMs: number;
  /** Between reads (default 100 ms, growing to 500 ms). */
  intervalMs?: number;
  readBooking(): Promise<BookingSnapshot | null>;
  /** How the app recorded the delivery (PROCESSED, HELD, …), when it did. */
  readEventOutcome?(): Promise<string | null>;
  sleep?(ms: number): Promise<void>;
}

export interface VerifyDbResult {
  /** reflected: the booking shows the event; held: the app holds it (manual processing); timeout: neither within the bound. */
  outcome: "reflected" | "held" | "timeout";
  before: BookingSnapshot | null;
  after: BookingSnapshot | null;
  /** The WebhookEvent outcome last read. */
  eventOutcome: string | null;
  waitedMs: number;
  /** Field → [before, after], for the fields that changed. */
  changed: Record<string, [string | null, string | null]>;
}

/** Polls (bounded) until `reflects(after)`; `before` is the state read before sending. */
export async function waitForBooking(before: BookingSnapshot | null, reflected: (b: BookingSnapshot | null) => boolean, o: VerifyDbOptions): Promise<VerifyDbResult> {
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const started = performance.now();
  let interval = o.intervalMs ?? 100;
  let after: BookingSnapshot | null = null;
  let eventOutcome: string | null = null;
  let outcome: VerifyDbResult["outcome"];
  for (;;) {
    after = await o.readBooking();
    eventOutcome = o.readEventOutcome ? await o.readEventOutcome() : null;
    if (reflected(after)) {
      outcome = "reflected";
      break;
    }
    if (eventOutcome === "HELD") {
      outcome = "held";
      break;
    }
    const elapsed = performance.now() - started;
    if (elapsed >= o.timeoutMs) {
      outcome = "timeout";
      break;
    }
    await sleep(Math.min(interval, Math.max(1, o.timeoutMs - elapsed)));
    interval = Math.min(500, Math.round(interval * 1.5));
  }
  return { outcome, before, after, eventOutcome, waitedMs: Math.round(performance.now() - started), changed: diff(before, after) };
}

function diff(a: BookingSnapshot | null, b: BookingSnapshot | null): Record<string, [string | null, string | null]> {
  const out: Record<string, [string | null, string | null]> = {};
  for (const k of ["id", "status", "paymentStatus"] as const) {
    const x = a?.[k] ?? null;
    const y = b?.[k] ?? null;
    if (x !== y) out[k] = [x, y];
  }
  return out;
}
