/**
 * A webhook delivery once parsed: the provider's event, named and recorded the
 * same way whatever the provider, with the one action the intake takes on it.
 */
import type { WebhookProviderId } from "../../providers/webhook-providers.js";

export type CalendlyCreated = {
  kind: "invitee.created";
  inviteeUri: string;
  eventUri: string;
  eventTypeUri: string;
  email: string;
  name: string | null;
  startTime: Date;
  endTime: Date;
  /** `tracking.utm_campaign` when it is a bookflow run tag (`bookflow-…`): scenario runs tag what they create. */
  runTag: string | null;
  /** A reschedule: the invitee this one replaces (Calendly's `old_invitee`), else null. */
  oldInviteeUri: string | null;
};

export type CalendlyCanceled = {
  kind: "invitee.canceled";
  inviteeUri: string;
  reason: string | null;
  canceledBy: string | null;
  cancelerType: string | null;
  /** When Calendly says the cancellation happened (the refund window is judged at this time). */
  at: Date | null;
  /** The cancel half of a reschedule (`rescheduled: true`): the booking moves, it is not cancelled. */
  rescheduled: boolean;
  newInviteeUri: string | null;
};

/** invitee_no_show.created (marked) / .deleted (mark removed). */
export type NoShow = {
  kind: "no-show";
  inviteeUri: string;
  marked: boolean;
  /** When Calendly made the change (the envelope's created_at, else the mark's): a late, older change is not applied. */
  at: Date | null;
};

export type Payment = {
  kind: "payment";
  bookingId: string | null;
  inviteeUri: string | null;
  /** checkout payment_status "paid" / intent status "succeeded". */
  paid: boolean;
  /** Checkout completed with a delayed payment method (payment_status "unpaid"): the money is on its way. */
  processing: boolean;
  checkoutSessionId: string | null;
  paymentIntentId: string | null;
  amountCents: number | null;
  currency: string | null;
};

/** A Checkout session that will not be paid: it expired, or its delayed payment failed. */
export type CheckoutEnded = {
  kind: "checkout-ended";
  why: "expired" | "payment-failed";
  bookingId: string | null;
  inviteeUri: string | null;
  checkoutSessionId: string;
};

/** What Stripe says about the money after the payment: refunds (made by bookflow or elsewhere) and disputes. */
export type ChargeRefunded = {
  kind: "charge-refunded";
  paymentIntentId: string | null;
  bookingId: string | null;
  chargeId: string;
  amountCents: number;
  refundedCents: number;
  currency: string;
};

export type RefundUpdated = {
  kind: "refund-updated";
  refundId: string;
  paymentIntentId: string | null;
  bookingId: string | null;
  status: string | null;
  amountCents: number;
};

export type Dispute = {
  kind: "dispute";
  disputeId: string;
  paymentIntentId: string | null;
  bookingId: null;
  chargeId: string | null;
  status: string;
  /** charge.dispute.closed */
  closed: boolean;
};

/** Stripe events that name their booking through the payment intent. */
export type MoneyAction = ChargeRefunded | RefundUpdated | Dispute;

export type Other = { kind: "other" };

export type Action = CalendlyCreated | CalendlyCanceled | NoShow | Payment | CheckoutEnded | MoneyAction | Other;

/** The actions that change a booking: applied under the booking's lock. */
export type BookingAction = Exclude<Action, Other>;
/** The actions on a booking that exists already (all but invitee.created). */
export type ExistingAction = Exclude<BookingAction, CalendlyCreated>;

export interface ParsedEvent<A extends Action = Action> {
  provider: WebhookProviderId;
  type: string;
  providerEventId: string;
  body: unknown;
  action: A;
  /** The signed body's SHA-256 (hex), kept when what is stored differs from it (characters jsonb rejects were replaced). */
  rawSha256?: string;
}

export type ParseResult = { ok: true; event: ParsedEvent } | { ok: false; type: string; providerEventId: string | null; issues: string[] };

/** How audit entries and warnings name an event: `stripe checkout.session.completed evt_…`. */
export function eventRef(ev: ParsedEvent): string {
  return `${ev.provider} ${ev.type} ${ev.providerEventId}`;
}
