import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { SCENARIO_CATALOGUE, SCENARIO_NAMES } from "../../scenarios/catalogue.js";
import { scenarios } from "../../scenarios/index.js";
import type { ScenarioDefinition } from "../../src/engine/scenarios/scenario.js";
import { runCli } from "../support/cli.js";

/**
 * The scenario catalogue, as test/checks/catalogue.test.ts is the checks':
 * every file under scenarios/ is one scenario whose name is its file name, is
 * registered in scenarios/index.ts and listed (same order) in the light
 * scenarios/catalogue.ts the help text is generated from, explains itself, is
 * in docs/scenarios.md, and has a broken-world test.
 */

const ROOT = resolve(import.meta.dirname, "../..");
const SCENARIOS_DIR = join(ROOT, "scenarios");
const NOT_SCENARIOS = new Set(["index.ts", "catalogue.ts"]);

const files = readdirSync(SCENARIOS_DIR).filter((f) => f.endsWith(".ts") && !NOT_SCENARIOS.has(f));
const modules = await Promise.all(
  files.map(async (file) => ({ file, name: file.replace(/\.ts$/, ""), scenario: ((await import(pathToFileURL(join(SCENARIOS_DIR, file)).href)) as { default: ScenarioDefinition }).default }))
);
const docs = readFileSync(join(ROOT, "docs", "scenarios.md"), "utf8");
const brokenWorlds = readFileSync(join(ROOT, "test", "scenarios", "broken-worlds.test.ts"), "utf8");

describe("the scenario catalogue", () => {
  it("has scenario files", () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it("scenarios/index.ts and scenarios/catalogue.ts list the same scenarios, in the same order, each once", () => {
    expect(scenarios.map((s) => s.name)).toEqual(SCENARIO_NAMES);
    expect(new Set(SCENARIO_NAMES).size).toBe(SCENARIO_NAMES.length);
    expect(new Set(scenarios.map((s) => s.id)).size).toBe(scenarios.length);
  });

  it("registers nothing twice and nothing that has no file", () => {
    expect(new Set(scenarios).size).toBe(scenarios.length);
    expect(scenarios.length).toBe(modules.length);
  });

  it.each(modules)("$file: its name is its file name, its id scenarios.<name>", ({ name, scenario }) => {
    expect(scenario, `${name}.ts must default-export defineScenario(...)`).toBeDefined();
    expect(scenario.name).toBe(name);
    expect(scenario.id).toBe(`scenarios.${name}`);
  });

  it.each(modules)("$file: is registered in scenarios/index.ts", ({ scenario }) => {
    expect(scenarios).toContain(scenario);
  });

  it.each(modules)("$file: explains itself: title, checklist entry, steps, why it matters, how to fix, a one-line summary", ({ name, scenario }) => {
    expect(scenario.title.trim().length).toBeGreaterThan(0);
    expect(scenario.checklist.trim().length).toBeGreaterThan(0);
    expect(scenario.steps.length).toBeGreaterThan(0);
    for (const step of scenario.steps) expect(step.title.trim().length, `${name} step ${step.id}`).toBeGreaterThan(0);
    expect(scenario.docs.why.trim().length).toBeGreaterThan(20);
    expect(scenario.docs.fix.trim().length).toBeGreaterThan(20);
    const entry = SCENARIO_CATALOGUE.find((e) => e.name === name);
    expect(entry?.summary.trim().length ?? 0, `scenarios/catalogue.ts needs a summary for ${name}`).toBeGreaterThan(20);
  });

  it.each(modules)("$file: has a row in docs/scenarios.md with its checklist entry", ({ name, scenario }) => {
    expect(docs).toContain(`| \`${name}\` | ${scenario.checklist} |`);
  });

  it.each(modules)("$file: has a broken-world case in test/scenarios/broken-worlds.test.ts", ({ name }) => {
    expect(brokenWorlds, `no run("${name}") in broken-worlds.test.ts`).toContain(`run("${name}"`);
  });

  it("`bookflow scenarios run --help` lists every scenario with its summary (generated from the catalogue)", async () => {
    const r = await runCli(["scenarios", "run", "--help"]);
    expect(r.exitCode).toBe(0);
    for (const { name, summary } of SCENARIO_CATALOGUE) expect(r.stdout).toMatch(new RegExp(`^ {2}${name} +${summary.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`, "m"));
  });
});
