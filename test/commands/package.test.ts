import { execa } from "execa";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");

it("`npm pack` ships the bin, the bundled CLI, the migrations and the config's JSON Schema, and no tests or tsc output", async () => {
  const r = await execa("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: root, env: { ...process.env, npm_config_loglevel: "error" } });
  const [pack] = JSON.parse(r.stdout) as [{ files: { path: string }[] }];
  const files = pack.files.map((f) => f.path);
  for (const needed of [
    "bin/bookflow.js",
    "dist/cli/bookflow.js",
    "prisma/schema.prisma",
    "prisma/migrations/migration_lock.toml",
    "prisma/migrations/20261125000000_init/migration.sql",
    "schemas/bookflow.config.schema.json",
    "package.json",
    "README.md",
  ]) {
    expect(files, needed).toContain(needed);
  }
  expect(files.filter((f) => f.startsWith("test/") || f.startsWith("src/") || f.includes(".test."))).toEqual([]);
  // The bundle is the CLI (the generated Prisma client is one of its chunks): tsc's output and the incremental
  // build's record stay home.
  expect(files.filter((f) => f.startsWith("dist/") && !f.startsWith("dist/cli/"))).toEqual([]);
  expect(files.filter((f) => f.endsWith(".tsbuildinfo"))).toEqual([]);
  const pkg = JSON.parse(readFileSync(resolve(root, "package.json"), "utf8")) as { bin: Record<string, string> };
  expect(pkg.bin.bookflow).toBe("bin/bookflow.js");
  expect(readFileSync(resolve(root, "bin/bookflow.js"), "utf8").split("\n")[0]).toMatch(/^#!\/usr\/bin\/env -S node --$/);
});
