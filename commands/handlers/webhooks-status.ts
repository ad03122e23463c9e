import { z } from "zod";
import { parseOrThrow } from "../../src/config/validation.js";
import { EXIT } from "../../src/engine/exit-codes.js";
import { WEBHOOK_PROVIDERS } from "../../src/providers/webhook-providers.js";
import { webhooksStatus as collectStatus, type WebhooksStatusReport } from "../../src/ops/webhooks-status.js";
import { defineCommand } from "../support/run.js";
import { selectProviders } from "../support/webhook-provider-arg.js";

/**
 * `bookflow webhooks status`: both providers' registrations, marked against
 * what the configuration expects (src/ops/webhooks-status.ts).
 * Exit 0 when everything is as expected, 1 when something is missing or wrong
 * (or a provider could not be read), 2 for configuration errors.
 */

const statusOptionsSchema = z.object({
  provider: z.string().optional(),
  json: z.boolean().default(false),
  strict: z.boolean().default(false),
  config: z.string().min(1, { message: "must name a file" }).optional(),
});

export type WebhooksStatusOptions = z.input<typeof statusOptionsSchema>;

export const webhooksStatus = defineCommand({
  command: "webhooks status",
  parse: (raw) => {
    const opts = parseOrThrow(statusOptionsSchema, raw, "options for webhooks status", "See `bookflow webhooks status --help`.");
    return { ...opts, providers: selectProviders(opts.provider, "status") };
  },
  run: async (opts, ctx) => {
    const report = await collectStatus(ctx, { providers: opts.providers, config: opts.config, strict: opts.strict });
    ctx.out(opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatStatus(report));
    return report.ok ? EXIT.OK : EXIT.FAILED;
  },
});

const TAG = { ok: "OK   ", warning: "WARN ", error: "ERROR" } as const;

export function formatStatus(report: WebhooksStatusReport): string {
  const lines: string[] = [];
  const providers = Object.values(report.providers);
  for (const p of providers) {
    lines.push(`${WEBHOOK_PROVIDERS[p.provider].label}: expects ${p.expected.url} receiving ${p.expected.events.join(", ")}`);
    if (p.error) {
      lines.push(`  ERROR  could not read the registrations: ${p.error.message}`);
      if (p.error.hint) lines.push(`         fix: ${p.error.hint}`);
    }
    if (p.missing) lines.push(`  ERROR  missing: nothing points at ${p.missing.url}\n         fix: \`bookflow webhooks register ${p.provider}\``);
    for (const r of p.registrations) {
      const worst = r.marks.some((m) => m.severity === "error") ? "error" : r.marks.some((m) => m.severity === "warning") ? "warning" : "ok";
      const scope = r.provider === "calendly" ? `, ${r.scope} scope` : "";
      lines.push(`  ${TAG[worst]}  ${r.id}  (${r.role}, ${r.state}${scope}, created ${r.createdAt})`);
      lines.push(`         ${r.url}  events: ${r.events.join(", ") || "(none)"}`);
      for (const m of r.marks) if (m.code !== "ok") lines.push(`         - ${m.code}: ${m.message}`);
    }
    if (!p.error && !p.missing && p.registrations.length === 0) lines.push("  (no registrations)");
    for (const n of p.notes) lines.push(`  note: ${n}`);
    lines.push("");
  }
  const errors = providers.reduce((n, p) => n + p.errors, 0);
  const warnings = providers.reduce((n, p) => n + p.warnings, 0);
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  lines.push(
    report.ok
      ? `Result: as expected${warnings ? ` (${plural(warnings, "warning")})` : ""}`
      : `Result: ${plural(errors, "error")}${warnings ? `, ${plural(warnings, "warning")}${report.strict ? " (--strict)" : ""}` : ""}${registerFixes(report) ? "; `bookflow webhooks register --dry-run` shows what register would fix" : ""}`,
  );
  return `${lines.join("\n")}\n`;
}

/** Whether something missing (a registration, or events on one) is there for `register` to fix. */
function registerFixes(report: WebhooksStatusReport): boolean {
  return Object.values(report.providers).some((p) => p.missing || p.registrations.some((r) => r.role === "primary" && r.marks.some((m) => m.code === "missing-events" || m.code === "disabled")));
}
