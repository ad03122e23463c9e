import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { randomBytes } from "node:crypto";
import type { Context } from "../context.js";
import { describeIssues } from "../config/validation.js";
import type { PrismaClient } from "../generated/prisma/client.js";
import { findBooking } from "../core/bookings.js";
import { calendlyInviteeEventSchema, stripeCheckoutSessionSchema, stripeEnvelopeSchema, stripePaymentIntentSchema } from "../core/webhook-payloads.js";
import { ConfigError, UsageError } from "../errors.js";
import { stripeProviderError } from "../providers/stripe-errors.js";
import { WEBHOOK_PROVIDERS, type WebhookProviderId } from "../providers/webhook-providers.js";
import { expectedRegistration } from "../providers/webhook-registrations.js";
import {
  DEFAULT_FIXTURE_EVENT_TYPE_URI,
  ReplaySourceError,
  bookingLocatorOf,
  buildReplayEvent,
  hasLocator,
  postWebhook,
  providerEventIdOf,
  reflects,
  signatureHeaders,
  waitForBooking,
  type BookingLocator,
  type BookingSnapshot,
  type DeliveryResult,
  type ReplayEventType,
  type SignatureMode,
  type StatusExpectation,
  type VerifyDbResult,
} from "../providers/webhook-replay.js";
import { withDatabase } from "./database.js";

/**
 * `webhooks replay` as a use case: builds a realistic event (fixture,
 * booking, payload file, or a Stripe event fetched from the API), signs it as
 * the provider would, POSTs it, and with `verifyTimeoutMs` waits until the
 * booking reflects it. Returns the report; prints nothing.
 */

type ReplayContext = Pick<Context, "env" | "cwd" | "clients" | "db">;

export interface ReplayInput {
  provider: WebhookProviderId;
  eventType: ReplayEventType;
  /** Where the event comes from (at most one; none: a fixture). */
  source: { booking?: string | undefined; payload?: string | undefined; event?: string | undefined };
  /** --url (default: CALENDLY_WEBHOOK_URL / STRIPE_WEBHOOK_URL). */
  url?: string | undefined;
  mode: SignatureMode;
  expectation: StatusExpectation;
  timeoutMs: number;
  /** Wait this long for the booking to reflect the event (none: do not check the database). */
  verifyTimeoutMs?: number | undefined;
  /** A note on how the event was built (e.g. the database could not be read for a fixture). */
  onNote?: ((note: string) => void) | undefined;
}

export interface ReplayReport {
  provider: WebhookProviderId;
  eventType: ReplayEventType;
  /** Stripe: the event id; Calendly: `<event>:<invitee uri>`, as the app records it. */
  eventId: string | null;
  source: { kind: "fixture" | "booking" | "payload" | "event"; detail: string };
  url: string;
  signature: SignatureMode;
  response: { status: number; latencyMs: number; body: unknown };
  expect: { expected: string; met: boolean };
  verifyDb: (VerifyDbResult & { timeoutMs: number; bookingLocator: BookingLocator }) | { skipped: string } | null;
  ok: boolean;
}

interface Prepared {
  raw: string;
  body: unknown;
  source: ReplayReport["source"];
}

