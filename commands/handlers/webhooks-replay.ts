import { readFileSync } from "node:fs";
import { stripeProviderError } from "../../src/providers/stripe-errors.js";
import { resolve } from "node:path";
import { randomBytes } from "node:crypto";
import { z } from "zod";
import type { Context } from "../../src/context.js";
import { describeIssues } from "../../src/config/validation.js";
import type { PrismaClient } from "../../src/generated/prisma/client.js";
import { findBooking } from "../../src/core/bookings.js";
import {
  calendlyInviteeEventSchema,
  stripeCheckoutSessionSchema,
  stripeEnvelopeSchema,
  stripePaymentIntentSchema,
} from "../../src/core/webhook-payloads.js";
import { ConfigError, UsageError } from "../../src/errors.js";
import { EXIT } from "../../src/engine/exit-codes.js";
import { expectedRegistration } from "../../src/providers/webhook-registrations.js";
import {
  ALL_REPLAY_EVENT_TYPES,
  DEFAULT_FIXTURE_EVENT_TYPE_URI,
  REPLAY_EVENT_TYPES,
  ReplaySourceError,
  bookingLocatorOf,
  buildReplayEvent,
  hasLocator,
  parseStatusExpectation,
  postWebhook,
  providerEventIdOf,
  providerOfEventType,
  reflects,
  signatureHeaders,
  waitForBooking,
  type BookingLocator,
  type BookingSnapshot,
  type DeliveryResult,
  type ReplayEventType,
  type ReplayProvider,
  type SignatureMode,
  type VerifyDbResult,
} from "../../src/providers/webhook-replay.js";
import { withDatabase } from "../support/database.js";
import type { WebhooksDeps } from "./webhooks-status.js";
import { parseDurationFlag } from "../support/flags.js";

/**
 * `bookflow webhooks replay <calendly|stripe> <event-type>`: builds a
 * realistic event (fixture, --booking, --payload, or Stripe --event), signs it
 * as the provider would, POSTs it, reports status, latency and body;
 * `--expect` makes it an assertion, `--verify-db` waits until the booking
 * reflects the event.
 *
 * Exit codes: 0 the answer met --expect (default 2xx) and, with --verify-db,
 * the booking reflects the event; 1 otherwise; 2 bad input (reason on stderr).
 */

const optionsSchema = z.object({
  provider: z.string(),
  eventType: z.string(),
  booking: z.string().trim().min(1, { message: "must name a booking" }).optional(),
  payload: z.string().min(1, { message: "must name a file" }).optional(),
  event: z.string().trim().optional(),
  url: z.string().optional(),
  expect: z.string().optional(),
  unsigned: z.boolean().default(false),
  badSignature: z.boolean().default(false),
  verifyDb: z.union([z.boolean(), z.string()]).optional(),
  timeout: z.string().default("10s"),
  json: z.boolean().default(false),
});

export type WebhooksReplayOptions = z.input<typeof optionsSchema>;

export const DEFAULT_VERIFY_DB_TIMEOUT_MS = 10_000;

/** "10s", "500ms", "2.5s", "1m" or plain seconds → milliseconds (1 ms to 10 min). */
export function parseDuration(text: string, flag: string): number {
  return parseDurationFlag(text, flag, { minMs: 1, maxMs: 600_000, bareUnit: "s", hint: "Give seconds (10, 2.5s), milliseconds (500ms) or minutes (1m)." });
}

