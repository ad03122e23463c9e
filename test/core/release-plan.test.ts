import { describe, expect, it } from "vitest";
import {
  candidateProblem,
  chooseCandidate,
  commitMatches,
  continueOrRefuse,
  deploymentKey,
  finalStatus,
  newReleaseJournal,
  previewOriginOf,
  releaseJournalSchema,
  remainingReleaseSteps,
  rollbackNeeded,
  stagedEnv,
  withReleaseStep,
  type ReleaseJournal,
} from "../../src/core/release-plan.js";
import type { DeploymentLike } from "../../src/core/rollback-plan.js";

const SHA = "a".repeat(40);
const OTHER = "b".repeat(40);
const preview = (over: Partial<DeploymentLike> = {}): DeploymentLike => ({ uid: "dpl_preview1", url: "app-preview1.vercel.app", state: "READY", target: null, createdAt: 3000, commitSha: SHA, ...over });

function journal(over: Partial<ReleaseJournal> = {}): ReleaseJournal {
  return {
    ...newReleaseJournal({
      id: "rel-20261207-120000-abcd",
      at: new Date("2026-12-07T12:00:00Z"),
      actor: "ops@example.com",
      reason: null,
      projectId: "prj_1",
      useVercelCli: false,
      autoRollback: true,
      candidate: { uid: "dpl_preview1", url: "app-preview1.vercel.app", createdAt: 3000, commitSha: SHA },
      previous: { uid: "dpl_prod", url: "app-prod.vercel.app", createdAt: 1000, commitSha: OTHER },
      settings: { previewOrigin: "https://app-preview1.vercel.app", scenarios: null, retryTimeoutMs: 0, retryIntervalMs: 5000 },
    }),
    ...over,
  };
}

describe("release candidate rules", () => {
  it("accepts a READY preview built from the commit", () => {
    expect(candidateProblem(preview(), { commit: SHA.slice(0, 7), productionUid: "dpl_prod" })).toBeNull();
    expect(candidateProblem(preview(), { productionUid: "dpl_prod" })).toBeNull();
  });
  it.each([
    ["a build still running", { state: "BUILDING" as const }, "DEPLOYMENT_NOT_READY"],
    ["a failed build", { state: "ERROR" as const }, "DEPLOYMENT_NOT_READY"],
    ["another commit", { commitSha: OTHER }, "COMMIT_MISMATCH"],
    ["no commit at all", { commitSha: null }, "COMMIT_MISMATCH"],
    ["a production deployment", { target: "production" }, "PRODUCTION_CANDIDATE"],
    ["the live deployment", { uid: "dpl_prod" }, "ALREADY_PRODUCTION"],
  ])("refuses %s", (_what, over, code) => {
    expect(candidateProblem(preview(over), { commit: SHA, productionUid: "dpl_prod" })?.code).toBe(code);
  });
  it("chooses the newest READY preview of the commit", () => {
    const list = [preview({ uid: "old", createdAt: 1 }), preview({ uid: "new", createdAt: 5 }), preview({ uid: "building", createdAt: 9, state: "BUILDING" }), preview({ uid: "prod", createdAt: 10, target: "production" }), preview({ uid: "other", createdAt: 11, commitSha: OTHER })];
    expect(chooseCandidate(list, SHA.slice(0, 10))?.uid).toBe("new");
    expect(chooseCandidate(list, "c".repeat(7))).toBeNull();
  });
  it("matches commits by prefix, case-insensitively", () => {
    expect(commitMatches(SHA, "AAAAAAA")).toBe(true);
    expect(commitMatches(SHA, OTHER.slice(0, 7))).toBe(false);
    expect(commitMatches(null, SHA)).toBe(false);
  });
  it("reads --deployment as an id or a URL's host", () => {
    expect(deploymentKey("dpl_abc123")).toEqual({ kind: "id", value: "dpl_abc123" });
    expect(deploymentKey("https://App-X.vercel.app/path")).toEqual({ kind: "url", value: "app-x.vercel.app" });
  });
  it("probes previews over HTTPS, a loopback host over HTTP", () => {
    expect(previewOriginOf("app-x.vercel.app")).toBe("https://app-x.vercel.app");
    expect(previewOriginOf("127.0.0.1:4321")).toBe("http://127.0.0.1:4321");
  });
  it("moves the app's URLs to the preview's origin for step 1", () => {
    const env = stagedEnv({ NEXT_PUBLIC_BASE_URL: "https://book.example.com", STRIPE_WEBHOOK_URL: "https://book.example.com/api/webhooks/stripe?x=1", CALENDLY_WEBHOOK_URL: "not a url", OTHER: "kept" }, "https://p.vercel.app");
    expect(env).toEqual({ NEXT_PUBLIC_BASE_URL: "https://p.vercel.app", STRIPE_WEBHOOK_URL: "https://p.vercel.app/api/webhooks/stripe?x=1", CALENDLY_WEBHOOK_URL: "not a url", OTHER: "kept" });
  });
});

