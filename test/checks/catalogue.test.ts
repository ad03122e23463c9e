import { existsSync, readdirSync } from "node:fs";
import { join, relative, resolve, sep } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { catalogue } from "../../checks/index.js";
import { catalogueProblems } from "../../src/engine/catalogue.js";
import { defineCheck, pass, placeholders, type AnyCheck } from "../../src/engine/check.js";
import { FACT_NAMES } from "../../src/engine/facts/index.js";

const ROOT = resolve(import.meta.dirname, "../..");
const CHECKS_DIR = join(ROOT, "checks");
/** Helpers shared by checks (decisions, probe readers): not a section, holds no checks. */
const SUPPORT_DIR = join(CHECKS_DIR, "support");

/** Every check file: checks/<section>/<name>.ts (index.ts is the catalogue, checks/support/ holds helpers). */
function checkFiles(dir = CHECKS_DIR): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return p === SUPPORT_DIR ? [] : checkFiles(p);
    return e.name.endsWith(".ts") && p !== join(CHECKS_DIR, "index.ts") ? [p] : [];
  });
}

const files = checkFiles();
const modules = await Promise.all(files.map(async (f) => ({ file: relative(CHECKS_DIR, f), check: ((await import(pathToFileURL(f).href)) as { default: AnyCheck }).default })));

describe("the check catalogue", () => {
  it("has check files", () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it("is sound: unique well-formed ids, known prerequisites and facts, no cycles, docs present, messages well-formed", () => {
    expect(catalogueProblems(catalogue, FACT_NAMES)).toEqual([]);
  });

  it.each(modules)("$file: id is its path with dots, section is its folder", ({ file, check }) => {
    expect(check, `${file} must default-export defineCheck(...)`).toBeDefined();
    const id = file.replace(/\.ts$/, "").split(sep).join(".");
    expect(check.id).toBe(id);
    expect(check.section).toBe(id.split(".")[0]);
  });

  it.each(modules)("$file: is registered in checks/index.ts", ({ check }) => {
    expect(catalogue).toContain(check);
  });

  it.each(modules)("$file: explains why it matters and how to fix it", ({ check }) => {
    expect(check.docs.why.trim().length).toBeGreaterThan(20);
    expect(check.docs.fix.trim().length).toBeGreaterThan(20);
    expect(check.title.trim().length).toBeGreaterThan(0);
  });

  it.each(modules)("$file: declares its messages: at least one, camelCase ids, word placeholders", ({ check }) => {
    const ids = Object.keys(check.messages);
    expect(ids.length).toBeGreaterThan(0);
    for (const id of ids) {
      expect(id).toMatch(/^[a-z][a-zA-Z0-9]*$/);
      const template = check.messages[id]!;
      expect(template.trim().length, id).toBeGreaterThan(0);
      for (const name of placeholders(template)) expect(name, `${id}: {{${name}}}`).toMatch(/^[A-Za-z][A-Za-z0-9]*$/);
    }
  });

  it.each(modules)("$file: has a test table", ({ file }) => {
    const test = join(ROOT, "test", "checks", file.replace(/\.ts$/, ".test.ts"));
    expect(existsSync(test), `missing ${relative(ROOT, test)}`).toBe(true);
  });

  it("registers nothing twice and nothing that has no file", () => {
    expect(new Set(catalogue).size).toBe(catalogue.length);
    expect(catalogue.length).toBe(modules.length);
  });
});

describe("the catalogue's message rule", () => {
  const check = (messages: Record<string, string>) =>
    defineCheck<"env", string>({
      id: "env.sample",
      section: "env",
      title: "A sample check",
      severity: "error",
      needs: [],
      facts: ["env"],
      docs: { why: "Why the sample matters.", fix: "Fix the sample like this." },
      messages,
      run: () => pass(Object.keys(messages)[0] ?? "none"),
    });
  const problems = (messages: Record<string, string>) => catalogueProblems([check(messages)], FACT_NAMES);

  it("accepts camelCase ids and word placeholders", () => {
    expect(problems({ missingEvents: "Missing events: {{events}}", keyRefused: "HTTP {{ status }}", ok: "All {{count}} present" })).toEqual([]);
  });

  it("requires at least one message", () => {
    expect(problems({})).toEqual(['check "env.sample" declares no messages (messages: { someFinding: "what it says" })']);
  });

  it("rejects an id that is not a camelCase word", () => {
    for (const id of ["missing-events", "MissingEvents", "missing events", "missing_events", "2fast", ""]) {
      expect(problems({ [id]: "text" }), id).toEqual([`check "env.sample" message id "${id}" is not a camelCase word (e.g. missingEvents)`]);
    }
  });

  it("rejects a placeholder that is not a word, an unclosed one and an empty template", () => {
    expect(problems({ bad: "Missing {{event-type}}" })).toEqual(['check "env.sample" message "bad" has placeholder "{{event-type}}", which is not a word (letters and digits, e.g. {{eventType}})']);
    expect(problems({ bad: "Missing {{}}" })[0]).toMatch(/placeholder "\{\{\}\}", which is not a word/);
    expect(problems({ bad: "Missing {{a.b}} and {{ c d }}" })).toHaveLength(2);
    expect(problems({ bad: "Missing {{events" })).toEqual(['check "env.sample" message "bad" has an unclosed "{{" or a stray "}}"']);
    expect(problems({ bad: "Missing events}}" })).toEqual(['check "env.sample" message "bad" has an unclosed "{{" or a stray "}}"']);
    expect(problems({ bad: "  " })).toEqual(['check "env.sample" message "bad" is not a non-empty string']);
  });
});
