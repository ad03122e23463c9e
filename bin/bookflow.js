#!/usr/bin/env -S node --
// ("node --": Node 20 would otherwise take our --env-file option as its own.)
// Entry point for the `bookflow` binary: runs the bundled CLI (npm run build: tsc, then scripts/bundle-cli.mjs).
import { existsSync } from "node:fs";

const entry = new URL("../dist/cli/bookflow.js", import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write("bookflow is not built yet: run `npm run build` in the bookflow folder first.\n");
  process.exit(2);
}
await import(entry.href);
