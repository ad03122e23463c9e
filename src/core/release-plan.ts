/**
 * `bookflow release`: the guarded deploy as data. Pure: the journal format
 * (versioned, zod), the rules that make a Vercel deployment a candidate, the
 * four steps and what each means for the next, and what an interrupted
 * release does when it is run again. The side effects live in src/ops/release.ts.
 *
 *   1. verify-staged       the checks that read only the candidate's URL (and, asked, the scenarios)
 *   2. promote             Vercel: production goes to the candidate (promote API, or `vercel promote`)
 *   3. verify-production   every check against production, expecting the candidate's commit
 *   4. rollback            only when step 3 failed: `bookflow rollback` (unless --no-auto-rollback)
 *
 * A release has an id (`rel-YYYYMMDD-HHMMSS-xxxx`); its journal records the
 * candidate, what was production before (what --undo promotes back), each
 * step's status, and the rollback it ran.
 */
import { z } from "zod";
import { deploymentRefSchema, journalId, stepStatusSchema, type DeploymentLike, type DeploymentRef } from "./rollback-plan.js";

export const RELEASE_FORMAT = "bookflow.release";
export const RELEASE_VERSION = 1;

export const RELEASE_STEPS = ["verify-staged", "promote", "verify-production", "rollback"] as const;
export type ReleaseStepName = (typeof RELEASE_STEPS)[number];

export const RELEASE_ID_PATTERN = /^rel-\d{8}-\d{6}-[0-9a-f]{4}$/;

/** A commit sha as given on the command line: 7 to 40 hex digits (a prefix of the full sha). */
export const COMMIT_PATTERN = /^[0-9a-f]{7,40}$/i;

/**
 * The checks of step 1: the ones that read nothing but the deployment's own
 * URL (its answers, its headers, its webhook routes), so they mean the same
 * against a preview as against production. Everything else (env, providers'
 * registrations, DNS, database, monitoring, the production deployment itself)
 * describes production's world and is checked in step 3.
 */
export const STAGED_CHECKS = ["endpoints", "security"] as const;
/** Left out of step 1: a burst of requests proves the production edge's limits (step 3 runs it), and would trip a limiter step 3 shares. */
export const STAGED_SKIPPED = ["security.rate-limit"] as const;

const isoDate = z.string().refine((v) => !Number.isNaN(Date.parse(v)), { message: "must be an ISO date" });

const stepRecordSchema = z.object({
  name: z.enum(RELEASE_STEPS),
  status: stepStatusSchema,
  startedAt: isoDate.nullable(),
  finishedAt: isoDate.nullable(),
  detail: z.record(z.string(), z.unknown()),
  error: z.string().nullable(),
});
export type ReleaseStepRecord = z.infer<typeof stepRecordSchema>;

export const RELEASE_STATUSES = ["in-progress", "failed", "released", "rejected", "rolled-back", "failed-in-production", "undone"] as const;
export type ReleaseStatus = (typeof RELEASE_STATUSES)[number];

export const releaseJournalSchema = z.object({
  format: z.literal(RELEASE_FORMAT),
  version: z.literal(RELEASE_VERSION),
  id: z.string().regex(RELEASE_ID_PATTERN),
  createdAt: isoDate,
  actor: z.string().min(1),
  reason: z.string().nullable(),
  projectId: z.string().min(1),
  useVercelCli: z.boolean(),
  autoRollback: z.boolean(),
  /** The deployment being released (a READY preview). */
  candidate: deploymentRefSchema,
  /** Production when the release started: what a rollback goes back to and --undo promotes back. */
  previous: deploymentRefSchema,
  /** How steps 1 and 3 run, kept so a resumed release runs them the same way. */
  settings: z.object({
    /** The origin step 1 probes (the candidate's URL, or --preview-url). */
    previewOrigin: z.string().min(1),
    /** Scenario names for step 1 (empty: all); null: no scenarios. */
    scenarios: z.array(z.string()).nullable(),
    retryTimeoutMs: z.number().int().nonnegative(),
    retryIntervalMs: z.number().int().positive(),
  }),
  status: z.enum(RELEASE_STATUSES),
  steps: z.array(stepRecordSchema).length(RELEASE_STEPS.length),
  /** The rollback step 4 ran (its own journal: .bookflow/rollbacks/<id>.json). */
  rollbackId: z.string().nullable(),
  undoneAt: isoDate.nullable(),
});
export type ReleaseJournal = z.infer<typeof releaseJournalSchema>;

/** `rel-20250601-123005-3fa9`: the UTC start time and four random hex digits. */
export function newReleaseId(at: Date, randomHex: string): string {
  return journalId("rel", at, randomHex);
}

