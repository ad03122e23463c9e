/**
 * The side effects of `bookflow webhooks disable | restore` (and of step 2 of
 * `bookflow rollback`): reading the providers' registrations, the snapshot
 * files under <data dir>/snapshots, and applying the plans of
 * src/core/webhook-snapshots.ts one action at a time, with an AuditLog entry
 * per action. A failed action stops the run and is returned as a value (what
 * was done, what failed); running again finishes the job, because the plans
 * are made from the current state.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import type Stripe from "stripe";
import type { PrismaClient } from "../generated/prisma/client.js";
import { mask } from "../config/redact.js";
import { describeIssues } from "../config/validation.js";
import { recordAudit } from "../core/audit.js";
import type { Clock } from "../core/ports.js";
import {
  newSnapshot,
  snapshotIdFor,
  webhookSnapshotSchema,
  type CurrentRegistrations,
  type DisableAction,
  type DisablePlan,
  type RestoreAction,
  type RestorePlan,
  type WebhookSnapshot,
  type WebhookUrls,
} from "../core/webhook-snapshots.js";
import { ConfigError, ProviderError } from "../errors.js";
import type { CalendlyClient } from "../providers/calendly/client.js";
import { stripeProviderError } from "../providers/stripe-errors.js";
import { jsonNamesNewestFirst } from "./json-files.js";
import { readCalendlyRegistrations, readStripeRegistrations, fromStripe } from "../providers/webhook-registrations.js";
import type { WebhookProviderId } from "../providers/webhook-providers.js";

// ---------------------------------------------------------------- snapshot files

export function snapshotsDir(dataDir: string): string {
  return join(dataDir, "snapshots");
}

export interface SnapshotRef {
  path: string;
  snapshot: WebhookSnapshot;
}

/** Snapshot files, newest first (their names are sortable UTC timestamps). */
export function listSnapshotFiles(dir: string): string[] {
  return jsonNamesNewestFirst(dir).map((n) => join(dir, `${n}.json`));
}

/** Reads and validates a snapshot file; a missing or malformed one is a ConfigError (exit 2) saying what is wrong. */
export function readSnapshotFile(path: string): WebhookSnapshot {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(
      `Snapshot file ${path} ${code === "ENOENT" ? "does not exist" : `cannot be read (${code ?? String(err)})`}.`,
      "Name a file written by `bookflow webhooks disable` (see the snapshots folder), or leave out --snapshot to use the newest.",
      "SNAPSHOT_NOT_FOUND",
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ConfigError(`Snapshot file ${path} is not JSON.`, "Restore from an intact snapshot written by `bookflow webhooks disable`.", "SNAPSHOT_INVALID");
  }
  const version = (json as { version?: unknown } | null)?.version;
  if (json && typeof json === "object" && (json as { format?: unknown }).format === "bookflow.webhook-snapshot" && typeof version === "number" && version !== 1) {
    throw new ConfigError(`Snapshot file ${path} has format version ${version}; this bookflow reads version 1.`, "Use the bookflow version that wrote it.", "SNAPSHOT_INVALID");
  }
  const parsed = webhookSnapshotSchema.safeParse(json);
  if (!parsed.success) {
    throw new ConfigError(
      `Snapshot file ${path} is not a valid bookflow webhook snapshot:\n  - ${describeIssues(parsed.error.issues).slice(0, 8).join("\n  - ")}`,
      "Restore from an intact snapshot written by `bookflow webhooks disable` (it has \"format\": \"bookflow.webhook-snapshot\").",
      "SNAPSHOT_INVALID",
    );
  }
  return parsed.data;
}

/** Writes a snapshot atomically (temporary file, then rename), so an interruption never leaves half a file. */
export function writeSnapshotFile(path: string, snapshot: WebhookSnapshot): void {
  const checked = webhookSnapshotSchema.parse(snapshot);
  const tmp = `${path}.${process.pid}.${randomBytes(3).toString("hex")}.tmp`;
  try {
    mkdirSync(resolve(path, ".."), { recursive: true });
    writeFileSync(tmp, `${JSON.stringify(checked, null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, path);
  } catch (err) {
    throw new ConfigError(`Cannot write the snapshot ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, "Check BOOKFLOW_DATA_DIR (default .bookflow) and its permissions.", "SNAPSHOT_UNWRITABLE");
  }
}

