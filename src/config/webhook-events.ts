/**
 * The webhook events bookflow subscribes to (and `verify` expects) when
 * bookflow.config.json names none: what the booking lifecycle reads
 * (docs/booking-lifecycle.md). One home for the config's defaults and the
 * provider registry's.
 */
import type { StripeEventType } from "./stripe-webhook-enums.js";

export const DEFAULT_CALENDLY_EVENTS = ["invitee.created", "invitee.canceled", "invitee_no_show.created", "invitee_no_show.deleted"] as const;

export const DEFAULT_STRIPE_EVENTS = [
  "checkout.session.completed",
  "checkout.session.async_payment_succeeded",
  "checkout.session.async_payment_failed",
  "checkout.session.expired",
  "payment_intent.succeeded",
  "charge.refunded",
  "refund.updated",
  "refund.failed",
  "charge.dispute.created",
  "charge.dispute.closed",
] as const satisfies readonly StripeEventType[];
