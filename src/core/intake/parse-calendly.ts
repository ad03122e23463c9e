/**
 * Calendly deliveries → parsed events. The envelope (`{ event, payload }`) is
 * enough to record any event; invitee.created and invitee.canceled are read
 * whole (webhook-payloads.ts has the schemas, after Calendly's documented
 * invitee payload).
 */
import { createHash } from "node:crypto";
import { calendlyEnvelopeSchema, calendlyInviteeEventSchema, calendlyNoShowEventSchema, formatIssues, type CalendlyInviteeEvent, type CalendlyNoShowEvent } from "../webhook-payloads.js";
import type { CalendlyCanceled, CalendlyCreated, NoShow, ParseResult } from "./events.js";
import { stringField } from "./parse-fields.js";

/** Run tags mark data created by `bookflow scenarios` (so `--cleanup` removes exactly that): `bookflow-<run id>`. */
export const RUN_TAG_PATTERN = /^bookflow-[A-Za-z0-9_-]{1,64}$/;

function runTagOf(campaign: string | null | undefined): string | null {
  return campaign && RUN_TAG_PATTERN.test(campaign) ? campaign : null;
}

export function parseCalendly(body: unknown): ParseResult {
  const env = calendlyEnvelopeSchema.safeParse(body);
  if (!env.success) return { ok: false, type: stringField(body, "event"), providerEventId: null, issues: formatIssues(env.error) };
  const type = env.data.event;
  if (type === "invitee_no_show.created" || type === "invitee_no_show.deleted") return parseNoShow(body, type);
  if (type !== "invitee.created" && type !== "invitee.canceled") {
    // Events the intake does not act on are recorded once: by their payload's URI, else by their content.
    const id = env.data.payload.uri ?? `sha256:${createHash("sha256").update(JSON.stringify(body)).digest("hex").slice(0, 32)}`;
    return { ok: true, event: { provider: "calendly", type, providerEventId: `${type}:${id}`, body, action: { kind: "other" } } };
  }
  const parsed = calendlyInviteeEventSchema.safeParse(body);
  if (!parsed.success) return { ok: false, type, providerEventId: null, issues: formatIssues(parsed.error) };
  const action = type === "invitee.created" ? createdAction(parsed.data) : canceledAction(parsed.data);
  return { ok: true, event: { provider: "calendly", type, providerEventId: `${type}:${parsed.data.payload.uri}`, body, action } };
}

function createdAction({ payload: p }: CalendlyInviteeEvent): CalendlyCreated {
  return {
    kind: "invitee.created",
    inviteeUri: p.uri,
    eventUri: p.event,
    eventTypeUri: p.scheduled_event.event_type,
    email: p.email,
    name: p.name ?? null,
    startTime: new Date(p.scheduled_event.start_time),
    endTime: new Date(p.scheduled_event.end_time),
    runTag: runTagOf(p.tracking?.utm_campaign),
    oldInviteeUri: p.old_invitee ?? null,
  };
}

/**
 * A no-show mark or its removal. Recorded once per change: by the mark's URI when the payload names it, else by
 * the invitee and the change's time (a mark removed and made again is a new change).
 */
function parseNoShow(body: unknown, type: "invitee_no_show.created" | "invitee_no_show.deleted"): ParseResult {
  const parsed = calendlyNoShowEventSchema.safeParse(body);
  if (!parsed.success) return { ok: false, type, providerEventId: null, issues: formatIssues(parsed.error) };
  const action = noShowAction(parsed.data);
  const p = parsed.data.payload;
  const id = p.markUri ?? `${p.inviteeUri}@${parsed.data.created_at ?? "?"}`;
  return { ok: true, event: { provider: "calendly", type, providerEventId: `${type}:${id}`, body, action } };
}

function noShowAction(event: CalendlyNoShowEvent): NoShow {
  const p = event.payload;
  const at = event.created_at ?? p.markAt ?? null;
  return { kind: "no-show", inviteeUri: p.inviteeUri, marked: event.event === "invitee_no_show.created", at: at ? new Date(at) : null };
}

function canceledAction(event: CalendlyInviteeEvent): CalendlyCanceled {
  const p = event.payload;
  const c = p.cancellation ?? null;
  const at = c?.created_at ?? event.created_at ?? null;
  return {
    kind: "invitee.canceled",
    inviteeUri: p.uri,
    reason: c?.reason ?? null,
    canceledBy: c?.canceled_by ?? null,
    cancelerType: c?.canceler_type ?? null,
    at: at ? new Date(at) : null,
    rescheduled: p.rescheduled === true,
    newInviteeUri: p.new_invitee ?? null,
  };
}
