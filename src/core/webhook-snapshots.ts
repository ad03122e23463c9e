/**
 * Webhook snapshots: what `bookflow webhooks disable` saves before it changes
 * anything, and what `bookflow webhooks restore` brings back. The file format
 * (versioned, validated with zod) and the two plans, as pure functions of the
 * current registrations and a snapshot. No I/O here: src/ops/webhook-switch.ts
 * reads the providers, writes the files and applies the plans.
 *
 * - Stripe endpoints are disabled in place (`disabled: true`): Stripe keeps
 *   their signing secrets, so restore only re-enables them.
 * - Calendly subscriptions cannot be disabled through the API: their full
 *   definition (URL, events, scope, organization, user, group) is saved, then
 *   they are deleted; restore re-creates them with CALENDLY_WEBHOOK_SIGNING_KEY
 *   (Calendly never shows a subscription's signing key, so the snapshot holds
 *   only a short fingerprint of the key configured when it was taken).
 *
 * Both plans are decided from the current state, so a run that stopped half
 * way, run again, does only what is left and never creates a duplicate.
 */
import { z } from "zod";
import { WEBHOOK_PROVIDER_IDS, type WebhookProviderId } from "../config/webhook-provider-ids.js";
import { sameWebhookUrl } from "../config/webhook-urls.js";
import type { CalendlyRegistration, StripeRegistration } from "../providers/webhook-registrations.js";

export const SNAPSHOT_FORMAT = "bookflow.webhook-snapshot";
export const SNAPSHOT_VERSION = 1;

const isoDate = z.string().refine((v) => !Number.isNaN(Date.parse(v)), { message: "must be an ISO date" });
const providerName = z.enum(WEBHOOK_PROVIDER_IDS);

export const calendlySnapshotItemSchema = z.object({
  /** The subscription URI when the snapshot was taken (a re-created one gets a new URI). */
  id: z.string().min(1),
  url: z.url({ message: "must be a URL" }),
  events: z.array(z.string().min(1)).min(1),
  state: z.enum(["active", "disabled"]),
  scope: z.enum(["user", "organization", "group"]),
  organization: z.string().min(1),
  user: z.string().nullable(),
  group: z.string().nullable(),
  createdAt: z.string(),
});

export const stripeSnapshotItemSchema = z.object({
  /** `we_…` */
  id: z.string().min(1),
  url: z.url({ message: "must be a URL" }),
  events: z.array(z.string().min(1)).min(1),
  /** The state before the disable: a disabled endpoint stays disabled after a restore. */
  state: z.enum(["enabled", "disabled"]),
  description: z.string().nullable(),
  metadata: z.record(z.string(), z.string()),
  apiVersion: z.string().nullable(),
  livemode: z.boolean(),
  createdAt: z.string(),
});

export const webhookSnapshotSchema = z.object({
  format: z.literal(SNAPSHOT_FORMAT),
  version: z.literal(SNAPSHOT_VERSION),
  /** The file's base name (a UTC timestamp). */
  id: z.string().min(1),
  createdAt: isoDate,
  actor: z.string().min(1),
  reason: z.string().nullable(),
  /** The providers this disable covers. */
  providers: z.array(providerName).min(1),
  /** The configured webhook URLs the disable acted on. */
  urls: z.object({ calendly: z.string().optional(), stripe: z.string().optional() }),
  /** "disabling" until every action succeeded: a disable run again continues this snapshot. */
  status: z.enum(["disabling", "disabled", "restored"]),
  completedAt: isoDate.nullable(),
  restoredAt: isoDate.nullable(),
  /** sha256 of CALENDLY_WEBHOOK_SIGNING_KEY at disable time, first 12 hex digits (never the key). */
  calendlySigningKeyFingerprint: z.string().nullable(),
  calendly: z.array(calendlySnapshotItemSchema),
  stripe: z.array(stripeSnapshotItemSchema),
});

