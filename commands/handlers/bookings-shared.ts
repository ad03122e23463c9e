/**
 * What the `bookings list|show|reprocess|cancel` handlers share: their
 * dependencies, option parsing (durations, dates, the confirmation flags), the
 * booking lookup that wants exactly one match, the providers' adapters (the
 * Stripe SDK's answers checked with zod), the outbox, the refund policy.
 */
import type Stripe from "stripe";
import { z } from "zod";
import type { Context } from "../../src/context.js";
import { describeIssues } from "../../src/config/validation.js";
import type { Database } from "../../src/db/client.js";
import { findBooking } from "../../src/core/bookings.js";
import type { Outbox, RefundTruth } from "../../src/core/cancellation.js";
import { DEFAULT_POLICY, type BookingPolicy } from "../../src/core/ports.js";
import { checkoutSessionTruthSchema, paymentIntentTruthSchema, refundTruthSchema, type StripeReader } from "../../src/core/reprocess.js";
import { ConfigError, ProviderError, UsageError } from "../../src/errors.js";
import type { Booking } from "../../src/generated/prisma/client.js";
import { confirmPlanHeld, isInteractive, type ConfirmDecision, type PlanView } from "../support/confirm.js";
import { stripeProviderError } from "../../src/providers/stripe-errors.js";

export interface BookingsDeps {
  ctx: Context;
  /** Whether a person can answer the confirmation (default: stdin/stdout are terminals and CI is not set). */
  interactive?: boolean;
  /** Asks the confirmation question (default @inquirer/prompts). */
  ask?: (question: string) => Promise<boolean>;
}

/** `--dry-run` and `--yes` together: one says "change nothing", the other "change it": refused. */
export function checkConfirmFlags(opts: { dryRun?: boolean | undefined; yes?: boolean | undefined }, command: string): void {
  if (opts.dryRun && opts.yes) {
    throw new UsageError(`--dry-run and --yes contradict each other (one changes nothing, the other applies without asking).`, `Pass --dry-run to see the plan, or --yes to apply it: \`bookflow ${command}\`.`, "CONFLICTING_OPTIONS");
  }
}

/** The refund window from BOOKFLOW_REFUND_WINDOW_HOURS (default 24), as the app reads it. */
export function policyFromEnv(env: Record<string, string | undefined>): BookingPolicy {
  const raw = env.BOOKFLOW_REFUND_WINDOW_HOURS?.trim();
  if (!raw) return DEFAULT_POLICY;
  const hours = Number(raw);
  if (!Number.isFinite(hours) || hours < 0) {
    throw new ConfigError(`BOOKFLOW_REFUND_WINDOW_HOURS is "${raw}", not a number of hours (0 or more).`, "Fix or unset it (default 24, as the app).", "CONFIG_INVALID");
  }
  return { refundWindowHours: hours };
}

/** A short line per booking, for "several bookings match". */
export function bookingLine(b: Pick<Booking, "id" | "inviteeEmail" | "startTime" | "status" | "paymentStatus">): string {
  return `${b.id}  ${b.startTime.toISOString()}  ${b.status}/${b.paymentStatus}  ${b.inviteeEmail}`;
}

/**
 * The one booking a query names: an id, an invitee email, a Calendly invitee or
 * event URI, a Stripe Checkout session (cs_…) or payment intent (pi_…).
 * None → UsageError NOT_FOUND; several → UsageError AMBIGUOUS listing them.
 */
export async function resolveOneBooking(db: Database, query: string, command: string): Promise<Booking> {
  const q = query.trim();
  if (!q) throw new UsageError("No booking given.", `Pass a booking id, invitee email, Calendly URI or Stripe id: \`bookflow ${command} <booking>\`.`, "BAD_ARGUMENT");
  const matches = await findBooking(db.prisma, q, { limit: 21 });
  if (matches.length === 0) {
    throw new UsageError(
      `No booking matches ${JSON.stringify(q)}.`,
      "Give a booking id, an invitee email, a Calendly invitee or event URI, or a Stripe cs_/pi_ id; `bookflow bookings list --email <address>` finds bookings by email.",
      "NOT_FOUND",
    );
  }
  if (matches.length > 1) {
    const shown = matches.slice(0, 20).map((b) => `    ${bookingLine(b)}`);
    throw new UsageError(
      `${matches.length > 20 ? "More than 20" : matches.length} bookings match ${JSON.stringify(q)}:\n${shown.join("\n")}`,
      `Pass one booking id: \`bookflow ${command} <id>\`.`,
      "AMBIGUOUS",
    );
  }
  return matches[0]!;
}

