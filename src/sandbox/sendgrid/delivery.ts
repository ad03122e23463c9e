/**
 * What happens to the SendGrid emulator's mail after it is accepted: for each
 * recipient of an accepted (not sandbox-mode) send, SendGrid's counters as
 * `GET /v3/stats` reports them (per UTC day: `requests`, `processed`,
 * `delivered`, `bounces`, `bounce_drops`, `blocks`, …), and its suppression
 * lists (`GET /v3/suppression/bounces`, `/blocks`).
 *
 * Every recipient is requested; one already on the bounce list is dropped
 * (`bounce_drops`, not processed), as SendGrid drops mail to addresses that
 * bounced; the others are processed, then delivered, bounced (added to the
 * bounce list) or blocked (added to the blocks list; SendGrid does not drop
 * later mail to a blocked address) as the outcome rules say. Rules are set
 * through the control API (`POST /_control/delivery-outcomes`) or
 * `setDeliveryOutcome()`: a rule matches one address, every address of a
 * domain (`@example.org`) or every address (`*`); the last matching rule
 * wins; without one, mail is delivered.
 *
 * Only `aggregated_by=day` (SendGrid's default) is modeled; `week` and
 * `month` are answered 400, saying so.
 */
import type { EmulatorRequest, EmulatorResponse } from "../emulator-server.js";

export type DeliveryOutcome = "deliver" | "bounce" | "block";

export interface DeliveryRule {
  /** An address, `@domain`, or `*`. */
  match: string;
  outcome: DeliveryOutcome;
  /** The receiving server's answer recorded in the suppression list (default: a typical one for the outcome). */
  reason?: string;
  /** The enhanced SMTP status (default 5.1.1 for a bounce, 5.7.1 for a block). */
  status?: string;
}

/** One entry of a suppression list, as SendGrid answers it. */
export interface SuppressionEntry {
  /** Unix seconds. */
  created: number;
  email: string;
  reason: string;
  status: string;
}

/** The counters of one day, every field of SendGrid's StatsAdvancedGlobalStats. */
export interface DayMetrics {
  blocks: number;
  bounce_drops: number;
  bounces: number;
  clicks: number;
  deferred: number;
  delivered: number;
  invalid_emails: number;
  opens: number;
  processed: number;
  requests: number;
  spam_report_drops: number;
  spam_reports: number;
  unique_clicks: number;
  unique_opens: number;
  unsubscribe_drops: number;
  unsubscribes: number;
}

const zeroMetrics = (): DayMetrics => ({
  blocks: 0,
  bounce_drops: 0,
  bounces: 0,
  clicks: 0,
  deferred: 0,
  delivered: 0,
  invalid_emails: 0,
  opens: 0,
  processed: 0,
  requests: 0,
  spam_report_drops: 0,
  spam_reports: 0,
  unique_clicks: 0,
  unique_opens: 0,
  unsubscribe_drops: 0,
  unsubscribes: 0,
});

export const DEFAULT_BOUNCE = { reason: "550 5.1.1 The email account that you tried to reach does not exist.", status: "5.1.1" };
export const DEFAULT_BLOCK = { reason: "550 5.7.1 Message rejected due to the receiving server's policy", status: "5.7.1" };
/** Page size of the suppression lists when the request gives no `limit`; the most SendGrid allows is 500. */
export const SUPPRESSION_MAX_PAGE = 500;
const DAY_MS = 86_400_000;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

function sgError(status: number, message: string, field: string | null = null): EmulatorResponse {
  return { status, body: { errors: [{ message, field, help: null }] } };
}

/** A whole-number query value: the fallback when absent, undefined when it is not a whole number within [min, max]. */
function wholeParam(raw: string | null, fallback: number | undefined, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined | null {
  if (raw === null) return fallback ?? null;
  const n = Number(raw);
  return /^\d+$/.test(raw.trim()) && n >= min && n <= max ? n : undefined;
}

const validDate = (s: string) => DATE.test(s) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s);

export interface DeliveryLedger {
  /** Counts one accepted send to these recipients (to, cc and bcc of every personalization). */
  record(recipients: string[]): void;
  setOutcome(rule: DeliveryRule): void;
  clearOutcomes(): void;
  rules(): DeliveryRule[];
  /** Forgets every counter and both suppression lists (as a new account). */
  reset(): void;
  /** The counters summed over every day recorded. */
  totals(): DayMetrics;
  suppressions(list: "bounces" | "blocks"): SuppressionEntry[];
  /** `GET /v3/stats`. */
  statsRoute(req: EmulatorRequest): EmulatorResponse;
  /** `GET /v3/suppression/bounces` and `/blocks`. */
  suppressionRoute(list: "bounces" | "blocks", req: EmulatorRequest): EmulatorResponse;
  /** `POST /_control/delivery-outcomes` `{ match, outcome, reason?, status? }`. */
  outcomeControlRoute(req: EmulatorRequest): EmulatorResponse;
}

