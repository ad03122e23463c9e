/**
 * The parts of Calendly's and Stripe's webhook bodies the intake reads, as zod
 * schemas: strict on every field that is read, lenient (loose objects) about
 * everything else, so new provider fields never break the intake.
 *
 * Parsing happens in two steps: the envelope (enough to name and record the
 * event), then the object of the event types the intake acts on.
 */
import { z } from "zod";

const isoDateTime = z.iso.datetime({ offset: true });
const nonEmpty = z.string().min(1);

/**
 * Field bounds. What names a row (event ids, URIs, emails) is stored in unique indexes, whose btree entries stop at
 * about 2.7 kB: an unbounded id would be a permanent 500. The bounds are the providers' own where they publish one
 * (Stripe: object ids up to 255 characters, metadata keys 40 and values 500, client_reference_id 200; email
 * addresses 254, RFC 5321) and 1,024 bytes of UTF-8 for Calendly's URIs and event names, for which Calendly documents
 * no length (its URIs are about 100 characters).
 */
export const FIELD_BOUNDS = { calendlyId: 1024, email: 254, stripeId: 255, stripeMetadataKey: 40, stripeMetadataValue: 500, stripeClientReferenceId: 200 } as const;
/** At most `max` bytes of UTF-8: what an index entry holds (a character counts 1 to 4). */
const utf8Max = (max: number) => (s: string) => s.length <= max && Buffer.byteLength(s, "utf8") <= max;
/** A Calendly URI or event name: present, at most FIELD_BOUNDS.calendlyId bytes. */
const calendlyId = nonEmpty.refine(utf8Max(FIELD_BOUNDS.calendlyId), `at most ${FIELD_BOUNDS.calendlyId} bytes`);
/** A Stripe id (or event type) with its documented prefix, at most FIELD_BOUNDS.stripeId characters. */
const stripeId = (pattern: RegExp, message: string) => z.string().max(FIELD_BOUNDS.stripeId).regex(pattern, message);

// ---------------------------------------------------------------- Calendly

export const CALENDLY_EVENT_TYPES = ["invitee.created", "invitee.canceled"] as const;
/** Calendly's no-show marks (a host marks an invitee who did not come, or removes the mark). */
export const CALENDLY_NO_SHOW_EVENT_TYPES = ["invitee_no_show.created", "invitee_no_show.deleted"] as const;
export type CalendlyHandledEvent = (typeof CALENDLY_EVENT_TYPES)[number];

/** Any Calendly delivery: `{ event, payload }` (the checklist's test body `{ event: "test", payload: {} }` included). */
export const calendlyEnvelopeSchema = z.looseObject({
  event: calendlyId,
  created_at: isoDateTime.optional(),
  created_by: z.string().optional(),
  payload: z.looseObject({ uri: z.string().refine(utf8Max(FIELD_BOUNDS.calendlyId), `at most ${FIELD_BOUNDS.calendlyId} bytes`).optional() }),
});
export type CalendlyEnvelope = z.infer<typeof calendlyEnvelopeSchema>;

export const calendlyScheduledEventSchema = z.looseObject({
  uri: calendlyId,
  start_time: isoDateTime,
  end_time: isoDateTime,
  event_type: calendlyId,
  name: z.string().nullish(),
});

export const calendlyCancellationSchema = z.looseObject({
  canceled_by: z.string().nullish(),
  reason: z.string().nullish(),
  canceler_type: z.string().nullish(),
  created_at: isoDateTime.nullish(),
});

export const calendlyInviteePayloadSchema = z.looseObject({
  uri: calendlyId,
  email: z.email().max(FIELD_BOUNDS.email),
  name: z.string().nullish(),
  status: z.string().optional(),
  event: calendlyId,
  cancellation: calendlyCancellationSchema.nullish(),
  scheduled_event: calendlyScheduledEventSchema,
  tracking: z.looseObject({ utm_campaign: z.string().nullish() }).nullish(),
  /** invitee.canceled of a reschedule: true, with `new_invitee`; invitee.created of one: `old_invitee`. */
  rescheduled: z.boolean().nullish(),
  old_invitee: calendlyId.nullish(),
  new_invitee: calendlyId.nullish(),
});
export type CalendlyInviteePayload = z.infer<typeof calendlyInviteePayloadSchema>;

export const calendlyInviteeEventSchema = calendlyEnvelopeSchema.extend({
  event: z.enum(CALENDLY_EVENT_TYPES),
  payload: calendlyInviteePayloadSchema,
});
export type CalendlyInviteeEvent = z.infer<typeof calendlyInviteeEventSchema>;

const calendlyNoShowMark = z.looseObject({ uri: calendlyId, created_at: isoDateTime.nullish() });

/**
 * invitee_no_show.created / .deleted. Calendly's webhook sends the Invitee (its `no_show` holds the mark, or null
 * once removed); the InviteeNoShow resource (`{ uri, invitee, created_at }`) is accepted too, so either shape names
 * the invitee.
 */