export type WebhookSnapshot = z.infer<typeof webhookSnapshotSchema>;
export type CalendlySnapshotItem = z.infer<typeof calendlySnapshotItemSchema>;
export type StripeSnapshotItem = z.infer<typeof stripeSnapshotItemSchema>;

/** The configured URL per provider (only for the providers acted on). */
export type WebhookUrls = Partial<Record<WebhookProviderId, string>>;

export interface CurrentRegistrations {
  calendly?: CalendlyRegistration[] | undefined;
  stripe?: StripeRegistration[] | undefined;
}

// ---------------------------------------------------------------- disable

export type DisableAction =
  | { kind: "delete-calendly"; provider: "calendly"; id: string; url: string; events: string[]; scope: string }
  | { kind: "disable-stripe"; provider: "stripe"; id: string; url: string; events: string[] };

export interface DisablePlan {
  providers: WebhookProviderId[];
  /** What the snapshot holds once written (the resumed snapshot's items plus any new ones). */
  calendly: CalendlySnapshotItem[];
  stripe: StripeSnapshotItem[];
  /** In order: Calendly deletions first, then Stripe. */
  actions: DisableAction[];
  /** Id of the unfinished snapshot this plan continues, if any. */
  resumes: string | null;
  notes: string[];
}

export function calendlyItem(r: CalendlyRegistration): CalendlySnapshotItem {
  return { id: r.id, url: r.url, events: [...r.events], state: r.state, scope: r.scope, organization: r.organization, user: r.user, group: r.group, createdAt: r.createdAt };
}

export function stripeItem(r: StripeRegistration): StripeSnapshotItem {
  return {
    id: r.id,
    url: r.url,
    events: [...r.events],
    state: r.state,
    description: r.description,
    metadata: { ...r.metadata },
    apiVersion: r.apiVersion,
    livemode: r.livemode,
    createdAt: r.createdAt,
  };
}

/**
 * What a disable does: every Calendly subscription on the configured URL is
 * saved and deleted; every enabled Stripe endpoint on the configured URL is
 * saved and disabled (one already disabled is saved as disabled and left).
 * With `resume` (an unfinished snapshot), its items are kept (they may already
 * be gone from the provider) and only what is still there is acted on.
 */
export function planDisable(input: { providers: readonly WebhookProviderId[]; urls: WebhookUrls; current: CurrentRegistrations; resume?: WebhookSnapshot | null | undefined }): DisablePlan {
  const resume = input.resume ?? null;
  const providers = unique([...(resume?.providers ?? []), ...input.providers]);
  const notes: string[] = [];
  const actions: DisableAction[] = [];

  const calendly: CalendlySnapshotItem[] = resume ? [...resume.calendly] : [];
  const stripe: StripeSnapshotItem[] = resume ? [...resume.stripe] : [];

  if (providers.includes("calendly")) {
    const url = input.urls.calendly;
    const onUrl = url ? (input.current.calendly ?? []).filter((r) => sameWebhookUrl(r.url, url)) : [];
    for (const r of onUrl) {
      if (!calendly.some((i) => i.id === r.id)) calendly.push(calendlyItem(r));
      actions.push({ kind: "delete-calendly", provider: "calendly", id: r.id, url: r.url, events: [...r.events], scope: r.scope });
    }
    if (onUrl.length === 0 && calendly.length === 0 && url) notes.push(`calendly: no subscription on ${url}; nothing to disable.`);
  }
  if (providers.includes("stripe")) {
    const url = input.urls.stripe;
    const onUrl = url ? (input.current.stripe ?? []).filter((r) => sameWebhookUrl(r.url, url)) : [];
    for (const r of onUrl) {
      const saved = stripe.find((i) => i.id === r.id);
      if (!saved) stripe.push(stripeItem(r));
      // Only what the snapshot says was enabled is disabled (and so re-enabled by restore).
      const wasEnabled = (saved ?? r).state === "enabled";
      if (wasEnabled && r.state === "enabled") actions.push({ kind: "disable-stripe", provider: "stripe", id: r.id, url: r.url, events: [...r.events] });
      else if (!saved && r.state === "disabled") notes.push(`stripe: endpoint ${r.id} is already disabled; it is saved as disabled and restore leaves it so.`);
    }
    if (onUrl.length === 0 && stripe.length === 0 && url) notes.push(`stripe: no endpoint on ${url}; nothing to disable.`);
  }
  return { providers, calendly, stripe, actions, resumes: resume?.id ?? null, notes };
}

