import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStripeClient } from "../../src/providers/stripe-client.js";
import type { SandboxWorld } from "../../src/sandbox/world.js";
import { parseXml, type XmlElement } from "../engine/xml.js";
import { tempDir } from "../support/cli.js";
import { startTestSandbox, type TestSandbox } from "../support/sandbox.js";
import { parseActionYaml } from "./action-yaml.js";
import { ACTION_ROOT, readAction, runAction, stepById, type ActionRun } from "./harness.js";

/**
 * The GitHub Action (action.yml): its declared inputs, outputs and steps, and
 * its `run:` steps executed in order by the harness against one sandbox world,
 * with the worktree's built CLI (the install step is not run; its commands
 * are held to the documentation instead).
 */

const action = readAction();
const SCRIPT = join(ACTION_ROOT, "scripts/action/bookflow-action.sh");
const DOC = readFileSync(join(ACTION_ROOT, "docs/github-action.md"), "utf8");
const README = readFileSync(join(ACTION_ROOT, "README.md"), "utf8");

const find = (el: XmlElement, name: string): XmlElement[] => [...(el.name === name ? [el] : []), ...el.children.flatMap((c) => find(c, name))];

describe("action.yml", () => {
  it("is a composite action with the documented inputs (and their defaults) and outputs", () => {
    expect(action.runs.using).toBe("composite");
    expect(Object.fromEntries(Object.entries(action.inputs).map(([k, v]) => [k, v.default]))).toEqual({
      command: "verify",
      target: "",
      "env-file": "",
      config: "",
      args: "",
      "report-dir": "bookflow-reports",
      "fail-on": "failures",
      "working-directory": ".",
      "node-version": "20",
    });
    for (const [name, def] of Object.entries(action.inputs)) {
      expect(def.required, name).toBe("false");
      expect(def.description.length, name).toBeGreaterThan(20);
    }
    expect(Object.keys(action.outputs).sort()).toEqual(["exit-code", "failed", "html-path", "json-path", "junit-path", "report-path", "result"]);
    for (const [name, def] of Object.entries(action.outputs)) expect(def.value, name).toBe(`\${{ steps.run.outputs.${name} }}`);
  });

  it("checks the inputs first, sets up Node, installs, then runs; every run step is one call of the script", () => {
    const steps = action.runs.steps;
    expect(steps.map((s) => s.id ?? s.uses)).toEqual(["inputs", "actions/setup-node@v4", "install", "run"]);
    expect(steps[1]).toMatchObject({ if: "inputs.node-version != ''", with: { "node-version": "${{ inputs.node-version }}" } });
    for (const [id, verb] of [["inputs", "check"], ["install", "install"], ["run", "run"]] as const) {
      expect(stepById(action, id)).toMatchObject({ shell: "bash", run: `bash "\${{ github.action_path }}/scripts/action/bookflow-action.sh" ${verb}` });
    }
    expect(stepById(action, "run")["working-directory"]).toBe("${{ inputs.working-directory }}");
    // Inputs reach the shell through env only, never spliced into a run: line.
    for (const step of steps) expect(step.run ?? "", step.name).not.toMatch(/inputs\./);
  });

  it("the install step runs the commands docs/github-action.md and the README name", () => {
    const body = /^step_install\(\) \{\n([\s\S]*?)\n\}/m.exec(readFileSync(SCRIPT, "utf8"))![1]!;
    const commands = body.split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
    expect(commands).toEqual(['cd "$ACTION_ROOT"', "npm ci --no-audit --no-fund", "node bin/bookflow.js --version"]);
    const documented = /<!-- install -->\n```sh\n([\s\S]*?)```/.exec(DOC)![1]!.trim().split("\n");
    expect(documented).toEqual(['cd "$GITHUB_ACTION_PATH"', "npm ci --no-audit --no-fund", "node bin/bookflow.js --version"]);
    expect(README).toMatch(/npm ci --no-audit --no-fund/);
  });

  it("documents every input and output in the README's table and in docs/github-action.md", () => {
    const section = README.slice(README.indexOf("### GitHub Action"));
    for (const name of [...Object.keys(action.inputs), ...Object.keys(action.outputs)]) {
      expect(section, name).toContain(`| \`${name}\` |`);
      expect(DOC, name).toContain(`\`${name}\``);
    }
  });

  it("action.yml is read strictly: a duplicate key or a YAML error throws, and values stay as written", () => {
    expect(() => parseActionYaml("a: b: c\n")).toThrow();
    expect(() => parseActionYaml("a: 1\na: 2\n")).toThrow(/unique/i);
    expect(() => parseActionYaml("- a\n")).toThrow(/not a mapping/);
    expect(parseActionYaml("a:\n  - x: \"1\"\n    y: 2\n  - z: ${{ q }}\n")).toEqual({ a: [{ x: "1", y: "2" }, { z: "${{ q }}" }] });
  });
});

