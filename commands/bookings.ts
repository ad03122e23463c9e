import type { Command } from "commander";
import { registerBookingsReconcile } from "./bookings/reconcile.js";
import { registerBookingsSupport } from "./bookings/support.js";

/** `bookflow bookings …`: list, show, reprocess, cancel, reconcile. */
export function registerBookings(program: Command): void {
  const bookings = program
    .command("bookings")
    .description("support operations on bookings: list, show, reprocess, cancel, reconcile (audited)");
  registerBookingsSupport(bookings);
  registerBookingsReconcile(bookings);
}