describe("release steps", () => {
  it("a new journal is valid and has every step left", () => {
    const j = journal();
    expect(releaseJournalSchema.safeParse(j).success).toBe(true);
    expect(remainingReleaseSteps(j)).toEqual(["verify-staged", "promote", "verify-production", "rollback"]);
  });
  it("a step left running by an interruption is done again", () => {
    const j = withReleaseStep(withReleaseStep(journal(), "verify-staged", { status: "done", detail: { outcome: "pass" } }), "promote", { status: "running" });
    expect(remainingReleaseSteps(j)).toEqual(["promote", "verify-production", "rollback"]);
  });
  it("rolls back only when production verification ran and failed", () => {
    expect(rollbackNeeded(journal())).toBe(false);
    expect(rollbackNeeded(withReleaseStep(journal(), "verify-production", { status: "done", detail: { outcome: "pass" } }))).toBe(false);
    expect(rollbackNeeded(withReleaseStep(journal(), "verify-production", { status: "done", detail: { outcome: "fail" } }))).toBe(true);
    expect(rollbackNeeded(withReleaseStep(journal(), "verify-production", { status: "failed", detail: { outcome: "fail" } }))).toBe(false);
  });
  it("ends released, rejected, rolled back or failed in production", () => {
    const staged = (outcome: string) => withReleaseStep(journal(), "verify-staged", { status: "done", detail: { outcome } });
    const prod = (outcome: string) => withReleaseStep(staged("pass"), "verify-production", { status: "done", detail: { outcome } });
    expect(finalStatus(staged("fail"))).toBe("rejected");
    expect(finalStatus(prod("pass"))).toBe("released");
    expect(finalStatus(withReleaseStep(prod("fail"), "rollback", { status: "done" }))).toBe("rolled-back");
    expect(finalStatus(withReleaseStep(prod("fail"), "rollback", { status: "skipped" }))).toBe("failed-in-production");
  });
  it("running again continues the unfinished release of the same candidate, and refuses another", () => {
    const j = journal();
    expect(continueOrRefuse(j, {})).toEqual({ continue: true });
    expect(continueOrRefuse(j, { deployment: "dpl_preview1" })).toEqual({ continue: true });
    expect(continueOrRefuse(j, { deployment: "https://app-preview1.vercel.app" })).toEqual({ continue: true });
    expect(continueOrRefuse(j, { commit: SHA.slice(0, 8) })).toEqual({ continue: true });
    const other = continueOrRefuse(j, { commit: OTHER.slice(0, 8) });
    expect(other.continue).toBe(false);
    expect(continueOrRefuse(j, { deployment: "dpl_other" }).continue).toBe(false);
  });
  it("refuses a journal whose fields are not the format", () => {
    expect(releaseJournalSchema.safeParse({ ...journal(), status: "maybe" }).success).toBe(false);
    expect(releaseJournalSchema.safeParse({ ...journal(), id: "rb-20261207-120000-abcd" }).success).toBe(false);
  });
});
