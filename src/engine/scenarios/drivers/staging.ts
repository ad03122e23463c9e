import type Stripe from "stripe";
import { ConfigError } from "../../../errors.js";
import { signCalendlyPayload } from "../../../providers/calendly-signature.js";
import { signStripePayload } from "../../../providers/stripe-signature.js";
import { calendlyInviteeCanceled, calendlyInviteeCreated, calendlyReschedule, newInviteeUri, scheduledEventUriOf, stripeEvent, type CalendlyInviteeOptions } from "../../../providers/webhook-events.js";
import { checkoutCompletedFromApi, type CheckoutSessionTruth } from "../../../core/provider-truth.js";
import { StepFailure } from "../scenario.js";
import { excerpt, http, joinUrl } from "../http.js";
import type { BookRequest, Booked, CancelRequest, DeliveryQuestion, ExpireRequest, OutsideRefundRequest, PayRequest, RescheduleRequest, ScenarioDriver } from "./types.js";

/**
 * The staging driver, for a deployed app whose providers bookflow cannot click
 * through: bookflow posts the webhooks Calendly and Stripe would send, signed
 * with the app's own keys, built from what the app created:
 *
 * - book: a Calendly `invitee.created` for a new invitee (tracking.utm_campaign = the run tag);
 * - pay: reads the Checkout session the app created (a real `cs_…` id), pays a
 *   test-mode payment intent for its amount with Stripe's test card
 *   (`pm_card_visa`, same metadata: so a refund later refunds real test money),
 *   then posts `checkout.session.completed` for that session;
 * - cancel: a Calendly `invitee.canceled` for the same invitee;
 * - reschedule: Calendly's pair for the same invitee (`invitee.canceled` with
 *   `rescheduled: true`, then `invitee.created` with `old_invitee`);
 * - expire: expires the app's real (test-mode) Checkout session through Stripe's
 *   API, then posts `checkout.session.expired` with the session Stripe returned;
 * - refund outside bookflow: a real test-mode refund through Stripe's API (what
 *   the dashboard does), then `charge.refunded` with the charge Stripe returns.
 *
 * Like a provider, it retries a delivery the app answers 5xx (twice) and keeps
 * a delivery log; a rejected delivery is not an error of the step that sent it:
 * the wait that follows times out and quotes the log ("answered 401").
 */

export interface StagingSettings {
  calendlyWebhookUrl: string;
  stripeWebhookUrl: string;
  calendlySigningKey: string;
  stripeWebhookSecret: string;
  stripeSecretKey: string;
}

/** The settings from the environment, or one ConfigError listing every missing variable. */
export function stagingSettings(env: Record<string, string | undefined>): StagingSettings {
  const v = (name: string) => env[name]?.trim() || undefined;
  const base = v("NEXT_PUBLIC_BASE_URL");
  const calendlyWebhookUrl = v("CALENDLY_WEBHOOK_URL") ?? (base ? joinUrl(base, "/api/webhooks/calendly") : undefined);
  const stripeWebhookUrl = v("STRIPE_WEBHOOK_URL") ?? (base ? joinUrl(base, "/api/webhooks/stripe") : undefined);
  const missing = [
    !calendlyWebhookUrl && "CALENDLY_WEBHOOK_URL (or NEXT_PUBLIC_BASE_URL)",
    !stripeWebhookUrl && "STRIPE_WEBHOOK_URL (or NEXT_PUBLIC_BASE_URL)",
    !v("CALENDLY_WEBHOOK_SIGNING_KEY") && "CALENDLY_WEBHOOK_SIGNING_KEY",
    !v("STRIPE_WEBHOOK_SECRET") && "STRIPE_WEBHOOK_SECRET",
    !v("STRIPE_SECRET_KEY") && "STRIPE_SECRET_KEY",
  ].filter((x): x is string => !!x);
  if (missing.length) {
    throw new ConfigError(
      `The staging driver needs ${missing.join(", ")}: it signs the providers' webhooks with the app's keys and pays with Stripe's API.`,
      "Set them (the values the deployed app uses), e.g. with --env-file .env.staging.",
      "ENV_MISSING",
    );
  }
  return {
    calendlyWebhookUrl: calendlyWebhookUrl!,
    stripeWebhookUrl: stripeWebhookUrl!,
    calendlySigningKey: v("CALENDLY_WEBHOOK_SIGNING_KEY")!,
    stripeWebhookSecret: v("STRIPE_WEBHOOK_SECRET")!,
    stripeSecretKey: v("STRIPE_SECRET_KEY")!,
  };
}

interface Delivery {
  provider: "Calendly" | "Stripe";
  type: string;
  /** Invitee URI or booking / session ids it is about. */
  about: string[];
  attempts: number;
  status: number | null;
  answer: string;
}