/**
 * `--snapshot <file>`: a path (relative to cwd), or the id / file name of a
 * snapshot in the snapshots folder; without it, the newest snapshot.
 */
export function resolveSnapshot(arg: string | undefined, dir: string, cwd: string): SnapshotRef {
  if (arg === undefined) {
    const newest = listSnapshotFiles(dir)[0];
    if (!newest)
      throw new ConfigError(`There is no webhook snapshot in ${dir}: nothing to restore from.`, "Snapshots are written by `bookflow webhooks disable`; pass --snapshot <file> to restore from one kept elsewhere (or set BOOKFLOW_DATA_DIR).", "SNAPSHOT_NOT_FOUND");
    return { path: newest, snapshot: readSnapshotFile(newest) };
  }
  const direct = resolve(cwd, arg);
  const candidates = [direct, join(dir, arg), join(dir, `${arg}.json`)];
  for (const c of candidates) {
    try {
      readFileSync(c);
    } catch {
      continue;
    }
    return { path: c, snapshot: readSnapshotFile(c) };
  }
  const known = listSnapshotFiles(dir).slice(0, 5).map((p) => basename(p));
  throw new ConfigError(
    `Snapshot ${JSON.stringify(arg)} not found (looked for ${direct} and in ${dir}).`,
    known.length ? `Snapshots in ${dir}, newest first: ${known.join(", ")}.` : `There is no snapshot in ${dir}; they are written by \`bookflow webhooks disable\`.`,
    "SNAPSHOT_NOT_FOUND",
  );
}

/** The newest snapshot still "disabling" (a disable that stopped half way), if any. Unreadable files are skipped. */
export function findUnfinishedSnapshot(dir: string): SnapshotRef | null {
  for (const path of listSnapshotFiles(dir)) {
    let snapshot: WebhookSnapshot;
    try {
      snapshot = readSnapshotFile(path);
    } catch {
      continue;
    }
    if (snapshot.status === "disabling") return { path, snapshot };
    return null; // only the newest valid one counts: an older unfinished one was superseded
  }
  return null;
}

/** A file name for a new snapshot that does not exist yet. */
export function newSnapshotPath(dir: string, at: Date): { id: string; path: string } {
  const base = snapshotIdFor(at);
  const existing = new Set(listSnapshotFiles(dir).map((p) => basename(p)));
  for (let n = 0; ; n++) {
    const id = n === 0 ? base : `${base}-${n}`;
    if (!existing.has(`${id}.json`)) return { id, path: join(dir, `${id}.json`) };
  }
}

/** sha256 of the signing key, first 12 hex digits: tells whether the key changed, reveals nothing. */
export function keyFingerprint(key: string | undefined): string | null {
  const k = key?.trim();
  return k ? createHash("sha256").update(k).digest("hex").slice(0, 12) : null;
}

// ---------------------------------------------------------------- providers

export interface WebhookProviders {
  calendly?: { client: CalendlyClient } | undefined;
  stripe?: Stripe | undefined;
}


/** What is registered now, for the providers given. */
export async function readCurrentRegistrations(providers: readonly WebhookProviderId[], p: WebhookProviders): Promise<CurrentRegistrations> {
  const out: CurrentRegistrations = {};
  if (providers.includes("calendly") && p.calendly) out.calendly = (await readCalendlyRegistrations(p.calendly.client)).registrations;
  if (providers.includes("stripe") && p.stripe) {
    try {
      out.stripe = await readStripeRegistrations(p.stripe);
    } catch (err) {
      throw stripeProviderError(err, "GET /v1/webhook_endpoints", { access: "webhook endpoints" });
    }
  }
  return out;
}

// ---------------------------------------------------------------- apply

