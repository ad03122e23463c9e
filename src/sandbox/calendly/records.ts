/**
 * The Calendly emulator's records as its store keeps them (the host user, event
 * types, scheduled events, invitees, cancellations, no-show marks, webhook
 * subscriptions), and Calendly's timestamp style.
 */
import type { EmulatedEventTypeInput, SubscriptionScope, SubscriptionState } from "./types.js";

/** The host user, kept as the API renders it (`GET /users/me`). */
export interface UserResource {
  uri: string;
  name: string;
  slug: string;
  email: string;
  scheduling_url: string;
  timezone: string;
  avatar_url: null;
  created_at: string;
  updated_at: string;
  current_organization: string;
  resource_type: string;
  locale: string;
}

export type EventTypeRecord = EmulatedEventTypeInput & { createdAt: string };

export interface Cancellation {
  canceled_by: string;
  reason: string | null;
  canceler_type: "host" | "invitee";
  created_at: string;
}

/** An InviteeNoShow: the host's mark that an invitee did not come (`/invitee_no_shows/{uuid}`). */
export interface NoShowRecord {
  uuid: string;
  uri: string;
  inviteeUri: string;
  createdAt: string;
}

export interface InviteeRecord {
  uuid: string;
  uri: string;
  email: string;
  name: string;
  status: "active" | "canceled";
  timezone: string;
  questions: { question: string; answer: string }[];
  /** Only the values given; the rest render as null. */
  tracking: Record<string, string | null> | null;
  createdAt: string;
  updatedAt: string;
  cancellation: Cancellation | null;
  /** Canceled by a reschedule: true, with `newInvitee` the invitee of the new event. */
  rescheduled: boolean;
  /** The invitee this one was rescheduled from (the new invitee of a reschedule). */
  oldInvitee: string | null;
  newInvitee: string | null;
  noShow: NoShowRecord | null;
}

export interface EventRecord {
  uuid: string;
  uri: string;
  startMs: number;
  endMs: number;
  name: string;
  eventTypeUri: string;
  status: "active" | "canceled";
  createdAt: string;
  updatedAt: string;
  cancellation: Cancellation | null;
  invitees: InviteeRecord[];
}

export interface SubscriptionRecord {
  uuid: string;
  uri: string;
  callbackUrl: string;
  events: string[];
  scope: SubscriptionScope;
  organization: string;
  user: string | null;
  /** The group a `group`-scope subscription is tied to (the emulated host belongs to every group). */
  group: string | null;
  creator: string;
  state: SubscriptionState;
  signingKey: string;
  createdAt: string;
  updatedAt: string;
  retryStartedAt: string | null;
}

/** Calendly's timestamp style: microseconds, UTC. */
export function calendlyTime(d: Date | number): string {
  return new Date(d).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}
