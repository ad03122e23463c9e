/**
 * `bookflow rollback --notify`: step 4 emails each affected booking's invitee a
 * notice. The notices go through the app's email outbox: one EmailMessage row
 * per booking (kind ROLLBACK_NOTICE, dedupeKey `rollback-notice:<rollback id>`,
 * unique with the booking), sent by the notifier that sends booking emails. So a
 * notice is recorded (`bookings show` lists it), sent at most once per booking
 * and rollback however often the step runs, and audited (one entry per batch).
 *
 * As for every email (src/core/notifications.ts), exactly-once has one gap:
 * a notice whose send returned but whose SENT mark was not written (a crash in
 * between) stays claimed for the lease (5 minutes) and is sent again by a run
 * after that. Notices are sent one at a time, so that is at most one message.
 */
import { apiBaseFromEnv } from "../config/api-base.js";
import { recordAudit } from "../core/audit.js";
import { createNotifier, renderEmail, type EmailContext } from "../core/notifications.js";
import type { AffectedBooking, RollbackJournal } from "../core/rollback-plan.js";
import type { Database } from "../db/client.js";
import { BookflowError, ConfigError, UsageError } from "../errors.js";
import type { SendGridClient } from "../providers/sendgrid/client.js";

type Env = Record<string, string | undefined>;

export const NOTICE_KIND = "ROLLBACK_NOTICE" as const;

export function noticeKey(rollbackId: string): string {
  return `rollback-notice:${rollbackId}`;
}

/** How notices are sent: bookflow's own text, or a SendGrid dynamic template (checked to exist before anything is sent). */
export interface NoticeSettings {
  templateId: string | null;
}

export interface NoticePreview {
  recipients: number;
  /** Already sent for this rollback (a rerun skips them). */
  alreadySent: number;
  template: string | null;
  /** The notice the first recipient gets (bookflow's own text; with a template, the data it is filled with). */
  sample: { bookingId: string; to: string; subject: string; text: string; dynamicData?: Record<string, unknown> } | null;
}

export interface NoticeOutcome {
  recipients: number;
  sent: number;
  alreadySent: number;
  /** Claimed by a run that stopped while sending them: left until their lease runs out (see the module comment). */
  inFlight: number;
  failed: number;
  template: string | null;
}

/** The SendGrid settings a send needs; a missing one is a ConfigError (exit 2) before any step runs. */
export function requireNoticeSender(env: Env): { apiKey: string; from: string } {
  const apiKey = env.SENDGRID_API_KEY?.trim();
  const from = env.SENDGRID_FROM_EMAIL?.trim();
  const missing = [!apiKey && "SENDGRID_API_KEY", !from && "SENDGRID_FROM_EMAIL"].filter(Boolean);
  if (missing.length) throw new ConfigError(`--notify sends the notices through SendGrid, but ${missing.join(" and ")} ${missing.length === 1 ? "is" : "are"} not set.`, "Set them (as for the app's booking emails), or leave out --notify.", "NOTICE_SENDER_MISSING");
  return { apiKey: apiKey!, from: from! };
}

/** A template id must name a SendGrid template with an active version: an unknown one is refused before anything changes (exit 2). */
export async function checkNoticeTemplate(sendgrid: () => Promise<SendGridClient>, templateId: string): Promise<void> {
  let template;
  try {
    template = await (await sendgrid()).getTemplate(templateId);
  } catch (err) {
    const status = (err as { status?: number }).status;
    if (status === 404 || status === 400)
      throw new UsageError(`SendGrid has no template ${templateId} (GET /v3/templates/${templateId} answered ${status}).`, "Check the id in SendGrid (Email API > Dynamic Templates), fix --notice-template or rollback.noticeTemplateId, or leave it out for bookflow's own text.", "NOTICE_TEMPLATE_UNKNOWN");
    if (err instanceof BookflowError) throw err;
    throw err;
  }
  if (!template.versions.some((v) => v.active === 1))
    throw new UsageError(`SendGrid template ${templateId} has no active version: SendGrid would refuse every notice.`, "Make one of its versions active in SendGrid, or use another template.", "NOTICE_TEMPLATE_UNKNOWN");
}

/** What the notice says to one booking's invitee (session, time, builder, what happens next). */
async function noticeContexts(db: Pick<Database, "prisma">, ids: string[]): Promise<Map<string, EmailContext>> {
  const rows = await db.prisma.booking.findMany({ where: { id: { in: ids } }, include: { sessionType: { select: { title: true } }, builder: { select: { displayName: true } } } });
  return new Map(
    rows.map((b) => [
      b.id,
      {
        kind: NOTICE_KIND,
        bookingId: b.id,
        inviteeName: b.inviteeName,
        inviteeEmail: b.inviteeEmail,
        sessionTitle: b.sessionType?.title ?? "session",
        builderName: b.builder?.displayName ?? "your builder",
        startTime: b.startTime,
        endTime: b.endTime,
        amountCents: b.amountCents,
        currency: b.currency,
        cancellationReason: b.cancellationReason,
      },
    ]),
  );
}