export interface ApplyDeps {
  providers: WebhookProviders;
  prisma: Pick<PrismaClient, "auditLog">;
  actor: string;
  clock: Clock;
  /** Added to each audit entry's reason (e.g. "rollback rb-…"). */
  reason?: string | undefined;
  /** One line per action done (for the live view). */
  progress?: ((line: string) => void) | undefined;
}

export interface StepFailure {
  /** What was being done. */
  action: string;
  message: string;
  /** The error itself (a ProviderError, usually). */
  error: unknown;
}

export interface DisableOutcome {
  snapshot: SnapshotRef;
  done: DisableAction[];
  failed: StepFailure | null;
}

/**
 * Applies a disable plan: the snapshot is written first (status "disabling"),
 * then each action with its audit entry, then the snapshot is marked
 * "disabled". `existing` is the unfinished snapshot the plan resumes.
 */
export async function applyDisable(
  plan: DisablePlan,
  target: {
    dir: string;
    urls: WebhookUrls;
    existing: SnapshotRef | null;
    calendlySigningKey: string | undefined;
    /** Where a new snapshot goes (default: a new timestamped file in `dir`); rollback picks it first and journals it. */
    fresh?: { id: string; path: string } | undefined;
  },
  deps: ApplyDeps,
): Promise<DisableOutcome> {
  const now = deps.clock.now();
  let ref: SnapshotRef;
  if (target.existing) {
    const s = target.existing.snapshot;
    ref = {
      path: target.existing.path,
      snapshot: { ...s, providers: plan.providers, urls: { ...s.urls, ...target.urls }, calendly: plan.calendly, stripe: plan.stripe, status: "disabling" },
    };
  } else {
    const { id, path } = target.fresh ?? newSnapshotPath(target.dir, now);
    ref = {
      path,
      snapshot: newSnapshot({ id, at: now, actor: deps.actor, reason: deps.reason ?? null, plan, urls: target.urls, calendlySigningKeyFingerprint: keyFingerprint(target.calendlySigningKey) }),
    };
  }
  // Saved BEFORE anything changes: whatever happens next, restore knows what was there.
  writeSnapshotFile(ref.path, ref.snapshot);

  const done: DisableAction[] = [];
  const reason = [deps.reason, `snapshot ${ref.snapshot.id}`].filter(Boolean).join("; ");
  if (target.existing) await auditInterruptedDisable(plan, ref.snapshot.id, reason, deps);
  for (const action of plan.actions) {
    try {
      if (action.kind === "delete-calendly") {
        const item = plan.calendly.find((i) => i.id === action.id);
        await deleteCalendly(deps.providers, action.id);
        await recordAudit(deps.prisma, { actor: deps.actor, action: "webhooks.disable.calendly", target: `calendly:${action.id}`, reason, before: item, after: { deleted: true } });
        deps.progress?.(`calendly: deleted subscription ${action.id} (definition saved)`);
      } else {
        const stripe = requireStripe(deps.providers);
        let after: unknown;
        try {
          after = fromStripe(await stripe.webhookEndpoints.update(action.id, { disabled: true }));
        } catch (err) {
          throw stripeProviderError(err, `POST /v1/webhook_endpoints/${action.id}`, { access: "webhook endpoints" });
        }
        await recordAudit(deps.prisma, { actor: deps.actor, action: "webhooks.disable.stripe", target: `stripe:${action.id}`, reason, before: plan.stripe.find((i) => i.id === action.id), after });
        deps.progress?.(`stripe: disabled endpoint ${action.id}`);
      }
      done.push(action);
    } catch (err) {
      return { snapshot: ref, done, failed: { action: describeDisable(action), message: messageOf(err), error: err } };
    }
  }
  ref.snapshot = { ...ref.snapshot, status: "disabled", completedAt: deps.clock.now().toISOString() };
  writeSnapshotFile(ref.path, ref.snapshot);
  return { snapshot: ref, done, failed: null };
}

/**
 * A run killed between a provider call and its audit entry leaves the change made and not audited; the run that
 * resumes its snapshot finds nothing left to do there. So, resuming, every saved item the interrupted run already
 * changed (a Calendly subscription gone, a Stripe endpoint saved enabled and not to disable again) gets its entry
 * now if it has none for this snapshot: each change is audited once, whoever finished it.
 */
