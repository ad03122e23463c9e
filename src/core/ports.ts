/**
 * Ports: what the booking core needs from the outside world. Adapters live in
 * src/providers (SendGrid, Stripe) and src/sandbox; tests use the capturing ones.
 */

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export interface OutgoingEmail {
  to: string;
  subject: string;
  text: string;
  html?: string | undefined;
  /** SendGrid dynamic template id (d-…); when set, `dynamicData` fills it. */
  templateId?: string | undefined;
  dynamicData?: Record<string, unknown> | undefined;
  /** Stable key (e.g. `<bookingId>:CONFIRMATION`) so a provider can de-duplicate. */
  idempotencyKey: string;
  /** Free-form tags (booking id, email kind) passed to the provider as custom args. */
  tags?: Record<string, string> | undefined;
}

export interface Mailer {
  /** Sends one email; resolves with the provider's message id (null when it gives none). Throws on failure. */
  send(email: OutgoingEmail): Promise<{ providerMessageId: string | null }>;
}

export interface CheckoutRequest {
  bookingId: string;
  calendlyInviteeUri: string | null;
  amountCents: number;
  currency: string;
  productName: string;
  customerEmail: string;
  stripePriceId: string | null;
  /** When the session stops accepting payment (Stripe's expires_at); default Stripe's (24 hours). */
  expiresAt?: Date | undefined;
  successUrl: string;
  cancelUrl: string;
  /** Stripe's Idempotency-Key: a create retried after a crash (or by another instance) gets the same session. */
  idempotencyKey?: string | undefined;
}

export interface PaymentsGateway {
  /** Creates a Stripe Checkout session whose metadata carries the booking id and Calendly invitee URI. */
  createCheckoutSession(req: CheckoutRequest): Promise<{ id: string; url: string | null }>;
  /** Refunds a payment intent; idempotencyKey makes a retried refund harmless. */
  /** `status` is Stripe's (pending, requires_action, succeeded, failed, canceled; null when it gives none). */
  refund(req: { paymentIntentId: string; amountCents?: number | undefined; reason?: string; idempotencyKey: string; metadata?: Record<string, string> }): Promise<{ id: string; status: string | null }>;
  /**
   * The payment intent's refunds, any status: the truth a retried refund is checked against before it is
   * asked for again (an idempotency key lasts 24 hours at Stripe, and a 5xx answer is replayed for its key).
   */
  listRefunds?(paymentIntentId: string): Promise<{ id: string; amount: number; status: string | null; created?: number | undefined }[]>;
}

export interface SchedulingGateway {
  /** Cancels a Calendly scheduled event (its URI), freeing its slot; resolves when it is cancelled, or was already. */
  cancelEvent(eventUri: string, reason: string): Promise<{ alreadyCanceled: boolean }>;
}

/** Policy knobs the core needs. */
export interface BookingPolicy {
  /** A paid booking cancelled at least this many hours before its start is refunded in full. */
  refundWindowHours: number;
}

export const DEFAULT_POLICY: BookingPolicy = { refundWindowHours: 24 };
