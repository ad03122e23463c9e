/** The intake's public contract: what it answers for an event, what it needs, what it offers. */
import type { IntentWorker } from "../intents.js";
import type { PrismaClient } from "../../generated/prisma/client.js";
import type { SqlClient } from "../../db/sql.js";
import type { WebhookProviderId } from "../../providers/webhook-providers.js";
import type { Replacements } from "./sanitize.js";
import type { BookingPolicy, CheckoutRequest, Clock, PaymentsGateway, SchedulingGateway } from "../ports.js";

export type IntakeOutcome = "processed" | "duplicate" | "ignored" | "deferred" | "held" | "invalid";

export interface IntakeResult {
  outcome: IntakeOutcome;
  provider: WebhookProviderId;
  eventType: string;
  providerEventId: string | null;
  bookingId: string | null;
  message: string;
  issues?: string[];
  /** What was replaced in the body before it was stored, when something was (jsonb refuses NUL and lone surrogates). */
  sanitized?: Replacements;
  /** With `sanitized`: the signed body's SHA-256 (hex), as kept on the event's row. */
  rawSha256?: string;
  /** A paid booking without a Stripe Checkout session yet: the app should create one (then attachCheckoutSession). */
  checkoutNeeded?: { bookingId: string };
  /**
   * With checkoutNeeded, when the intake has just created the booking: what the Checkout session is for, so the
   * caller needs no lookup (the return URLs are the caller's business).
   */
  checkoutDetails?: Omit<CheckoutRequest, "successUrl" | "cancelUrl">;
}

export interface WebhookIntakeDeps {
  /** Rare paths: releasing held events (reading them), refunds after commit, manual-processing mode. */
  prisma: PrismaClient;
  /** The per-event path (db.sql): parameterised SQL, a few statements per event. */
  sql: SqlClient;
  clock?: Clock;
  policy?: BookingPolicy;
  /** Needed for automatic refunds; without it a refund-eligible booking stays PAID (and the result says so). */
  payments?: PaymentsGateway;
  /** Releases the Calendly slot of a booking whose Checkout was never paid; without it the slot stays held (and the result says so). */
  scheduling?: SchedulingGateway;
  /** Performs the refunds and cancellations an event implies, right after its commit (default: a worker over payments and scheduling). */
  intents?: IntentWorker;
  /**
   * `make` (default): a refund the policy decides is recorded as an intent with the change and made (here, or by the
   * app's worker). `report`: none is recorded; the booking stays CANCELLED/PAID and the result says a refund may be
   * due, for a person to decide (`bookings reconcile --fix` moves no money).
   */
  refunds?: "make" | "report";
}

export interface WebhookIntake {
  /** `body`: parsed JSON whose signature the caller verified. Never throws for a bad payload ("invalid"). */
  receive(provider: WebhookProviderId, body: unknown, options?: { raw?: Buffer | string }): Promise<IntakeResult>;
  /** Applies HELD events in the order they were received (oldest first), whatever the manual-processing setting. */
  releaseHeld(options?: { limit?: number }): Promise<IntakeResult[]>;
}
