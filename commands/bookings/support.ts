import type { Command } from "commander";

/** `bookflow bookings list, show, reprocess, cancel`. */
export function registerBookingsSupport(bookings: Command): void {
  void bookings;
}