export function describeDisableAction(a: DisableAction): string {
  return a.kind === "delete-calendly"
    ? `calendly: save, then delete the ${a.scope}-scope subscription ${a.id} (${a.url}; ${a.events.join(", ")})`
    : `stripe: disable endpoint ${a.id} in place (${a.url}; ${a.events.join(", ")}); Stripe keeps its signing secret`;
}

// ---------------------------------------------------------------- restore

export type RestoreAction =
  | { kind: "create-calendly"; provider: "calendly"; item: CalendlySnapshotItem }
  | { kind: "enable-stripe"; provider: "stripe"; id: string; url: string; events: string[] }
  | { kind: "recreate-stripe"; provider: "stripe"; item: StripeSnapshotItem };

export interface RestoreSkip {
  provider: WebhookProviderId;
  id: string;
  reason: string;
  /** Already back (re-created or re-enabled since the disable): the registration's id now. */
  restoredAs?: string;
}

export interface RestorePlan {
  snapshot: string;
  /** The snapshot's providers this plan covers (a restore of some of them leaves the snapshot open). */
  providers: WebhookProviderId[];
  actions: RestoreAction[];
  /** Snapshot items that need nothing (already back, or disabled before the disable). */
  skipped: RestoreSkip[];
  /** Things restore cannot put back by itself: they make the command exit 1. */
  blocked: RestoreSkip[];
  notes: string[];
}

const sameEvents = (a: readonly string[], b: readonly string[]) => a.length === b.length && [...a].sort().join("\n") === [...b].sort().join("\n");

/** Calendly allows one subscription per URL and scope (and user, for user scope). */
function sameCalendlySlot(item: CalendlySnapshotItem, r: CalendlyRegistration): boolean {
  return sameWebhookUrl(item.url, r.url) && item.scope === r.scope && item.organization === r.organization && (item.scope !== "user" || item.user === r.user) && (item.scope !== "group" || item.group === r.group);
}

/**
 * What a restore does, from the snapshot and what is registered now:
 * - Calendly: each saved definition (duplicates once) that has no subscription
 *   with the same URL, scope and events is re-created; one with the same URL
 *   and scope but other events blocks (Calendly would refuse a second one).
 * - Stripe: each endpoint that was enabled and is now disabled is re-enabled;
 *   one that no longer exists is re-created (it gets a new signing secret),
 *   unless an enabled endpoint with the same URL and events exists.
 */
