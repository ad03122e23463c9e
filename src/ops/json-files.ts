import { randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/**
 * The `.json` files of a folder (snapshots, rollback journals), by name
 * without the extension, newest first: their names start with a sortable UTC
 * time. Hidden files are left out; a folder that does not exist has none.
 */
export function jsonNamesNewestFirst(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => n.endsWith(".json") && !n.startsWith("."))
    .map((n) => n.slice(0, -5))
    .sort()
    .reverse();
}

/**
 * Writes `value` as indented JSON to `path`, readable by the owner only: to a temporary name
 * first, then renamed, so a reader (or a run resuming after a kill) never sees half a file.
 * Throws the file system's error; callers say which file it was and what to check.
 */
export function writeJsonAtomically(path: string, value: unknown): void {
  const tmp = `${path}.${process.pid}.${randomBytes(3).toString("hex")}.tmp`;
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, path);
  } finally {
    rmSync(tmp, { force: true });
  }
}
