import type { Command } from "commander";

/** `bookflow bookings reconcile`. */
export function registerBookingsReconcile(bookings: Command): void {
  void bookings;
}
