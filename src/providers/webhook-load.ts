/**
 * The webhook load generator behind `bookflow webhooks bench`: sends realistic,
 * correctly signed Calendly or Stripe deliveries to one endpoint at a given
 * concurrency, for a count or a duration, with a share of repeated deliveries,
 * and measures throughput, latency percentiles and the answers (status codes,
 * and the reference app's `outcome` field when the body carries one).
 *
 * Built so that the generator is not what limits the rate:
 * - bodies come from a template compiled once (webhook-events.ts builds it;
 *   only the ids change from one event to the next) and the first ones are
 *   built and signed before the clock starts;
 * - HTTP goes through keep-alive connections of its own (http1-load-connection.ts),
 *   one per unit of concurrency: each request is one string (request line,
 *   headers, signature, body) written at once, and answers are parsed
 *   incrementally, with one timer for every request's time limit; a general
 *   client's per-request objects, header validation and timers cost more than
 *   everything else together under load. HTTP/1.1 pipelining only when asked
 *   (`pipelining` requests share a connection), since a POST is not idempotent
 *   and a dropped pipelined connection cannot be retried safely.
 *
 * Signatures carry a timestamp the receiver checks (Calendly: about 3 minutes,
 * Stripe: 5 minutes), so a delivery is signed again when it is sent more than
 * a minute short of that limit after it was signed: long runs and repeated
 * deliveries stay valid (the providers sign each retry anew too).
 */
import { randomBytes, randomUUID } from "node:crypto";
import { CALENDLY_DEFAULT_TOLERANCE_SECONDS, CALENDLY_SIGNATURE_HEADER, calendlySigner } from "./calendly-signature.js";
import { loadStripeWebhooks, signStripePayload, STRIPE_DEFAULT_TOLERANCE_SECONDS, STRIPE_SIGNATURE_HEADER } from "./stripe-signature.js";
import { Http1Connection } from "./http1-load-connection.js";
import { calendlyInviteeCreated, stripeCheckoutCompleted, stripePaymentIntentSucceeded } from "./webhook-events.js";
import type { WebhookProviderId } from "./webhook-providers.js";


/** Used for invitee.created when no session type can be read from the database (an app answers such events "ignored"). */
export const DEFAULT_CALENDLY_EVENT_TYPE_URI = "https://api.calendly.com/event_types/bookflow-bench";
/** Used for payments when no paid session type can be read from the database. */
export const DEFAULT_PAYMENT = { amountCents: 5000, currency: "usd" } as const;

export interface EventMix {
  /** Calendly: the event types invitee.created events name, in turn (active session types' URIs). */
  eventTypeUris: readonly string[];
  /** Stripe: what payments are for. */
  payment: { amountCents: number; currency: string };
  /** Calendly `tracking.utm_campaign` of the created invitees (`bookflow-…`): the reference app tags the bookings with it. */
  runTag: string;
}

export interface Delivery {
  type: string;
  body: string;
  /** The signature header's value. */
  signature: string;
  /** When it was signed (ms since the epoch). */
  signedAt: number;
}

export interface DeliveryFactory {
  readonly header: string;
  /** Signatures older than this (ms) are made again before sending. */
  readonly resignAfterMs: number;
  /** A new event (fresh ids), signed now. */
  next(): Promise<Delivery>;
  /** Signs the delivery again if its signature is too old to be accepted for much longer. */
  refresh(d: Delivery): Promise<Delivery>;
}

