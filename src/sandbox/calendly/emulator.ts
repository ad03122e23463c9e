/**
 * The sandbox's Calendly: the API v2 endpoints bookflow uses, with Calendly's
 * shapes, errors and pagination, plus real, signed webhook deliveries.
 *
 * Identifiers are Calendly's canonical URIs (https://api.calendly.com/…)
 * whatever host the emulator listens on; pagination links point at the
 * emulator itself, as a real server's would.
 *
 * It plays an invitee's life as Calendly documents it: booked
 * (invitee.created); canceled by the invitee or the host (invitee.canceled; a
 * second cancellation of the event is a 403); rescheduled (invitee.canceled of
 * the old invitee with `rescheduled: true` and `new_invitee`, its event
 * canceled, then invitee.created of a new invitee on a new event with
 * `old_invitee`); marked as a no-show and unmarked (`/invitee_no_shows`,
 * invitee_no_show.created / .deleted with the Invitee, its `no_show` set or
 * null, to the subscriptions that list those events).
 *
 * A control API (no auth, under /_control, and as methods on the returned
 * object) books, cancels and reschedules meetings the way an invitee or host
 * would in Calendly's UI, marks and unmarks no-shows, and exposes the delivery
 * log: `POST /_control/book`, `/cancel`, `/reschedule` `{ inviteeUri,
 * startTime, eventTypeUri? }`, `/no-show` `{ inviteeUri }`, `/no-show/remove`
 * `{ inviteeUri }`, `/subscription_state`, `/scheduled_events` (bulk seed),
 * `/idle`; `GET /_control/signing_key?uri=`, `/deliveries`.
 *
 * This module is the wiring: state and its changes in store.ts, resources and
 * pages in render.ts, auth, errors and query parsing in pipeline.ts, one route
 * module per resource in routes/, the control API in control.ts.
 */
import { startEmulator, type Route, type RunningEmulator } from "../emulator-server.js";
import { controlRoutes, createControlApi } from "./control.js";
import { authenticate, calendlyFaultAnswer, notFound } from "./pipeline.js";
import { eventTypeRoutes } from "./routes/event-types.js";
import { inviteeNoShowRoutes } from "./routes/invitee-no-shows.js";
import { inviteeRoutes } from "./routes/invitees.js";
import { organizationRoutes } from "./routes/organizations.js";
import { scheduledEventRoutes } from "./routes/scheduled-events.js";
import { userRoutes } from "./routes/users.js";
import { webhookSubscriptionRoutes } from "./routes/webhook-subscriptions.js";
import { createCalendlyStore } from "./store.js";
import {
  CALENDLY_CANONICAL_BASE as BASE,
  type BookInput,
  type BookResult,
  type BulkEventsOptions,
  type CalendlyEmulatorOptions,
  type CancelInput,
  type CancelResult,
  type DeliveryAttempt,
  type NoShowResult,
  type RescheduleInput,
  type RescheduleResult,
  type SubscriptionState,
} from "./types.js";

export { CALENDLY_CANONICAL_BASE, CalendlyEmulatorError, EMULATED_WEBHOOK_EVENTS, SUBSCRIPTION_SCOPES, WEBHOOK_EVENT_SCOPES } from "./types.js";
export type {
  BookInput,
  BookResult,
  BulkEventsOptions,
  CalendlyEmulatorOptions,
  CancelInput,
  CancelResult,
  DeliveryAttempt,
  EmulatedEventTypeInput,
  EmulatedUserInput,
  NoShowResult,
  RescheduleInput,
  RescheduleResult,
  SubscriptionState,
} from "./types.js";

export interface CalendlyEmulator extends RunningEmulator {
  /** The canonical URIs of the emulated user and organization. */
  userUri: string;
  organizationUri: string;
  book(input: BookInput): Promise<BookResult>;
  cancel(input: CancelInput): Promise<CancelResult>;
  /** The invitee picks a new time: invitee.canceled (rescheduled) of the old invitee, then invitee.created of the new one. */
  reschedule(input: RescheduleInput): Promise<RescheduleResult>;
  /** The host marks the invitee as a no-show (invitee_no_show.created). */
  markNoShow(inviteeUri: string): Promise<NoShowResult>;
  /** The host removes the mark (invitee_no_show.deleted). */
  unmarkNoShow(inviteeUri: string): Promise<NoShowResult>;
  setSubscriptionState(uri: string, state: SubscriptionState): void;
  /** A subscription's signing key (Calendly never shows it through the API). */
  signingKey(uri: string): string | undefined;
  deliveries(): DeliveryAttempt[];
  /** Resolves when no delivery (first attempt or retry) is pending. */
  idle(): Promise<void>;
  /** Bulk seed: n events with one invitee each, no webhooks. */
  addScheduledEvents(n: number, options?: BulkEventsOptions): BookResult[];
  scheduledEventCount(): number;
}

export async function startCalendlyEmulator(options: CalendlyEmulatorOptions): Promise<CalendlyEmulator> {
  const store = createCalendlyStore(options);
  const control = createControlApi(store);
  const routes: Route[] = [
    ...userRoutes(store),
    ...organizationRoutes(store),
    ...eventTypeRoutes(store),
    ...scheduledEventRoutes(store),
    ...inviteeRoutes(store),
    ...inviteeNoShowRoutes(store),
    ...webhookSubscriptionRoutes(store),
    ...controlRoutes(store, control),
  ];

  const server = await startEmulator({
    name: "calendly",
    routes,
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.faults ? { faults: options.faults } : {}),
    ...(options.random ? { random: options.random } : {}),
    notFound: () => notFound(),
    faultAnswer: calendlyFaultAnswer,
    authenticate: authenticate(options.token),
  });

  return {
    ...server,
    userUri: store.user.uri,
    organizationUri: store.organizationUri,
    book: control.book,
    cancel: control.cancel,
    reschedule: control.reschedule,
    markNoShow: control.markNoShow,
    unmarkNoShow: control.unmarkNoShow,
    setSubscriptionState: control.setSubscriptionState,
    signingKey: (uri) => store.subscriptions.get(uri.replace(`${BASE}/webhook_subscriptions/`, ""))?.signingKey,
    deliveries: () => store.deliveryLog.map((d) => ({ ...d })),
    idle: () => store.idle(),
    addScheduledEvents: control.addScheduledEvents,
    scheduledEventCount: () => store.sorted.size,
    async close() {
      await store.close();
      await server.close();
    },
  };
}
