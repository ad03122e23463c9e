/**
 * Calendly API v2 response shapes, as zod schemas: strict on the fields
 * bookflow reads, loose about everything else (new Calendly fields never break
 * a client). Shaped after Calendly's OpenAPI document (calendly-api.yaml).
 */
import { z } from "zod";

const isoDateTime = z.iso.datetime({ offset: true });
const uri = z.string().min(1);

export const calendlyPaginationSchema = z.looseObject({
  count: z.number().int().nonnegative(),
  next_page: z.string().nullish(),
  previous_page: z.string().nullish(),
  next_page_token: z.string().nullish(),
  previous_page_token: z.string().nullish(),
});
export type CalendlyPagination = z.infer<typeof calendlyPaginationSchema>;

export const calendlyUserSchema = z.looseObject({
  uri,
  name: z.string(),
  slug: z.string(),
  email: z.string(),
  scheduling_url: z.string(),
  timezone: z.string(),
  current_organization: uri,
  avatar_url: z.string().nullish(),
  created_at: z.string().optional(),
  updated_at: z.string().optional(),
  resource_type: z.string().optional(),
  locale: z.string().nullish(),
});
export type CalendlyUser = z.infer<typeof calendlyUserSchema>;

export const calendlyEventTypeSchema = z.looseObject({
  uri,
  name: z.string().nullish(),
  active: z.boolean(),
  slug: z.string().nullish(),
  scheduling_url: z.string().nullish(),
  duration: z.number().int(),
  kind: z.string(),
  type: z.string().optional(),
  pooling_type: z.string().nullish(),
  booking_method: z.string().optional(),
  color: z.string().optional(),
  created_at: z.string().optional(),
  updated_at: z.string().optional(),
  profile: z.looseObject({ type: z.string(), name: z.string(), owner: z.string() }).nullish(),
});
export type CalendlyEventType = z.infer<typeof calendlyEventTypeSchema>;

export const calendlyCancellationSchema = z.looseObject({
  canceled_by: z.string(),
  reason: z.string().nullish(),
  canceler_type: z.enum(["host", "invitee"]),
  created_at: z.string().optional(),
});
export type CalendlyCancellation = z.infer<typeof calendlyCancellationSchema>;

export const calendlyScheduledEventSchema = z.looseObject({
  uri,
  name: z.string().nullish(),
  status: z.enum(["active", "canceled"]),
  start_time: isoDateTime,
  end_time: isoDateTime,
  event_type: uri,
  location: z.looseObject({ type: z.string() }).nullish(),
  invitees_counter: z.looseObject({ total: z.number().int(), active: z.number().int(), limit: z.number().int() }),
  created_at: z.string(),
  updated_at: z.string(),
  event_memberships: z.array(z.looseObject({ user: uri, user_email: z.string().optional(), user_name: z.string().optional() })),
  event_guests: z.array(z.looseObject({ email: z.string() })).optional(),
  cancellation: calendlyCancellationSchema.nullish(),
});
export type CalendlyScheduledEvent = z.infer<typeof calendlyScheduledEventSchema>;

export const calendlyInviteeSchema = z.looseObject({
  uri,
  email: z.string(),
  name: z.string(),
  first_name: z.string().nullish(),
  last_name: z.string().nullish(),
  status: z.enum(["active", "canceled"]),
  timezone: z.string().nullish(),
  event: uri,
  created_at: z.string(),
  updated_at: z.string(),
  cancel_url: z.string().optional(),
  reschedule_url: z.string().optional(),
  rescheduled: z.boolean().optional(),
  old_invitee: z.string().nullish(),
  new_invitee: z.string().nullish(),
  questions_and_answers: z.array(z.looseObject({ question: z.string(), answer: z.string(), position: z.number().int() })).optional(),
  tracking: z.looseObject({}).nullish(),
  text_reminder_number: z.string().nullish(),
  no_show: z.looseObject({}).nullish(),
  reconfirmation: z.looseObject({}).nullish(),
  routing_form_submission: z.string().nullish(),
  payment: z.looseObject({}).nullish(),
  cancellation: calendlyCancellationSchema.nullish(),
});
export type CalendlyInvitee = z.infer<typeof calendlyInviteeSchema>;

export const CALENDLY_WEBHOOK_EVENTS = [
  "invitee.created",
  "invitee.canceled",
  "invitee_no_show.created",
  "invitee_no_show.deleted",
  "routing_form_submission.created",
] as const;
export type CalendlyWebhookEvent = (typeof CALENDLY_WEBHOOK_EVENTS)[number];

export const calendlyWebhookSubscriptionSchema = z.looseObject({
  uri,
  callback_url: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
  retry_started_at: z.string().nullish(),
  state: z.enum(["active", "disabled"]),
  events: z.array(z.string()),
  scope: z.enum(["user", "organization", "group"]),
  organization: uri,
  user: z.string().nullish(),
  group: z.string().nullish(),
  creator: z.string().nullish(),
});
export type CalendlyWebhookSubscription = z.infer<typeof calendlyWebhookSubscriptionSchema>;

/** Calendly's error body: `{ title, message, details?: [{ parameter, message }] }`. */
export const calendlyErrorSchema = z.looseObject({
  title: z.string(),
  message: z.string(),
  details: z.array(z.looseObject({ parameter: z.string().optional(), message: z.string() })).optional(),
});
export type CalendlyErrorBody = z.infer<typeof calendlyErrorSchema>;

/** `{ resource: T }` */
export function resourceOf<T extends z.ZodType>(item: T) {
  return z.looseObject({ resource: item });
}

/** `{ collection: T[], pagination }` */
export function collectionOf<T extends z.ZodType>(item: T) {
  return z.looseObject({ collection: z.array(item), pagination: calendlyPaginationSchema });
}

/** Readable issue lines: `collection.3.start_time: Invalid ISO datetime`. */
export function describeIssues(error: z.ZodError, max = 5): string {
  const lines = error.issues.map((i) => {
    const path = i.path.map(String).join(".");
    return path ? `${path}: ${i.message}` : i.message;
  });
  const more = lines.length > max ? ` (and ${lines.length - max} more)` : "";
  return lines.slice(0, max).join("; ") + more;
}
