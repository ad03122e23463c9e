import type { Command } from "commander";
import { registerBookingsCancel } from "./bookings/cancel.js";
import { registerBookingsList } from "./bookings/list.js";
import { registerBookingsReconcile } from "./bookings/reconcile.js";
import { registerBookingsReprocess } from "./bookings/reprocess.js";
import { registerBookingsResolveReview } from "./bookings/resolve-review.js";
import { registerBookingsShow } from "./bookings/show.js";

/** `bookflow bookings …`: list, show, reprocess, cancel, reconcile, resolve-review. */
export function registerBookings(program: Command): void {
  const bookings = program
    .command("bookings")
    .description("support operations on bookings: list, show, reprocess, cancel, reconcile, resolve-review (audited)");
  registerBookingsList(bookings);
  registerBookingsShow(bookings);
  registerBookingsReprocess(bookings);
  registerBookingsCancel(bookings);
  registerBookingsReconcile(bookings);
  registerBookingsResolveReview(bookings);
}
