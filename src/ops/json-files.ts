import { readdirSync } from "node:fs";

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
