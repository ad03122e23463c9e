import { findCycles } from "./cycles.js";
import type { AnyCheck } from "./check.js";
import { InternalError } from "../errors.js";
import { TARGETS } from "../config/verify-env.js";

const ID = /^[a-z0-9]+(?:-[a-z0-9]+)*(?:\.[a-z0-9]+(?:-[a-z0-9]+)*)+$/;
/** A message id: one camelCase word (`missingEvents`, `keyRefused`). */
const MESSAGE_ID = /^[a-z][a-zA-Z0-9]*$/;
/** A placeholder's name: one word of letters and digits (`{{events}}`, `{{latencyMs}}`). */
const PLACEHOLDER_NAME = /^[A-Za-z][A-Za-z0-9]*$/;

/**
 * Problems with a set of checks that make it unusable: duplicate or malformed
 * ids, prerequisites that do not exist, prerequisite cycles, unknown facts,
 * missing docs, missing or malformed messages. Empty when the catalogue is sound.
 */
export function catalogueProblems(checks: readonly AnyCheck[], factNames: readonly string[]): string[] {
  const problems: string[] = [];
  const byId = new Map<string, AnyCheck>();
  for (const c of checks) {
    if (byId.has(c.id)) problems.push(`duplicate check id "${c.id}"`);
    byId.set(c.id, c);
    if (!ID.test(c.id)) problems.push(`check id "${c.id}" is not <section>.<kebab-name> (lowercase, dot-separated)`);
    if (!c.section) problems.push(`check "${c.id}" has no section`);
    if (!c.title) problems.push(`check "${c.id}" has no title`);
    if (!c.docs?.why?.trim() || !c.docs?.fix?.trim()) problems.push(`check "${c.id}" needs docs.why and docs.fix`);
    if (c.severity !== "error" && c.severity !== "warn") problems.push(`check "${c.id}" has severity "${String(c.severity)}" (expected error or warn)`);
    for (const [target, s] of Object.entries(c.severityByTarget ?? {})) {
      if (!(TARGETS as readonly string[]).includes(target)) problems.push(`check "${c.id}" sets a severity for unknown target "${target}" (known: ${TARGETS.join(", ")})`);
      if (s !== "error" && s !== "warn") problems.push(`check "${c.id}" has severity "${String(s)}" for ${target} (expected error or warn)`);
    }
    for (const f of c.facts) if (!factNames.includes(f)) problems.push(`check "${c.id}" reads unknown fact "${f}" (known: ${factNames.join(", ")})`);
    problems.push(...messageProblems(c));
  }
  for (const c of checks) {
    for (const n of c.needs) {
      if (n === c.id) problems.push(`check "${c.id}" needs itself`);
      else if (!byId.has(n)) problems.push(`check "${c.id}" needs unknown check "${n}"`);
    }
  }
  for (const cycle of findCycles(checks.map((c) => c.id), (id) => (byId.get(id)?.needs ?? []).filter((n) => byId.has(n) && n !== id))) problems.push(`prerequisite cycle: ${cycle.join(" -> ")}`);
  return problems;
}

/** A check's `messages`: at least one, each id a camelCase word, each template's `{{placeholders}}` words. */
function messageProblems(c: AnyCheck): string[] {
  const messages = (c.messages ?? {}) as Record<string, unknown>;
  const ids = Object.keys(messages);
  if (!ids.length) return [`check "${c.id}" declares no messages (messages: { someFinding: "what it says" })`];
  const problems: string[] = [];
  for (const id of ids) {
    const template = messages[id];
    if (!MESSAGE_ID.test(id)) problems.push(`check "${c.id}" message id "${id}" is not a camelCase word (e.g. missingEvents)`);
    if (typeof template !== "string" || !template.trim()) {
      problems.push(`check "${c.id}" message "${id}" is not a non-empty string`);
      continue;
    }
    for (const [, inner] of template.matchAll(/\{\{(.*?)\}\}/g)) {
      if (!PLACEHOLDER_NAME.test((inner ?? "").trim())) problems.push(`check "${c.id}" message "${id}" has placeholder "{{${inner}}}", which is not a word (letters and digits, e.g. {{eventType}})`);
    }
    const rest = template.replace(/\{\{.*?\}\}/g, "");
    if (rest.includes("{{") || rest.includes("}}")) problems.push(`check "${c.id}" message "${id}" has an unclosed "{{" or a stray "}}"`);
  }
  return problems;
}

/** Throws InternalError (a bug in the catalogue, not the user's doing) listing every problem. */
export function assertValidCatalogue(checks: readonly AnyCheck[], factNames: readonly string[]): void {
  const problems = catalogueProblems(checks, factNames);
  if (problems.length) throw new InternalError(`The check catalogue is invalid:\n  - ${problems.join("\n  - ")}`);
}

/** Every check `id` needs, directly or through other checks (unknown ids ignored). */
export function prerequisitesOf(id: string, byId: ReadonlyMap<string, AnyCheck>): Set<string> {
  const out = new Set<string>();
  const walk = (x: string) => {
    for (const n of byId.get(x)?.needs ?? []) {
      if (!out.has(n) && byId.has(n)) {
        out.add(n);
        walk(n);
      }
    }
  };
  walk(id);
  return out;
}
