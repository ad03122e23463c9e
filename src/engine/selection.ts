import type { AnyCheck } from "./check.js";
import { prerequisitesOf } from "./catalogue.js";
import { closest } from "./suggest.js";
import { UsageError } from "../errors.js";

/**
 * --only / --skip: each selector is a check id (`env.required-present`), a
 * glob over ids (`stripe.*`, `*.webhook-*`) or a section name (`env`).
 *
 * - Without --only every check is selected; with it, the checks any selector matches.
 * - The prerequisites of selected checks are added (a check never runs on an unverified
 *   assumption), unless --skip names them: then their dependents are skipped, with the reason.
 * - A selector that matches nothing is a usage error (a typo must not turn into "all passed").
 */
export interface Selection {
  checks: AnyCheck[];
  /** Checks --skip removed (their dependents report them as the reason for skipping). */
  excluded: string[];
}

export function selectorMatches(check: AnyCheck, selector: string): boolean {
  if (selector === check.id || selector === check.section) return true;
  if (!/[*?]/.test(selector)) return false;
  const re = new RegExp("^" + selector.split("").map((ch) => (ch === "*" ? ".*" : ch === "?" ? "." : ch.replace(/[.+^${}()|[\]\\]/g, "\\$&"))).join("") + "$");
  return re.test(check.id);
}

export function selectChecks(catalogue: readonly AnyCheck[], options: { only?: readonly string[]; skip?: readonly string[] } = {}): Selection {
  const only = (options.only ?? []).filter(Boolean);
  const skip = (options.skip ?? []).filter(Boolean);
  for (const s of [...only, ...skip]) {
    if (!catalogue.some((c) => selectorMatches(c, s))) {
      const candidates = [...new Set([...catalogue.map((c) => c.id), ...catalogue.map((c) => c.section)])];
      const near = closest(s, candidates, 3);
      throw new UsageError(
        `No check matches "${s}".`,
        near.length ? `Did you mean ${near.map((n) => `"${n}"`).join(", ")}? (\`bookflow checks list\` shows every id.)` : "Run `bookflow checks list` to see every id and section.",
        "UNKNOWN_CHECK",
      );
    }
  }
  const byId = new Map(catalogue.map((c) => [c.id, c]));
  const skipped = new Set(catalogue.filter((c) => skip.some((s) => selectorMatches(c, s))).map((c) => c.id));
  const wanted = new Set(catalogue.filter((c) => !only.length || only.some((s) => selectorMatches(c, s))).map((c) => c.id));
  for (const id of [...wanted]) for (const p of prerequisitesOf(id, byId)) wanted.add(p);
  const checks = catalogue.filter((c) => wanted.has(c.id) && !skipped.has(c.id));
  const excluded = catalogue.filter((c) => wanted.has(c.id) && skipped.has(c.id)).map((c) => c.id);
  return { checks, excluded };
}
