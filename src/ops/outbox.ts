import type { Context } from "../context.js";
import { apiBaseFromEnv } from "../config/api-base.js";
import type { Database } from "../db/client.js";
import type { Outbox } from "../core/cancellation.js";

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
  const [{ createSendGridMailer }, { createNotifier }] = await Promise.all([import("../providers/sendgrid-mailer.js"), import("../core/notifications.js")]);
  const templateId = env.SENDGRID_BOOKING_TEMPLATE_ID?.trim() || undefined;
  const mailer = await createSendGridMailer({ apiKey, from, baseUrl: apiBaseFromEnv(env, "SENDGRID_API_BASE"), templateId });
  const notifier = createNotifier({ prisma: db.prisma, sql: db.sql, mailer, templateId });
  return {
    async dispatch(bookingId) {
      await notifier.dispatchPending({ bookingIds: [bookingId], limit: 10 });
    },
  };
}
