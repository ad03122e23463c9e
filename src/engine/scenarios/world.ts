import { createHash } from "node:crypto";
import type Stripe from "stripe";
import { z } from "zod";
import type { Target } from "../../config/verify-env.js";
import type { Database } from "../../db/client.js";
import type { EmailKind } from "../../generated/prisma/enums.js";
import type { CalendlyClient } from "../../providers/calendly/client.js";
import { calendlyFromEnv, stripeFromEnv } from "../../providers/from-env.js";
import type { ScenarioDriver } from "./drivers/types.js";
import { expectJson, http, joinUrl } from "./http.js";
import { notYet, poll, ready, settledWrong, type Probe } from "./poll.js";
import { fail } from "./scenario.js";

/**
 * What scenarios see of the world: the app's public routes (as a browser
 * would), the database (read; the run's own user is the one write), the
 * emails (the sandbox SendGrid inbox, else the EmailMessage log), the
 * providers' APIs (to compare), the driver, and bounded waits.
 */

export interface ScenarioSettings {
  /** Bound of every wait (a step fails with the last state seen when it runs out). */
  stepTimeoutMs: number;
  /** Domain of the run's invitee emails (default example.com). */
  emailDomain: string;
  /** Book this builder (marketplace slug) instead of the first one with the session type needed. */
  builderSlug?: string | undefined;
  /** The paid scenario books as this existing user instead of a user the run creates. */
  userEmail?: string | undefined;
  /** The app's refund window (BOOKFLOW_REFUND_WINDOW_HOURS, default 24): the cancellation scenario expects a refund when the cancellation is earlier than that. */
  refundWindowHours: number;
}

const publicSessionType = z.looseObject({
  slug: z.string(),
  title: z.string(),
  durationMinutes: z.number().int().positive(),
  priceCents: z.number().int().min(0),
  currency: z.string(),
  free: z.boolean(),
  calendlyEventTypeUri: z.string().nullable(),
});
const publicBuilder = z.looseObject({ slug: z.string(), displayName: z.string(), headline: z.string().nullable().optional(), sessionTypes: z.array(publicSessionType) });
export type PublicBuilder = z.infer<typeof publicBuilder>;
export type PublicSessionType = z.infer<typeof publicSessionType>;

const inboxSchema = z.object({
  messages: z.array(z.looseObject({ to: z.array(z.string()), subject: z.string().nullable(), customArgs: z.record(z.string(), z.string()), messageId: z.string() })),
});
const availableTimes = z.looseObject({ collection: z.array(z.looseObject({ status: z.string(), start_time: z.string() })) });

export interface SlotQuery {
  eventTypeUri: string;
  durationMinutes: number;
  /** The builder whose other bookings the slot must not overlap. */
  builderId: string;
}

export interface ScenarioWorld {
  readonly env: Record<string, string | undefined>;
  readonly target: Target;
  readonly driver: ScenarioDriver;
  readonly settings: ScenarioSettings;
  /** NEXT_PUBLIC_BASE_URL: the app under test. */
  readonly baseUrl: string;
  db(): Promise<Database>;
  /** GET /api/marketplace/builders. */
  marketplace(): Promise<PublicBuilder[]>;
  /** GET /api/builders/:slug. */
  builder(slug: string): Promise<PublicBuilder>;
  /** A free slot: Calendly's availability when its API offers it, else a future hour the builder has no booking at. */
  slot(query: SlotQuery, seed: string): Promise<{ startTime: string; source: string }>;
  /** One look for a sent email (a probe for `wait`). */
  email(query: { bookingId: string; to: string; kind: EmailKind }): Promise<Probe<string>>;
  calendly(): Promise<CalendlyClient>;
  stripe(): Promise<Stripe>;
  /** A bounded poll (settings.stepTimeoutMs); a timeout adds `explain()` to the last state. */
  wait<T>(probe: () => Promise<Probe<T>>, explain?: () => Promise<string[]>): Promise<T>;
  /** "last webhook: checkout.session.completed PROCESSED" for a booking (or its invitee / session). */
  lastWebhook(about: { bookingId?: string | undefined; inviteeUri?: string | undefined }): Promise<string>;
}

export interface WorldOptions {
  env: Record<string, string | undefined>;
  target: Target;
  driver: ScenarioDriver;
  settings: ScenarioSettings;
  db: () => Promise<Database>;
}

