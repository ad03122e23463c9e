import type { Database } from "../db/client.js";
import { findBooking } from "../core/bookings.js";
import { UsageError } from "../errors.js";
import type { Booking } from "../generated/prisma/client.js";

/** A short line per booking, for "several bookings match". */
export function bookingLine(b: Pick<Booking, "id" | "inviteeEmail" | "startTime" | "status" | "paymentStatus">): string {
  return `${b.id}  ${b.startTime.toISOString()}  ${b.status}/${b.paymentStatus}  ${b.inviteeEmail}`;
}

/**
 * The one booking a query names: an id, an invitee email, a Calendly invitee or
 * event URI, a Stripe Checkout session (cs_…) or payment intent (pi_…).
 * None → UsageError NOT_FOUND; several → UsageError AMBIGUOUS listing them.
 */
export async function resolveOneBooking(db: Database, query: string, command: string): Promise<Booking> {
  const q = query.trim();
  if (!q) throw new UsageError("No booking given.", `Pass a booking id, invitee email, Calendly URI or Stripe id: \`bookflow ${command} <booking>\`.`, "BAD_ARGUMENT");
  const matches = await findBooking(db.prisma, q, { limit: 21 });
  if (matches.length === 0) {
    throw new UsageError(
      `No booking matches ${JSON.stringify(q)}.`,
      "Give a booking id, an invitee email, a Calendly invitee or event URI, or a Stripe cs_/pi_ id; `bookflow bookings list --email <address>` finds bookings by email.",
      "NOT_FOUND",
    );
  }
  if (matches.length > 1) {
    const shown = matches.slice(0, 20).map((b) => `    ${bookingLine(b)}`);
    throw new UsageError(
      `${matches.length > 20 ? "More than 20" : matches.length} bookings match ${JSON.stringify(q)}:\n${shown.join("\n")}`,
      `Pass one booking id: \`bookflow ${command} <id>\`.`,
      "AMBIGUOUS",
    );
  }
  return matches[0]!;
}
