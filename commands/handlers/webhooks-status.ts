import { z } from "zod";
import { stripeProviderError } from "../../src/providers/stripe-errors.js";
import type Stripe from "stripe";
import type { Context } from "../../src/context.js";
import { loadBookflowConfig } from "../../src/config/bookflow-config.js";
import { parseOrThrow } from "../../src/config/validation.js";
import { assessRegistrations, type Expectation, type ProviderAssessment, type RegistrationMark } from "../../src/core/webhook-expectations.js";
import { ProviderError, UsageError } from "../../src/errors.js";
import { EXIT } from "../../src/engine/exit-codes.js";
import type { CalendlyClient } from "../../src/providers/calendly/client.js";
import {
  expectedRegistration,
  readCalendlyRegistrations,
  readStripeRegistrations,
  type CalendlyRegistration,
  type StripeRegistration,
  type WebhookProviderName,
  type WebhookRegistration,
} from "../../src/providers/webhook-registrations.js";

/**
 * `bookflow webhooks status`: both providers' registrations, marked against
 * what the configuration expects (src/core/webhook-expectations.ts).
 * Exit 0 when everything is as expected, 1 when something is missing or wrong
 * (or a provider could not be read), 2 for configuration errors.
 */

export interface WebhooksDeps {
  ctx: Context;
  /** Where --config and ./bookflow.config.json are resolved (default process.cwd()). */
  cwd?: string;
}

export const PROVIDERS: readonly WebhookProviderName[] = ["calendly", "stripe"];

/** `[calendly|stripe]` as given on the command line: both when absent. */
export function selectProviders(arg: string | undefined, command: string): WebhookProviderName[] {
  if (arg === undefined || arg === "" || arg === "all") return [...PROVIDERS];
  const p = arg.trim().toLowerCase();
  if (p === "calendly" || p === "stripe") return [p];
  throw new UsageError(`Unknown provider "${arg}".`, `Use \`bookflow webhooks ${command} calendly\`, \`… stripe\`, or name none for both.`, "BAD_PROVIDER");
}

/** What must be registered for each provider: the URL from the environment, the events from bookflow.config.json. */
export function loadExpectations(ctx: Context, providers: readonly WebhookProviderName[], configPath: string | undefined, cwd: string): Expectation[] {
  const { config } = loadBookflowConfig(configPath, cwd);
  return providers.map((p) => expectedRegistration(p, ctx.env, p === "calendly" ? config.calendly.events : config.stripe.events));
}

export interface ProviderRead<R extends WebhookRegistration = WebhookRegistration> {
  provider: WebhookProviderName;
  registrations: R[];
  /** Calendly: whether the organization's subscriptions could be listed (else only the user's were). */
  organizationListed?: boolean;
  organization?: string;
  user?: string;
}



export async function readCalendly(client: CalendlyClient): Promise<ProviderRead<CalendlyRegistration>> {
  const r = await readCalendlyRegistrations(client);
  return { provider: "calendly", registrations: r.registrations, organizationListed: r.organizationListed, organization: r.organization, user: r.user };
}

export async function readStripe(stripe: Stripe): Promise<ProviderRead<StripeRegistration>> {
  try {
    return { provider: "stripe", registrations: await readStripeRegistrations(stripe) };
  } catch (err) {
    throw stripeProviderError(err, "GET /v1/webhook_endpoints", { access: "webhook endpoints" });
  }
}

const statusOptionsSchema = z.object({
  provider: z.string().optional(),
  json: z.boolean().default(false),
  strict: z.boolean().default(false),
  config: z.string().min(1, { message: "must name a file" }).optional(),
});

export type WebhooksStatusOptions = z.input<typeof statusOptionsSchema>;

export interface ProviderStatus {
  provider: WebhookProviderName;
  ok: boolean;
  expected: { url: string; events: string[] };
  /** Set when nothing points at the expected URL. */
  missing: { url: string; events: string[] } | null;
  registrations: (WebhookRegistration & { role: string; marks: RegistrationMark[] })[];
  errors: number;
  warnings: number;
  notes: string[];
  /** The provider could not be read. */
  error: { message: string; hint: string | null } | null;
}

export interface WebhooksStatusReport {
  ok: boolean;
  strict: boolean;
  providers: Partial<Record<WebhookProviderName, ProviderStatus>>;
}

