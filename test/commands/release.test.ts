import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { listAudit } from "../../src/core/audit.js";
import type { ReleaseJournal } from "../../src/core/release-plan.js";
import { defaultDeployments, fakeCommitSha } from "../../src/sandbox/vercel/emulator.js";
import { BIN, cleanEnv, runCli, tempDir } from "../support/cli.js";
import { startTestSandbox, type TestSandbox } from "../support/sandbox.js";

/**
 * `bookflow release` end to end in one sandbox world, the CLI as a process.
 * Each test starts from three READY production deployments (the newest live)
 * and makes its candidate with the Vercel emulator's control API (a git
 * push's preview, served by the sandbox's app). A bad candidate is a preview
 * whose runtime logs get an error once it serves production, which
 * `deployment.logs-clean` catches in step 3.
 */

const ACTOR = "release-test@example.com";

describe("bookflow release", () => {
  let s: TestSandbox;
  let root: string;
  let dataDir: string;
  let previous: string;

  beforeAll(async () => {
    s = await startTestSandbox();
    root = tempDir();
    dataDir = join(root, "data");
    // database.connections-stable spreads its samples over 0.2 s, not 2.5 s, in every verification a release makes here.
    writeFileSync(join(root, "bookflow.config.json"), JSON.stringify({ contacts: [{ role: "on-call", name: "Ops pager", phone: "+1 555 0100" }], thresholds: { databaseSampleWindowMs: 200 } }));
  }, 120_000);
  afterAll(async () => {
    await s?.stop();
  });
  beforeEach(() => {
    s.world.vercel.setDeployments(defaultDeployments("bookflow-sandbox"));
    s.world.vercel.clearLogs();
    previous = s.world.vercel.state().currentProductionId!;
  });

  const env = (extra: Record<string, string> = {}) => ({ ...s.world.env, BOOKFLOW_ACTOR: ACTOR, BOOKFLOW_DATA_DIR: dataDir, ...extra });
  const release = (args: string[], timeout = 120_000) => runCli(["release", ...args], { env: env(), cwd: root, timeout });
  const journal = (id: string) => JSON.parse(readFileSync(join(dataDir, "releases", `${id}.json`), "utf8")) as ReleaseJournal;
  const preview = (seed: string, over: Record<string, unknown> = {}) => s.world.vercel.createPreview({ commitSha: fakeCommitSha(seed), ...over }) as { uid: string; url: string; meta: { githubCommitSha: string } };
  const live = () => s.world.vercel.state().currentProductionId;
  const json = (stdout: string) => JSON.parse(stdout) as { release: string; status: string; production: string; rollbackId: string | null; steps: { name: string; status: string }[]; verify: { staged: { outcome: string } | null; production: { outcome: string; failing: { id: string }[] } | null } };

  it("promotes a good candidate, verifies production and exits 0", async () => {
    const c = preview("good");
    const r = await release(["--commit", c.meta.githubCommitSha.slice(0, 10), "--yes", "--json"]);
    expect(r.exitCode, r.stderr).toBe(0);
    const out = json(r.stdout);
    expect(out.status).toBe("released");
    expect(out.production).toBe(c.uid);
    expect(live()).toBe(c.uid);
    expect(out.steps.map((x) => [x.name, x.status])).toEqual([["verify-staged", "done"], ["promote", "done"], ["verify-production", "done"], ["rollback", "skipped"]]);
    expect(out.verify.staged?.outcome).toBe("passed");
    expect(out.verify.production?.outcome).toBe("passed");
    const actions = (await listAudit(s.database.db.prisma, { target: `release:${out.release}` })).map((a) => a.action);
    expect(actions).toEqual(expect.arrayContaining(["release.started", "release.step.verify-staged", "release.step.promote", "release.step.verify-production", "release.released"]));

    // --undo promotes back what was production before.
    const u = await release(["--undo", out.release, "--yes"]);
    expect(u.exitCode, u.stderr).toBe(0);
    expect(live()).toBe(previous);
    expect(journal(out.release).status).toBe("undone");
  });

  it("rolls a candidate that breaks production back automatically and exits 1", async () => {
    const c = preview("bad", { productionError: "TypeError: Cannot read properties of undefined (reading 'priceId')" });
    const r = await release(["--deployment", c.uid, "--yes", "--json"]);
    expect(r.exitCode, r.stderr).toBe(1);
    const out = json(r.stdout);
    expect(out.status).toBe("rolled-back");
    expect(out.verify.production?.failing.map((f) => f.id)).toContain("deployment.logs-clean");
    expect(out.rollbackId).toMatch(/^rb-/);
    expect(live()).toBe(previous);
    // Put the world back: the rollback's webhooks and manual processing.
    const undo = await runCli(["rollback", "--undo", out.rollbackId!, "--yes", "--release-held"], { env: env(), cwd: root });
    expect(undo.exitCode, undo.stderr).toBe(0);
  });

  it("with --no-auto-rollback leaves the failing candidate live and exits 1", async () => {
    const c = preview("bad-kept", { productionError: "Error: STRIPE_PRICE_MAP is not set" });
    const r = await release(["--deployment", c.url, "--commit", c.meta.githubCommitSha, "--yes", "--json", "--no-auto-rollback"]);
    expect(r.exitCode, r.stderr).toBe(1);
    const out = json(r.stdout);
    expect(out.status).toBe("failed-in-production");
    expect(out.rollbackId).toBeNull();
    expect(live()).toBe(c.uid);
  });

  it("a release killed after the promotion continues to completion when run again", async () => {
    const c = preview("interrupted");
    const child = execa("node", ["--", BIN, "release", "--deployment", c.uid, "--yes"], { cwd: root, env: cleanEnv(env()), extendEnv: false, reject: false });
    const dir = join(dataDir, "releases");
    let id: string | undefined;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const names = existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith(".json")) : [];
      const promoted = names.map((n) => journal(n.slice(0, -5))).find((j) => j.candidate.uid === c.uid && j.steps.find((x) => x.name === "promote")!.status === "done");
      if (promoted) {
        id = promoted.id;
        child.kill("SIGKILL");
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    await child;
    expect(id).toBeDefined();
    expect(journal(id!).status).toBe("in-progress");
    expect(live()).toBe(c.uid);

    const again = await release(["--yes"]);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stdout).toContain(`continuing it`);
    expect(journal(id!).status).toBe("released");
    expect(journal(id!).steps.map((x) => x.status)).toEqual(["done", "done", "done", "skipped"]);
  });

  it("--plan prints the steps and the emergency contacts and changes nothing", async () => {
    const c = preview("planned");
    const r = await release(["--deployment", c.uid, "--plan"]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain("verify-staged".replace("verify-staged", "Verify the candidate as staged"));
    expect(r.stdout).toContain("On-call: Ops pager, +1 555 0100");
    expect(live()).toBe(previous);
  });

  describe("bad input exits 2 with a fix", () => {
    const refused = async (args: string[], code: RegExp) => {
      const r = await release(args);
      expect(r.exitCode, r.stdout + r.stderr).toBe(2);
      expect(r.stderr).toMatch(code);
      expect(r.stderr).toContain("fix:");
      expect(live()).toBe(previous);
      return r;
    };
    it("no --deployment and no --commit", () => refused(["--yes"], /Nothing to release/));
    it("--resume and --undo both given", () => refused(["--resume", "rel-20261207-120000-abcd", "--undo", "rel-20261207-120000-abcd", "--yes"], /--resume/));
    it("--undo with a candidate", () => refused(["--undo", "rel-20261207-120000-abcd", "--commit", "abcdef1", "--yes"], /journal names the candidate/));
    it("a commit that is not a sha", () => refused(["--commit", "main", "--yes"], /commit sha/));
    it("an unknown deployment", () => refused(["--deployment", "dpl_doesnotexist", "--yes"], /No deployment dpl_doesnotexist/));
    it("no READY preview of the commit", () => refused(["--commit", "abcdef1234", "--yes"], /No READY preview deployment of commit abcdef1234/));
    it("a deployment that is not READY", () => refused(["--deployment", preview("building", { state: "BUILDING" }).uid, "--yes"], /is BUILDING, not READY/));
    it("a deployment that failed to build", () => refused(["--deployment", preview("broken", { state: "ERROR" }).uid, "--yes"], /is ERROR, not READY/));
    it("a deployment whose commit differs from --commit", () => refused(["--deployment", preview("mismatch").uid, "--commit", fakeCommitSha("other"), "--yes"], /was built from commit/));
    it("a production deployment as candidate", () => refused(["--deployment", s.world.vercel.state().deployments[0]!.uid, "--yes"], /is a production deployment, not a preview/));
    it("an unknown release id", () => refused(["--resume", "rel-20200101-000000-0000", "--yes"], /Unknown release/));
    it("no terminal and no --yes: the plan is printed as JSON", async () => {
      const c = preview("unconfirmed");
      const r = await refused(["--deployment", c.uid], /no terminal/);
      expect(JSON.parse(r.stdout.slice(r.stdout.indexOf("{"))).candidate.uid).toBe(c.uid);
    });
  });

  it("a preview that finishes building is released once READY", async () => {
    mkdirSync(dataDir, { recursive: true });
    const c = preview("later", { state: "BUILDING", readyAfterMs: 200 });
    await new Promise((r) => setTimeout(r, 400));
    const r = await release(["--commit", c.meta.githubCommitSha, "--yes"]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(live()).toBe(c.uid);
  });
});