/** The count of recipients and the notice the first one gets; sends nothing. */
export async function previewNotices(db: Pick<Database, "prisma">, rollbackId: string, bookings: readonly Pick<AffectedBooking, "id">[], settings: NoticeSettings): Promise<NoticePreview> {
  const ids = bookings.map((b) => b.id);
  const alreadySent = ids.length ? await db.prisma.emailMessage.count({ where: { kind: NOTICE_KIND, dedupeKey: noticeKey(rollbackId), status: "SENT", bookingId: { in: ids } } }) : 0;
  const first = ids[0];
  let sample: NoticePreview["sample"] = null;
  if (first) {
    const ctx = (await noticeContexts(db, [first])).get(first);
    if (ctx) {
      const r = renderEmail(ctx);
      sample = { bookingId: first, to: ctx.inviteeEmail, subject: r.subject, text: r.text, ...(settings.templateId ? { dynamicData: r.dynamicData } : {}) };
    }
  }
  return { recipients: ids.length, alreadySent, template: settings.templateId, sample };
}

/** Lines for a person: how many get the notice, and the notice. */
export function describeNoticePreview(p: NoticePreview): string[] {
  const lines = [`Notice to affected invitees: ${p.recipients} recipient${p.recipients === 1 ? "" : "s"}${p.alreadySent ? ` (${p.alreadySent} already sent for this rollback: not sent again)` : ""}, ${p.template ? `SendGrid template ${p.template}` : "bookflow's own text"}`];
  if (!p.sample) return lines;
  lines.push(`  To: ${p.sample.to} (booking ${p.sample.bookingId})`, `  Subject: ${p.sample.subject}`);
  if (p.template) lines.push(`  Template data: ${JSON.stringify(p.sample.dynamicData)}`);
  else for (const l of p.sample.text.trimEnd().split("\n")) lines.push(`  | ${l}`);
  return lines;
}

export interface SendNoticesDeps {
  env: Env;
  db: Pick<Database, "prisma" | "sql">;
  actor: string;
  progress: (line: string) => void;
}

/**
 * Queues one notice per booking (a row that exists already is left as it is) and sends this
 * rollback's unsent ones, one at a time, each marked SENT as soon as SendGrid accepted it.
 * One audit entry for the batch. A failed send leaves its row FAILED: the step fails and a
 * resume sends what is left.
 */
export async function sendNotices(journal: Pick<RollbackJournal, "id" | "reason">, bookings: readonly Pick<AffectedBooking, "id" | "inviteeEmail">[], settings: NoticeSettings, deps: SendNoticesDeps): Promise<NoticeOutcome> {
  const key = noticeKey(journal.id);
  const ids = bookings.map((b) => b.id);
  const outcome: NoticeOutcome = { recipients: ids.length, sent: 0, alreadySent: 0, inFlight: 0, failed: 0, template: settings.templateId };
  if (ids.length === 0) return outcome;
  const contexts = await noticeContexts(deps.db, ids);
  await deps.db.prisma.emailMessage.createMany({
    data: bookings.map((b) => ({ kind: NOTICE_KIND, dedupeKey: key, bookingId: b.id, to: b.inviteeEmail, subject: contexts.get(b.id) ? renderEmail(contexts.get(b.id)!).subject : "An update about your booking" })),
    skipDuplicates: true,
  });
  const { apiKey, from } = requireNoticeSender(deps.env);
  const { createSendGridMailer } = await import("../providers/sendgrid-mailer.js");
  const mailer = await createSendGridMailer({ apiKey, from, baseUrl: apiBaseFromEnv(deps.env, "SENDGRID_API_BASE") });
  const notifier = createNotifier({ prisma: deps.db.prisma, sql: deps.db.sql, mailer, ...(settings.templateId ? { templateIds: { [NOTICE_KIND]: settings.templateId } } : {}) });
  for (;;) {
    const r = await notifier.dispatchPending({ bookingIds: ids, only: { kinds: [NOTICE_KIND], dedupeKey: key }, limit: 100 });
    outcome.sent += r.sent;
    outcome.failed += r.failed;
    if (r.sent + r.failed === 0 || r.failed > 0) break;
    deps.progress(`Notices sent: ${outcome.sent} of ${ids.length}`);
  }
  const rows = await deps.db.prisma.emailMessage.groupBy({ by: ["status"], where: { kind: NOTICE_KIND, dedupeKey: key, bookingId: { in: ids } }, _count: { _all: true } });
  const count = (s: string) => rows.find((r) => r.status === s)?._count._all ?? 0;
  outcome.alreadySent = count("SENT") - outcome.sent;
  // Still QUEUED or FAILED after the sweep: claimed by a run that stopped mid-send (its lease holds them), or out of attempts.
  const unsent = count("QUEUED") + count("FAILED");
  outcome.inFlight = Math.max(0, unsent - outcome.failed);
  await recordAudit(deps.db.prisma, {
    actor: deps.actor,
    action: "rollback.notify",
    target: `rollback:${journal.id}`,
    reason: journal.reason,
    after: { ...outcome, dedupeKey: key },
  });
  return outcome;
}
