import { randomBytes, randomUUID } from "node:crypto";

/**
 * Realistic Calendly and Stripe webhook bodies (as parsed JSON), shaped like
 * the providers' documented payloads: what `webhooks replay`, the scenarios'
 * staging driver and the tests send. Sign them with signCalendlyPayload /
 * signStripePayload. Every id not given is fresh, so two calls
 * never collide; pass the same ids to build repeats or related events.
 */

const CALENDLY_API = "https://api.calendly.com";
const HOST_USER = `${CALENDLY_API}/users/HOSTUSER0000001`;

function token(n = 24): string {
  return randomBytes(n).toString("base64url").replace(/[-_]/g, "x").slice(0, n);
}

/** A fresh Calendly invitee URI: https://api.calendly.com/scheduled_events/<uuid>/invitees/<uuid>. */
export function newInviteeUri(): string {
  return `${CALENDLY_API}/scheduled_events/${randomUUID()}/invitees/${randomUUID()}`;
}

/** The scheduled event URI an invitee URI belongs to. */
export function scheduledEventUriOf(inviteeUri: string): string {
  const i = inviteeUri.indexOf("/invitees/");
  return i > 0 ? inviteeUri.slice(0, i) : `${CALENDLY_API}/scheduled_events/${randomUUID()}`;
}

export interface CalendlyInviteeOptions {
  eventTypeUri: string;
  inviteeUri?: string;
  email?: string;
  name?: string;
  /** ISO time; default: 7 days from now, on the hour. */
  startTime?: string;
  durationMinutes?: number;
  /** When the webhook was created (ISO); default now. */
  createdAt?: string;
  /** `tracking.utm_campaign`: a `bookflow-<run id>` value tags the booking with that run. */
  utmCampaign?: string;
}

interface CalendlyInviteeCanceledOptions extends CalendlyInviteeOptions {
  /** A reschedule's halves: the cancel names the new invitee, the create the old one. */
  rescheduledTo?: string;
  rescheduledFrom?: string;
  reason?: string;
  canceledBy?: string;
  cancelerType?: "host" | "invitee";
  /** When the cancellation happened (ISO); default now. */
  canceledAt?: string;
}

function defaultStart(): string {
  const d = new Date(Date.now() + 7 * 86_400_000);
  d.setUTCMinutes(0, 0, 0);
  return d.toISOString();
}

function calendlyEnvelope(event: "invitee.created" | "invitee.canceled", o: CalendlyInviteeCanceledOptions) {
  const inviteeUri = o.inviteeUri ?? newInviteeUri();
  const eventUri = scheduledEventUriOf(inviteeUri);
  const email = o.email ?? `invitee.${token(8).toLowerCase()}@example.com`;
  const name = o.name ?? "Test Invitee";
  const [first, ...rest] = name.split(" ");
  const start = o.startTime ?? defaultStart();
  const end = new Date(new Date(start).getTime() + (o.durationMinutes ?? 30) * 60_000).toISOString();
  const now = o.createdAt ?? new Date().toISOString();
  const canceled = event === "invitee.canceled";
  return {
    event,
    created_at: now,
    created_by: HOST_USER,
    payload: {
      uri: inviteeUri,
      email,
      name,
      first_name: first ?? null,
      last_name: rest.join(" ") || null,
      status: canceled ? "canceled" : "active",
      timezone: "Europe/London",
      event: eventUri,
      created_at: now,
      updated_at: now,
      cancel_url: `https://calendly.com/cancellations/${randomUUID()}`,
      reschedule_url: `https://calendly.com/reschedulings/${randomUUID()}`,
      rescheduled: canceled && o.rescheduledTo !== undefined,
      old_invitee: o.rescheduledFrom ?? null,
      new_invitee: canceled ? (o.rescheduledTo ?? null) : null,
      questions_and_answers: [{ question: "What would you like to cover?", answer: "Shipping my first product", position: 0 }],
      tracking: { utm_campaign: o.utmCampaign ?? null, utm_source: null, utm_medium: null, utm_content: null, utm_term: null, salesforce_uuid: null },
      text_reminder_number: null,
      no_show: null,
      reconfirmation: null,
      routing_form_submission: null,
      payment: null,
      ...(canceled
        ? {
            cancellation: {
              canceled_by: o.canceledBy ?? name,
              reason: o.reason ?? "Something came up",
              canceler_type: o.cancelerType ?? "invitee",
              created_at: o.canceledAt ?? now,
            },
          }
        : {}),
      scheduled_event: {
        uri: eventUri,
        name: "Session",
        status: canceled ? "canceled" : "active",
        start_time: start,
        end_time: end,
        event_type: o.eventTypeUri,
        location: { type: "google_conference", status: "pushed", join_url: "https://meet.google.com/abc-defg-hij" },
        invitees_counter: { total: 1, active: canceled ? 0 : 1, limit: 1 },
        created_at: now,
        updated_at: now,
        event_memberships: [{ user: HOST_USER, user_email: "host@builders.example.com", user_name: "Host" }],
        event_guests: [],
      },
    },
  };
}