export function providerStatus(assessment: ProviderAssessment<WebhookRegistration>, read: ProviderRead, strict: boolean): ProviderStatus {
  const notes: string[] = [];
  if (read.provider === "calendly" && read.organizationListed === false) {
    notes.push("The token may not list the organization's subscriptions (403), so only the user's own are shown; organization-scope subscriptions need an owner or admin.");
  }
  return {
    provider: assessment.provider,
    ok: assessment.ok && (!strict || assessment.warnings === 0),
    expected: assessment.expected,
    missing: assessment.missing,
    registrations: assessment.registrations.map((m) => ({ ...m.registration, role: m.role, marks: m.marks })),
    errors: assessment.errors,
    warnings: assessment.warnings,
    notes,
    error: null,
  };
}

/** Reads both providers (side by side) and marks what they have. Configuration errors throw (exit 2); a provider that cannot be read is reported. */
export async function collectStatus(ctx: Context, expectations: Expectation[], strict: boolean): Promise<WebhooksStatusReport> {
  const { calendlyFromEnv, stripeFromEnv } = await import("../../src/providers/from-env.js");
  // Clients first: a missing token is a configuration error (exit 2), raised before any request.
  const readers: (() => Promise<ProviderRead>)[] = [];
  for (const e of expectations) {
    if (e.provider === "calendly") {
      const client = await calendlyFromEnv(ctx.env);
      readers.push(() => readCalendly(client));
    } else {
      const stripe = await stripeFromEnv(ctx.env);
      readers.push(() => readStripe(stripe));
    }
  }
  const providers: Partial<Record<WebhookProviderName, ProviderStatus>> = {};
  const reads = await Promise.allSettled(readers.map((read) => read()));
  expectations.forEach((e, i) => {
    const r = reads[i]!;
    if (r.status === "fulfilled") {
      providers[e.provider] = providerStatus(assessRegistrations(e, r.value.registrations), r.value, strict);
    } else {
      const err = r.reason as unknown;
      if (!(err instanceof ProviderError)) throw err;
      providers[e.provider] = {
        provider: e.provider,
        ok: false,
        expected: { url: e.url, events: [...e.events] },
        missing: null,
        registrations: [],
        errors: 1,
        warnings: 0,
        notes: [],
        error: { message: err.message, hint: err.hint ?? null },
      };
    }
  });
  return { ok: Object.values(providers).every((p) => p.ok), strict, providers };
}

export async function webhooksStatus(rawOptions: WebhooksStatusOptions, deps: WebhooksDeps): Promise<number> {
  const { ctx } = deps;
  try {
    const opts = parseOrThrow(statusOptionsSchema, rawOptions, "options for webhooks status", "See `bookflow webhooks status --help`.");
    const providers = selectProviders(opts.provider, "status");
    const expectations = loadExpectations(ctx, providers, opts.config, deps.cwd ?? process.cwd());
    const report = await collectStatus(ctx, expectations, opts.strict);
    if (opts.json) ctx.out(`${JSON.stringify(report, null, 2)}\n`);
    else ctx.out(formatStatus(report));
    return report.ok ? EXIT.OK : EXIT.FAILED;
  } finally {
    await ctx.close();
  }
}

const LABEL: Record<WebhookProviderName, string> = { calendly: "Calendly", stripe: "Stripe" };
const TAG = { ok: "OK   ", warning: "WARN ", error: "ERROR" } as const;

export function formatStatus(report: WebhooksStatusReport): string {
  const lines: string[] = [];
  for (const p of Object.values(report.providers)) {
    lines.push(`${LABEL[p.provider]}: expects ${p.expected.url} receiving ${p.expected.events.join(", ")}`);
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
  const providers = Object.values(report.providers);
  const errors = providers.reduce((n, p) => n + p.errors, 0);
  const warnings = providers.reduce((n, p) => n + p.warnings, 0);
  lines.push(
    report.ok
      ? `Result: as expected${warnings ? ` (${warnings} warning${warnings === 1 ? "" : "s"})` : ""}`
      : `Result: ${errors} error${errors === 1 ? "" : "s"}${warnings ? `, ${warnings} warning${warnings === 1 ? "" : "s"}${report.strict ? " (--strict)" : ""}` : ""}${registerFixes(report) ? "; `bookflow webhooks register --dry-run` shows what register would fix" : ""}`,
  );
  return `${lines.join("\n")}\n`;
}

/** Whether something missing (a registration, or events on one) is there for `register` to fix. */
function registerFixes(report: WebhooksStatusReport): boolean {
  return Object.values(report.providers).some((p) => p.missing || p.registrations.some((r) => r.role === "primary" && r.marks.some((m) => m.code === "missing-events" || m.code === "disabled")));
}
