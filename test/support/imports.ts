import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { runCli, tempDir, type CliResult } from "./cli.js";

const root = resolve(import.meta.dirname, "../..");
const RECORDER = resolve(import.meta.dirname, "record-imports.mjs");

/**
 * Runs the CLI with the import recorder and returns what it loaded: every module URL resolved, where a file of the
 * bundle (dist/cli/, scripts/bundle-cli.mjs) stands for the source modules it holds (from the bundle's metafile),
 * so `/generated/prisma/` or `commander` is seen whether it is a package of its own or part of a chunk.
 */
export async function modulesLoaded(args: string[], options: { cwd?: string; env?: Record<string, string | undefined> } = {}): Promise<{ result: CliResult; loaded: string[] }> {
  const record = join(tempDir(), "imports.txt");
  writeFileSync(record, "");
  const result = await runCli(args, { ...options, nodeArgs: ["--import", RECORDER], env: { ...options.env, BOOKFLOW_RECORD_IMPORTS: record } });
  const urls = readFileSync(record, "utf8").split("\n").filter(Boolean);
  const meta = join(root, "dist", "cli", "metafile.json");
  if (!existsSync(meta)) throw new Error("dist/cli/metafile.json is missing: run `npm run build` (it bundles the CLI).");
  const { outputs } = JSON.parse(readFileSync(meta, "utf8")) as { outputs: Record<string, { inputs: Record<string, unknown> }> };
  const byUrl = new Map(Object.entries(outputs).map(([file, o]) => [pathToFileURL(join(root, file)).href, Object.keys(o.inputs).map((i) => pathToFileURL(join(root, i)).href)]));
  return { result, loaded: urls.flatMap((u) => [u, ...(byUrl.get(u) ?? [])]) };
}