async function auditInterruptedDisable(plan: DisablePlan, snapshotId: string, reason: string, deps: ApplyDeps): Promise<void> {
  const pending = new Set(plan.actions.map((a) => `${a.provider}:${a.id}`));
  const changed = [
    ...plan.calendly.filter((i) => !pending.has(`calendly:${i.id}`)).map((i) => ({ provider: "calendly" as const, id: i.id, before: i as unknown, after: { deleted: true } as unknown })),
    ...plan.stripe.filter((i) => i.state === "enabled" && !pending.has(`stripe:${i.id}`)).map((i) => ({ provider: "stripe" as const, id: i.id, before: i as unknown, after: { state: "disabled" } as unknown })),
  ];
  for (const c of changed) await auditOnce(deps, `webhooks.disable.${c.provider}`, `${c.provider}:${c.id}`, snapshotId, reason, c.before, c.after);
}

/** Writes the entry unless one for this action, target and snapshot exists; marks it as recorded on resume. */
async function auditOnce(deps: ApplyDeps, action: string, target: string, snapshotId: string, reason: string, before: unknown, after: unknown): Promise<void> {
  const existing = await deps.prisma.auditLog.findFirst({ where: { action, target, reason: { contains: `snapshot ${snapshotId}` } }, select: { id: true } });
  if (existing) return;
  await recordAudit(deps.prisma, { actor: deps.actor, action, target, reason: `${reason}; found already done (by an interrupted run, or by hand), recorded on resume`, before, after: { ...(after as object), recordedOnResume: true } });
}

export interface RestoredAction {
  action: RestoreAction;
  /** The registration re-created or re-enabled. */
  id: string;
  /** Stripe, re-created endpoint: its new signing secret, masked unless asked otherwise. */
  signingSecret?: string;
}

export interface RestoreOutcome {
  done: RestoredAction[];
  failed: StepFailure | null;
}

/**
 * Applies a restore plan, one action at a time with its audit entry. When it
 * covered every provider of the snapshot and nothing is blocked, the snapshot
 * is marked "restored".
 */
