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
};

export type CalendlyCanceled = {
  kind: "invitee.canceled";
  inviteeUri: string;
  reason: string | null;
  canceledBy: string | null;
  cancelerType: string | null;
  /** When Calendly says the cancellation happened (the refund window is judged at this time). */
  at: Date | null;
};

export type Payment = {
  kind: "payment";
  bookingId: string | null;
  inviteeUri: string | null;
  /** checkout payment_status "paid" / intent status "succeeded". */
  paid: boolean;
  checkoutSessionId: string | null;
  paymentIntentId: string | null;
  amountCents: number | null;
  currency: string | null;
};

export type Other = { kind: "other" };

export type Action = CalendlyCreated | CalendlyCanceled | Payment | Other;

/** The actions that change a booking: applied under the booking's lock. */
export type BookingAction = CalendlyCreated | CalendlyCanceled | Payment;

export interface ParsedEvent<A extends Action = Action> {
  provider: WebhookProviderId;
  type: string;
  providerEventId: string;
  body: unknown;
  action: A;
}

export type ParseResult = { ok: true; event: ParsedEvent } | { ok: false; type: string; providerEventId: string | null; issues: string[] };

/** How audit entries and warnings name an event: `stripe checkout.session.completed evt_…`. */
export function eventRef(ev: ParsedEvent): string {
  return `${ev.provider} ${ev.type} ${ev.providerEventId}`;
}