export function newReleaseJournal(input: {
  id: string;
  at: Date;
  actor: string;
  reason: string | null;
  projectId: string;
  useVercelCli: boolean;
  autoRollback: boolean;
  candidate: DeploymentRef;
  previous: DeploymentRef;
  settings: ReleaseJournal["settings"];
}): ReleaseJournal {
  const { at, ...rest } = input;
  return {
    format: RELEASE_FORMAT,
    version: RELEASE_VERSION,
    ...rest,
    createdAt: at.toISOString(),
    status: "in-progress",
    steps: RELEASE_STEPS.map((name) => ({ name, status: "pending" as const, startedAt: null, finishedAt: null, detail: {}, error: null })),
    rollbackId: null,
    undoneAt: null,
  };
}

export function releaseStepOf(journal: ReleaseJournal, name: ReleaseStepName): ReleaseStepRecord {
  return journal.steps.find((s) => s.name === name)!;
}

export function withReleaseStep(journal: ReleaseJournal, name: ReleaseStepName, patch: Partial<Omit<ReleaseStepRecord, "name">>): ReleaseJournal {
  return { ...journal, steps: journal.steps.map((s) => (s.name === name ? { ...s, ...patch, detail: { ...s.detail, ...(patch.detail ?? {}) } } : s)) };
}

/** Steps still to do, in order (one left "running" by an interruption is done again: each looks at the state first). */
export function remainingReleaseSteps(journal: ReleaseJournal): ReleaseStepName[] {
  return journal.steps.filter((s) => s.status !== "done" && s.status !== "skipped").map((s) => s.name);
}

/** Whether a release can be continued (resumed or run again): it stopped part way, or a step failed. */
export function isUnfinished(journal: ReleaseJournal): boolean {
  return journal.status === "in-progress" || journal.status === "failed";
}

// ---------------------------------------------------------------- the candidate

/** Whether a deployment's commit is the one asked for (`given` may be a prefix of 7+ hex digits). */
export function commitMatches(sha: string | null, given: string): boolean {
  return sha !== null && sha.toLowerCase().startsWith(given.toLowerCase());
}

/** Why a deployment cannot be released (a stable code, what is wrong, what to do), or null. */
export interface CandidateProblem {
  code: "DEPLOYMENT_NOT_READY" | "COMMIT_MISMATCH" | "PRODUCTION_CANDIDATE" | "ALREADY_PRODUCTION";
  message: string;
  hint: string;
}

/**
 * The rules a candidate must meet: READY (a build still running or failed is
 * not released), built from the commit asked for, a preview (a production
 * deployment is what `bookflow rollback` goes back to, not a release), and not
 * already serving production.
 */
export function candidateProblem(d: DeploymentLike, expect: { commit?: string | undefined; productionUid: string | null }): CandidateProblem | null {
  if (d.uid === expect.productionUid)
    return { code: "ALREADY_PRODUCTION", message: `Deployment ${d.uid} already serves production: there is nothing to release.`, hint: "Give the preview deployment to release (--deployment), or check what is live with `bookflow verify --only deployment`." };
  if (d.target === "production")
    return {
      code: "PRODUCTION_CANDIDATE",
      message: `Deployment ${d.uid} is a production deployment, not a preview: a release promotes a preview that was verified as staged.`,
      hint: "To go back to an earlier production deployment use `bookflow rollback`; to release, give a preview deployment (--deployment) or its commit (--commit).",
    };
  if (d.state !== "READY")
    return {
      code: "DEPLOYMENT_NOT_READY",
      message: `Deployment ${d.uid} is ${d.state ?? "in an unknown state"}, not READY.`,
      hint: d.state === "ERROR" || d.state === "CANCELED" ? "Its build did not finish: fix it and push again, then release the new deployment." : "Wait for its build to finish (`vercel inspect <url>`), then run the release again.",
    };
  if (expect.commit !== undefined && !commitMatches(d.commitSha, expect.commit))
    return {
      code: "COMMIT_MISMATCH",
      message: `Deployment ${d.uid} was built from ${d.commitSha ? `commit ${d.commitSha}` : "no known commit"}, not ${expect.commit}.`,
      hint: "Give the deployment of that commit, or leave out --deployment and let --commit find the newest READY preview of it.",
    };
  return null;
}

/** The newest READY preview deployment built from `commit`. */
export function chooseCandidate<D extends DeploymentLike>(deployments: readonly D[], commit: string): D | null {
  return (
    deployments
      .filter((d) => d.target === null && d.state === "READY" && commitMatches(d.commitSha, commit))
      .sort((a, b) => b.createdAt - a.createdAt)[0] ?? null
  );
}

