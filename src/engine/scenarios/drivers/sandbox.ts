import { z } from "zod";
import { ConfigError } from "../../../errors.js";
import { expectJson, http, joinUrl } from "../http.js";
import type { BookRequest, Booked, CancelRequest, DeliveryQuestion, ExpireRequest, OutsideRefundRequest, Paid, PayRequest, RescheduleRequest, ScenarioDriver } from "./types.js";

/**
 * The sandbox driver: the emulators' control routes (HTTP, under /_control, on
 * CALENDLY_API_BASE and STRIPE_API_BASE) act as the invitee and the paying
 * customer; the emulated Calendly and Stripe then deliver signed webhooks to
 * the app, as the real providers would. Their delivery logs explain a wait that
 * timed out ("checkout.session.completed answered 401, 4 attempts").
 */

const calendlyBooked = z.object({ eventUri: z.string().min(1), inviteeUri: z.string().min(1) });
const calendlyCanceled = z.object({ eventUri: z.string(), inviteeUris: z.array(z.string()) });
const calendlyDeliveries = z.object({
  deliveries: z.array(z.object({ event: z.string(), invitee: z.string(), attempt: z.number(), status: z.number().optional(), ok: z.boolean(), error: z.string().optional() })),
});
const calendlyRescheduled = z.object({ oldInviteeUri: z.string(), newInviteeUri: z.string().min(1), newEventUri: z.string().min(1) });
const stripeExpired = z.object({ session: z.object({ id: z.string(), status: z.string() }) });
/** The dashboard refund the emulator made: the refund itself, or wrapped as `{ refund }`. */
const stripeRefunded = z.union([z.object({ refund: z.object({ id: z.string(), status: z.string().nullable() }) }), z.object({ id: z.string(), status: z.string().nullable() }).transform((refund) => ({ refund }))]);
const stripeCompleted = z.object({ session: z.object({ id: z.string(), payment_status: z.string() }), payment_intent: z.object({ id: z.string() }) });
const stripeDeliveries = z.object({
  data: z.array(z.object({ eventType: z.string(), attempt: z.number(), status: z.number().nullable(), ok: z.boolean(), error: z.string().optional(), body: z.string() })),
});

export interface SandboxBases {
  calendly: string;
  stripe: string;
}

/** The emulators' URLs from the environment, or a ConfigError naming what is missing. */
export function sandboxBases(env: Record<string, string | undefined>): SandboxBases {
  const calendly = env.CALENDLY_API_BASE?.trim();
  const stripe = env.STRIPE_API_BASE?.trim();
  const missing = [!calendly && "CALENDLY_API_BASE", !stripe && "STRIPE_API_BASE"].filter(Boolean);
  if (missing.length) {
    throw new ConfigError(
      `The sandbox driver needs ${missing.join(" and ")}: the emulators' URLs, whose control routes play the invitee and the customer.`,
      "Run inside the sandbox (`bookflow sandbox run -- scenarios run`, or with the environment `bookflow sandbox` prints), or use --driver staging.",
      "ENV_MISSING",
    );
  }
  return { calendly: calendly!, stripe: stripe! };
}

/** Whether both emulators' control routes answer (a real Calendly or Stripe has none). */
export async function controlRoutesAnswer(bases: SandboxBases): Promise<boolean> {
  try {
    const [c, s] = await Promise.all([http(joinUrl(bases.calendly, "/_control/deliveries"), { timeoutMs: 2000 }), http(joinUrl(bases.stripe, "/_control/webhook_endpoints"), { timeoutMs: 2000 })]);
    return calendlyDeliveries.safeParse(c.json).success && c.status === 200 && s.status === 200;
  } catch {
    return false;
  }
}