export function createScenarioWorld(options: WorldOptions): ScenarioWorld {
  const { env, driver, settings } = options;
  const baseUrl = env.NEXT_PUBLIC_BASE_URL!.trim();
  let calendly: Promise<CalendlyClient> | undefined;
  let stripe: Promise<Stripe> | undefined;
  // The SendGrid inbox is read only where the emulator's control route exists (the sandbox).
  const inbox = driver.name === "sandbox" ? env.SENDGRID_API_BASE?.trim() || undefined : undefined;

  async function emailRow(bookingId: string, kind: EmailKind) {
    const { prisma } = await options.db();
    return prisma.emailMessage.findFirst({ where: { bookingId, kind }, select: { id: true, to: true, status: true, error: true, attempts: true, providerMessageId: true, subject: true } });
  }

  const world: ScenarioWorld = {
    env,
    target: options.target,
    driver,
    settings,
    baseUrl,
    db: options.db,

    async marketplace() {
      const answer = await http(joinUrl(baseUrl, "/api/marketplace/builders"));
      return expectJson(answer, z.looseObject({ builders: z.array(publicBuilder) }), "The marketplace (GET /api/marketplace/builders)").builders;
    },

    async builder(slug) {
      const answer = await http(joinUrl(baseUrl, `/api/builders/${encodeURIComponent(slug)}`));
      return expectJson(answer, z.looseObject({ builder: publicBuilder }), `The builder profile (GET /api/builders/${slug})`).builder;
    },

    async slot(query, seed) {
      const { prisma } = await options.db();
      const hour = 3_600_000;
      // At least two days ahead: inside any sensible refund window, and never "now".
      const from = Math.ceil((Date.now() + 48 * hour) / hour) * hour;
      const to = from + 7 * 24 * hour - 60_000;
      const taken = await prisma.booking.findMany({
        where: { builderId: query.builderId, status: { not: "CANCELLED" }, startTime: { lt: new Date(to + 24 * hour) }, endTime: { gt: new Date(from) } },
        select: { startTime: true, endTime: true },
      });
      const length = query.durationMinutes * 60_000;
      const free = (t: number) => !taken.some((b) => b.startTime.getTime() < t + length && b.endTime.getTime() > t);
      const pick = (candidates: number[]) => candidates[pickIndex(seed, Math.min(candidates.length, 24))]!;

      let why: string;
      try {
        const url = `${joinUrl(env.CALENDLY_API_BASE?.trim() || "https://api.calendly.com", "/event_type_available_times")}?${new URLSearchParams({
          event_type: query.eventTypeUri,
          start_time: new Date(from).toISOString(),
          end_time: new Date(to).toISOString(),
        })}`;
        const answer = await http(url, { headers: { authorization: `Bearer ${env.CALENDLY_API_TOKEN ?? ""}` } });
        const parsed = answer.status === 200 ? availableTimes.safeParse(answer.json) : undefined;
        if (parsed?.success) {
          const times = parsed.data.collection.filter((s) => s.status === "available").map((s) => Date.parse(s.start_time)).filter((t) => Number.isFinite(t) && free(t));
          if (times.length) return { startTime: new Date(pick(times)).toISOString(), source: `one of ${times.length} available times Calendly offers` };
          why = "Calendly offers no free time in the next week";
        } else {
          why = `Calendly availability answered ${answer.status}`;
        }
      } catch (err) {
        why = `Calendly availability unreachable (${err instanceof Error ? err.message : String(err)})`;
      }
      const candidates: number[] = [];
      for (let day = 0; day < 28 && candidates.length < 48; day++) {
        for (let h = 9; h < 17; h++) {
          const d = new Date(from + day * 24 * hour);
          const t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), h);
          if (t >= from && free(t)) candidates.push(t);
        }
      }
      if (!candidates.length) fail(`${why}, and the builder has bookings at every working hour of the next four weeks.`);
      return { startTime: new Date(pick(candidates)).toISOString(), source: `${why}: a future hour the builder has no booking at` };
    },

    async email({ bookingId, to, kind }) {
      const row = await emailRow(bookingId, kind);
      const rowState = row
        ? `the ${kind} EmailMessage is ${row.status}${row.error ? ` (${row.error})` : row.attempts ? ` after ${row.attempts} attempt(s)` : ""}`
        : `no ${kind} email is queued for booking ${bookingId}`;
      if (row && row.to.toLowerCase() !== to.toLowerCase()) {
        return settledWrong(`the ${kind} email for booking ${bookingId} is addressed to ${row.to}, not the invitee ${to}`, { expected: to, actual: row.to });
      }
      if (inbox) {
        const answer = await http(joinUrl(inbox, `/_control/inbox?${new URLSearchParams({ to })}`));
        const parsed = answer.status === 200 ? inboxSchema.safeParse(answer.json) : undefined;
        if (parsed?.success) {
          const m = parsed.data.messages.find((x) => x.customArgs.bookingId === bookingId && x.customArgs.kind === kind);
          if (m) return ready(`${kind} email in the SendGrid inbox of ${to}: "${m.subject ?? "(no subject)"}"`);
          return notYet(`no ${kind} email for booking ${bookingId} in the SendGrid inbox of ${to}; ${rowState}`, { expected: `a ${kind} email to ${to}`, actual: rowState });
        }
      }
      if (row?.status === "SENT") return ready(`${kind} email sent to ${row.to}: "${row.subject}" (provider message ${row.providerMessageId ?? "id not given"})`);
      return notYet(`no ${kind} email sent for booking ${bookingId}: ${rowState}`, { expected: `a SENT ${kind} email to ${to}`, actual: rowState });
    },

    calendly() {
      calendly ??= calendlyFromEnv(env);
      return calendly;
    },

    stripe() {
      stripe ??= stripeFromEnv(env);
      return stripe;
    },

    wait(probe, explain) {
      return poll(probe, { timeoutMs: settings.stepTimeoutMs, ...(explain ? { explain } : {}) });
    },

    async lastWebhook({ bookingId, inviteeUri }) {
      const { prisma } = await options.db();
      const or = [...(bookingId ? [{ bookingId }, { correlationKey: bookingId }] : []), ...(inviteeUri ? [{ correlationKey: inviteeUri }] : [])];
      if (!or.length) return "no webhook to look for";
      const last = await prisma.webhookEvent.findFirst({ where: { OR: or }, orderBy: [{ receivedAt: "desc" }, { id: "desc" }], select: { type: true, outcome: true, error: true } });
      return last ? `last webhook: ${last.type} ${last.outcome}${last.error ? ` (${last.error})` : ""}` : "no webhook recorded for it";
    },
  };
  return world;
}

/** A stable index in [0, n) from a seed: runs spread over the candidates instead of all taking the first. */
function pickIndex(seed: string, n: number): number {
  if (n <= 1) return 0;
  return createHash("sha256").update(seed).digest().readUInt32BE(0) % n;
}
