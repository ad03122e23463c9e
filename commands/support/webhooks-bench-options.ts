import { z } from "zod";
import { TARGETS, type Target } from "../../src/config/verify-env.js";
import { UsageError } from "../../src/errors.js";
import { webhookUrl } from "../../src/ops/webhooks-bench.js";
import { durationMs } from "./flags.js";

/** The flags of `bookflow webhooks bench`, checked before anything is sent. */

const MAX_COUNT = 10_000_000;
/** What `--format` takes: text (the default), json (as --json), html (one self-contained page). */
export const BENCH_FORMATS = ["text", "json", "html"] as const;
export type BenchFormat = (typeof BENCH_FORMATS)[number];
const MAX_CONCURRENCY = 1024;

function wholeNumber(what: string, min: number, max: number) {
  return z.string().transform((text, ctx) => {
    const t = text.trim();
    const n = /^[+-]?\d+$/.test(t) ? Number(t) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      ctx.addIssue({ code: "custom", message: `must be a whole number of ${what} from ${min} to ${max.toLocaleString("en-US")}, not "${text}"` });
      return z.NEVER;
    }
    return n;
  });
}

/** "30s", "2m", "500ms", "1h", or plain seconds ("15") → milliseconds; NaN when it is none of these. */
export function parseDuration(text: string): number {
  return durationMs(text, "s");
}

function duration(min: number, max: number, examples: string) {
  return z.string().transform((text, ctx) => {
    const ms = parseDuration(text);
    if (!Number.isFinite(ms) || ms < min || ms > max) {
      ctx.addIssue({ code: "custom", message: `must be a duration from ${min < 1000 ? `${min}ms` : `${min / 1000}s`} to ${max >= 3_600_000 ? `${max / 3_600_000}h` : `${max / 1000}s`} (${examples}), not "${text}"` });
      return z.NEVER;
    }
    return Math.round(ms);
  });
}

const share = z.string().transform((text, ctx) => {
  const t = text.trim();
  const percent = t.endsWith("%");
  const n = /^\d*\.?\d+%?$/.test(t) ? Number(percent ? t.slice(0, -1) : t) / (percent ? 100 : 1) : NaN;
  if (!Number.isFinite(n) || n < 0 || n > 1) {
    ctx.addIssue({ code: "custom", message: `must be a share from 0 to 1 (0.2) or a percentage (20%), not "${text}"` });
    return z.NEVER;
  }
  return n;
});

const httpUrl = z.string().transform((text, ctx) => {
  const url = webhookUrl(text);
  if (!url) {
    ctx.addIssue({ code: "custom", message: `must be an http(s) URL without credentials, such as https://staging.example.com/api/webhooks/calendly` });
    return z.NEVER;
  }
  return url;
});

const optionsSchema = z.object({
  count: wholeNumber("requests", 1, MAX_COUNT).optional(),
  duration: duration(100, 24 * 3_600_000, "500ms, 30s, 2m, 1h").optional(),
  concurrency: wholeNumber("requests in flight", 1, MAX_CONCURRENCY).default(16),
  duplicates: share.default(0),
  pipelining: wholeNumber("requests per connection", 1, 64).default(1),
  timeout: duration(100, 120_000, "500ms, 10s").default(10_000),
  url: httpUrl.optional(),
  target: z.string().optional(),
  eventTypeUri: z.array(z.string()).default([]),
  json: z.boolean().default(false),
  format: z.enum(BENCH_FORMATS, { error: (i) => `must be one of ${BENCH_FORMATS.join(", ")}, not "${String(i.input)}"` }).optional(),
  output: z.string().trim().min(1, "must be a file path").optional(),
  iKnowThisIsProduction: z.boolean().default(false),
});

export type WebhooksBenchOptions = z.input<typeof optionsSchema>;

const FLAG_NAMES: Record<string, string> = { iKnowThisIsProduction: "i-know-this-is-production", eventTypeUri: "event-type-uri" };

/** The flags of `webhooks bench` → the use case's input (UsageError naming the flag, exit 2). */
export function parseBenchOptions(raw: WebhooksBenchOptions) {
  const r = optionsSchema.safeParse(raw);
  if (!r.success) {
    const lines = r.error.issues.map((i) => {
      const key = String(i.path[0] ?? "");
      return `--${FLAG_NAMES[key] ?? key}: ${i.message}`;
    });
    throw new UsageError(`Invalid options for webhooks bench:\n  - ${lines.join("\n  - ")}`, "See `bookflow webhooks bench --help`.", "BAD_OPTION");
  }
  const o = r.data;
  if (o.count !== undefined && o.duration !== undefined) {
    throw new UsageError(
      "--count and --duration cannot be used together: the run stops after a number of requests or after a time, not both.",
      "Keep one: --count 5000, or --duration 30s.",
      "BAD_OPTION",
    );
  }
  for (const uri of o.eventTypeUri) {
    if (!/^https:\/\/\S+$/.test(uri)) throw new UsageError(`--event-type-uri "${uri}" is not an https URI.`, "Give a Calendly event type URI, such as https://api.calendly.com/event_types/AAAA.", "BAD_OPTION");
  }
  if (o.json && o.format && o.format !== "json")
    throw new UsageError(`--json and --format ${o.format} ask for two outputs.`, "Keep one: --json (same as --format json), or --format html --output report.html.", "BAD_OPTION");
  const format: BenchFormat = o.json ? "json" : (o.format ?? "text");
  if (o.output && format === "text") throw new UsageError("--output writes the --format output, and text is printed, not written.", "Add --format html (or json): `--format html --output bench.html`.", "BAD_OPTION");
  let target: Target | undefined;
  if (o.target !== undefined) {
    if (!(TARGETS as readonly string[]).includes(o.target)) throw new UsageError(`--target "${o.target}" is not one of ${TARGETS.join(", ")}.`, "Pass --target staging for a staging endpoint.", "BAD_OPTION");
    target = o.target as Target;
  }
  return { ...o, json: format === "json", format, target };
}
