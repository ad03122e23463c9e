/**
 * The booking core's SchedulingGateway on Calendly's API: cancelling a
 * scheduled event frees its slot. An event already cancelled is not cancelled
 * twice (Calendly refuses that): it is read first, and answered as such.
 */
import type { SchedulingGateway } from "../core/ports.js";
import type { CalendlyClient } from "./calendly/client.js";

export function createCalendlyScheduling(client: Pick<CalendlyClient, "getScheduledEvent" | "cancelScheduledEvent">): SchedulingGateway {
  return {
    async cancelEvent(eventUri, reason) {
      const event = await client.getScheduledEvent(eventUri);
      if (event.status === "canceled") return { alreadyCanceled: true };
      await client.cancelScheduledEvent(eventUri, reason.slice(0, 10_000));
      return { alreadyCanceled: false };
    },
  };
}