export interface ReplayReport {
  provider: ReplayProvider;
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

export async function webhooksReplay(rawOptions: WebhooksReplayOptions, deps: WebhooksDeps): Promise<number> {
  const { ctx } = deps;
  try {
    const parsed = optionsSchema.safeParse(rawOptions);
    if (!parsed.success) throw new UsageError(`Invalid options for webhooks replay:\n  - ${describeIssues(parsed.error.issues).join("\n  - ")}`, "See `bookflow webhooks replay --help`.", "BAD_OPTION");
    const opts = parsed.data;
    const { provider, eventType } = checkProviderAndType(opts.provider, opts.eventType);
    checkConflicts(provider, opts);
    const expectation = parseStatusExpectation(opts.expect ?? "2xx");
    if (!expectation) throw new UsageError(`--expect ${JSON.stringify(opts.expect)} is not a status class or code.`, "Give 2xx, 4xx (any class 1xx–5xx) or an exact code such as 401.", "BAD_OPTION");
    const timeoutMs = parseDuration(opts.timeout, "--timeout");
    const verifyTimeoutMs = opts.verifyDb === undefined || opts.verifyDb === false ? undefined : opts.verifyDb === true ? DEFAULT_VERIFY_DB_TIMEOUT_MS : parseDuration(opts.verifyDb, "--verify-db");
    const url = targetUrl(provider, opts.url, ctx.env);
    const mode: SignatureMode = opts.unsigned ? "unsigned" : opts.badSignature ? "bad-signature" : "signed";
    const secret = provider === "calendly" ? ctx.env.CALENDLY_WEBHOOK_SIGNING_KEY?.trim() : ctx.env.STRIPE_WEBHOOK_SECRET?.trim();
    if (mode === "signed" && !secret) {
      const name = provider === "calendly" ? "CALENDLY_WEBHOOK_SIGNING_KEY" : "STRIPE_WEBHOOK_SECRET";
      throw new ConfigError(`${name} is not set, so the event cannot be signed as ${provider === "calendly" ? "Calendly" : "Stripe"} would sign it.`, `Set ${name} (the secret the app verifies with), or pass --unsigned to send it without a signature.`, "ENV_MISSING");
    }

    const prepared = await prepareBody(provider, eventType, opts, deps);

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
    if (opts.json) ctx.out(`${JSON.stringify(report, null, 2)}\n`);
    else ctx.out(formatReplay(report, delivery));
    return report.ok ? EXIT.OK : EXIT.FAILED;
  } finally {
    await ctx.close();
  }
}

function checkProviderAndType(providerArg: string, typeArg: string): { provider: ReplayProvider; eventType: ReplayEventType } {
  const provider = providerArg.trim().toLowerCase();
  if (provider !== "calendly" && provider !== "stripe") {
    throw new UsageError(`Unknown provider "${providerArg}": replay sends calendly or stripe events.`, `Use \`bookflow webhooks replay calendly <${REPLAY_EVENT_TYPES.calendly.join("|")}>\` or \`… stripe <${REPLAY_EVENT_TYPES.stripe.join("|")}>\`.`, "BAD_PROVIDER");
  }
  const type = typeArg.trim();
  const owner = providerOfEventType(type);
  if (!owner) {
    throw new UsageError(`Unknown event type "${typeArg}" for ${provider}.`, `Valid event types: ${REPLAY_EVENT_TYPES[provider].join(", ")} (all: ${ALL_REPLAY_EVENT_TYPES.join(", ")}).`, "BAD_EVENT_TYPE");
  }
  if (owner !== provider) {
    throw new UsageError(`${type} is a ${owner === "calendly" ? "Calendly" : "Stripe"} event, not a ${provider === "calendly" ? "Calendly" : "Stripe"} one.`, `Run \`bookflow webhooks replay ${owner} ${type}\`; ${provider} events are ${REPLAY_EVENT_TYPES[provider].join(", ")}.`, "BAD_EVENT_TYPE");
  }
  return { provider, eventType: type as ReplayEventType };
}

function checkConflicts(provider: ReplayProvider, o: z.infer<typeof optionsSchema>): void {
  const conflict = (a: string, b: string, why: string) => new UsageError(`${a} and ${b} cannot be used together: ${why}.`, "Drop one of them.", "CONFLICTING_OPTIONS");
  if (o.unsigned && o.badSignature) throw conflict("--unsigned", "--bad-signature", "an event is sent either without a signature or with a wrong one");
  const sources = [o.booking !== undefined && "--booking", o.payload !== undefined && "--payload", o.event !== undefined && "--event"].filter(Boolean) as string[];
  if (sources.length > 1) throw conflict(sources[0]!, sources[1]!, "the event comes from one source");
  if (o.event !== undefined && provider !== "stripe") throw new UsageError("--event fetches a Stripe event; Calendly has no API to fetch past deliveries.", "Use --booking or --payload for Calendly events.", "CONFLICTING_OPTIONS");
  if (o.event !== undefined && !/^evt_[A-Za-z0-9_]+$/.test(o.event)) throw new UsageError(`--event ${JSON.stringify(o.event)} is not a Stripe event id.`, "Give an id starting with evt_ (Stripe dashboard → Developers → Events).", "BAD_OPTION");
  const verifying = o.verifyDb !== undefined && o.verifyDb !== false;
  if (verifying && (o.unsigned || o.badSignature)) {
    throw conflict("--verify-db", o.unsigned ? "--unsigned" : "--bad-signature", "an event without a valid signature is rejected and never changes a booking");
  }
}

function targetUrl(provider: ReplayProvider, flag: string | undefined, env: Record<string, string | undefined>): string {
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

async function prepareBody(provider: ReplayProvider, eventType: ReplayEventType, opts: z.infer<typeof optionsSchema>, deps: WebhooksDeps): Promise<Prepared> {
  const { ctx } = deps;
  if (opts.payload !== undefined) {
    const file = resolve(deps.cwd ?? process.cwd(), opts.payload);
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
    const { stripeFromEnv } = await import("../../src/providers/from-env.js");
    const stripe = await stripeFromEnv(ctx.env);
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
  const { uri, from } = provider === "calendly" ? await fixtureEventType(ctx) : { uri: DEFAULT_FIXTURE_EVENT_TYPE_URI, from: "default" };
  const runTag = `bookflow-replay-${randomBytes(4).toString("hex")}`;
  const body = buildReplayEvent(eventType, { kind: "fixture", eventTypeUri: uri, runTag });
  const detail = provider === "calendly" ? `event type ${uri} (${from === "database" ? "an active session type in the database" : "the documented default"}), tagged ${runTag}` : "a payment that refers to no booking";
  return { raw: JSON.stringify(body), body, source: { kind: "fixture", detail } };
}

/** A payload file or a fetched event must be the event type asked for, in the shape the app reads. */
function validatePayload(provider: ReplayProvider, eventType: ReplayEventType, body: unknown, what: string): void {
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
async function fixtureEventType(ctx: Context): Promise<{ uri: string; from: "database" | "default" }> {
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
    ctx.err(`note: could not read a session type from the database (${err instanceof Error ? err.message.split("\n")[0] : String(err)}); using ${DEFAULT_FIXTURE_EVENT_TYPE_URI}\n`);
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

async function readEventOutcome(prisma: PrismaClient, provider: ReplayProvider, providerEventId: string): Promise<string | null> {
  const row = await prisma.webhookEvent.findUnique({
    where: { provider_providerEventId: { provider: provider === "calendly" ? "CALENDLY" : "STRIPE", providerEventId } },
    select: { outcome: true },
  });
  return row?.outcome ?? null;
}

const state = (b: BookingSnapshot | null) => (b ? `${b.status}/${b.paymentStatus}` : "no booking");

export function formatReplay(r: ReplayReport, delivery: DeliveryResult): string {
  const lines: string[] = [];
  lines.push(`POST ${r.url}  ${r.provider} ${r.eventType}${r.eventId ? ` (${r.eventId})` : ""}, ${r.signature === "signed" ? "signed" : r.signature === "unsigned" ? "unsigned" : "wrongly signed"}, from ${r.source.kind}: ${r.source.detail}`);
  lines.push(`answer: ${r.response.status} in ${r.response.latencyMs} ms`);
  const body = delivery.body.length > 2000 ? `${delivery.body.slice(0, 2000)}…` : delivery.body;
  if (body.trim()) lines.push(`body: ${body.trim()}`);
  lines.push(`expect ${r.expect.expected}: ${r.expect.met ? "met" : `NOT met (got ${r.response.status})`}`);
  const v = r.verifyDb;
  if (v && "skipped" in v) lines.push(`database: not checked: ${v.skipped}`);
  else if (v) {
    const changes = Object.entries(v.changed).filter(([k]) => k !== "id").map(([k, [a, b]]) => `${k} ${a ?? "(none)"} → ${b ?? "(none)"}`);
    const who = v.after?.id ?? v.before?.id;
    if (v.outcome === "reflected") {
      lines.push(
        changes.length || (!v.before && v.after)
          ? `database: booking ${who} ${!v.before ? `created as ${state(v.after)}` : changes.join(", ")} (after ${v.waitedMs} ms)`
          : `database: booking ${who} already reflected the event before the replay (${state(v.after)}); nothing changed`,
      );
    } else if (v.outcome === "held") {
      lines.push(`database: the app holds the event (manual processing is on); booking still ${state(v.after)}. Release held events to apply it.`);
    } else {
      lines.push(`database: the booking did not reflect the event within ${v.timeoutMs} ms; last seen: ${state(v.after)}${v.eventOutcome ? `, webhook event recorded as ${v.eventOutcome}` : ", no webhook event recorded"}`);
    }
  }
  lines.push(r.ok ? "Result: ok" : "Result: failed");
  return `${lines.join("\n")}\n`;
}