/** `--deployment` takes an id (dpl_…) or a URL: the host name is what Vercel matches. */
export function deploymentKey(given: string): { kind: "id" | "url"; value: string } {
  const trimmed = given.trim();
  if (/^dpl_[A-Za-z0-9]+$/.test(trimmed)) return { kind: "id", value: trimmed };
  return { kind: "url", value: trimmed.replace(/^[a-z]+:\/\//i, "").replace(/\/.*$/, "").toLowerCase() };
}

/** The origin step 1 probes: Vercel serves deployments over HTTPS; a loopback host (the sandbox's app) over HTTP. */
export function previewOriginOf(url: string): string {
  const host = url.replace(/^[a-z]+:\/\//i, "").replace(/\/.*$/, "");
  return /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?$/i.test(host) ? `http://${host}` : `https://${host}`;
}

/**
 * The environment of step 1: the app's URLs moved to the candidate's origin
 * (NEXT_PUBLIC_BASE_URL, and the webhook URLs' paths on that origin), the rest as is.
 */
export function stagedEnv(env: Record<string, string | undefined>, origin: string): Record<string, string | undefined> {
  const moved: Record<string, string | undefined> = { ...env, NEXT_PUBLIC_BASE_URL: origin };
  for (const name of ["CALENDLY_WEBHOOK_URL", "STRIPE_WEBHOOK_URL"]) {
    const value = env[name]?.trim();
    if (!value) continue;
    try {
      const u = new URL(value);
      moved[name] = `${origin}${u.pathname}${u.search}`;
    } catch {
      // Left as is: env.urls-well-formed reports it.
    }
  }
  return moved;
}

// ---------------------------------------------------------------- what comes next

/**
 * What running a release again does when an unfinished one exists: continue
 * it, unless the candidate asked for is another (then the operator decides).
 */
export function continueOrRefuse(unfinished: ReleaseJournal, asked: { deployment?: string | undefined; commit?: string | undefined }): { continue: true } | { continue: false; message: string; hint: string } {
  const c = unfinished.candidate;
  const same =
    (asked.deployment === undefined && asked.commit === undefined) ||
    (asked.deployment !== undefined && (deploymentKey(asked.deployment).value === c.uid || deploymentKey(asked.deployment).value === c.url?.toLowerCase())) ||
    (asked.deployment === undefined && asked.commit !== undefined && commitMatches(c.commitSha, asked.commit));
  if (same) return { continue: true };
  return {
    continue: false,
    message: `Release ${unfinished.id} of ${c.uid} (started ${unfinished.createdAt} by ${unfinished.actor}) did not finish: bookflow will not start another release over it.`,
    hint: `Finish it with \`bookflow release --resume ${unfinished.id}\`, or reverse it with \`bookflow release --undo ${unfinished.id}\`, then release the new candidate.`,
  };
}

/** Step 4 applies only when step 3 ran and failed. */
export function rollbackNeeded(journal: ReleaseJournal): boolean {
  const verify = releaseStepOf(journal, "verify-production");
  return verify.status === "done" && verify.detail.outcome === "fail";
}

/** The status a release ends with once no step is left. */
export function finalStatus(journal: ReleaseJournal): ReleaseStatus {
  if (releaseStepOf(journal, "verify-staged").detail.outcome === "fail") return "rejected";
  if (!rollbackNeeded(journal)) return "released";
  return releaseStepOf(journal, "rollback").status === "done" ? "rolled-back" : "failed-in-production";
}

function shortDeployment(d: DeploymentRef): string {
  const parts = [d.url, d.commitSha ? `commit ${d.commitSha.slice(0, 7)}` : null].filter(Boolean);
  return `${d.uid}${parts.length ? ` (${parts.join(", ")})` : ""}`;
}

/** One line per step: what it will do. */
export function describeReleaseStep(journal: ReleaseJournal, name: ReleaseStepName): string {
  switch (name) {
    case "verify-staged": {
      const scenarios = journal.settings.scenarios;
      return `Verify the candidate as staged: the ${STAGED_CHECKS.join(" and ")} checks against ${journal.settings.previewOrigin}${scenarios === null ? "" : `, then the scenarios${scenarios.length ? ` ${scenarios.join(", ")}` : ""}`}; a failure stops the release with nothing changed`;
    }
    case "promote":
      return `Promote ${shortDeployment(journal.candidate)} to production${journal.useVercelCli ? " with `vercel promote`" : " (Vercel promote API)"}; production is now ${shortDeployment(journal.previous)}`;
    case "verify-production":
      return `Verify production: every check, expecting commit ${journal.candidate.commitSha?.slice(0, 12) ?? "(the candidate has none)"}${journal.settings.retryTimeoutMs ? `, retrying propagation checks for up to ${Math.round(journal.settings.retryTimeoutMs / 1000)} s` : ""}`;
    case "rollback":
      return journal.autoRollback
        ? `Only if production fails verification: \`bookflow rollback\` (${shortDeployment(journal.previous)} back, webhooks off, manual processing on, affected bookings listed), then exit 1`
        : "Only if production fails verification: report it and exit 1 (--no-auto-rollback: nothing is rolled back)";
  }
}
