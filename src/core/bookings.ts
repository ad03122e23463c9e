/**
 * Small booking services for the app and the commands: finding bookings by
 * whatever identifier support has at hand, and attaching a Stripe Checkout
 * session to a paid booking.
 */
import type { Booking, PrismaClient } from "../generated/prisma/client.js";
import { likeLiteral } from "../db/sql.js";

export type BookingIdentifierKind = "email" | "uri" | "checkout-session" | "payment-intent" | "id";

/** What kind of identifier a support query looks like. */
export function identifierKind(query: string): BookingIdentifierKind {
  const q = query.trim();
  if (/^https?:\/\//i.test(q)) return "uri";
  if (/^cs_/.test(q)) return "checkout-session";
  if (/^pi_/.test(q)) return "payment-intent";
  if (q.includes("@")) return "email";
  return "id";
}

/**
 * Bookings matching an id, a Calendly invitee or scheduled-event URI, a Stripe
 * Checkout session or payment intent id, or an invitee email (case-insensitive).
 * Always a list (an email or a scheduled event can have several), newest first.
 */
export async function findBooking(prisma: PrismaClient, idOrEmailOrUri: string, options: { limit?: number } = {}): Promise<Booking[]> {
  const q = idOrEmailOrUri.trim();
  if (!q) return [];
  const take = options.limit ?? 100;
  const orderBy = { createdAt: "desc" } as const;
  switch (identifierKind(q)) {
    case "uri":
      return prisma.booking.findMany({ where: { OR: [{ calendlyInviteeUri: q }, { calendlyEventUri: q }] }, orderBy, take });
    case "checkout-session":
      return prisma.booking.findMany({ where: { stripeCheckoutSessionId: q }, take });
    case "payment-intent":
      return prisma.booking.findMany({ where: { stripePaymentIntentId: q }, take });
    case "email":
      return prisma.booking.findMany({ where: { inviteeEmail: { equals: likeLiteral(q), mode: "insensitive" } }, orderBy, take });
    case "id":
      return prisma.booking.findMany({ where: { id: q }, take });
  }
}

export type AttachCheckoutResult =
  | { attached: true }
  | { attached: false; reason: "not_found" | "already_attached"; existingSessionId: string | null };

/**
 * Records the Checkout session created for a paid booking. Only fills an empty
 * slot: a booking that already has a session (attached earlier, or recorded by
 * the checkout.session.completed webhook) keeps it.
 */
export async function attachCheckoutSession(prisma: PrismaClient, bookingId: string, checkoutSessionId: string): Promise<AttachCheckoutResult> {
  const { count } = await prisma.booking.updateMany({
    where: { id: bookingId, stripeCheckoutSessionId: null },
    data: { stripeCheckoutSessionId: checkoutSessionId },
  });
  if (count === 1) return { attached: true };
  const existing = await prisma.booking.findUnique({ where: { id: bookingId }, select: { stripeCheckoutSessionId: true } });
  if (!existing) return { attached: false, reason: "not_found", existingSessionId: null };
  if (existing.stripeCheckoutSessionId === checkoutSessionId) return { attached: true };
  return { attached: false, reason: "already_attached", existingSessionId: existing.stripeCheckoutSessionId };
}