/** The gate (commands/support/confirm.ts), with --json keeping stdout one JSON document. */
export async function gate(view: PlanView, opts: { yes?: boolean | undefined; dryRun?: boolean | undefined; json?: boolean | undefined }, deps: BookingsDeps): Promise<ConfirmDecision> {
  const { ctx } = deps;
  const { decision } = await confirmPlanHeld(view, { yes: opts.yes, dryRun: opts.dryRun, json: opts.json }, {
    out: ctx.out,
    err: ctx.err,
    interactive: deps.interactive ?? isInteractive(ctx.env),
    hold: !!opts.json,
    ...(deps.ask ? { ask: deps.ask } : {}),
  });
  return decision;
}

// ---------------------------------------------------------------------------
// Providers

/** The Stripe reads reprocess, cancel and show need, each answer checked. Errors become ProviderError("stripe", …). */
export function stripeReader(stripe: Stripe): StripeReader {
  const call = async <S extends z.ZodType>(endpoint: string, schema: S, run: () => Promise<unknown>): Promise<z.infer<S>> => {
    let answer: unknown;
    try {
      answer = await run();
    } catch (err) {
      throw stripeProviderError(err, endpoint);
    }
    const r = schema.safeParse(answer);
    if (!r.success) throw new ProviderError("stripe", endpoint, `unexpected answer: ${describeIssues(r.error.issues).slice(0, 5).join("; ")}`);
    return r.data;
  };
  return {
    retrieveCheckoutSession: (id) => call(`GET /v1/checkout/sessions/${id}`, checkoutSessionTruthSchema, () => stripe.checkout.sessions.retrieve(id)),
    retrievePaymentIntent: (id) => call(`GET /v1/payment_intents/${id}`, paymentIntentTruthSchema, () => stripe.paymentIntents.retrieve(id)),
    async listRefunds(paymentIntentId): Promise<RefundTruth[]> {
      const refunds: RefundTruth[] = [];
      let startingAfter: string | undefined;
      // A payment has a handful of refunds at most; pages of 100, bounded.
      for (let page = 0; page < 10; page++) {
        const list = await call(
          "GET /v1/refunds",
          z.looseObject({ data: z.array(refundTruthSchema), has_more: z.boolean() }),
          () => stripe.refunds.list({ payment_intent: paymentIntentId, limit: 100, ...(startingAfter ? { starting_after: startingAfter } : {}) }),
        );
        refunds.push(...list.data);
        if (!list.has_more || list.data.length === 0) break;
        startingAfter = list.data.at(-1)!.id;
      }
      return refunds;
    },
  };
}

/**
 * Sends a booking's queued emails now, through SendGrid when SENDGRID_API_KEY
 * (and SENDGRID_FROM_EMAIL) are set here; null otherwise (the app's outbox
 * sends them on its next sweep).
 */
export async function outboxFromEnv(ctx: Context, db: Database): Promise<Outbox | null> {
  const env = ctx.env;
  const apiKey = env.SENDGRID_API_KEY?.trim();
  const from = env.SENDGRID_FROM_EMAIL?.trim();
  if (env.BOOKFLOW_MAILER?.trim() === "capture" || !apiKey || !from) return null;
  const [{ createSendGridMailer }, { createNotifier }] = await Promise.all([import("../../src/providers/sendgrid-mailer.js"), import("../../src/core/notifications.js")]);
  const templateId = env.SENDGRID_BOOKING_TEMPLATE_ID?.trim() || undefined;
  const mailer = await createSendGridMailer({ apiKey, from, baseUrl: env.SENDGRID_API_BASE?.trim() || undefined, templateId });
  const notifier = createNotifier({ prisma: db.prisma, sql: db.sql, mailer, templateId });
  return {
    async dispatch(bookingId) {
      await notifier.dispatchPending({ bookingIds: [bookingId], limit: 10 });
    },
  };
}

/** "12.50 USD". */
export function money(cents: number, currency: string): string {
  return `${(cents / 100).toFixed(2)} ${currency.toUpperCase()}`;
}

/** "2030-01-31 09:00Z". */
export function shortTime(d: Date): string {
  return d.toISOString().slice(0, 16).replace("T", " ") + "Z";
}