export async function replayWebhook(ctx: ReplayContext, input: ReplayInput): Promise<{ report: ReplayReport; delivery: DeliveryResult }> {
  const { provider, eventType, mode, expectation, timeoutMs, verifyTimeoutMs } = input;
  const url = targetUrl(provider, input.url, ctx.env);
  const entry = WEBHOOK_PROVIDERS[provider];
  const secret = ctx.env[entry.env.secret]?.trim();
  if (mode === "signed" && !secret) {
    throw new ConfigError(`${entry.env.secret} is not set, so the event cannot be signed as ${entry.label} would sign it.`, `Set ${entry.env.secret} (the secret the app verifies with), or pass --unsigned to send it without a signature.`, "ENV_MISSING");
  }
  const prepared = await prepareBody(ctx, input);

  // --verify-db: what to look for, and the state before sending.
  let verify: { locator: BookingLocator; reflected: (b: BookingSnapshot | null) => boolean; before: BookingSnapshot | null; prisma: PrismaClient } | undefined;
  if (verifyTimeoutMs !== undefined) {
    const locator = bookingLocatorOf(provider, prepared.body);
    // A Stripe fixture's ids are fresh: they name no booking.
    if (!hasLocator(locator) || (provider === "stripe" && prepared.source.kind === "fixture")) {
      throw new UsageError("--verify-db needs an event that refers to a booking, and this one names none (no invitee URI, booking_id or payment ids).", "Pass --booking <id> so the event refers to a real booking.", "BAD_OPTION");
    }
    const reflected = reflects(eventType, prepared.body);
    if (!reflected) throw new UsageError(`This ${eventType} event does not change a booking (its payment is not complete), so --verify-db has nothing to wait for.`, "Drop --verify-db, or replay a paid event.", "BAD_OPTION");
    const { prisma } = await withDatabase("read the booking for --verify-db", () => ctx.db());
    verify = { locator, reflected, before: await withDatabase("read the booking for --verify-db", () => readBooking(prisma, locator)), prisma };
  }

  const headers = await signatureHeaders(provider, prepared.raw, mode, secret);
  const delivery = await postWebhook(url, prepared.raw, headers, { timeoutMs, provider });
  const met = expectation.matches(delivery.status);

  let verifyDb: ReplayReport["verifyDb"] = null;
  if (verify && verifyTimeoutMs !== undefined) {
    if (delivery.status < 200 || delivery.status >= 300) {
      verifyDb = { skipped: `the endpoint answered ${delivery.status}, so the event was not applied` };
    } else {
      const v = verify;
      const eventId = providerEventIdOf(provider, prepared.body);
      const result = await waitForBooking(v.before, v.reflected, {
        timeoutMs: verifyTimeoutMs,
        readBooking: () => readBooking(v.prisma, v.locator),
        ...(eventId ? { readEventOutcome: () => readEventOutcome(v.prisma, provider, eventId) } : {}),
      });
      verifyDb = { ...result, timeoutMs: verifyTimeoutMs, bookingLocator: v.locator };
    }
  }

  const verified = verifyDb === null || ("outcome" in verifyDb && verifyDb.outcome === "reflected");
  const report: ReplayReport = {
    provider,
    eventType,
    eventId: providerEventIdOf(provider, prepared.body) ?? null,
    source: prepared.source,
    url,
    signature: mode,
    response: { status: delivery.status, latencyMs: delivery.latencyMs, body: delivery.json ?? delivery.body },
    expect: { expected: expectation.text, met },
    verifyDb,
    ok: met && verified,
  };
  return { report, delivery };
}

function targetUrl(provider: WebhookProviderId, flag: string | undefined, env: Record<string, string | undefined>): string {
  if (flag === undefined) return expectedRegistration(provider, env, []).url;
  let url: URL | undefined;
  try {
    url = new URL(flag);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) {
    throw new UsageError(`--url ${JSON.stringify(flag)} is not an http or https URL.`, `Give the full webhook URL, e.g. https://app.example.com/api/webhooks/${provider}.`, "BAD_OPTION");
  }
  return url.toString();
}

