/**
 * A driver plays the provider side of a scenario: the invitee who books and
 * cancels in Calendly, and the customer who pays in Stripe Checkout.
 *
 * - `sandbox`: the emulators' control routes act as the invitee and the
 *   customer; Calendly and Stripe then deliver the webhooks to the app.
 * - `staging`: Stripe's test mode does what a customer would (a payment intent
 *   confirmed with a test card, a session expired, a refund) and Stripe itself
 *   delivers the events to the app's endpoint (`--deliveries provider`, the
 *   default), or bookflow posts them signed with STRIPE_WEBHOOK_SECRET
 *   (`--deliveries signed`); Calendly cannot be made to book through its API, so
 *   bookflow always signs Calendly's webhooks itself, and says so as a limit.
 *
 * Scenarios assert the same things whichever driver plays.
 */
export const DRIVER_NAMES = ["sandbox", "staging"] as const;
export type DriverName = (typeof DRIVER_NAMES)[number];

/**
 * Who delivers the staging driver's Stripe events: `provider` (Stripe, to the
 * registered endpoint, signed with the endpoint's own secret) or `signed`
 * (bookflow posts them, signed with the app's STRIPE_WEBHOOK_SECRET).
 */
export const DELIVERY_MODES = ["provider", "signed"] as const;
export type DeliveryMode = (typeof DELIVERY_MODES)[number];

/** The stated limit of every Calendly webhook the staging driver posts. */
export const CALENDLY_SIGNED_LIMIT = "Calendly cannot be made to book through its API: bookflow signed this invitee.created itself";

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
  /** What this step could not prove (e.g. a webhook bookflow signed itself). */
  limits?: string[];
}

/** What paying did, and the Stripe event whose effect the scenario then waits for. */
export interface Paid {
  message: string;
  paymentIntentId: string | null;
  /** The payment event the app is expected to apply: its type and the id of its data.object. */
  paymentEvent: { type: "checkout.session.completed" | "payment_intent.succeeded"; objectId: string };
  limits?: string[];
}

/** What a driver step did, for the report. */
export interface Acted {
  message: string;
  limits?: string[];
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
  limits?: string[];
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
  pay(req: PayRequest): Promise<Paid>;
  cancel(req: CancelRequest): Promise<Acted>;
  /** The invitee moves the booking to another time in Calendly (Calendly's cancel + create pair). */
  reschedule(req: RescheduleRequest): Promise<Rescheduled>;
  /** The Checkout session expires unpaid (the customer never paid). */
  expireCheckout(req: ExpireRequest): Promise<Acted>;
  /** Someone refunds the payment in full outside bookflow (the Stripe dashboard). */
  refundOutside(req: OutsideRefundRequest): Promise<Acted & { refundId: string }>;
  /** What the providers' delivery logs (sandbox) or Stripe's events and bookflow's own deliveries (staging) say about these objects, for timeout messages. */
  deliveryNotes(about: DeliveryQuestion): Promise<string[]>;
}

export interface DeliveryQuestion {
  inviteeUri?: string | undefined;
  bookingId?: string | undefined;
  checkoutSessionId?: string | undefined;
  /** Event types the step waits for: a note says when a provider sent none of them. */
  events?: readonly string[];
}
