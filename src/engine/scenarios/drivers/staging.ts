import type Stripe from "stripe";
import { ConfigError } from "../../../errors.js";
import { signCalendlyPayload } from "../../../providers/calendly-signature.js";
import { signStripePayload } from "../../../providers/stripe-signature.js";
import { calendlyInviteeCanceled, calendlyInviteeCreated, calendlyReschedule, newInviteeUri, scheduledEventUriOf, stripeEvent, type CalendlyInviteeOptions } from "../../../providers/webhook-events.js";
import { checkoutCompletedFromApi, type CheckoutSessionTruth } from "../../../core/provider-truth.js";
import { StepFailure } from "../scenario.js";
import { excerpt, http, joinUrl } from "../http.js";
import { z } from "zod";
import { CALENDLY_SIGNED_LIMIT, type Acted, type BookRequest, type Booked, type CancelRequest, type DeliveryMode, type DeliveryQuestion, type ExpireRequest, type OutsideRefundRequest, type Paid, type PayRequest, type RescheduleRequest, type ScenarioDriver } from "./types.js";

/**
 * The staging driver, for a deployed app whose providers bookflow cannot click
 * through. Stripe's test mode can do what the customer and the dashboard do,
 * so by default (`deliveries: "provider"`) Stripe itself delivers the events to
 * the endpoint registered for the app, signed with that endpoint's own secret,
 * and the scenario waits for their effect in the database:
 *
 * - pay: reads the Checkout session the app created (a real `cs_…` id), then
 *   confirms a test-mode payment intent for its amount with Stripe's test card
 *   (`pm_card_visa`) and the session's metadata (booking_id: what the app's
 *   intake reads from `payment_intent.succeeded`); Stripe delivers
 *   `payment_intent.succeeded`;
 * - expire: expires the app's Checkout session through Stripe's API; Stripe
 *   delivers `checkout.session.expired`;
 * - refund outside bookflow: a real test-mode refund through Stripe's API (what
 *   the dashboard does); Stripe delivers `charge.refunded`.
 *
 * When an effect does not come, the wait's explanation reads Stripe's own
 * account of the event (`GET /v1/events?type=…`, `pending_webhooks`): a rolled
 * endpoint secret shows there as an event Stripe could not deliver.
 *
 * With `deliveries: "signed"` bookflow posts those Stripe events itself, signed
 * with the app's STRIPE_WEBHOOK_SECRET (the payment as `checkout.session.completed`
 * for the session), and says so as a limit of the step.
 *
 * Calendly cannot be made to book through its API, so its webhooks are always
 * posted by bookflow, signed with CALENDLY_WEBHOOK_SIGNING_KEY, each with that
 * stated limit: a Calendly `invitee.created` for a new invitee
 * (tracking.utm_campaign = the run tag), `invitee.canceled` for it, and
 * Calendly's reschedule pair (`invitee.canceled` with `rescheduled: true`, then
 * `invitee.created` with `old_invitee`).
 *
 * Like a provider, it retries a delivery of its own the app answers 5xx (twice)
 * and keeps a delivery log; a rejected delivery is not an error of the step that
 * sent it: the wait that follows times out and quotes the log ("answered 401").
 */

export interface StagingSettings {
  calendlyWebhookUrl: string;
  stripeWebhookUrl: string;
  calendlySigningKey: string;
  /** Needed with `deliveries: "signed"` only (null otherwise when unset). */
  stripeWebhookSecret: string | null;
  stripeSecretKey: string;
  /** Who delivers the Stripe events: Stripe itself (default), or bookflow, signed. */
  deliveries: DeliveryMode;
}