export function planRestore(snapshot: WebhookSnapshot, current: CurrentRegistrations, providers: readonly WebhookProviderId[] = WEBHOOK_PROVIDER_IDS): RestorePlan {
  const actions: RestoreAction[] = [];
  const skipped: RestoreSkip[] = [];
  const blocked: RestoreSkip[] = [];
  const notes: string[] = [];

  if (providers.includes("calendly") && snapshot.providers.includes("calendly")) {
    const seen: CalendlySnapshotItem[] = [];
    for (const item of snapshot.calendly) {
      if (seen.some((s) => s.url === item.url && s.scope === item.scope && s.user === item.user && s.group === item.group && sameEvents(s.events, item.events))) {
        skipped.push({ provider: "calendly", id: item.id, reason: "same definition as another saved subscription (re-created once)" });
        continue;
      }
      seen.push(item);
      const slot = (current.calendly ?? []).filter((r) => sameCalendlySlot(item, r));
      const same = slot.find((r) => sameEvents(r.events, item.events));
      if (same) {
        skipped.push({ provider: "calendly", id: item.id, reason: same.id === item.id ? "still registered" : `already re-created as ${same.id}`, ...(same.id === item.id ? {} : { restoredAs: same.id }) });
        continue;
      }
      if (slot.length > 0) {
        blocked.push({
          provider: "calendly",
          id: item.id,
          reason: `subscription ${slot[0]!.id} on the same URL and scope receives other events (${slot[0]!.events.join(", ")}); Calendly allows one per URL: delete it, then run restore again`,
        });
        continue;
      }
      if (item.scope === "group") {
        blocked.push({ provider: "calendly", id: item.id, reason: "group-scope subscriptions cannot be re-created by bookflow; re-create it in Calendly" });
        continue;
      }
      actions.push({ kind: "create-calendly", provider: "calendly", item });
      if (item.state === "disabled") notes.push(`calendly: ${item.id} was disabled by Calendly when saved; it comes back active.`);
    }
  }

  if (providers.includes("stripe") && snapshot.providers.includes("stripe")) {
    for (const item of snapshot.stripe) {
      const now = (current.stripe ?? []).find((r) => r.id === item.id);
      if (item.state === "disabled") {
        skipped.push({ provider: "stripe", id: item.id, reason: "was already disabled before the disable; left disabled" });
        continue;
      }
      if (now) {
        if (now.state === "enabled") skipped.push({ provider: "stripe", id: item.id, reason: "already enabled", restoredAs: item.id });
        else actions.push({ kind: "enable-stripe", provider: "stripe", id: item.id, url: now.url, events: [...now.events] });
        continue;
      }
      const twin = (current.stripe ?? []).find((r) => r.state === "enabled" && sameWebhookUrl(r.url, item.url) && sameEvents(r.events, item.events));
      if (twin) {
        skipped.push({ provider: "stripe", id: item.id, reason: `deleted since, but ${twin.id} receives the same events on the same URL` });
        continue;
      }
      actions.push({ kind: "recreate-stripe", provider: "stripe", item });
      notes.push(`stripe: endpoint ${item.id} no longer exists; the re-created endpoint gets a NEW signing secret: set STRIPE_WEBHOOK_SECRET to it.`);
    }
  }
  return { snapshot: snapshot.id, providers: snapshot.providers.filter((p) => providers.includes(p)), actions, skipped, blocked, notes };
}

export function describeRestoreAction(a: RestoreAction): string {
  switch (a.kind) {
    case "create-calendly":
      return `calendly: re-create the ${a.item.scope}-scope subscription on ${a.item.url} (${a.item.events.join(", ")}) with CALENDLY_WEBHOOK_SIGNING_KEY`;
    case "enable-stripe":
      return `stripe: re-enable endpoint ${a.id} (${a.url}; ${a.events.join(", ")})`;
    case "recreate-stripe":
      return `stripe: re-create deleted endpoint ${a.item.id} on ${a.item.url} (${a.item.events.join(", ")}); it gets a new signing secret`;
  }
}

// ---------------------------------------------------------------- helpers

/** A snapshot file name (and id) for a moment: `2025-06-01T12-30-05-123Z` (sortable, no colons). */
export function snapshotIdFor(at: Date): string {
  return at.toISOString().replace(/[:.]/g, "-");
}

export function newSnapshot(input: {
  id: string;
  at: Date;
  actor: string;
  reason: string | null;
  plan: DisablePlan;
  urls: WebhookUrls;
  calendlySigningKeyFingerprint: string | null;
}): WebhookSnapshot {
  return {
    format: SNAPSHOT_FORMAT,
    version: SNAPSHOT_VERSION,
    id: input.id,
    createdAt: input.at.toISOString(),
    actor: input.actor,
    reason: input.reason,
    providers: [...input.plan.providers],
    urls: { ...input.urls },
    status: "disabling",
    completedAt: null,
    restoredAt: null,
    calendlySigningKeyFingerprint: input.calendlySigningKeyFingerprint,
    calendly: input.plan.calendly,
    stripe: input.plan.stripe,
  };
}

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}
