import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { catalogue } from "../../checks/index.js";
import { bookflowConfigSchema } from "../../src/config/bookflow-config.js";
import { renderChecksMarkdown } from "../../src/engine/docs.js";
import { reportJsonSchema } from "../../src/engine/report-schema.js";

/**
 * The generated docs stay in step with the code. To regenerate after changing a
 * check or the report: BOOKFLOW_UPDATE_DOCS=1 npx vitest run test/engine/docs.test.ts
 * (docs/checks.md is also `node bin/bookflow.js checks list --markdown`).
 */
const ROOT = resolve(import.meta.dirname, "../..");
const update = process.env.BOOKFLOW_UPDATE_DOCS === "1";

function compare(file: string, expected: string): void {
  const path = resolve(ROOT, file);
  if (update) writeFileSync(path, expected);
  const actual = readFileSync(path, "utf8");
  expect(actual, `${file} is stale: regenerate it with BOOKFLOW_UPDATE_DOCS=1 npx vitest run test/engine/docs.test.ts`).toBe(expected);
}

describe("generated docs", () => {
  it("docs/checks.md matches the catalogue", () => {
    compare("docs/checks.md", renderChecksMarkdown(catalogue));
  });

  it("docs/checks.md documents every check with its docs", () => {
    const md = renderChecksMarkdown(catalogue);
    for (const c of catalogue) {
      expect(md).toContain(`### ${c.id}`);
      expect(md).toContain(c.docs.fix);
    }
  });

  it("docs/checks.md mentions every config file field", () => {
    const md = renderChecksMarkdown(catalogue);
    for (const key of Object.keys(bookflowConfigSchema.shape).filter((k) => k !== "$schema")) expect(md).toContain(`"${key}"`);
  });

  it("docs/checks.md mentions every nested config field too", () => {
    const md = renderChecksMarkdown(catalogue);
    const nested = (schema: unknown): string[] => {
      const def = (schema as { _zod: { def: { type: string; innerType?: unknown; shape?: Record<string, unknown> } } })._zod.def;
      if (def.type === "default" || def.type === "optional") return nested(def.innerType);
      return def.type === "object" ? Object.entries(def.shape!).flatMap(([k, v]) => [k, ...nested(v)]) : [];
    };
    for (const key of nested(bookflowConfigSchema).filter((k) => k !== "$schema")) expect(md).toContain(`"${key}"`);
  });

  it("docs/report-schema.json matches the report schema", () => {
    compare("docs/report-schema.json", reportJsonSchema());
    const schema = JSON.parse(reportJsonSchema()) as { properties: Record<string, unknown>; required: string[] };
    expect(schema.required).toEqual(expect.arrayContaining(["schemaVersion", "results", "summary", "outcome"]));
  });
});
