import { existsSync, readdirSync } from "node:fs";
import { join, relative, resolve, sep } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { catalogue } from "../../checks/index.js";
import { catalogueProblems } from "../../src/engine/catalogue.js";
import type { AnyCheck } from "../../src/engine/check.js";
import { FACT_NAMES } from "../../src/engine/facts/index.js";

const ROOT = resolve(import.meta.dirname, "../..");
const CHECKS_DIR = join(ROOT, "checks");

/** Every check file: checks/<section>/<name>.ts (index.ts is the catalogue). */
function checkFiles(dir = CHECKS_DIR): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return checkFiles(p);
    return e.name.endsWith(".ts") && p !== join(CHECKS_DIR, "index.ts") ? [p] : [];
  });
}

const files = checkFiles();
const modules = await Promise.all(files.map(async (f) => ({ file: relative(CHECKS_DIR, f), check: ((await import(pathToFileURL(f).href)) as { default: AnyCheck }).default })));

describe("the check catalogue", () => {
  it("has check files", () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it("is sound: unique well-formed ids, known prerequisites and facts, no cycles, docs present", () => {
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

  it.each(modules)("$file: has a test table", ({ file }) => {
    const test = join(ROOT, "test", "checks", file.replace(/\.ts$/, ".test.ts"));
    expect(existsSync(test), `missing ${relative(ROOT, test)}`).toBe(true);
  });

  it("registers nothing twice and nothing that has no file", () => {
    expect(new Set(catalogue).size).toBe(catalogue.length);
    expect(catalogue.length).toBe(modules.length);
  });
});
