/**
 * A driver plays the provider side of a scenario: the invitee who books and
 * cancels in Calendly, and the customer who pays in Stripe Checkout.
 *
 * - `sandbox`: the emulators' control routes act as the invitee and the
 *   customer; Calendly and Stripe then deliver the webhooks to the app.
 * - `staging`: bookflow itself posts the events the providers would send, as
 *   signed webhooks built from what the app created (its booking ids, the real
 *   Checkout session ids); the payment is a real test-mode payment intent.
 *
 * Scenarios assert the same things whichever driver plays.
 */
export const DRIVER_NAMES = ["sandbox", "staging"] as const;
export type DriverName = (typeof DRIVER_NAMES)[number];

export interface BookRequest {
  eventTypeUri: string;
  eventName: string;
  durationMinutes: number;
  email: string;
  name: string;
  /** ISO 8601. */
  startTime: string;
  /** `bookflow-<run id>`, sent as Calendly's tracking.utm_campaign. */
  runTag: string;
}

export interface Booked {
  inviteeUri: string;
  eventUri: string;
  /** One line for the report. */
  message: string;
}

export interface PayRequest {
  bookingId: string;
  checkoutSessionId: string;
  amountCents: number;
  currency: string;
  email: string;
  name: string | null;
}

export interface CancelRequest {
  inviteeUri: string;
  eventUri: string;
  reason: string;
}

export interface RescheduleRequest {
  inviteeUri: string;
  eventTypeUri: string;
  /** The new time, ISO 8601. */
  startTime: string;
}

export interface Rescheduled {
  newInviteeUri: string;
  newEventUri: string;
  message: string;
}

export interface ExpireRequest {
  bookingId: string;
  checkoutSessionId: string;
}

export interface OutsideRefundRequest {
  bookingId: string;
  paymentIntentId: string;
  amountCents: number;
  currency: string;
}

export interface ScenarioDriver {
  readonly name: DriverName;
  /** Whether Calendly itself holds the bookings made (so GET /scheduled_events/{uuid} can be compared). */
  readonly calendlyHasRecords: boolean;
  /** Whether payments complete the Checkout session at Stripe (else a test-mode payment intent pays, and the session stays open). */
  readonly paysThroughCheckout: boolean;
  book(req: BookRequest): Promise<Booked>;
  pay(req: PayRequest): Promise<{ message: string; paymentIntentId: string | null }>;
  cancel(req: CancelRequest): Promise<{ message: string }>;
  /** The invitee moves the booking to another time in Calendly (Calendly's cancel + create pair). */
  reschedule(req: RescheduleRequest): Promise<Rescheduled>;
  /** The Checkout session expires unpaid (the customer never paid). */
  expireCheckout(req: ExpireRequest): Promise<{ message: string }>;
  /** Someone refunds the payment in full outside bookflow (the Stripe dashboard). */
  refundOutside(req: OutsideRefundRequest): Promise<{ message: string; refundId: string }>;
  /** What the providers' delivery logs say about these objects (sandbox only), for timeout messages. */
  deliveryNotes(about: DeliveryQuestion): Promise<string[]>;
}

export interface DeliveryQuestion {
  inviteeUri?: string | undefined;
  bookingId?: string | undefined;
  checkoutSessionId?: string | undefined;
  /** Event types the step waits for: a note says when a provider sent none of them. */
  events?: readonly string[];
}
