/**
 * How the Calendly emulator renders its records as API resources (event types,
 * scheduled events, invitees, no-show marks, webhook subscriptions), and
 * Calendly's pagination (links back to the emulator, offset pages for the small
 * collections).
 */
import type { EmulatorRequest, EmulatorResponse } from "../emulator-server.js";
import { Refusal, invalid, json, parseCount } from "./pipeline.js";
import { calendlyTime, type EventRecord, type EventTypeRecord, type InviteeRecord, type NoShowRecord, type SubscriptionRecord, type UserResource } from "./records.js";

export const renderEventType = (et: EventTypeRecord, user: UserResource) => ({
  uri: et.uri,
  name: et.name,
  active: et.active,
  booking_method: "instant",
  slug: et.slug,
  scheduling_url: `https://calendly.com/${user.slug}/${et.slug}`,
  duration: et.duration,
  kind: "solo",
  pooling_type: null,
  type: "StandardEventType",
  color: "#0069ff",
  created_at: et.createdAt,
  updated_at: et.createdAt,
  internal_note: null,
  description_plain: null,
  description_html: null,
  profile: { type: "User", name: user.name, owner: user.uri },
  secret: false,
  deleted_at: null,
  admin_managed: false,
  custom_questions: [],
});

export const renderEvent = (e: EventRecord, user: UserResource) => {
  const active = e.invitees.filter((i) => i.status === "active").length;
  return {
    uri: e.uri,
    name: e.name,
    meeting_notes_plain: null,
    meeting_notes_html: null,
    status: e.status,
    start_time: calendlyTime(e.startMs),
    end_time: calendlyTime(e.endMs),
    event_type: e.eventTypeUri,
    location: { type: "custom", location: "Online" },
    invitees_counter: { total: e.invitees.length, active, limit: 1 },
    created_at: e.createdAt,
    updated_at: e.updatedAt,
    event_memberships: [{ user: user.uri, user_email: user.email, user_name: user.name }],
    event_guests: [],
    ...(e.cancellation ? { cancellation: { ...e.cancellation } } : {}),
  };
};

export const renderInvitee = (i: InviteeRecord, e: EventRecord) => {
  const [first, ...rest] = i.name.trim().split(/\s+/);
  return {
    uri: i.uri,
    email: i.email,
    name: i.name,
    first_name: first ?? null,
    last_name: rest.length ? rest.join(" ") : null,
    status: i.status,
    timezone: i.timezone,
    event: e.uri,
    created_at: i.createdAt,
    updated_at: i.updatedAt,
    cancel_url: `https://calendly.com/cancellations/${i.uuid}`,
    reschedule_url: `https://calendly.com/reschedulings/${i.uuid}`,
    rescheduled: i.rescheduled,
    old_invitee: i.oldInvitee,
    new_invitee: i.newInvitee,
    questions_and_answers: i.questions.map((q, position) => ({ question: q.question, answer: q.answer, position })),
    tracking: { utm_campaign: null, utm_source: null, utm_medium: null, utm_content: null, utm_term: null, salesforce_uuid: null, ...(i.tracking ?? {}) },
    text_reminder_number: null,
    no_show: i.noShow ? { uri: i.noShow.uri, created_at: i.noShow.createdAt } : null,
    reconfirmation: null,
    routing_form_submission: null,
    payment: null,
    scheduling_method: null,
    invitee_scheduled_by: null,
    ...(i.cancellation ? { cancellation: { ...i.cancellation } } : {}),
  };
};

/** The InviteeNoShow resource. */
export const renderNoShow = (n: NoShowRecord) => ({ uri: n.uri, invitee: n.inviteeUri, created_at: n.createdAt });

export const renderSubscription = (s: SubscriptionRecord) => ({
  uri: s.uri,
  callback_url: s.callbackUrl,
  created_at: s.createdAt,
  updated_at: s.updatedAt,
  retry_started_at: s.retryStartedAt,
  state: s.state,
  events: [...s.events],
  scope: s.scope,
  organization: s.organization,
  user: s.user,
  group: s.group,
  creator: s.creator,
});

/** `http://<host it was reached at><path>?<query with page_token set>` */
export function pageLink(req: EmulatorRequest, token: string | null): string | null {
  if (token === null) return null;
  const params = new URLSearchParams(req.query);
  params.set("page_token", token);
  return `http://${req.headers.host ?? "127.0.0.1"}${req.path}?${params.toString()}`;
}

export function pagination(req: EmulatorRequest, count: number, next: string | null, prev: string | null) {
  return {
    count,
    next_page: pageLink(req, next),
    previous_page: pageLink(req, prev),
    next_page_token: next,
    previous_page_token: prev,
  };
}

/** Offset pages for the small collections (event types, invitees, subscriptions). */
export function offsetPage<T>(req: EmulatorRequest, items: T[], render: (item: T) => unknown): EmulatorResponse {
  const count = parseCount(req.query);
  const token = req.query.get("page_token");
  let offset = 0;
  if (token !== null) {
    const m = /^o:(\d+)$/.exec(Buffer.from(token, "base64url").toString("utf8"));
    if (!m) throw new Refusal(invalid([{ parameter: "page_token", message: "is invalid" }]));
    offset = Number(m[1]);
  }
  const slice = items.slice(offset, offset + count);
  const enc = (o: number) => Buffer.from(`o:${o}`, "utf8").toString("base64url");
  const next = offset + count < items.length ? enc(offset + count) : null;
  const prev = offset > 0 ? enc(Math.max(0, offset - count)) : null;
  return json(200, { collection: slice.map(render), pagination: pagination(req, slice.length, next, prev) });
}
