import { UsageError } from "../../errors.js";
import { closest } from "../suggest.js";
import type { ScenarioDefinition } from "./scenario.js";

/** Names (`free-session`), ids (`scenarios.free-session`) or globs (`*-session`); all when none. Unknown → exit 2 with suggestions. */
export function selectScenarios(all: readonly ScenarioDefinition[], names: readonly string[]): ScenarioDefinition[] {
  if (!names.length) return [...all];
  const picked = new Set<ScenarioDefinition>();
  for (const name of names) {
    const re = /[*?]/.test(name) ? new RegExp(`^${name.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`) : null;
    const found = all.filter((s) => (re ? re.test(s.name) || re.test(s.id) : s.name === name || s.id === name));
    if (!found.length) {
      const near = closest(name, all.map((s) => s.name));
      throw new UsageError(
        `No scenario named "${name}".`,
        `${near.length ? `Did you mean ${near.join(", ")}? ` : ""}Known: ${all.map((s) => s.name).join(", ")} (\`bookflow scenarios list\`).`,
        "UNKNOWN_SCENARIO",
      );
    }
    for (const s of found) picked.add(s);
  }
  return all.filter((s) => picked.has(s));
}