describe("the action's steps, run against the sandbox", () => {
  let sandbox: TestSandbox;
  let world: SandboxWorld;
  /** A workspace holding the sandbox's environment as .env.sandbox (what a workflow writes from its secrets). */
  const workspace = () => {
    const dir = tempDir("bookflow-action-ws-");
    writeFileSync(join(dir, ".env.sandbox"), Object.entries(world.env).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join("\n") + "\n");
    return dir;
  };
  const act = (inputs: Record<string, string>, ws = workspace()) => runAction({ inputs: { "env-file": ".env.sandbox", target: "sandbox", ...inputs }, workspace: ws, skip: ["install"] });
  const report = (run: ActionRun) => JSON.parse(readFileSync(run.outputs["json-path"]!, "utf8")) as { outcome: string; results: { id: string; status: string }[] };

  beforeAll(async () => {
    sandbox = await startTestSandbox();
    ({ world } = sandbox);
  });
  afterAll(async () => {
    await sandbox?.stop();
  });

  it("a passing verify: exit 0, JUnit, HTML, JSON, the Markdown summary, annotations and the outputs", async () => {
    const run = await act({ command: "verify", args: "--only stripe" });
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    const dir = join(run.workspace, "bookflow-reports");
    expect(run.outputs).toEqual({
      result: "passed",
      failed: "0",
      "exit-code": "0",
      "report-path": dir,
      "junit-path": join(dir, "bookflow.xml"),
      "html-path": join(dir, "bookflow.html"),
      "json-path": join(dir, "bookflow.json"),
    });
    const cases = find(parseXml(readFileSync(run.outputs["junit-path"]!, "utf8")), "testcase");
    expect(cases.length).toBeGreaterThanOrEqual(5);
    expect(cases.map((c) => c.attrs.name)).toContain("stripe.webhook-endpoint-enabled");
    expect(cases.flatMap((c) => find(c, "failure"))).toEqual([]);
    expect(readFileSync(run.outputs["html-path"]!, "utf8")).toMatch(/^<!doctype html>/i);
    expect(report(run).outcome).toBe("passed");
    // The Markdown summary: in the step summary and in its own file, the same text.
    expect(run.summary).toMatch(/^#+ .*bookflow/im);
    expect(run.summary).toMatch(/stripe\.webhook-endpoint-enabled/);
    expect(readFileSync(join(dir, "bookflow.md"), "utf8").trim()).toBe(run.summary.trim());
    expect(run.stdout).toMatch(/^::notice title=[^:]*::passed \(target sandbox\)/m);
    expect(run.stdout).not.toMatch(/^::error/m);
    expect(run.steps.map((s) => s.id)).toEqual(["inputs", "run"]);
  }, 120_000);

  it("a failing verify (Stripe's endpoint disabled): exit 1, result failed, the failure in JUnit, an ::error annotation", async () => {
    const stripe = await createStripeClient({ secretKey: world.env.STRIPE_SECRET_KEY!, apiBase: world.env.STRIPE_API_BASE });
    const endpoint = (await stripe.webhookEndpoints.list()).data.find((e) => e.url === world.env.STRIPE_WEBHOOK_URL)!;
    await stripe.webhookEndpoints.update(endpoint.id, { disabled: true });
    try {
      const run = await act({ command: "verify", args: "--only stripe", "report-dir": "out/reports" });
      expect(run.exitCode, run.stdout + run.stderr).toBe(1);
      expect(run.outputs).toMatchObject({ result: "failed", failed: "1", "exit-code": "1", "report-path": join(run.workspace, "out/reports") });
      expect(report(run).results.filter((r) => r.status === "fail").map((r) => r.id)).toEqual(["stripe.webhook-endpoint-enabled"]);
      const failing = find(parseXml(readFileSync(run.outputs["junit-path"]!, "utf8")), "testcase").filter((c) => find(c, "failure").length > 0);
      expect(failing.map((c) => c.attrs.name)).toEqual(["stripe.webhook-endpoint-enabled"]);
      expect(run.stdout).toMatch(/^::error title=stripe\.webhook-endpoint-enabled%3A .*::Endpoint we_\w+ for .* is disabled/m);
      expect(run.summary).toMatch(/stripe\.webhook-endpoint-enabled/);

      // fail-on never: the same failure reported, the step green.
      const lenient = await act({ command: "verify", args: "--only stripe", "fail-on": "never" });
      expect(lenient.exitCode, lenient.stdout + lenient.stderr).toBe(0);
      expect(lenient.outputs).toMatchObject({ result: "failed", failed: "1", "exit-code": "1" });
      expect(lenient.stdout).toMatch(/^::warning title=bookflow action::bookflow verify failed \(exit 1\); fail-on: never keeps the step green\./m);
    } finally {
      await stripe.webhookEndpoints.update(endpoint.id, { disabled: false });
    }
  }, 180_000);

  it("scenarios run: the scenario named in args, in working-directory, its JUnit and outputs", async () => {
    const ws = workspace();
    mkdirSync(join(ws, "app"));
    copyFileSync(join(ws, ".env.sandbox"), join(ws, "app/.env.sandbox"));
    const run = await act({ command: "scenarios run", args: "free-session", "working-directory": "app" }, ws);
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(run.outputs).toMatchObject({ result: "passed", failed: "0", "report-path": join(ws, "app/bookflow-reports") });
    const cases = find(parseXml(readFileSync(run.outputs["junit-path"]!, "utf8")), "testcase");
    expect(cases.map((c) => c.attrs.name)).toEqual(["scenarios.free-session"]);
    expect(existsSync(run.outputs["html-path"]!)).toBe(true);
    expect(run.summary).toMatch(/free-session/);
  }, 120_000);

  it("bookflow's usage error (an unknown target): exit 2, result error, no report, a line in the summary", async () => {
    const run = await act({ command: "verify", target: "moon" });
    expect(run.exitCode).toBe(2);
    expect(run.outputs).toMatchObject({ result: "error", failed: "", "exit-code": "2" });
    expect(run.stderr).toMatch(/target: must be one of production, staging, sandbox/);
    expect(run.summary).toBe("### bookflow verify: error (exit 2); no report was written, see the step's log\n");
    // fail-on usage still fails the step on exit 2.
    expect((await act({ command: "verify", target: "moon", "fail-on": "usage" })).exitCode).toBe(2);
  }, 60_000);
});

describe("bad inputs stop the action at its first step", () => {
  const bad = async (inputs: Record<string, string>) => {
    const run = await runAction({ inputs, skip: ["install"] });
    expect(run.steps.map((s) => s.id)).toEqual(["inputs"]);
    expect(run.exitCode).toBe(2);
    expect(run.outputs.result).toBe("");
    return run;
  };

  it.each(["deploy", "", "scenarios", "verify --only env", "Verify"])("command %j", async (command) => {
    const run = await bad({ command });
    expect(run.stdout).toContain(`::error title=bookflow action::input "command" is "${command}": the action runs verify, scenarios run or release`);
    expect(run.stderr).toContain(`bookflow action: input "command" is "${command}"`);
  });

  it("fail-on other than failures, usage or never", async () => {
    expect((await bad({ "fail-on": "sometimes" })).stdout).toMatch(/input "fail-on" is "sometimes": use failures/);
  });

  it("args with an unmatched quote", async () => {
    expect((await bad({ args: `--only "stripe` })).stdout).toMatch(/input "args" cannot be split into words \(an unmatched quote\?\)/);
  });

  it("an empty report-dir, and a working-directory that does not exist", async () => {
    expect((await bad({ "report-dir": "" })).stdout).toMatch(/input "report-dir" is empty/);
    expect((await bad({ "working-directory": "no/such/dir" })).stdout).toMatch(/input "working-directory" is "no\/such\/dir", which is not a directory/);
  });
});

describe("command: release (with a recording stand-in for the CLI)", () => {
  /**
   * `bookflow release` is built elsewhere; here the action's copy holds a
   * bin/bookflow.js that records its arguments and answers as release does
   * (JSON on stdout), to pin what the action passes and how it reads the answer.
   */
  function standIn(exitCode: number, answer: unknown): string {
    const dir = tempDir("bookflow-action-path-");
    copyFileSync(join(ACTION_ROOT, "action.yml"), join(dir, "action.yml"));
    mkdirSync(join(dir, "scripts/action"), { recursive: true });
    for (const f of ["bookflow-action.sh", "failed-count.mjs"]) copyFileSync(join(ACTION_ROOT, "scripts/action", f), join(dir, "scripts/action", f));
    mkdirSync(join(dir, "bin"));
    const bin = join(dir, "bin/bookflow.js");
    writeFileSync(
      bin,
      `import { writeFileSync } from "node:fs";\nwriteFileSync(${JSON.stringify(join(dir, "argv.json"))}, JSON.stringify(process.argv.slice(2)));\nprocess.stdout.write(${JSON.stringify(JSON.stringify(answer))});\nprocess.exit(${exitCode});\n`,
    );
    writeFileSync(join(dir, "package.json"), `{"type":"module"}\n`);
    chmodSync(bin, 0o755);
    return dir;
  }

  it("passes the global --env-file, then release, --target, --config, the args split as a shell would, and --json; writes release.json", async () => {
    const dir = standIn(0, { summary: { fail: 0, error: 0 } });
    const run = await runAction({
      inputs: { command: "release", "env-file": ".env.production", target: "production", config: "ops/bookflow.config.json", args: `--commit abc123 --yes --reason "hotfix for checkout"` },
      actionPath: dir,
      skip: ["install"],
    });
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, "argv.json"), "utf8"))).toEqual([
      "--env-file", ".env.production", "release", "--target", "production", "--config", "ops/bookflow.config.json", "--commit", "abc123", "--yes", "--reason", "hotfix for checkout", "--json",
    ]);
    const reports = join(run.workspace, "bookflow-reports");
    expect(run.outputs).toEqual({ result: "passed", failed: "0", "exit-code": "0", "report-path": reports, "junit-path": "", "html-path": "", "json-path": join(reports, "release.json") });
    expect(readFileSync(join(reports, "release.json"), "utf8")).toBe(`{"summary":{"fail":0,"error":0}}`);
    expect(run.summary).toBe("### bookflow release: passed (exit 0), 0 failed; the whole result is in release.json\n");
    expect(run.stdout).not.toMatch(/::warning/);
  });

  it("a failed release (exit 1): result failed, the step fails; without --yes the first step warns", async () => {
    const dir = standIn(1, { release: "rel-x", verify: { staged: { summary: { fail: 0, error: 0 } }, production: { summary: { fail: 2, error: 1 } } } });
    const run = await runAction({ inputs: { command: "release", args: "--commit abc123" }, actionPath: dir, skip: ["install"] });
    expect(run.exitCode).toBe(1);
    expect(run.outputs).toMatchObject({ result: "failed", failed: "3", "exit-code": "1" });
    expect(run.steps[0]!.stdout).toMatch(/^::warning title=bookflow action::release without --yes/m);
    expect(run.summary).toBe("### bookflow release: failed (exit 1), 3 failed; the whole result is in release.json\n");
  });
});