export const calendlyNoShowEventSchema = calendlyEnvelopeSchema.extend({
  event: z.enum(CALENDLY_NO_SHOW_EVENT_TYPES),
  payload: z.union([
    z
      .looseObject({ uri: calendlyId.regex(/\/invitees\//, "an invitee URI"), no_show: calendlyNoShowMark.nullish() })
      .transform((p) => ({ inviteeUri: p.uri, markUri: p.no_show?.uri ?? null, markAt: p.no_show?.created_at ?? null })),
    z
      .looseObject({ uri: calendlyId.regex(/\/invitee_no_shows\//, "a no-show URI"), invitee: calendlyId, created_at: isoDateTime.nullish() })
      .transform((p) => ({ inviteeUri: p.invitee, markUri: p.uri, markAt: p.created_at ?? null })),
  ]),
});
export type CalendlyNoShowEvent = z.infer<typeof calendlyNoShowEventSchema>;

// ---------------------------------------------------------------- Stripe

export const STRIPE_PAYMENT_EVENT_TYPES = ["checkout.session.completed", "checkout.session.async_payment_succeeded", "payment_intent.succeeded"] as const;
/** The Stripe events of a booking's life after its payment, or instead of it. */
export const STRIPE_LIFECYCLE_EVENT_TYPES = [
  "checkout.session.expired",
  "checkout.session.async_payment_failed",
  "charge.refunded",
  "refund.updated",
  "refund.failed",
  "charge.refund.updated",
  "charge.dispute.created",
  "charge.dispute.closed",
] as const;
export type StripePaymentEventType = (typeof STRIPE_PAYMENT_EVENT_TYPES)[number];

export const stripeEnvelopeSchema = z.looseObject({
  id: stripeId(/^evt_/, 'Stripe event ids start with "evt_"'),
  type: nonEmpty.max(FIELD_BOUNDS.stripeId),
  created: z.number().int(),
  livemode: z.boolean(),
  data: z.looseObject({ object: z.looseObject({}) }),
});
export type StripeEnvelope = z.infer<typeof stripeEnvelopeSchema>;

const stripeMetadata = z.record(z.string().max(FIELD_BOUNDS.stripeMetadataKey), z.string().max(FIELD_BOUNDS.stripeMetadataValue)).nullish();
/** `payment_intent` is an id, or the object itself when expanded. */
const expandableId = z.string().max(FIELD_BOUNDS.stripeId);
const expandable = z.union([expandableId, z.looseObject({ id: expandableId }).transform((o) => o.id)]).nullish();

export const stripeCheckoutSessionSchema = z.looseObject({
  id: stripeId(/^cs_/, 'Checkout session ids start with "cs_"'),
  payment_status: z.string(),
  amount_total: z.number().int().nullish(),
  currency: z.string().nullish(),
  metadata: stripeMetadata,
  client_reference_id: z.string().max(FIELD_BOUNDS.stripeClientReferenceId).nullish(),
  payment_intent: expandable,
  customer_details: z.looseObject({ email: z.string().nullish(), name: z.string().nullish() }).nullish(),
});
export type StripeCheckoutSession = z.infer<typeof stripeCheckoutSessionSchema>;

export const stripePaymentIntentSchema = z.looseObject({
  id: stripeId(/^pi_/, 'Payment intent ids start with "pi_"'),
  amount: z.number().int(),
  amount_received: z.number().int().nullish(),
  currency: z.string(),
  status: z.string(),
  metadata: stripeMetadata,
});
export type StripePaymentIntent = z.infer<typeof stripePaymentIntentSchema>;

export const stripeChargeSchema = z.looseObject({
  id: stripeId(/^(ch|py)_/, 'Charge ids start with "ch_" (or "py_")'),
  amount: z.number().int(),
  amount_refunded: z.number().int(),
  currency: z.string(),
  refunded: z.boolean(),
  payment_intent: expandable,
  metadata: stripeMetadata,
});
export type StripeCharge = z.infer<typeof stripeChargeSchema>;

/** The refund statuses Stripe documents; the object's type is `string | null`, so others are read as not settled yet. */
export const STRIPE_REFUND_STATUSES = ["pending", "requires_action", "succeeded", "failed", "canceled"] as const;

export const stripeRefundSchema = z.looseObject({
  id: stripeId(/^(re|pyr)_/, 'Refund ids start with "re_"'),
  amount: z.number().int(),
  currency: z.string(),
  status: z.string().nullable(),
  payment_intent: expandable,
  charge: expandable,
  metadata: stripeMetadata,
});
export type StripeRefund = z.infer<typeof stripeRefundSchema>;

export const stripeDisputeSchema = z.looseObject({
  id: stripeId(/^(dp|du)_/, 'Dispute ids start with "dp_"'),
  amount: z.number().int(),
  currency: z.string(),
  status: z.string().min(1),
  reason: z.string().nullish(),
  charge: expandable,
  payment_intent: expandable,
});
export type StripeDispute = z.infer<typeof stripeDisputeSchema>;

/** Readable issue lines: `payload.email: Invalid input: expected string, received number`. */
export function formatIssues(error: z.ZodError, prefix: string[] = []): string[] {
  return error.issues.map((i) => {
    const path = [...prefix, ...i.path.map(String)].join(".");
    return path ? `${path}: ${i.message}` : i.message;
  });
}