async function prepareBody(ctx: ReplayContext, input: ReplayInput): Promise<Prepared> {
  const { provider, eventType, source: opts } = input;
  if (opts.payload !== undefined) {
    const file = resolve(ctx.cwd, opts.payload);
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new UsageError(`Cannot read --payload file ${file}${code === "ENOENT" ? ": no such file" : `: ${code ?? String(err)}`}.`, "Check the path (relative paths start from the current directory).", "PAYLOAD_UNREADABLE");
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (err) {
      throw new UsageError(`--payload file ${file} is not valid JSON: ${(err as Error).message}.`, "Fix the JSON syntax; the file must hold one webhook body, as the provider sends it.", "PAYLOAD_INVALID");
    }
    validatePayload(provider, eventType, body, file);
    // The file's bytes are sent (and signed) as they are, like a provider's raw body.
    return { raw: text, body, source: { kind: "payload", detail: file } };
  }
  if (opts.event !== undefined) {
    const stripe = await ctx.clients.stripe();
    let event: unknown;
    try {
      event = await stripe.events.retrieve(opts.event);
    } catch (err) {
      if ((err as { statusCode?: unknown }).statusCode === 404) {
        throw new UsageError(`Stripe has no event ${opts.event} (in this key's mode).`, "Check the id; Stripe keeps events for 30 days, and test and live mode events are separate.", "EVENT_NOT_FOUND");
      }
      throw stripeProviderError(err, `GET /v1/events/${opts.event}`);
    }
    const type = (event as { type?: unknown }).type;
    if (type !== eventType) throw new UsageError(`Stripe event ${opts.event} is a ${String(type)} event, not ${eventType}.`, `Run \`bookflow webhooks replay stripe ${String(type)} --event ${opts.event}\` if that type is replayable, or pick another event.`, "BAD_EVENT_TYPE");
    validatePayload(provider, eventType, event, `Stripe event ${opts.event}`);
    return { raw: JSON.stringify(event), body: event, source: { kind: "event", detail: opts.event } };
  }
  if (opts.booking !== undefined) {
    const { prisma } = await withDatabase("look up the --booking", () => ctx.db());
    const found = await withDatabase("look up the --booking", () => findBooking(prisma, opts.booking!, { limit: 5 }));
    if (found.length === 0) throw new UsageError(`No booking matches ${JSON.stringify(opts.booking)}.`, "Give a booking id (or its invitee email, Calendly URI, cs_… or pi_… id); `bookflow bookings list` shows them.", "BOOKING_NOT_FOUND");
    if (found.length > 1) throw new UsageError(`${JSON.stringify(opts.booking)} matches ${found.length} bookings (${found.map((b) => b.id).join(", ")}).`, "Pass one booking id.", "BOOKING_AMBIGUOUS");
    const b = found[0]!;
    const st = await prisma.sessionType.findUnique({ where: { id: b.sessionTypeId }, select: { calendlyEventTypeUri: true } });
    try {
      const body = buildReplayEvent(eventType, { kind: "booking", booking: { ...b, eventTypeUri: st?.calendlyEventTypeUri ?? null } });
      return { raw: JSON.stringify(body), body, source: { kind: "booking", detail: b.id } };
    } catch (err) {
      if (err instanceof ReplaySourceError) throw new UsageError(err.message, "Replay a Stripe event for it instead, or pick a booking made through Calendly.", "BOOKING_UNSUITABLE");
      throw err;
    }
  }
  const { uri, from } = provider === "calendly" ? await fixtureEventType(ctx, input.onNote) : { uri: DEFAULT_FIXTURE_EVENT_TYPE_URI, from: "default" };
  const runTag = `bookflow-replay-${randomBytes(4).toString("hex")}`;
  const body = buildReplayEvent(eventType, { kind: "fixture", eventTypeUri: uri, runTag });
  const detail = provider === "calendly" ? `event type ${uri} (${from === "database" ? "an active session type in the database" : "the documented default"}), tagged ${runTag}` : "a payment that refers to no booking";
  return { raw: JSON.stringify(body), body, source: { kind: "fixture", detail } };
}

