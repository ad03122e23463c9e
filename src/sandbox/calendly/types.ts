/**
 * The Calendly emulator's public vocabulary: its options, the control API's
 * inputs and results, the delivery log's entries, the canonical base and the
 * emulated webhook events, and the control API's error class. emulator.ts
 * re-exports all of it; the emulator's modules import it from here.
 */
import type { Faults } from "../emulator-server.js";

export const CALENDLY_CANONICAL_BASE = "https://api.calendly.com";

/**
 * The webhook events a subscription can list, and the subscription scopes each allows, as Calendly's API
 * reference documents them (POST /webhook_subscriptions). The emulator delivers the invitee ones
 * (`invitee.*`, `invitee_no_show.*`); the others are accepted and never fire.
 */
export const WEBHOOK_EVENT_SCOPES = {
  "invitee.created": ["organization", "user", "group"],
  "invitee.canceled": ["organization", "user", "group"],
  "invitee_no_show.created": ["organization", "user", "group"],
  "invitee_no_show.deleted": ["organization", "user", "group"],
  "event_type.created": ["organization", "user", "group"],
  "event_type.deleted": ["organization", "user", "group"],
  "event_type.updated": ["organization", "user", "group"],
  "meeting_recap.created": ["user"],
  "meeting_recap.updated": ["user"],
  "meeting_recap.deleted": ["user"],
  "routing_form_submission.created": ["organization"],
  "contact.created": ["organization", "user", "group"],
  "contact.updated": ["organization", "user", "group"],
  "contact.deleted": ["organization", "user", "group"],
} as const satisfies Record<string, readonly SubscriptionScope[]>;

export type SubscriptionScope = "organization" | "user" | "group";
export const SUBSCRIPTION_SCOPES = ["organization", "user", "group"] as const satisfies readonly SubscriptionScope[];

export const EMULATED_WEBHOOK_EVENTS = Object.keys(WEBHOOK_EVENT_SCOPES) as (keyof typeof WEBHOOK_EVENT_SCOPES)[];

export interface EmulatedUserInput {
  uri?: string;
  name?: string;
  slug?: string;
  email?: string;
  timezone?: string;
}

export interface EmulatedEventTypeInput {
  uri: string;
  name: string;
  slug: string;
  /** Minutes. */
  duration: number;
  active: boolean;
}

export interface CalendlyEmulatorOptions {
  port?: number;
  /** The only Bearer token accepted. */
  token: string;
  organizationName?: string;
  user?: EmulatedUserInput;
  eventTypes: EmulatedEventTypeInput[];
  faults?: Faults;
  /**
   * Retries of a failed delivery (non-2xx or network error) after the first attempt. Default 3. Calendly
   * retries with exponential back-off for 24 hours; the emulator plays that schedule time-scaled: these
   * retries, `deliveryRetryDelayMs` apart, doubling.
   */
  deliveryRetries?: number;
  /** Delay before the first delivery retry, doubled for each next one. Default 200. */
  deliveryRetryDelayMs?: number;
  /** Disable the subscription (`state: "disabled"`) when a delivery's retries run out, as Calendly does after 24 hours. Default true. */
  disableAfterRetries?: boolean;
  /** Per delivery attempt. Default 5000. */
  deliveryTimeoutMs?: number;
  /** Deliver webhooks to non-loopback hosts too (default false, as the Stripe emulator). */
  allowNonLoopbackDelivery?: boolean;
  /** Timestamps of resources, envelopes and signatures. Default the system clock. */
  clock?: { now(): Date };
  /** Random source for fault injection. */
  random?: () => number;
}

export interface BookInput {
  eventTypeUri: string;
  email: string;
  name: string;
  startTime: Date | string;
  questions?: { question: string; answer: string }[];
  tracking?: Partial<Record<"utm_campaign" | "utm_source" | "utm_medium" | "utm_content" | "utm_term" | "salesforce_uuid", string | null>>;
  timezone?: string;
}

export interface BookResult {
  eventUri: string;
  inviteeUri: string;
}

export type CancelInput = ({ inviteeUri: string; eventUri?: undefined } | { eventUri: string; inviteeUri?: undefined }) & {
  reason: string;
  canceledBy?: string;
  cancelerType?: "host" | "invitee";
};

export interface CancelResult {
  eventUri: string;
  /** The invitees this cancellation canceled (one invitee.canceled delivery round each). */
  inviteeUris: string[];
}

/** An invitee picks a new time: Calendly cancels it (rescheduled) and books a new invitee on a new event. */
export interface RescheduleInput {
  inviteeUri: string;
  startTime: Date | string;
  /** Default: the old event's event type. */
  eventTypeUri?: string;
  /** The invitee's reason for rescheduling (the old invitee's cancellation reason); default none. */
  reason?: string;
}

export interface RescheduleResult {
  oldInviteeUri: string;
  newInviteeUri: string;
  newEventUri: string;
}

/** A no-show mark made or removed. */
export interface NoShowResult {
  /** The InviteeNoShow's uri (`https://api.calendly.com/invitee_no_shows/<uuid>`). */
  noShowUri: string;
  inviteeUri: string;
}

export interface BulkEventsOptions {
  /** Default: the first event type. */
  eventTypeUri?: string;
  /** Start of the first event; default the clock's now, rounded up to the next hour. */
  firstStart?: Date | string;
  /** Minutes between consecutive events. Default 60. */
  intervalMinutes?: number;
  /** Every nth event (1-based) is canceled; 0 = none. Default 0. */
  cancelEvery?: number;
  /** Invitee email of the ith event (0-based). Default `invitee<i>@example.com`. */
  email?: (i: number) => string;
  name?: (i: number) => string;
}

export interface DeliveryAttempt {
  subscription: string;
  url: string;
  event: string;
  /** The invitee the delivery is about. */
  invitee: string;
  attempt: number;
  /** HTTP status; undefined when the request failed before an answer. */
  status?: number;
  ok: boolean;
  error?: string;
  at: string;
}

export type SubscriptionState = "active" | "disabled";

/** An error of the control API (and the matching method). */
export class CalendlyEmulatorError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    message: string,
  ) {
    super(message);
    this.name = "CalendlyEmulatorError";
  }
}