/** The settings from the environment, or one ConfigError listing every missing variable. */
export function stagingSettings(env: Record<string, string | undefined>, deliveries: DeliveryMode = "provider"): StagingSettings {
  const v = (name: string) => env[name]?.trim() || undefined;
  const base = v("NEXT_PUBLIC_BASE_URL");
  const calendlyWebhookUrl = v("CALENDLY_WEBHOOK_URL") ?? (base ? joinUrl(base, "/api/webhooks/calendly") : undefined);
  const stripeWebhookUrl = v("STRIPE_WEBHOOK_URL") ?? (base ? joinUrl(base, "/api/webhooks/stripe") : undefined);
  const missing = [
    !calendlyWebhookUrl && "CALENDLY_WEBHOOK_URL (or NEXT_PUBLIC_BASE_URL)",
    !stripeWebhookUrl && "STRIPE_WEBHOOK_URL (or NEXT_PUBLIC_BASE_URL)",
    !v("CALENDLY_WEBHOOK_SIGNING_KEY") && "CALENDLY_WEBHOOK_SIGNING_KEY",
    deliveries === "signed" && !v("STRIPE_WEBHOOK_SECRET") && "STRIPE_WEBHOOK_SECRET (for --deliveries signed)",
    !v("STRIPE_SECRET_KEY") && "STRIPE_SECRET_KEY",
  ].filter((x): x is string => !!x);
  if (missing.length) {
    throw new ConfigError(
      deliveries === "signed"
        ? `The staging driver needs ${missing.join(", ")}: it signs Calendly's and Stripe's webhooks with the app's keys and pays with Stripe's API.`
        : `The staging driver needs ${missing.join(", ")}: it signs Calendly's webhooks with the app's key (Calendly cannot be made to book through its API) and pays with Stripe's API (Stripe then delivers its events).`,
      "Set them (the values the deployed app uses), e.g. with --env-file .env.staging.",
      "ENV_MISSING",
    );
  }
  return {
    calendlyWebhookUrl: calendlyWebhookUrl!,
    stripeWebhookUrl: stripeWebhookUrl!,
    calendlySigningKey: v("CALENDLY_WEBHOOK_SIGNING_KEY")!,
    stripeWebhookSecret: v("STRIPE_WEBHOOK_SECRET") ?? null,
    stripeSecretKey: v("STRIPE_SECRET_KEY")!,
    deliveries,
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

/** A Stripe event Stripe itself is to deliver: what it is about, from when (Unix seconds). */
interface Expected {
  type: string;
  /** The booking, and the ids its data.object may carry (its own id, or the payment intent it names). */
  bookingId: string;
  ids: string[];
  since: number;
}

/** The part of Stripe's Event object the explanation reads (https://docs.stripe.com/api/events/object). */
const stripeEventSchema = z.object({
  id: z.string(),
  type: z.string(),
  created: z.number(),
  pending_webhooks: z.number(),
  data: z.object({ object: z.record(z.string(), z.unknown()) }),
});

const TEST_KEY = /^(sk|rk)_test_/;

const CANCEL_LIMIT = "Calendly cannot be made to book through its API, so it holds no booking to cancel: bookflow signed this invitee.canceled itself";
const RESCHEDULE_LIMIT = "Calendly cannot be made to book through its API, so it holds no booking to move: bookflow signed this reschedule pair (invitee.canceled, invitee.created) itself";
const signedStripeLimit = (type: string) => `bookflow signed this ${type} itself with STRIPE_WEBHOOK_SECRET (--deliveries signed): Stripe's own delivery to the endpoint was not exercised`;

export function createStagingDriver(settings: StagingSettings, stripe: () => Promise<Stripe>): ScenarioDriver {
  const booked = new Map<string, CalendlyInviteeOptions>();
  const log: Delivery[] = [];
  const expected: Expected[] = [];
  const provider = settings.deliveries === "provider";

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

  /** Posts a Stripe event signed with the app's STRIPE_WEBHOOK_SECRET (--deliveries signed). */
  function deliverStripe(type: string, about: string[], raw: string): Promise<Delivery> {
    const secret = settings.stripeWebhookSecret;
    if (!secret) throw new Error("--deliveries signed needs STRIPE_WEBHOOK_SECRET");
    return deliver("Stripe", type, about, settings.stripeWebhookUrl, raw, async () => ({ "stripe-signature": await signStripePayload(raw, secret) }));
  }

  /** Remembers an event Stripe is to deliver, so a wait that times out can say what Stripe did with it. */
  function expectFromStripe(type: string, bookingId: string, ids: string[], since: number): void {
    expected.push({ type, bookingId, ids, since });
  }

  const outcome = (d: Delivery) => (d.status !== null && d.status < 300 ? `the app accepted it (${d.status})` : d.status !== null ? `the app answered ${d.status}` : `no answer (${d.answer})`);
  const nowSeconds = () => Math.floor(Date.now() / 1000);

  /** What Stripe says about the events it was to deliver for these objects: `pending_webhooks` of each. */
  async function stripeNotes(about: DeliveryQuestion): Promise<string[]> {
    const keys = [about.bookingId, about.checkoutSessionId].filter((x): x is string => !!x);
    const wanted = expected.filter((e) => keys.includes(e.bookingId) || e.ids.some((id) => keys.includes(id))).filter((e) => !about.events || about.events.includes(e.type));
    if (!wanted.length) return [];
    const notes: string[] = [];
    let client: Stripe;
    try {
      client = await stripe();
    } catch (err) {
      return [`Stripe's events unreadable: ${err instanceof Error ? err.message : String(err)}`];
    }
    for (const e of wanted) {
      try {
        const page = await client.events.list({ type: e.type, limit: 100, created: { gte: e.since - 60 } });
        const events = z.array(stripeEventSchema).parse(page.data);
        const mine = events.filter((ev) => {
          const o = ev.data.object;
          const metadata = o.metadata && typeof o.metadata === "object" ? (o.metadata as Record<string, unknown>) : {};
          return e.ids.includes(String(o.id)) || (typeof o.payment_intent === "string" && e.ids.includes(o.payment_intent)) || metadata.booking_id === e.bookingId;
        });
        if (!mine.length) {
          notes.push(`Stripe has no ${e.type} event for booking ${e.bookingId} (GET /v1/events?type=${e.type}): is STRIPE_SECRET_KEY the test-mode account of the app's endpoint?`);
          continue;
        }
        for (const ev of mine) {
          const at = new Date(ev.created * 1000).toISOString();
          notes.push(
            ev.pending_webhooks > 0
              ? `Stripe's deliveries did not arrive: ${e.type} ${ev.id} (${at}) has pending_webhooks ${ev.pending_webhooks}, Stripe could not deliver it to ${ev.pending_webhooks} endpoint(s) (a signing secret rolled in the dashboard while the app keeps the old STRIPE_WEBHOOK_SECRET, or an endpoint that does not answer 2xx: \`bookflow webhooks status\`)`
              : `Stripe delivered ${e.type} ${ev.id} (${at}) to every endpoint (pending_webhooks 0): the app accepted it, so look at what it did with it (its WebhookEvent row)`,
          );
        }
      } catch (err) {
        notes.push(`Stripe's ${e.type} events unreadable: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    return notes;
  }

  function requireTestKey(what: string): void {
    if (!TEST_KEY.test(settings.stripeSecretKey)) {
      throw new StepFailure(`The staging driver ${what} only in Stripe's test mode; this STRIPE_SECRET_KEY is live.`, { expected: "sk_test_… or rk_test_…", actual: "a live key" });
    }
  }

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
        limits: [CALENDLY_SIGNED_LIMIT],
      };
    },

    async pay(req: PayRequest): Promise<Paid> {
      if (!TEST_KEY.test(settings.stripeSecretKey)) {
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
      const since = nowSeconds();
      const intent = await client.paymentIntents.create(
        {
          amount,
          currency,
          payment_method: "pm_card_visa",
          confirm: true,
          automatic_payment_methods: { enabled: true, allow_redirects: "never" },
          // What the app's intake reads from payment_intent.succeeded to find the booking.
          metadata: { ...(session.metadata ?? {}), booking_id: req.bookingId },
          receipt_email: req.email,
          description: `bookflow scenario payment for booking ${req.bookingId}`,
        },
        { idempotencyKey: `bookflow-scenario-pay-${req.bookingId}` },
      );
      if (intent.status !== "succeeded") throw new StepFailure(`The test payment ${intent.id} is ${intent.status}, not succeeded.`, { expected: "succeeded", actual: intent.status });
      if (provider) {
        expectFromStripe("payment_intent.succeeded", req.bookingId, [intent.id, session.id], since);
        return {
          message: `paid ${amount} ${currency} with a test card (payment intent ${intent.id}); Stripe delivers payment_intent.succeeded to the registered endpoint itself`,
          paymentIntentId: intent.id,
          paymentEvent: { type: "payment_intent.succeeded", objectId: intent.id },
        };
      }
      const truth: CheckoutSessionTruth & Record<string, unknown> = {
        ...(session as unknown as CheckoutSessionTruth & Record<string, unknown>),
        status: "complete",
        payment_status: "paid",
        payment_intent: intent.id,
        url: null,
        customer_details: { email: req.email, name: req.name },
      };
      const raw = JSON.stringify(checkoutCompletedFromApi(truth));
      const d = await deliverStripe("checkout.session.completed", [req.bookingId, session.id], raw);
      return {
        message: `paid ${amount} ${currency} with a test card (payment intent ${intent.id}) and posted checkout.session.completed for ${session.id}: ${outcome(d)}`,
        paymentIntentId: intent.id,
        paymentEvent: { type: "checkout.session.completed", objectId: session.id },
        limits: [signedStripeLimit("checkout.session.completed")],
      };
    },

    async cancel(req: CancelRequest): Promise<Acted> {
      const options = booked.get(req.inviteeUri);
      if (!options) throw new Error(`the staging driver did not book invitee ${req.inviteeUri}, so it cannot build its cancellation`);
      const raw = JSON.stringify(calendlyInviteeCanceled({ ...options, reason: req.reason, cancelerType: "invitee", canceledAt: new Date().toISOString() }));
      const d = await deliver("Calendly", "invitee.canceled", [req.inviteeUri], settings.calendlyWebhookUrl, raw, async () => ({
        "calendly-webhook-signature": signCalendlyPayload(raw, settings.calendlySigningKey),
      }));
      return { message: `posted a signed invitee.canceled: ${outcome(d)}`, limits: [CANCEL_LIMIT] };
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
        limits: [RESCHEDULE_LIMIT],
      };
    },

    async expireCheckout(req: ExpireRequest): Promise<Acted> {
      const client = await stripe();
      const since = nowSeconds();
      const session = await client.checkout.sessions.expire(req.checkoutSessionId);
      if (provider) {
        expectFromStripe("checkout.session.expired", req.bookingId, [session.id], since);
        return { message: `expired Checkout session ${session.id} in Stripe (${session.status}); Stripe delivers checkout.session.expired to the registered endpoint itself` };
      }
      const raw = JSON.stringify(stripeEvent("checkout.session.expired", session as unknown as Record<string, unknown>));
      const d = await deliverStripe("checkout.session.expired", [req.bookingId, session.id], raw);
      return { message: `expired Checkout session ${session.id} in Stripe (${session.status}) and posted checkout.session.expired: ${outcome(d)}`, limits: [signedStripeLimit("checkout.session.expired")] };
    },

    async refundOutside(req: OutsideRefundRequest) {
      requireTestKey("refunds");
      const client = await stripe();
      const since = nowSeconds();
      const refund = await client.refunds.create({ payment_intent: req.paymentIntentId, metadata: { reason: "bookflow scenario: refund made outside bookflow" } }, { idempotencyKey: `bookflow-scenario-outside-refund-${req.bookingId}` });
      if (provider) {
        expectFromStripe("charge.refunded", req.bookingId, [req.paymentIntentId, ...(typeof refund.charge === "string" ? [refund.charge] : refund.charge ? [refund.charge.id] : [])], since);
        return {
          message: `refunded ${req.paymentIntentId} in test mode (refund ${refund.id}, ${refund.status ?? "no status"}); Stripe delivers charge.refunded to the registered endpoint itself`,
          refundId: refund.id,
        };
      }
      const chargeId = typeof refund.charge === "string" ? refund.charge : refund.charge?.id;
      if (!chargeId) throw new StepFailure(`Stripe refund ${refund.id} names no charge, so charge.refunded cannot be built.`);
      const charge = await client.charges.retrieve(chargeId);
      const raw = JSON.stringify(stripeEvent("charge.refunded", charge as unknown as Record<string, unknown>));
      const d = await deliverStripe("charge.refunded", [req.bookingId], raw);
      return {
        message: `refunded ${req.paymentIntentId} in test mode (refund ${refund.id}, ${refund.status ?? "no status"}) and posted charge.refunded: ${outcome(d)}`,
        refundId: refund.id,
        limits: [signedStripeLimit("charge.refunded")],
      };
    },

    async deliveryNotes(about: DeliveryQuestion): Promise<string[]> {
      const keys = [about.inviteeUri, about.bookingId, about.checkoutSessionId].filter((x): x is string => !!x);
      const own = log
        .filter((d) => d.about.some((a) => keys.includes(a)))
        .map((d) => `bookflow's signed ${d.type}: ${outcome(d)}${d.attempts > 1 ? ` (${d.attempts} attempts)` : ""}${d.status !== null && d.status >= 300 && d.answer ? `: ${d.answer}` : ""}`);
      return [...own, ...(await stripeNotes(about))];
    },
  };
}