/** A payload file or a fetched event must be the event type asked for, in the shape the app reads. */
function validatePayload(provider: WebhookProviderId, eventType: ReplayEventType, body: unknown, what: string): void {
  const problems: string[] = [];
  if (provider === "calendly") {
    const r = calendlyInviteeEventSchema.safeParse(body);
    if (!r.success) problems.push(...describeIssues(r.error.issues));
    else if (r.data.event !== eventType) throw new UsageError(`${what} is an ${r.data.event} event, not ${eventType}.`, `Run \`bookflow webhooks replay calendly ${r.data.event} …\`, or change "event" in the file.`, "BAD_EVENT_TYPE");
  } else {
    const r = stripeEnvelopeSchema.safeParse(body);
    if (!r.success) problems.push(...describeIssues(r.error.issues));
    else if (r.data.type !== eventType) throw new UsageError(`${what} is a ${r.data.type} event, not ${eventType}.`, `Run \`bookflow webhooks replay stripe ${r.data.type} …\`, or change "type" in the file.`, "BAD_EVENT_TYPE");
    else {
      const o = (eventType === "checkout.session.completed" ? stripeCheckoutSessionSchema : stripePaymentIntentSchema).safeParse(r.data.data.object);
      if (!o.success) problems.push(...describeIssues(o.error.issues).map((l) => `data.object.${l}`));
    }
  }
  if (problems.length) {
    throw new UsageError(`${what} is not a valid ${provider} ${eventType} body:\n  - ${problems.join("\n  - ")}`, "Fix the fields named above (docs/webhooks.md shows the shape), or replay a built-in fixture.", "PAYLOAD_INVALID");
  }
}

/**
 * The Calendly event type a fixture books: an active session type from the
 * database when DATABASE_URL is set and answers (free ones first, so no Stripe
 * Checkout is created), else the documented default.
 */
async function fixtureEventType(ctx: ReplayContext, onNote: ((note: string) => void) | undefined): Promise<{ uri: string; from: "database" | "default" }> {
  if (!ctx.env.DATABASE_URL?.trim()) return { uri: DEFAULT_FIXTURE_EVENT_TYPE_URI, from: "default" };
  try {
    const pick = (async () => {
      const { prisma } = await ctx.db();
      return prisma.sessionType.findFirst({
        where: { active: true, calendlyEventTypeUri: { not: null } },
        orderBy: [{ priceCents: "asc" }, { createdAt: "asc" }, { slug: "asc" }],
        select: { calendlyEventTypeUri: true },
      });
    })();
    const row = await Promise.race([pick, new Promise<null>((r) => setTimeout(() => r(null), 5000).unref())]);
    if (row?.calendlyEventTypeUri) return { uri: row.calendlyEventTypeUri, from: "database" };
  } catch (err) {
    onNote?.(`could not read a session type from the database (${err instanceof Error ? err.message.split("\n")[0] : String(err)}); using ${DEFAULT_FIXTURE_EVENT_TYPE_URI}`);
  }
  return { uri: DEFAULT_FIXTURE_EVENT_TYPE_URI, from: "default" };
}

async function readBooking(prisma: PrismaClient, loc: BookingLocator): Promise<BookingSnapshot | null> {
  const or = [
    ...(loc.bookingId ? [{ id: loc.bookingId }] : []),
    ...(loc.inviteeUri ? [{ calendlyInviteeUri: loc.inviteeUri }] : []),
    ...(loc.checkoutSessionId ? [{ stripeCheckoutSessionId: loc.checkoutSessionId }] : []),
    ...(loc.paymentIntentId ? [{ stripePaymentIntentId: loc.paymentIntentId }] : []),
  ];
  const b = await prisma.booking.findFirst({ where: { OR: or }, select: { id: true, status: true, paymentStatus: true } });
  return b ? { id: b.id, status: b.status, paymentStatus: b.paymentStatus } : null;
}

async function readEventOutcome(prisma: PrismaClient, provider: WebhookProviderId, providerEventId: string): Promise<string | null> {
  const row = await prisma.webhookEvent.findUnique({
    where: { provider_providerEventId: { provider: WEBHOOK_PROVIDERS[provider].dbValue, providerEventId } },
    select: { outcome: true },
  });
  return row?.outcome ?? null;
}