export function createStagingDriver(settings: StagingSettings, stripe: () => Promise<Stripe>): ScenarioDriver {
  const booked = new Map<string, CalendlyInviteeOptions>();
  const log: Delivery[] = [];

  /** Posts one signed delivery, retrying 5xx and network failures twice (as the providers retry). */
  async function deliver(provider: Delivery["provider"], type: string, about: string[], url: string, raw: string, sign: () => Promise<Record<string, string>>): Promise<Delivery> {
    const entry: Delivery = { provider, type, about, attempts: 0, status: null, answer: "" };
    log.push(entry);
    for (let attempt = 1; attempt <= 3; attempt++) {
      if (attempt > 1) await new Promise((r) => setTimeout(r, 300 * (attempt - 1)));
      entry.attempts = attempt;
      try {
        const answer = await http(url, { body: raw, headers: { "content-type": "application/json", "user-agent": "bookflow scenarios (staging driver)", ...(await sign()) } });
        entry.status = answer.status;
        entry.answer = excerpt(answer.text, 160);
        if (answer.status < 500) break;
      } catch (err) {
        entry.status = null;
        entry.answer = err instanceof Error ? err.message : String(err);
      }
    }
    return entry;
  }

  const outcome = (d: Delivery) => (d.status !== null && d.status < 300 ? `the app accepted it (${d.status})` : d.status !== null ? `the app answered ${d.status}` : `no answer (${d.answer})`);

  return {
    name: "staging",
    calendlyHasRecords: false,
    paysThroughCheckout: false,

    async book(req: BookRequest): Promise<Booked> {
      const options: CalendlyInviteeOptions = {
        eventTypeUri: req.eventTypeUri,
        inviteeUri: newInviteeUri(),
        email: req.email,
        name: req.name,
        startTime: req.startTime,
        durationMinutes: req.durationMinutes,
        utmCampaign: req.runTag,
      };
      const body = calendlyInviteeCreated(options);
      body.payload.scheduled_event.name = req.eventName;
      const raw = JSON.stringify(body);
      booked.set(options.inviteeUri!, options);
      const d = await deliver("Calendly", "invitee.created", [options.inviteeUri!], settings.calendlyWebhookUrl, raw, async () => ({
        "calendly-webhook-signature": signCalendlyPayload(raw, settings.calendlySigningKey),
      }));
      return {
        inviteeUri: options.inviteeUri!,
        eventUri: scheduledEventUriOf(options.inviteeUri!),
        message: `posted a signed invitee.created for ${req.email} at ${req.startTime}: ${outcome(d)}`,
      };
    },

    async pay(req: PayRequest) {
      if (!/^(sk|rk)_test_/.test(settings.stripeSecretKey)) {
        throw new StepFailure("The staging driver pays with Stripe's test card (pm_card_visa), which needs a test-mode STRIPE_SECRET_KEY; this one is live.", {
          expected: "sk_test_… or rk_test_…",
          actual: "a live key",
        });
      }
      const client = await stripe();
      const session = await client.checkout.sessions.retrieve(req.checkoutSessionId);
      if ((session.metadata?.booking_id ?? session.client_reference_id) !== req.bookingId) {
        throw new StepFailure(`Checkout session ${session.id} belongs to booking ${session.metadata?.booking_id ?? session.client_reference_id ?? "(none)"}, not ${req.bookingId}.`, {
          expected: req.bookingId,
          actual: session.metadata?.booking_id ?? null,
        });
      }
      const amount = session.amount_total ?? req.amountCents;
      const currency = session.currency ?? req.currency;
      const intent = await client.paymentIntents.create(
        {
          amount,
          currency,
          payment_method: "pm_card_visa",
          confirm: true,
          automatic_payment_methods: { enabled: true, allow_redirects: "never" },
          metadata: { ...(session.metadata ?? {}) },
          receipt_email: req.email,
          description: `bookflow scenario payment for booking ${req.bookingId}`,
        },
        { idempotencyKey: `bookflow-scenario-pay-${req.bookingId}` },
      );
      if (intent.status !== "succeeded") throw new StepFailure(`The test payment ${intent.id} is ${intent.status}, not succeeded.`, { expected: "succeeded", actual: intent.status });
      const truth: CheckoutSessionTruth & Record<string, unknown> = {
        ...(session as unknown as CheckoutSessionTruth & Record<string, unknown>),
        status: "complete",
        payment_status: "paid",
        payment_intent: intent.id,
        url: null,
        customer_details: { email: req.email, name: req.name },
      };
      const raw = JSON.stringify(checkoutCompletedFromApi(truth));
      const d = await deliver("Stripe", "checkout.session.completed", [req.bookingId, session.id], settings.stripeWebhookUrl, raw, async () => ({
        "stripe-signature": await signStripePayload(raw, settings.stripeWebhookSecret),
      }));
      return { message: `paid ${amount} ${currency} with a test card (payment intent ${intent.id}) and posted checkout.session.completed for ${session.id}: ${outcome(d)}`, paymentIntentId: intent.id };
    },

    async cancel(req: CancelRequest) {
      const options = booked.get(req.inviteeUri);
      if (!options) throw new Error(`the staging driver did not book invitee ${req.inviteeUri}, so it cannot build its cancellation`);
      const raw = JSON.stringify(calendlyInviteeCanceled({ ...options, reason: req.reason, cancelerType: "invitee", canceledAt: new Date().toISOString() }));
      const d = await deliver("Calendly", "invitee.canceled", [req.inviteeUri], settings.calendlyWebhookUrl, raw, async () => ({
        "calendly-webhook-signature": signCalendlyPayload(raw, settings.calendlySigningKey),
      }));
      return { message: `posted a signed invitee.canceled: ${outcome(d)}` };
    },

    async reschedule(req: RescheduleRequest) {
      const options = booked.get(req.inviteeUri);
      if (!options) throw new Error(`the staging driver did not book invitee ${req.inviteeUri}, so it cannot build its reschedule`);
      const { inviteeUri: _old, startTime: oldStart, ...rest } = options;
      const pair = calendlyReschedule({ ...rest, eventTypeUri: req.eventTypeUri, oldInviteeUri: req.inviteeUri, ...(oldStart ? { oldStartTime: oldStart } : {}), newStartTime: req.startTime });
      booked.set(pair.newInviteeUri, { ...options, inviteeUri: pair.newInviteeUri, startTime: req.startTime, eventTypeUri: req.eventTypeUri });
      const sent: Delivery[] = [];
      for (const [type, body] of [["invitee.canceled", pair.canceled], ["invitee.created", pair.created]] as const) {
        const raw = JSON.stringify(body);
        sent.push(await deliver("Calendly", type, [req.inviteeUri, pair.newInviteeUri], settings.calendlyWebhookUrl, raw, async () => ({ "calendly-webhook-signature": signCalendlyPayload(raw, settings.calendlySigningKey) })));
      }
      return {
        newInviteeUri: pair.newInviteeUri,
        newEventUri: scheduledEventUriOf(pair.newInviteeUri),
        message: `posted Calendly's reschedule pair (invitee.canceled rescheduled, invitee.created old_invitee) to ${req.startTime}: ${sent.map(outcome).join("; ")}`,
      };
    },

    async expireCheckout(req: ExpireRequest) {
      const client = await stripe();
      const session = await client.checkout.sessions.expire(req.checkoutSessionId);
      const raw = JSON.stringify(stripeEvent("checkout.session.expired", session as unknown as Record<string, unknown>));
      const d = await deliver("Stripe", "checkout.session.expired", [req.bookingId, session.id], settings.stripeWebhookUrl, raw, async () => ({ "stripe-signature": await signStripePayload(raw, settings.stripeWebhookSecret) }));
      return { message: `expired Checkout session ${session.id} in Stripe (${session.status}) and posted checkout.session.expired: ${outcome(d)}` };
    },

    async refundOutside(req: OutsideRefundRequest) {
      if (!/^(sk|rk)_test_/.test(settings.stripeSecretKey)) {
        throw new StepFailure("The staging driver refunds only in test mode; this STRIPE_SECRET_KEY is live.", { expected: "sk_test_… or rk_test_…", actual: "a live key" });
      }
      const client = await stripe();
      const refund = await client.refunds.create({ payment_intent: req.paymentIntentId, metadata: { reason: "bookflow scenario: refund made outside bookflow" } }, { idempotencyKey: `bookflow-scenario-outside-refund-${req.bookingId}` });
      const chargeId = typeof refund.charge === "string" ? refund.charge : refund.charge?.id;
      if (!chargeId) throw new StepFailure(`Stripe refund ${refund.id} names no charge, so charge.refunded cannot be built.`);
      const charge = await client.charges.retrieve(chargeId);
      const raw = JSON.stringify(stripeEvent("charge.refunded", charge as unknown as Record<string, unknown>));
      const d = await deliver("Stripe", "charge.refunded", [req.bookingId], settings.stripeWebhookUrl, raw, async () => ({ "stripe-signature": await signStripePayload(raw, settings.stripeWebhookSecret) }));
      return { message: `refunded ${req.paymentIntentId} in test mode (refund ${refund.id}, ${refund.status ?? "no status"}) and posted charge.refunded: ${outcome(d)}`, refundId: refund.id };
    },

    async deliveryNotes(about: DeliveryQuestion): Promise<string[]> {
      const keys = [about.inviteeUri, about.bookingId, about.checkoutSessionId].filter((x): x is string => !!x);
      return log
        .filter((d) => d.about.some((a) => keys.includes(a)))
        .map((d) => `bookflow's signed ${d.type}: ${outcome(d)}${d.attempts > 1 ? ` (${d.attempts} attempts)` : ""}${d.status !== null && d.status >= 300 && d.answer ? `: ${d.answer}` : ""}`);
    },
  };
}
