/**
 * A sample booking for each email kind: what `verify` sends to SendGrid in
 * sandbox mode and renders the dynamic template with, and what
 * `bookflow emails preview` shows. The data is the app's own (`renderEmail`).
 */
import { renderEmail, type EmailContext, type EmailKind, type RenderedEmail } from "./notifications.js";

export const EMAIL_KINDS: readonly EmailKind[] = ["CONFIRMATION", "RECEIPT", "CANCELLATION", "RESCHEDULED"];

const SAMPLE: Omit<EmailContext, "kind"> = {
  bookingId: "bk_sample_0001",
  inviteeName: "Grace Sample",
  inviteeEmail: "grace.sample@example.com",
  sessionTitle: "Build Session",
  builderName: "Ada Lovelace",
  startTime: new Date("2030-01-15T15:00:00.000Z"),
  endTime: new Date("2030-01-15T16:00:00.000Z"),
  amountCents: 9900,
  currency: "usd",
  cancellationReason: null,
};

/** The sample booking as one kind of email describes it (a cancellation carries a reason). */
export function sampleEmailContext(kind: EmailKind): EmailContext {
  return { ...SAMPLE, kind, cancellationReason: kind === "CANCELLATION" ? "The invitee cannot make it" : null };
}

/** `renderEmail` for the sample booking. */
export function sampleEmail(kind: EmailKind): RenderedEmail {
  return renderEmail(sampleEmailContext(kind));
}

/**
 * The `dynamic_template_data` the app's mailer sends with a rendered email
 * (the subject first, then the email's dynamic data), as JSON carries it:
 * keys whose value is undefined are not sent.
 */
export function templateDataOf(subject: string, dynamicData: Record<string, unknown> | undefined): Record<string, unknown> {
  return JSON.parse(JSON.stringify({ subject, ...dynamicData })) as Record<string, unknown>;
}