/** Splits a JSON text at placeholder tokens once; `fill` then joins it with values (no JSON work per event). */
function compileTemplate(text: string, tokens: readonly string[]): (values: Record<string, string>) => string {
  const pattern = new RegExp(tokens.map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|"), "g");
  const parts: string[] = [];
  const slots: string[] = [];
  let last = 0;
  for (const m of text.matchAll(pattern)) {
    parts.push(text.slice(last, m.index));
    slots.push(m[0]);
    last = m.index + m[0].length;
  }
  parts.push(text.slice(last));
  return (values) => {
    let out = parts[0]!;
    for (let i = 0; i < slots.length; i++) out += values[slots[i]!]! + parts[i + 1]!;
    return out;
  };
}

const T = { event: "@@BF_EVENT@@", invitee: "@@BF_INVITEE@@", n: "@@BF_N@@", id: "@@BF_ID@@" } as const;
const TOKENS = Object.values(T);
const CALENDLY_API = "https://api.calendly.com";

/**
 * Builds and signs deliveries for one provider. `now` (ms) is the clock the signatures use.
 * Every event is new: fresh invitee URIs (Calendly), fresh event, session and payment ids (Stripe).
 */
export async function createDeliveryFactory(provider: WebhookProviderId, secret: string, mix: EventMix, now: () => number = Date.now): Promise<DeliveryFactory> {
  const prefix = randomBytes(4).toString("hex");
  let n = 0;
  if (provider === "calendly") {
    const uris = mix.eventTypeUris.length ? mix.eventTypeUris : [DEFAULT_CALENDLY_EVENT_TYPE_URI];
    const templates = uris.map((eventTypeUri) =>
      compileTemplate(
        JSON.stringify(
          calendlyInviteeCreated({
            eventTypeUri,
            inviteeUri: `${CALENDLY_API}/scheduled_events/${T.event}/invitees/${T.invitee}`,
            email: `bench.${T.n}@example.com`,
            name: "Bench Invitee",
            utmCampaign: mix.runTag,
          }),
        ),
        TOKENS,
      ),
    );
    const signCalendly = calendlySigner(secret);
    const sign = (d: Delivery, at: number): Delivery => {
      d.signature = signCalendly(d.body, Math.floor(at / 1000));
      d.signedAt = at;
      return d;
    };
    const resignAfterMs = (CALENDLY_DEFAULT_TOLERANCE_SECONDS - 60) * 1000;
    return {
      header: CALENDLY_SIGNATURE_HEADER,
      resignAfterMs,
      async next() {
        const i = n++;
        const body = templates[i % templates.length]!({ [T.event]: randomUUID(), [T.invitee]: randomUUID(), [T.n]: `${prefix}.${i}`, [T.id]: "" });
        return sign({ type: "invitee.created", body, signature: "", signedAt: 0 }, now());
      },
      async refresh(d) {
        const at = now();
        return at - d.signedAt > resignAfterMs ? sign(d, at) : d;
      },
    };
  }

  await loadStripeWebhooks(); // the SDK signs; load it before the clock starts
  const ids = { eventId: `evt_bench_${T.id}`, sessionId: `cs_test_bench_${T.id}`, paymentIntentId: `pi_bench_${T.id}` };
  const common = { ...ids, calendlyInviteeUri: `${CALENDLY_API}/scheduled_events/${T.event}/invitees/${T.invitee}`, amountCents: mix.payment.amountCents, currency: mix.payment.currency, email: `bench.${T.n}@example.com` };
  // `created` is fixed in the template (its age does not matter to the receiver; the signature's timestamp does).
  const templates = [
    { type: "checkout.session.completed", fill: compileTemplate(JSON.stringify(stripeCheckoutCompleted(common)), TOKENS) },
    { type: "payment_intent.succeeded", fill: compileTemplate(JSON.stringify(stripePaymentIntentSucceeded(common)), TOKENS) },
  ];
  const sign = async (d: Delivery, at: number): Promise<Delivery> => {
    d.signature = await signStripePayload(d.body, secret, Math.floor(at / 1000));
    d.signedAt = at;
    return d;
  };
  const resignAfterMs = (STRIPE_DEFAULT_TOLERANCE_SECONDS - 60) * 1000;
  return {
    header: STRIPE_SIGNATURE_HEADER,
    resignAfterMs,
    async next() {
      const i = n++;
      const t = templates[i % templates.length]!;
      const body = t.fill({ [T.event]: randomUUID(), [T.invitee]: randomUUID(), [T.n]: `${prefix}.${i}`, [T.id]: `${prefix}${i.toString(36)}` });
      return sign({ type: t.type, body, signature: "", signedAt: 0 }, now());
    },
    async refresh(d) {
      const at = now();
      return at - d.signedAt > resignAfterMs ? sign(d, at) : d;
    },
  };
}

export interface LoadOptions {
  provider: WebhookProviderId;
  /** The endpoint (http or https). */
  url: string;
  /** The Calendly signing key or the Stripe whsec_ secret the endpoint checks. */
  secret: string;
  /** Stop after this many requests… */
  count?: number | undefined;
  /** …or after this long (ms). Exactly one of count and durationMs. */
  durationMs?: number | undefined;
  concurrency: number;
  /** Share (0..1) of requests that repeat an event the endpoint already accepted (2xx). */
  duplicates?: number;
  /** HTTP/1.1 requests in flight per connection (default 1: no pipelining). */
  pipelining?: number;
  /** Per-request time limit (ms), default 10 s. */
  timeoutMs?: number;
  mix: EventMix;
  /** Stops sending new requests (those in flight are awaited): the report covers what was sent. */
  signal?: AbortSignal;
  /** Called about once a second while running. */
  onProgress?: (p: { sent: number; elapsedMs: number }) => void;
  /** Deliveries built and signed before the clock starts (default: up to 20,000, about 40 MB). */
  prebuild?: number;
  /** Clock for signatures (ms since the epoch). */
  now?: () => number;
}

export interface LatencySummary {
  min: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Requests whose latency was above `fromMs` (the previous bucket's bound; 0 for the first) and at most `toMs`. */
export interface LatencyBucket {
  fromMs: number;
  toMs: number;
  count: number;
}

/** Upper bounds 0.1, 0.2, 0.5, 1, 2, 5, … ms up to the first at or above `max`. */
export function bucketBounds(min: number, max: number): number[] {
  const bounds: number[] = [];
  for (let pow = -1; bounds.length < 64; pow++) {
    for (const m of [1, 2, 5]) {
      const b = Math.round(m * 10 ** pow * 10) / 10;
      if (b >= min || bounds.length) bounds.push(b);
      if (b >= max) return bounds;
    }
  }
  return bounds;
}

export interface LoadReport {
  provider: WebhookProviderId;
  url: string;
  concurrency: number;
  pipelining: number;
  /** What was asked: a count or a duration. */
  requested: { count: number | null; durationMs: number | null };
  /** Requests that completed (answered, or failed on the network): `answered + failed`. */
  sent: number;
  answered: number;
  failed: number;
  /** Of `sent`: new events and repeats of accepted ones. */
  newEvents: number;
  duplicates: number;
  durationMs: number;
  requestsPerSecond: number;
  latencyMs: LatencySummary | null;
  /** Latencies counted in buckets whose upper bounds go 1-2-5 (0.5, 1, 2, 5, 10 … ms), from the bucket of the fastest to that of the slowest; empty without requests. */
  latencyHistogram: LatencyBucket[];
  /** HTTP status → count (answered requests). */
  statusCodes: Record<string, number>;
  /** Network error code → count (failed requests). */
  errors: Record<string, number>;
  /** The `outcome` field of JSON answers (the reference app's processed/duplicate/ignored/deferred/held/…) → count. */
  outcomes: Record<string, number>;
  /** Event type → count sent. */
  eventTypes: Record<string, number>;
  /** Calendly: the `tracking.utm_campaign` run tag of the created invitees. */
  runTag: string | null;
  /** True when a signal stopped the run before its count or duration. */
  interrupted: boolean;
}

/** Latencies in a growing Float64Array (no boxing, cheap to sort). */
class Samples {
  private data = new Float64Array(4096);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = v;
  }
  summary(): LatencySummary | null {
    if (!this.length) return null;
    const s = this.data.slice(0, this.length).sort();
    let sum = 0;
    for (const v of s) sum += v;
    const at = (p: number) => s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
    const r = (v: number) => Math.round(v * 100) / 100;
    return { min: r(s[0]!), mean: r(sum / s.length), p50: r(at(50)), p95: r(at(95)), p99: r(at(99)), max: r(s[s.length - 1]!) };
  }
  histogram(): LatencyBucket[] {
    if (!this.length) return [];
    const s = this.data.slice(0, this.length).sort();
    const bounds = bucketBounds(s[0]!, s[s.length - 1]!);
    const buckets = bounds.map((toMs, i) => ({ fromMs: i ? bounds[i - 1]! : 0, toMs, count: 0 }));
    let b = 0;
    for (const v of s) {
      while (v > buckets[b]!.toMs && b < buckets.length - 1) b++;
      buckets[b]!.count++;
    }
    return buckets;
  }
}

function bump(map: Record<string, number>, key: string): void {
  map[key] = (map[key] ?? 0) + 1;
}

function errorCode(err: unknown): string {
  if (err && typeof err === "object") {
    const e = err as { code?: unknown; cause?: { code?: unknown }; name?: unknown };
    if (typeof e.code === "string") return e.code;
    if (e.cause && typeof e.cause.code === "string") return e.cause.code;
    if (typeof e.name === "string") return e.name;
  }
  return "ERROR";
}

/**
 * Deliveries built and signed before the clock starts, by default: signing (an HMAC over a 2 KB body) is most of what
 * a request costs the generator, so the first ones are paid for outside the measured window. Bounded: a Calendly
 * delivery holds about 2 KB, so 20,000 of them about 40 MB.
 */
const PREBUILD_DEFAULT = 20_000;
const MAX_KEPT_BODY = 8192;
const USER_AGENT = "bookflow-webhooks-bench";

/**
 * The request line and the headers every request shares, up to the signature header's value: a request is then
 * this, the signature, its content-length and the body, joined into one string and written at once.
 */
function requestHead(url: URL, signatureHeader: string): string {
  const path = `${url.pathname}${url.search}`;
  return `POST ${path} HTTP/1.1\r\nhost: ${url.host}\r\nconnection: keep-alive\r\ncontent-type: application/json\r\nuser-agent: ${USER_AGENT}\r\n${signatureHeader}: `;
}

/** The `outcome` field of a JSON object answer (the reference app's), else null. */
function outcomeOf(body: Buffer | null): string | null {
  if (!body || body[0] !== 0x7b /* { */) return null;
  try {
    const outcome = (JSON.parse(body.toString("utf8")) as { outcome?: unknown }).outcome;
    return typeof outcome === "string" ? outcome : null;
  } catch {
    return null;
  }
}

/** Whether request `i` repeats an earlier event: exactly `share` of the requests, spread evenly. */
export function isDuplicateSlot(i: number, share: number): boolean {
  return share > 0 && Math.floor((i + 1) * share) > Math.floor(i * share);
}

/** A short random run tag for created invitees: `bookflow-bench-<hex>`. */
export function newBenchRunTag(): string {
  return `bookflow-bench-${randomBytes(5).toString("hex")}`;
}

/** Sends the load and measures it. Never throws for what the endpoint answers (or fails to); the report says. */
export async function runWebhookLoad(options: LoadOptions): Promise<LoadReport> {
  const { provider, concurrency } = options;
  if ((options.count === undefined) === (options.durationMs === undefined)) throw new Error("runWebhookLoad: give exactly one of count and durationMs");
  const pipelining = options.pipelining ?? 1;
  const share = options.duplicates ?? 0;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const url = new URL(options.url);
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error(`runWebhookLoad: ${url.protocol} is not http: or https:`);
  const factory = await createDeliveryFactory(provider, options.secret, options.mix, options.now);

  /** Deliveries built and signed, not yet sent (taken from the end; each is sent once). */
  const ready: Delivery[] = [];
  const prebuildCount = Math.min(options.prebuild ?? PREBUILD_DEFAULT, options.count ?? PREBUILD_DEFAULT);
  for (let i = 0; i < prebuildCount; i++) ready.push(await factory.next());
  ready.reverse();

  // One connection per `pipelining` units of concurrency (one per unit without pipelining), each worker always on the same one.
  const connections = Array.from({ length: Math.ceil(concurrency / pipelining) }, () => new Http1Connection({ url, maxKeptBody: MAX_KEPT_BODY }));
  const head = requestHead(url, factory.header);

  const samples = new Samples();
  const statusCodes: Record<string, number> = {};
  const errors: Record<string, number> = {};
  const outcomes: Record<string, number> = {};
  const eventTypes: Record<string, number> = {};
  /** Recently accepted events, for repeats. */
  const accepted: Delivery[] = [];
  const ACCEPTED_MAX = 512;
  let acceptedNext = 0;
  let issued = 0;
  let answered = 0;
  let failed = 0;
  let duplicates = 0;
  // Once the prebuilt ones run low, the next deliveries are built after the event loop has handled the answers that
  // arrived (setImmediate), not between an answer and the next request: the requests go out first, and the building
  // overlaps the endpoint's work on them. At most 2 × concurrency are kept ready; a worker that finds none builds its own.
  const readyTarget = 2 * concurrency;
  let refilling = false;
  const refill = async (): Promise<void> => {
    try {
      // Never more than a counted run still needs: every delivery built is then sent, so the event types keep the
      // mix's shares (one built beyond the count would be sent in place of one already built).
      while (ready.length < readyTarget && more() && (options.count === undefined || issued + ready.length < options.count)) ready.push(await factory.next());
    } finally {
      refilling = false;
    }
  };

  const started = performance.now();
  const endAt = options.durationMs !== undefined ? started + options.durationMs : Infinity;
  const more = () => !options.signal?.aborted && (options.count !== undefined ? issued < options.count : performance.now() < endAt);
  const progress = options.onProgress
    ? setInterval(() => options.onProgress!({ sent: answered + failed, elapsedMs: performance.now() - started }), 1000)
    : undefined;
  progress?.unref();
  // One timer for every request's time limit: a connection whose oldest request is late is dropped.
  const timeouts = setInterval(() => {
    const now = performance.now();
    for (const c of connections) c.checkTimeout(now);
  }, Math.max(10, Math.min(250, timeoutMs / 10)));
  timeouts.unref();

  const worker = async (_: unknown, k: number): Promise<void> => {
    const connection = connections[Math.floor(k / pipelining)]!;
    while (more()) {
      const i = issued++;
      let d: Delivery;
      let repeat = false;
      if (isDuplicateSlot(i, share) && accepted.length) {
        d = accepted[(i * 7919) % accepted.length]!;
        repeat = true;
      } else {
        d = ready.pop() ?? (await factory.next());
        if (ready.length < readyTarget && !refilling) {
          refilling = true;
          // A failure here is the worker's to report: it builds its own when none is ready.
          setImmediate(() => void refill().catch(() => {}));
        }
      }
      if (Date.now() - d.signedAt > factory.resignAfterMs) d = await factory.refresh(d);
      const t0 = performance.now();
      try {
        const res = await connection.send(`${head}${d.signature}\r\ncontent-length: ${Buffer.byteLength(d.body)}\r\n\r\n${d.body}`, timeoutMs);
        samples.push(performance.now() - t0);
        answered++;
        bump(statusCodes, String(res.statusCode));
        const outcome = outcomeOf(res.body);
        if (outcome) bump(outcomes, outcome);
        if (res.statusCode >= 200 && res.statusCode < 300 && !repeat) {
          if (accepted.length < ACCEPTED_MAX) accepted.push(d);
          else accepted[acceptedNext++ % ACCEPTED_MAX] = d;
        }
      } catch (err) {
        samples.push(performance.now() - t0);
        failed++;
        bump(errors, errorCode(err));
      }
      if (repeat) duplicates++;
      bump(eventTypes, d.type);
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    if (progress) clearInterval(progress);
    clearInterval(timeouts);
  }
  const durationMs = performance.now() - started;
  for (const c of connections) c.close();

  const sent = answered + failed;
  return {
    provider,
    url: options.url,
    concurrency,
    pipelining,
    requested: { count: options.count ?? null, durationMs: options.durationMs ?? null },
    sent,
    answered,
    failed,
    newEvents: sent - duplicates,
    duplicates,
    durationMs: Math.round(durationMs * 100) / 100,
    requestsPerSecond: durationMs > 0 ? Math.round((sent / durationMs) * 1000 * 10) / 10 : 0,
    latencyMs: samples.summary(),
    latencyHistogram: samples.histogram(),
    statusCodes,
    errors,
    outcomes,
    eventTypes,
    runTag: provider === "calendly" ? options.mix.runTag : null,
    interrupted: !!options.signal?.aborted && (options.count !== undefined ? sent < options.count : durationMs < options.durationMs!),
  };
}