export type CalendlyWebhookBody = ReturnType<typeof calendlyEnvelope>;

/** A Calendly `invitee.created` delivery body. */
export function calendlyInviteeCreated(o: CalendlyInviteeOptions): CalendlyWebhookBody {
  return calendlyEnvelope("invitee.created", o);
}

/** A Calendly `invitee.canceled` delivery body (same invitee URI as the created one to cancel it). */
export function calendlyInviteeCanceled(o: CalendlyInviteeCanceledOptions): CalendlyWebhookBody {
  return calendlyEnvelope("invitee.canceled", o);
}

export interface CalendlyRescheduleOptions extends Omit<CalendlyInviteeOptions, "inviteeUri" | "startTime"> {
  /** The invitee being moved (its booking). */
  oldInviteeUri: string;
  oldStartTime?: string;
  /** The new invitee Calendly creates for the new time (default: a fresh one on a fresh event). */
  newInviteeUri?: string;
  newStartTime: string;
}

/**
 * A reschedule as Calendly sends it (its reschedule guide): `invitee.canceled` of the old invitee with
 * `rescheduled: true` and `new_invitee`, and `invitee.created` of the new one with `old_invitee`.
 */
export function calendlyReschedule(o: CalendlyRescheduleOptions): { canceled: CalendlyWebhookBody; created: CalendlyWebhookBody; newInviteeUri: string } {
  const movedTo = o.newInviteeUri ?? newInviteeUri();
  const { oldInviteeUri, oldStartTime, newStartTime, newInviteeUri: _given, ...rest } = o;
  const canceled = calendlyEnvelope("invitee.canceled", {
    ...rest,
    inviteeUri: oldInviteeUri,
    ...(oldStartTime ? { startTime: oldStartTime } : {}),
    rescheduledTo: movedTo,
    cancelerType: "invitee",
    reason: "Rescheduled",
  });
  const created = calendlyEnvelope("invitee.created", { ...rest, inviteeUri: movedTo, startTime: newStartTime, rescheduledFrom: oldInviteeUri });
  return { canceled, created, newInviteeUri: movedTo };
}

/** A Calendly `invitee_no_show.created` / `.deleted` body: the Invitee, its `no_show` the mark (null once removed). */
export function calendlyNoShow(event: "invitee_no_show.created" | "invitee_no_show.deleted", o: { inviteeUri: string; noShowUri?: string; createdAt?: string; eventTypeUri?: string }) {
  const at = o.createdAt ?? new Date().toISOString();
  const mark = { uri: o.noShowUri ?? `${CALENDLY_API}/invitee_no_shows/${randomUUID()}`, created_at: at };
  return {
    event,
    created_at: at,
    created_by: HOST_USER,
    payload: {
      uri: o.inviteeUri,
      event: scheduledEventUriOf(o.inviteeUri),
      status: "active",
      no_show: event === "invitee_no_show.created" ? mark : null,
    },
  };
}

export interface StripePaymentOptions {
  bookingId?: string;
  calendlyInviteeUri?: string;
  amountCents: number;
  currency?: string;
  eventId?: string;
  paymentIntentId?: string;
  sessionId?: string;
  email?: string;
  /** checkout.session payment_status (default "paid"). */
  paymentStatus?: "paid" | "unpaid" | "no_payment_required";
  /** Unix seconds; default now. */
  created?: number;
}

function metadataOf(o: StripePaymentOptions): Record<string, string> {
  const m: Record<string, string> = {};
  if (o.bookingId) m.booking_id = o.bookingId;
  if (o.calendlyInviteeUri) m.calendly_invitee_uri = o.calendlyInviteeUri;
  return m;
}

function stripeEnvelope(type: string, object: Record<string, unknown>, o: StripePaymentOptions) {
  return {
    id: o.eventId ?? `evt_test_${token()}`,
    object: "event",
    api_version: "2025-10-29.clover",
    created: o.created ?? Math.floor(Date.now() / 1000),
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    data: { object },
  };
}

export type StripeWebhookBody = ReturnType<typeof stripeEnvelope>;