export function createSandboxDriver(bases: SandboxBases): ScenarioDriver {
  return {
    name: "sandbox",
    calendlyHasRecords: true,
    paysThroughCheckout: true,

    async book(req: BookRequest): Promise<Booked> {
      const answer = await http(joinUrl(bases.calendly, "/_control/book"), {
        body: { eventTypeUri: req.eventTypeUri, email: req.email, name: req.name, startTime: req.startTime, tracking: { utm_campaign: req.runTag } },
      });
      const booked = expectJson(answer, calendlyBooked, "Booking through the Calendly emulator", [200, 201]);
      return { ...booked, message: `booked ${req.eventName} at ${req.startTime} as ${req.email} in Calendly (invitee ${booked.inviteeUri})` };
    },

    async pay(req: PayRequest): Promise<Paid> {
      const answer = await http(joinUrl(bases.stripe, `/_control/checkout/sessions/${encodeURIComponent(req.checkoutSessionId)}/complete`), {
        body: { customerEmail: req.email, ...(req.name ? { customerName: req.name } : {}) },
      });
      const paid = expectJson(answer, stripeCompleted, `Paying Checkout session ${req.checkoutSessionId} in the Stripe emulator`);
      return {
        message: `paid Checkout session ${paid.session.id} (payment intent ${paid.payment_intent.id})`,
        paymentIntentId: paid.payment_intent.id,
        paymentEvent: { type: "checkout.session.completed", objectId: paid.session.id },
      };
    },

    async cancel(req: CancelRequest) {
      const answer = await http(joinUrl(bases.calendly, "/_control/cancel"), { body: { inviteeUri: req.inviteeUri, reason: req.reason, cancelerType: "invitee" } });
      const canceled = expectJson(answer, calendlyCanceled, "Cancelling through the Calendly emulator");
      return { message: `cancelled in Calendly as the invitee (${canceled.inviteeUris.length} invitee)` };
    },

    async reschedule(req: RescheduleRequest) {
      const answer = await http(joinUrl(bases.calendly, "/_control/reschedule"), { body: { inviteeUri: req.inviteeUri, startTime: req.startTime, eventTypeUri: req.eventTypeUri } });
      const moved = expectJson(answer, calendlyRescheduled, "Rescheduling through the Calendly emulator", [200, 201]);
      return { ...moved, message: `rescheduled in Calendly as the invitee to ${req.startTime} (new invitee ${moved.newInviteeUri})` };
    },

    async expireCheckout(req: ExpireRequest) {
      const answer = await http(joinUrl(bases.stripe, `/_control/checkout/sessions/${encodeURIComponent(req.checkoutSessionId)}/expire`), { body: {} });
      const expired = expectJson(answer, stripeExpired, `Expiring Checkout session ${req.checkoutSessionId} in the Stripe emulator`);
      return { message: `Checkout session ${expired.session.id} is ${expired.session.status} in Stripe (never paid)` };
    },

    async refundOutside(req: OutsideRefundRequest) {
      const answer = await http(joinUrl(bases.stripe, "/_control/refunds"), { body: { paymentIntentId: req.paymentIntentId } });
      const { refund } = expectJson(answer, stripeRefunded, `Refunding ${req.paymentIntentId} as the Stripe dashboard would`, [200, 201]);
      return { message: `refunded ${req.paymentIntentId} in full from the Stripe dashboard (refund ${refund.id}, ${refund.status ?? "no status"})`, refundId: refund.id };
    },

    async deliveryNotes(about: DeliveryQuestion): Promise<string[]> {
      const notes: string[] = [];
      const wanted = about.events ?? [];
      if (about.inviteeUri) {
        try {
          const log = calendlyDeliveries.parse((await http(joinUrl(bases.calendly, "/_control/deliveries"), { timeoutMs: 3000 })).json);
          const mine = log.deliveries.filter((d) => d.invitee === about.inviteeUri);
          notes.push(...summarize("Calendly", mine.map((d) => ({ type: d.event, attempt: d.attempt, ok: d.ok, status: d.status ?? null, error: d.error }))));
          for (const e of wanted.filter((w) => w.startsWith("invitee.") && !mine.some((d) => d.event === w))) {
            notes.push(`Calendly sent no ${e} delivery for this invitee (does the webhook subscription include ${e}, and is it active?)`);
          }
        } catch (err) {
          notes.push(`Calendly delivery log unreadable: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
      const needles = [about.bookingId, about.checkoutSessionId].filter((x): x is string => !!x);
      if (needles.length) {
        try {
          const log = stripeDeliveries.parse((await http(joinUrl(bases.stripe, "/_control/deliveries"), { timeoutMs: 3000 })).json);
          const mine = log.data.filter((d) => needles.some((n) => d.body.includes(n)));
          notes.push(...summarize("Stripe", mine.map((d) => ({ type: d.eventType, attempt: d.attempt, ok: d.ok, status: d.status, error: d.error }))));
          for (const e of wanted.filter((w) => !w.startsWith("invitee.") && !mine.some((d) => d.eventType === w))) {
            notes.push(`Stripe sent no ${e} delivery for this booking (is the webhook endpoint enabled and subscribed to ${e}?)`);
          }
        } catch (err) {
          notes.push(`Stripe delivery log unreadable: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
      return notes;
    },
  };
}

interface Attempt {
  type: string;
  attempt: number;
  ok: boolean;
  status: number | null;
  error?: string | undefined;
}

/** Per event type, the outcome of its deliveries: "Stripe checkout.session.completed: answered 401 (4 attempts)". */
function summarize(provider: string, attempts: Attempt[]): string[] {
  const byType = new Map<string, Attempt[]>();
  for (const a of attempts) byType.set(a.type, [...(byType.get(a.type) ?? []), a]);
  return [...byType].map(([type, list]) => {
    const last = list[list.length - 1]!;
    const outcome = last.ok ? `delivered (${last.status})` : last.status !== null ? `answered ${last.status}` : `failed (${last.error ?? "no answer"})`;
    return `${provider} ${type}: ${outcome}${list.length > 1 ? ` (${list.length} attempts)` : ""}`;
  });
}
