import { z } from "zod";
import { describeIssues } from "../../src/config/validation.js";
import { UsageError } from "../../src/errors.js";
import { EXIT } from "../../src/engine/exit-codes.js";
import { WEBHOOK_PROVIDERS, isWebhookProviderId, type WebhookProviderId } from "../../src/providers/webhook-providers.js";
import {
  ALL_REPLAY_EVENT_TYPES,
  REPLAY_EVENT_TYPES,
  parseStatusExpectation,
  providerOfEventType,
  type BookingSnapshot,
  type DeliveryResult,
  type ReplayEventType,
} from "../../src/providers/webhook-replay.js";
import { replayWebhook, type ReplayReport } from "../../src/ops/webhooks-replay.js";
import { parseDurationFlag } from "../support/flags.js";
import { defineCommand } from "../support/run.js";

/**
 * `bookflow webhooks replay <calendly|stripe> <event-type>` (use case:
 * src/ops/webhooks-replay.ts): options checked, the event sent, the answer
 * reported. Exit codes: 0 the answer met --expect (default 2xx) and, with
 * --verify-db, the booking reflects the event; 1 otherwise; 2 bad input.
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

export const webhooksReplay = defineCommand({
  command: "webhooks replay",
  parse: (raw) => {
    const parsed = optionsSchema.safeParse(raw);
    if (!parsed.success) throw new UsageError(`Invalid options for webhooks replay:\n  - ${describeIssues(parsed.error.issues).join("\n  - ")}`, "See `bookflow webhooks replay --help`.", "BAD_OPTION");
    const opts = parsed.data;
    const { provider, eventType } = checkProviderAndType(opts.provider, opts.eventType);
    checkConflicts(provider, opts);
    const expectation = parseStatusExpectation(opts.expect ?? "2xx");
    if (!expectation) throw new UsageError(`--expect ${JSON.stringify(opts.expect)} is not a status class or code.`, "Give 2xx, 4xx (any class 1xx–5xx) or an exact code such as 401.", "BAD_OPTION");
    return {
      json: opts.json,
      provider,
      eventType,
      source: { booking: opts.booking, payload: opts.payload, event: opts.event },
      url: opts.url,
      mode: opts.unsigned ? ("unsigned" as const) : opts.badSignature ? ("bad-signature" as const) : ("signed" as const),
      expectation,
      timeoutMs: parseDuration(opts.timeout, "--timeout"),
      verifyTimeoutMs: opts.verifyDb === undefined || opts.verifyDb === false ? undefined : opts.verifyDb === true ? DEFAULT_VERIFY_DB_TIMEOUT_MS : parseDuration(opts.verifyDb, "--verify-db"),
    };
  },
  run: async ({ json, ...input }, ctx) => {
    const { report, delivery } = await replayWebhook(ctx, { ...input, onNote: (note) => ctx.err(`note: ${note}\n`) });
    ctx.out(json ? `${JSON.stringify(report, null, 2)}\n` : formatReplay(report, delivery));
    return report.ok ? EXIT.OK : EXIT.FAILED;
  },
});

function checkProviderAndType(providerArg: string, typeArg: string): { provider: WebhookProviderId; eventType: ReplayEventType } {
  const provider = providerArg.trim().toLowerCase();
  if (!isWebhookProviderId(provider)) {
    throw new UsageError(`Unknown provider "${providerArg}": replay sends calendly or stripe events.`, `Use \`bookflow webhooks replay calendly <${REPLAY_EVENT_TYPES.calendly.join("|")}>\` or \`… stripe <${REPLAY_EVENT_TYPES.stripe.join("|")}>\`.`, "BAD_PROVIDER");
  }
  const type = typeArg.trim();
  const owner = providerOfEventType(type);
  if (!owner) {
    throw new UsageError(`Unknown event type "${typeArg}" for ${provider}.`, `Valid event types: ${REPLAY_EVENT_TYPES[provider].join(", ")} (all: ${ALL_REPLAY_EVENT_TYPES.join(", ")}).`, "BAD_EVENT_TYPE");
  }
  if (owner !== provider) {
    throw new UsageError(`${type} is a ${WEBHOOK_PROVIDERS[owner].label} event, not a ${WEBHOOK_PROVIDERS[provider].label} one.`, `Run \`bookflow webhooks replay ${owner} ${type}\`; ${provider} events are ${REPLAY_EVENT_TYPES[provider].join(", ")}.`, "BAD_EVENT_TYPE");
  }
  return { provider, eventType: type as ReplayEventType };
}

function checkConflicts(provider: WebhookProviderId, o: z.infer<typeof optionsSchema>): void {
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
