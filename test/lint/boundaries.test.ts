import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../support/cli.js";

/**
 * The import rules of .dependency-cruiser.cjs (run by `npm run lint`) catch
 * what they are for: a tree with one planted violation of each kind is
 * refused by name, and the same tree without them passes.
 */
const root = resolve(import.meta.dirname, "../..");
const depcruise = join(root, "node_modules/.bin/depcruise");

function tree(files: Record<string, string>): string {
  const dir = tempDir();
  writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: { module: "nodenext", moduleResolution: "nodenext", strict: true } }));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

function violations(dir: string): string[] {
  let out: string;
  try {
    out = execFileSync(depcruise, ["src", "commands", "--config", join(root, ".dependency-cruiser.cjs"), "--output-type", "json"], { cwd: dir, encoding: "utf8" });
  } catch (err) {
    const { stdout, stderr } = err as { stdout: string; stderr: string };
    if (!stdout) throw new Error(`depcruise failed: ${stderr}`);
    out = stdout;
  }
  const result = JSON.parse(out) as { summary: { violations: { rule: { name: string }; from: string; to: string }[] } };
  return result.summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`).sort();
}

const clean = {
  "src/errors.ts": "export class E extends Error {}\n",
  "src/config/env.ts": 'import { E } from "../errors.js";\nexport const env = (): E => new E();\n',
  "src/core/ports.ts": "export interface Mailer { send(): void }\nexport const systemClock = { now: () => new Date() };\n",
  "src/core/rules.ts": 'import type { Client } from "../providers/client.js";\nexport const rule = (c: Client): boolean => c.ok;\n',
  "src/providers/client.ts": 'import { systemClock } from "../core/ports.js";\nexport interface Client { ok: boolean }\nexport const now = () => systemClock.now();\n',
  "src/ops/cancel.ts": 'import { rule } from "../core/rules.js";\nexport const cancel = () => rule({ ok: true });\n',
  "commands/support/render.ts": "export const render = (s: string): string => s;\n",
  "commands/handlers/cancel.ts": 'import { cancel } from "../../src/ops/cancel.js";\nimport { render } from "../support/render.js";\nexport const run = () => render(String(cancel()));\n',
};

describe("import boundaries (npm run lint)", () => {
  it("a tree that keeps the folder table passes", () => {
    expect(violations(tree(clean))).toEqual([]);
  }, 30_000);

  it("refuses a cycle, an upward import, a value import of a provider in core, and a handler importing another", () => {
    const dir = tree({
      ...clean,
      "src/core/a.ts": 'import { b } from "./b.js";\nexport const a = (): number => b() + 1;\n',
      "src/core/b.ts": 'import { a } from "./a.js";\nexport const b = (): number => (a ? 1 : 0);\n',
      "src/core/uses-provider.ts": 'import { now } from "../providers/client.js";\nexport const t = now;\n',
      "src/core/uses-command.ts": 'import { render } from "../../commands/support/render.js";\nexport const r = render;\n',
      "src/config/uses-core.ts": 'import { rule } from "../core/rules.js";\nexport const x = rule;\n',
      "commands/handlers/other.ts": 'import { run } from "./cancel.js";\nexport const other = run;\n',
    });
    const found = violations(dir);
    expect(found).toEqual(
      expect.arrayContaining([
        "no-cycle: src/core/a.ts -> src/core/b.ts",
        "core-is-pure-domain: src/core/uses-provider.ts -> src/providers/client.ts",
        "below-commands: src/core/uses-command.ts -> commands/support/render.ts",
        "config-is-the-floor: src/config/uses-core.ts -> src/core/rules.ts",
        "handler-to-handler: commands/handlers/other.ts -> commands/handlers/cancel.ts",
      ]),
    );
  }, 30_000);
});
