import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { helpContactLines } from "../../src/ops/contacts.js";

/**
 * The "Emergency contacts" block of a command's --help, from the config file
 * (`--config` when given before --help, else ./bookflow.config.json). Cheap on
 * purpose: one file read, JSON.parse, no schema library; a missing file prints
 * the "none configured" line, a broken one a one-line notice: --help never fails.
 */
export function emergencyContactsHelp(configFlag: string | undefined, cwd = process.cwd()): string {
  const file = resolve(cwd, configFlag ?? "bookflow.config.json");
  let text: string | null = null;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    if (configFlag !== undefined || (err as NodeJS.ErrnoException).code !== "ENOENT") return `\nEmergency contacts:\n  cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? "unreadable"}\n`;
  }
  return `\nEmergency contacts (${text === null ? "no bookflow.config.json here" : file}):\n${helpContactLines(text, file).join("\n")}\n`;
}