export async function applyRestore(plan: RestorePlan, ref: SnapshotRef, deps: ApplyDeps & { calendlySigningKey: string | undefined; showSecret?: boolean }): Promise<RestoreOutcome> {
  const done: RestoredAction[] = [];
  const reason = [deps.reason, `snapshot ${ref.snapshot.id}`].filter(Boolean).join("; ");
  // What an interrupted restore already put back gets its audit entry, once (see auditInterruptedDisable).
  for (const skip of plan.skipped) {
    if (skip.restoredAs) await auditOnce(deps, `webhooks.restore.${skip.provider}`, `${skip.provider}:${skip.restoredAs}`, ref.snapshot.id, reason, { id: skip.id, state: "disabled" }, { id: skip.restoredAs });
  }
  for (const action of plan.actions) {
    try {
      if (action.kind === "create-calendly") {
        const client = requireCalendly(deps.providers);
        const key = deps.calendlySigningKey?.trim();
        if (!key) throw missingSigningKey();
        const { item } = action;
        const created = await client.createWebhookSubscription({
          url: item.url,
          events: item.events,
          organization: item.organization,
          scope: item.scope === "user" ? "user" : "organization",
          ...(item.scope === "user" && item.user ? { user: item.user } : {}),
          signingKey: key,
        });
        await recordAudit(deps.prisma, { actor: deps.actor, action: "webhooks.restore.calendly", target: `calendly:${created.uri}`, reason, before: item, after: { id: created.uri, url: created.callback_url, events: created.events, scope: created.scope } });
        deps.progress?.(`calendly: re-created ${item.scope}-scope subscription ${created.uri}`);
        done.push({ action, id: created.uri });
      } else if (action.kind === "enable-stripe") {
        const stripe = requireStripe(deps.providers);
        let after: unknown;
        try {
          after = fromStripe(await stripe.webhookEndpoints.update(action.id, { disabled: false }));
        } catch (err) {
          throw stripeProviderError(err, `POST /v1/webhook_endpoints/${action.id}`, { access: "webhook endpoints" });
        }
        await recordAudit(deps.prisma, { actor: deps.actor, action: "webhooks.restore.stripe", target: `stripe:${action.id}`, reason, before: { state: "disabled" }, after });
        deps.progress?.(`stripe: re-enabled endpoint ${action.id}`);
        done.push({ action, id: action.id });
      } else {
        const stripe = requireStripe(deps.providers);
        const { item } = action;
        let created: Stripe.WebhookEndpoint;
        try {
          created = await stripe.webhookEndpoints.create({
            url: item.url,
            enabled_events: item.events as Stripe.WebhookEndpointCreateParams.EnabledEvent[],
            ...(item.description ? { description: item.description } : {}),
            ...(Object.keys(item.metadata).length ? { metadata: item.metadata } : {}),
            ...(item.apiVersion ? { api_version: item.apiVersion as Stripe.WebhookEndpointCreateParams.ApiVersion } : {}),
          });
        } catch (err) {
          throw stripeProviderError(err, "POST /v1/webhook_endpoints", { access: "webhook endpoints" });
        }
        await recordAudit(deps.prisma, { actor: deps.actor, action: "webhooks.restore.stripe", target: `stripe:${created.id}`, reason, before: item, after: { ...fromStripe(created), replaces: item.id } });
        deps.progress?.(`stripe: re-created endpoint ${created.id} (replaces ${item.id}); set STRIPE_WEBHOOK_SECRET to its new signing secret`);
        const secret = created.secret ?? "";
        done.push({ action, id: created.id, signingSecret: deps.showSecret ? secret : mask(secret) });
      }
    } catch (err) {
      return { done, failed: { action: describeRestore(action), message: messageOf(err), error: err } };
    }
  }
  const complete = ref.snapshot.providers.every((p) => plan.providers.includes(p));
  if (plan.blocked.length === 0 && complete && ref.snapshot.status !== "restored") {
    ref.snapshot = { ...ref.snapshot, status: "restored", restoredAt: deps.clock.now().toISOString() };
    writeSnapshotFile(ref.path, ref.snapshot);
  }
  return { done, failed: null };
}

export function missingSigningKey(): ConfigError {
  return new ConfigError(
    "CALENDLY_WEBHOOK_SIGNING_KEY is not set: a re-created Calendly subscription would get a key Calendly never shows, and the app could not verify its deliveries.",
    "Set CALENDLY_WEBHOOK_SIGNING_KEY to the key the app verifies with, then run restore again.",
    "ENV_MISSING",
  );
}

async function deleteCalendly(p: WebhookProviders, uri: string): Promise<void> {
  try {
    await requireCalendly(p).deleteWebhookSubscription(uri);
  } catch (err) {
    // Already gone (deleted by an earlier run or by hand): the goal is reached.
    if (err instanceof ProviderError && err.status === 404) return;
    throw err;
  }
}

function requireCalendly(p: WebhookProviders): CalendlyClient {
  if (!p.calendly) throw new ConfigError("Calendly is not configured for this run.", "Set CALENDLY_API_TOKEN.", "ENV_MISSING");
  return p.calendly.client;
}

function requireStripe(p: WebhookProviders): Stripe {
  if (!p.stripe) throw new ConfigError("Stripe is not configured for this run.", "Set STRIPE_SECRET_KEY.", "ENV_MISSING");
  return p.stripe;
}

function describeDisable(a: DisableAction): string {
  return a.kind === "delete-calendly" ? `delete Calendly subscription ${a.id}` : `disable Stripe endpoint ${a.id}`;
}

function describeRestore(a: RestoreAction): string {
  return a.kind === "create-calendly" ? `re-create Calendly subscription on ${a.item.url}` : a.kind === "enable-stripe" ? `re-enable Stripe endpoint ${a.id}` : `re-create Stripe endpoint ${a.item.id}`;
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
