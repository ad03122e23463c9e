import { execa } from "execa";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { tempDir } from "../support/cli.js";
import { parseActionYaml } from "./action-yaml.js";

/**
 * Runs action.yml's composite steps locally, as the runner does: each `run:`
 * step written to a file and executed with `bash --noprofile --norc -eo
 * pipefail <file>` (GitHub's `shell: bash`), in the step's
 * working-directory, with the step's `env:`, its own $GITHUB_OUTPUT file and
 * the job's $GITHUB_STEP_SUMMARY; `${{ inputs.x }}` (else the input's
 * default), `${{ github.action_path }}`, `${{ github.workspace }}` and `${{
 * steps.<id>.outputs.<name> }}` substituted, any other expression refused.
 * The first failing step stops the run. `uses:` steps and the steps named in
 * `skip` are not run (their definitions are for the test to assert).
 */

export const ACTION_ROOT = resolve(import.meta.dirname, "../..");

export interface ActionStep {
  id?: string;
  name?: string;
  shell?: string;
  run?: string;
  uses?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, string>;
  "working-directory"?: string;
}

export interface ActionDefinition {
  name: string;
  description: string;
  inputs: Record<string, { description: string; required: string; default: string }>;
  outputs: Record<string, { description: string; value: string }>;
  runs: { using: string; steps: ActionStep[] };
}

export function readAction(file = join(ACTION_ROOT, "action.yml")): ActionDefinition {
  return parseActionYaml(readFileSync(file, "utf8")) as unknown as ActionDefinition;
}

export interface StepRun {
  id: string | undefined;
  name: string | undefined;
  exitCode: number;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
}

export interface ActionRun {
  /** The step that failed, else 0: what the job sees as the action's result. */
  exitCode: number;
  steps: StepRun[];
  /** The action's outputs, from its `outputs:` values. */
  outputs: Record<string, string>;
  /** What the steps appended to $GITHUB_STEP_SUMMARY. */
  summary: string;
  stdout: string;
  stderr: string;
  workspace: string;
}

export interface RunActionOptions {
  inputs: Record<string, string>;
  /** The job's workspace ($GITHUB_WORKSPACE); a fresh directory when not given. */
  workspace?: string;
  /** The checked-out action ($GITHUB_ACTION_PATH); default this repository. */
  actionPath?: string;
  /** Step ids not to run. */
  skip?: readonly string[];
  /** The job's environment (PATH and HOME are added). */
  env?: Record<string, string>;
  timeout?: number;
}

export async function runAction(options: RunActionOptions): Promise<ActionRun> {
  const actionPath = options.actionPath ?? ACTION_ROOT;
  const action = readAction(join(actionPath, "action.yml"));
  const workspace = options.workspace ?? tempDir("bookflow-action-ws-");
  const runnerTemp = tempDir("bookflow-action-runner-");
  const summaryFile = join(runnerTemp, "step-summary.md");
  writeFileSync(summaryFile, "");
  for (const name of Object.keys(options.inputs)) if (!(name in action.inputs)) throw new Error(`action.yml declares no input ${name}`);
  const inputs = Object.fromEntries(Object.entries(action.inputs).map(([name, def]) => [name, options.inputs[name] ?? def.default ?? ""]));
  const stepOutputs: Record<string, Record<string, string>> = {};
  const expand = (text: string) =>
    text.replace(/\$\{\{\s*([^}]*?)\s*\}\}/g, (_, expr: string) => {
      let m: RegExpExecArray | null;
      if ((m = /^inputs\.([A-Za-z0-9_-]+)$/.exec(expr))) {
        if (!(m[1]! in inputs)) throw new Error(`expression names an undeclared input: ${expr}`);
        return inputs[m[1]!]!;
      }
      if (expr === "github.action_path") return actionPath;
      if (expr === "github.workspace") return workspace;
      if ((m = /^steps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)$/.exec(expr))) return stepOutputs[m[1]!]?.[m[2]!] ?? "";
      throw new Error(`the harness does not evaluate \${{ ${expr} }}`);
    });

  const run: ActionRun = { exitCode: 0, steps: [], outputs: {}, summary: "", stdout: "", stderr: "", workspace };
  for (const [n, step] of action.runs.steps.entries()) {
    if (step.uses !== undefined || (step.id !== undefined && options.skip?.includes(step.id))) continue;
    if (step.shell !== "bash" || step.run === undefined) throw new Error(`step ${step.name ?? n}: the harness runs shell: bash steps only`);
    if (step.if !== undefined) throw new Error(`step ${step.name ?? n}: the harness does not evaluate if:`);
    const script = join(runnerTemp, `step-${n}.sh`);
    writeFileSync(script, expand(step.run));
    const outputFile = join(runnerTemp, `output-${n}`);
    writeFileSync(outputFile, "");
    const cwd = resolve(workspace, expand(step["working-directory"] ?? "."));
    mkdirSync(cwd, { recursive: true });
    const stepEnv = Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, expand(v)]));
    const r = await execa("bash", ["--noprofile", "--norc", "-eo", "pipefail", script], {
      cwd,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        CI: "true",
        GITHUB_ACTIONS: "true",
        RUNNER_TEMP: runnerTemp,
        GITHUB_WORKSPACE: workspace,
        GITHUB_ACTION_PATH: actionPath,
        GITHUB_OUTPUT: outputFile,
        GITHUB_STEP_SUMMARY: summaryFile,
        ...options.env,
        ...stepEnv,
      },
      extendEnv: false,
      reject: false,
      timeout: options.timeout ?? 120_000,
      input: "",
      stripFinalNewline: false,
    });
    const outputs = parseOutputFile(readFileSync(outputFile, "utf8"));
    if (step.id !== undefined) stepOutputs[step.id] = outputs;
    const exitCode = r.exitCode ?? -1;
    run.steps.push({ id: step.id, name: step.name, exitCode, stdout: String(r.stdout), stderr: String(r.stderr), outputs });
    run.stdout += String(r.stdout);
    run.stderr += String(r.stderr);
    if (exitCode !== 0) {
      run.exitCode = exitCode;
      break;
    }
  }
  for (const [name, def] of Object.entries(action.outputs)) run.outputs[name] = expand(def.value);
  run.summary = readFileSync(summaryFile, "utf8");
  return run;
}

/** $GITHUB_OUTPUT's two forms: `name=value` lines and `name<<DELIM` … `DELIM` blocks. */
export function parseOutputFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === "") continue;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const end = lines.indexOf(heredoc[2]!, i + 1);
      if (end < 0) throw new Error(`unterminated ${heredoc[1]} in $GITHUB_OUTPUT`);
      out[heredoc[1]!] = lines.slice(i + 1, end).join("\n");
      i = end;
      continue;
    }
    const eq = line.indexOf("=");
    if (eq < 1) throw new Error(`bad $GITHUB_OUTPUT line: ${line}`);
    out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

/** A step's definition by id. */
export function stepById(action: ActionDefinition, id: string): ActionStep {
  const step = action.runs.steps.find((s) => s.id === id);
  if (!step) throw new Error(`action.yml has no step with id ${id}`);
  return step;
}