export function createDeliveryLedger(clock: { now(): Date }): DeliveryLedger {
  let rules: DeliveryRule[] = [];
  const days = new Map<string, DayMetrics>();
  const lists = { bounces: new Map<string, SuppressionEntry>(), blocks: new Map<string, SuppressionEntry>() };

  const outcomeFor = (email: string): DeliveryRule => {
    const lower = email.toLowerCase();
    const domain = lower.slice(lower.lastIndexOf("@"));
    for (let i = rules.length - 1; i >= 0; i--) {
      const m = rules[i]!.match.toLowerCase();
      if (m === "*" || m === lower || (m.startsWith("@") && m === domain)) return rules[i]!;
    }
    return { match: "*", outcome: "deliver" };
  };

  function record(recipients: string[]): void {
    const now = clock.now();
    const day = now.toISOString().slice(0, 10);
    const created = Math.floor(now.getTime() / 1000);
    const m = days.get(day) ?? zeroMetrics();
    days.set(day, m);
    for (const email of recipients) {
      const key = email.toLowerCase();
      m.requests++;
      if (lists.bounces.has(key)) {
        m.bounce_drops++;
        continue;
      }
      m.processed++;
      const rule = outcomeFor(email);
      if (rule.outcome === "deliver") m.delivered++;
      else {
        const fallback = rule.outcome === "bounce" ? DEFAULT_BOUNCE : DEFAULT_BLOCK;
        if (rule.outcome === "bounce") m.bounces++;
        else m.blocks++;
        lists[rule.outcome === "bounce" ? "bounces" : "blocks"].set(key, { created, email, reason: rule.reason ?? fallback.reason, status: rule.status ?? fallback.status });
      }
    }
  }

  function statsRoute(req: EmulatorRequest): EmulatorResponse {
    const start = req.query.get("start_date");
    if (start === null) return sgError(400, "start_date is required", "start_date");
    if (!validDate(start)) return sgError(400, "start_date must be a date in the format YYYY-MM-DD", "start_date");
    const end = req.query.get("end_date") ?? clock.now().toISOString().slice(0, 10);
    if (!validDate(end)) return sgError(400, "end_date must be a date in the format YYYY-MM-DD", "end_date");
    if (end < start) return sgError(400, "end_date must be on or after start_date", "end_date");
    const by = req.query.get("aggregated_by") ?? "day";
    if (by === "week" || by === "month") return sgError(400, `aggregated_by=${by} is not modeled by the emulator; use day`, "aggregated_by");
    if (by !== "day") return sgError(400, 'aggregated_by must be one of "day", "week" or "month"', "aggregated_by");
    const limit = wholeParam(req.query.get("limit"), undefined, 1);
    const offset = wholeParam(req.query.get("offset"), 0, 0);
    if (limit === undefined) return sgError(400, "limit must be a whole number of at least 1", "limit");
    if (offset === undefined || offset === null) return sgError(400, "offset must be a whole number of at least 0", "offset");
    const out: { date: string; stats: { metrics: DayMetrics }[] }[] = [];
    for (let t = Date.parse(`${start}T00:00:00Z`); t <= Date.parse(`${end}T00:00:00Z`); t += DAY_MS) {
      const date = new Date(t).toISOString().slice(0, 10);
      out.push({ date, stats: [{ metrics: { ...(days.get(date) ?? zeroMetrics()) } }] });
    }
    const page = out.slice(offset, limit === null ? undefined : offset + limit);
    return { status: 200, body: page };
  }

  function suppressionRoute(list: "bounces" | "blocks", req: EmulatorRequest): EmulatorResponse {
    const startTime = wholeParam(req.query.get("start_time"), 0, 0);
    const endTime = wholeParam(req.query.get("end_time"), Number.MAX_SAFE_INTEGER, 0);
    const limit = wholeParam(req.query.get("limit"), SUPPRESSION_MAX_PAGE, 1, SUPPRESSION_MAX_PAGE);
    const offset = wholeParam(req.query.get("offset"), 0, 0);
    for (const [name, v] of [["start_time", startTime], ["end_time", endTime], ["offset", offset]] as const) {
      if (v === undefined || v === null) return sgError(400, `${name} must be a whole number of at least 0`, name);
    }
    if (limit === undefined || limit === null) return sgError(400, `limit must be a whole number from 1 to ${SUPPRESSION_MAX_PAGE}`, "limit");
    const prefix = req.query.get("email")?.toLowerCase();
    const entries = [...lists[list].values()]
      .filter((e) => e.created >= startTime! && e.created <= endTime! && (!prefix || e.email.toLowerCase().startsWith(prefix)))
      .sort((a, b) => b.created - a.created);
    return { status: 200, body: entries.slice(offset!, offset! + limit).map((e) => ({ ...e })) };
  }

  function setOutcome(rule: DeliveryRule): void {
    rules.push({ ...rule });
  }

  function outcomeControlRoute(req: EmulatorRequest): EmulatorResponse {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const usage = 'Give { "match": "<address>" | "@<domain>" | "*", "outcome": "deliver" | "bounce" | "block", "reason"?: string, "status"?: string }';
    if (typeof body.match !== "string" || !(body.match === "*" || /^[^@\s]*@[^@\s]+$/.test(body.match))) return sgError(400, usage, "match");
    if (body.outcome !== "deliver" && body.outcome !== "bounce" && body.outcome !== "block") return sgError(400, usage, "outcome");
    for (const key of ["reason", "status"] as const) if (body[key] !== undefined && typeof body[key] !== "string") return sgError(400, usage, key);
    setOutcome({ match: body.match, outcome: body.outcome, ...(typeof body.reason === "string" ? { reason: body.reason } : {}), ...(typeof body.status === "string" ? { status: body.status } : {}) });
    return { status: 200, body: { rules: rules.map((r) => ({ ...r })) } };
  }

  return {
    record,
    setOutcome,
    clearOutcomes() {
      rules = [];
    },
    rules: () => rules.map((r) => ({ ...r })),
    reset() {
      days.clear();
      lists.bounces.clear();
      lists.blocks.clear();
    },
    totals() {
      const sum = zeroMetrics();
      for (const m of days.values()) for (const k of Object.keys(sum) as (keyof DayMetrics)[]) sum[k] += m[k];
      return sum;
    },
    suppressions: (list) => [...lists[list].values()].map((e) => ({ ...e })),
    statsRoute,
    suppressionRoute,
    outcomeControlRoute,
  };
}
