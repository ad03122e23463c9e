/**
 * Helpers for the `bookings` command tests: bookings made as an invitee would
 * (Calendly books, the sandbox app records them, Stripe Checkout pays), and a
 * handler runner that captures stdout/stderr.
 */
import { createContext, type Context } from "../../src/context.js";
import type { Database } from "../../src/db/client.js";
import type { Booking } from "../../src/generated/prisma/client.js";
import type { SandboxWorld } from "../../src/sandbox/world.js";
import type { BookingsDeps } from "../../commands/support/bookings-view.js";

export const FREE_EVENT_TYPE = "https://api.calendly.com/event_types/ada-intro-call";
export const PAID_EVENT_TYPE = "https://api.calendly.com/event_types/grace-code-review";
export const PAID_AMOUNT = 14900;

let counter = 0;

/** A start time `hoursAhead` from now, made unique per call (minutes apart). */
export function startIn(hoursAhead: number): Date {
  counter++;
  return new Date(Math.floor((Date.now() + hoursAhead * 3_600_000) / 60_000) * 60_000 + counter * 7 * 60_000);
}

export async function waitFor<T>(what: string, read: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: last ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function uniqueEmail(tag: string): string {
  return `${tag}.${Date.now().toString(36)}${(counter++).toString(36)}@example.com`;
}

/** A free booking: CONFIRMED/NOT_REQUIRED, confirmation email sent. */
export async function freeBooking(world: SandboxWorld, db: Database, options: { email?: string; hoursAhead?: number } = {}): Promise<Booking> {
  const email = options.email ?? uniqueEmail("free");
  const { inviteeUri } = await world.calendly.book({ eventTypeUri: FREE_EVENT_TYPE, email, name: "Free Person", startTime: startIn(options.hoursAhead ?? 72) });
  await world.calendly.idle();
  return waitFor("free booking", () => db.prisma.booking.findUnique({ where: { calendlyInviteeUri: inviteeUri } }), (b) => b?.status === "CONFIRMED") as Promise<Booking>;
}

/** A paid booking waiting for payment: PENDING/UNPAID with its Checkout session. */
export async function pendingBooking(world: SandboxWorld, db: Database, options: { email?: string; hoursAhead?: number } = {}): Promise<Booking> {
  const email = options.email ?? uniqueEmail("paid");
  const { inviteeUri } = await world.calendly.book({ eventTypeUri: PAID_EVENT_TYPE, email, name: "Paid Person", startTime: startIn(options.hoursAhead ?? 72) });
  await world.calendly.idle();
  return waitFor("checkout session", () => db.prisma.booking.findUnique({ where: { calendlyInviteeUri: inviteeUri } }), (b) => !!b?.stripeCheckoutSessionId) as Promise<Booking>;
}

/** A paid and confirmed booking: CONFIRMED/PAID, with its payment intent. */
export async function paidBooking(world: SandboxWorld, db: Database, options: { email?: string; hoursAhead?: number } = {}): Promise<Booking> {
  const pending = await pendingBooking(world, db, options);
  await world.stripe.completeCheckout(pending.stripeCheckoutSessionId!);
  await world.stripe.idle();
  return waitFor("payment", () => db.prisma.booking.findUnique({ where: { id: pending.id } }), (b) => b?.paymentStatus === "PAID" && !!b.stripePaymentIntentId) as Promise<Booking>;
}

export interface Captured {
  code: number;
  out: string;
  err: string;
}

/** Runs a handler with a captured context on the world's environment. */
export async function runHandler<O>(
  handler: (options: O, deps: BookingsDeps) => Promise<number>,
  options: O,
  world: SandboxWorld,
  extra: { env?: Record<string, string | undefined>; interactive?: boolean; ask?: (q: string) => Promise<boolean> } = {},
): Promise<Captured> {
  let out = "";
  let err = "";
  const ctx: Context = createContext({ env: { ...world.env, BOOKFLOW_ACTOR: "support@example.com", ...extra.env } as NodeJS.ProcessEnv, out: (t) => (out += t), err: (t) => (err += t) });
  const code = await handler(options, { ctx, interactive: extra.interactive ?? false, ...(extra.ask ? { ask: extra.ask } : {}) });
  return { code, out, err };
}

/** Counts the emails of one kind the SendGrid emulator received for a booking. */
export function inboxCount(world: SandboxWorld, bookingId: string, kind: string): number {
  return world.sendgrid.inbox().filter((m) => m.customArgs.bookingId === bookingId && m.customArgs.kind === kind).length;
}
