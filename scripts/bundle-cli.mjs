#!/usr/bin/env node
/**
 * The CLI as bin/bookflow.js runs it: tsc's output (dist/bin/bookflow.js and
 * everything it imports) bundled by esbuild into dist/cli/, one entry file
 * for what every command loads and one chunk per lazily imported module (the
 * lazy imports stay lazy: a command's handler, Prisma, the provider SDKs and
 * listr2 load only when that command runs).
 *
 * Why: Node resolves and links each ES module on its own, and loads a CommonJS
 * package through its CommonJS loader. `bookflow --version` loaded 47 modules,
 * commander (CommonJS) among them; bundled, it loads a handful of files.
 *
 * The packages stay in node_modules (external), except commander, which every
 * command loads: bundled, it is one more function of the entry file instead
 * of a CommonJS package. Run by `npm run build` after tsc; `npm run bench --
 * startup` shows the start-up beside bare node.
 */
import { build } from "esbuild";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
/** Bundled into the entry file: what every command loads. */
const BUNDLED = new Set(["commander"]);
const external = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies })
  .filter((name) => !BUNDLED.has(name))
  .flatMap((name) => [name, `${name}/*`]);

const outdir = join(root, "dist", "cli");
rmSync(outdir, { recursive: true, force: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: { bookflow: "dist/bin/bookflow.js" },
  outdir,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20.19",
  external,
  sourcemap: "linked",
  chunkNames: "chunks/[name]-[hash]",
  logLevel: "warning",
  metafile: true,
  legalComments: "none",
  // commander is CommonJS and require()s Node's own modules: esbuild's ESM output has no require of its own.
  banner: { js: 'import { createRequire as __bookflowCreateRequire } from "node:module"; const require = __bookflowCreateRequire(import.meta.url);' },
});
// Which source modules each output file holds: the tests' import recorder maps a loaded chunk back to them.
writeFileSync(join(outdir, "metafile.json"), JSON.stringify(result.metafile));
const outputs = Object.keys(result.metafile.outputs).filter((f) => f.endsWith(".js"));
console.log(`bundled the CLI into ${outputs.length} files under dist/cli/`);
