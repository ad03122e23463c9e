/**
 * Writes schemas/bookflow.config.schema.json, the JSON Schema of
 * bookflow.config.json, from the zod schema (src/config/config-json-schema.ts).
 *
 *   npm run schema              rewrite the file
 *   npm run schema -- --check   exit 1 if it is out of date
 *
 * Run it after changing src/config/bookflow-config.ts;
 * test/config/config-json-schema.test.ts fails until then.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { CONFIG_SCHEMA_FILE, renderConfigJsonSchema } from "../src/config/config-json-schema.js";

const file = resolve(import.meta.dirname, "..", CONFIG_SCHEMA_FILE);
const expected = renderConfigJsonSchema();
if (process.argv.includes("--check")) {
  let actual = "";
  try {
    actual = readFileSync(file, "utf8");
  } catch {
    actual = "";
  }
  if (actual !== expected) {
    process.stderr.write(`${CONFIG_SCHEMA_FILE} is out of date: run \`npm run schema\`.\n`);
    process.exitCode = 1;
  } else process.stdout.write(`${CONFIG_SCHEMA_FILE} is up to date.\n`);
} else {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, expected);
  process.stdout.write(`Wrote ${CONFIG_SCHEMA_FILE}.\n`);
}