/** A Stripe `checkout.session.completed` event (payment_status "paid" unless told otherwise). */
export function stripeCheckoutCompleted(o: StripePaymentOptions): StripeWebhookBody {
  const paid = (o.paymentStatus ?? "paid") === "paid";
  return stripeEnvelope(
    "checkout.session.completed",
    {
      id: o.sessionId ?? `cs_test_${token(32)}`,
      object: "checkout.session",
      mode: "payment",
      status: "complete",
      payment_status: o.paymentStatus ?? "paid",
      amount_subtotal: o.amountCents,
      amount_total: o.amountCents,
      currency: o.currency ?? "usd",
      client_reference_id: o.bookingId ?? null,
      customer: null,
      customer_details: { email: o.email ?? "payer@example.com", name: "Test Payer", phone: null, address: null, tax_exempt: "none", tax_ids: [] },
      metadata: metadataOf(o),
      payment_intent: paid || o.paymentIntentId ? (o.paymentIntentId ?? `pi_test_${token()}`) : null,
      livemode: false,
      success_url: "https://app.example.test/bookings/success",
      cancel_url: "https://app.example.test/bookings/cancel",
      url: null,
      created: (o.created ?? Math.floor(Date.now() / 1000)) - 60,
    },
    o,
  );
}

/** A Stripe `payment_intent.succeeded` event. */
export function stripePaymentIntentSucceeded(o: StripePaymentOptions & { status?: string }): StripeWebhookBody {
  return stripeEnvelope(
    "payment_intent.succeeded",
    {
      id: o.paymentIntentId ?? `pi_test_${token()}`,
      object: "payment_intent",
      amount: o.amountCents,
      amount_capturable: 0,
      amount_received: o.amountCents,
      currency: o.currency ?? "usd",
      status: o.status ?? "succeeded",
      metadata: metadataOf(o),
      latest_charge: `ch_test_${token()}`,
      payment_method_types: ["card"],
      livemode: false,
      created: (o.created ?? Math.floor(Date.now() / 1000)) - 30,
    },
    o,
  );
}

/** Any other Stripe event type (e.g. "invoice.paid"), for the "ignored" path. */
export function stripeEvent(type: string, object: Record<string, unknown> = { id: `in_test_${token()}`, object: "invoice" }, eventId?: string): StripeWebhookBody {
  return stripeEnvelope(type, object, { amountCents: 0, ...(eventId ? { eventId } : {}) });
}

/** A Checkout session that ends unpaid: `checkout.session.expired` or `checkout.session.async_payment_failed`; or `async_payment_succeeded`. */
export function stripeCheckoutSessionEvent(
  type: "checkout.session.expired" | "checkout.session.async_payment_failed" | "checkout.session.async_payment_succeeded",
  o: StripePaymentOptions,
): StripeWebhookBody {
  const body = stripeCheckoutCompleted({ ...o, paymentStatus: type === "checkout.session.async_payment_succeeded" ? "paid" : "unpaid" });
  const object = body.data.object as Record<string, unknown>;
  if (type === "checkout.session.expired") Object.assign(object, { status: "expired", payment_intent: null });
  return { ...body, type };
}

export interface StripeMoneyOptions {
  paymentIntentId: string;
  amountCents: number;
  currency?: string;
  eventId?: string;
  created?: number;
}

/** `charge.refunded`: the charge with how much of it is refunded so far. */
export function stripeChargeRefunded(o: StripeMoneyOptions & { refundedCents: number; chargeId?: string }): StripeWebhookBody {
  return stripeEnvelope(
    "charge.refunded",
    {
      id: o.chargeId ?? `ch_test_${token()}`,
      object: "charge",
      amount: o.amountCents,
      amount_captured: o.amountCents,
      amount_refunded: o.refundedCents,
      currency: o.currency ?? "usd",
      captured: true,
      paid: true,
      refunded: o.refundedCents >= o.amountCents,
      status: "succeeded",
      payment_intent: o.paymentIntentId,
      metadata: {},
      livemode: false,
      created: (o.created ?? Math.floor(Date.now() / 1000)) - 120,
    },
    o,
  );
}

/** `refund.updated`: a refund and its (new) status. */
export function stripeRefundUpdated(o: StripeMoneyOptions & { refundId: string; status: string }): StripeWebhookBody {
  return stripeEnvelope(
    "refund.updated",
    {
      id: o.refundId,
      object: "refund",
      amount: o.amountCents,
      currency: o.currency ?? "usd",
      status: o.status,
      payment_intent: o.paymentIntentId,
      charge: `ch_test_${token()}`,
      metadata: {},
      reason: "requested_by_customer",
      created: (o.created ?? Math.floor(Date.now() / 1000)) - 60,
    },
    o,
  );
}

/** `charge.dispute.created` / `charge.dispute.closed`. */
export function stripeDispute(type: "charge.dispute.created" | "charge.dispute.closed", o: StripeMoneyOptions & { disputeId: string; status: string }): StripeWebhookBody {
  return stripeEnvelope(
    type,
    {
      id: o.disputeId,
      object: "dispute",
      amount: o.amountCents,
      currency: o.currency ?? "usd",
      status: o.status,
      reason: "fraudulent",
      charge: `ch_test_${token()}`,
      payment_intent: o.paymentIntentId,
      livemode: false,
      created: (o.created ?? Math.floor(Date.now() / 1000)) - 60,
    },
    o,
  );
}
