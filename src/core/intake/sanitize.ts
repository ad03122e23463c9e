/**
 * What PostgreSQL's jsonb cannot hold, taken out of a verified webhook body before anything is stored: jsonb
 * refuses the NUL character (`\u0000`) and UTF-16 surrogates that are not part of a pair, both of which are valid
 * JSON a provider can send (an invitee's answer, a customer's name). NUL is dropped, a lone surrogate becomes
 * U+FFFD, in string values and in object keys alike. The body's depth is bounded on the way (a provider's documented
 * bodies nest about ten levels; 5,000 levels overflow a recursive reader, PostgreSQL's included), so the walk itself
 * never recurses further than the bound. No I/O.
 */

/** How deep a webhook body may nest (the top-level object is depth 1). */
export const MAX_JSON_DEPTH = 64;

export interface Replacements {
  /** NUL characters dropped. */
  nul: number;
  /** Lone surrogates replaced with U+FFFD. */
  loneSurrogates: number;
}

export type SanitizeResult = { ok: true; value: unknown; replaced: Replacements } | { ok: false; issue: string };

const SUSPECT = /[\u0000\uD800-\uDFFF]/;
const NUL = /\u0000/g;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

class TooDeep extends Error {}

/**
 * The body with what jsonb rejects replaced (the same value, not a copy, when nothing needed replacing), and how
 * many replacements were made; or an issue when it nests deeper than `maxDepth`.
 */
export function sanitizeForJsonb(body: unknown, maxDepth = MAX_JSON_DEPTH): SanitizeResult {
  const replaced: Replacements = { nul: 0, loneSurrogates: 0 };

  function cleanString(s: string): string {
    if (!SUSPECT.test(s)) return s;
    const withoutNul = s.replace(NUL, () => {
      replaced.nul++;
      return "";
    });
    return withoutNul.replace(LONE_SURROGATE, () => {
      replaced.loneSurrogates++;
      return "\uFFFD";
    });
  }

  function clean(value: unknown, depth: number): unknown {
    if (typeof value === "string") return cleanString(value);
    if (value === null || typeof value !== "object") return value;
    if (depth > maxDepth) throw new TooDeep();
    if (Array.isArray(value)) {
      let out: unknown[] | undefined;
      for (let i = 0; i < value.length; i++) {
        const v = clean(value[i], depth + 1);
        if (v !== value[i]) (out ??= value.slice())[i] = v;
      }
      return out ?? value;
    }
    let changed = false;
    const entries = Object.entries(value).map(([k, v]) => {
      const ck = cleanString(k);
      const cv = clean(v, depth + 1);
      if (ck !== k || cv !== v) changed = true;
      return [ck, cv] as const;
    });
    // fromEntries defines own properties, so a "__proto__" key stays a key (as JSON.parse made it).
    return changed ? Object.fromEntries(entries) : value;
  }

  try {
    const value = clean(body, 1);
    return { ok: true, value, replaced };
  } catch (err) {
    if (err instanceof TooDeep) return { ok: false, issue: `The body nests deeper than ${maxDepth} levels (objects and arrays); a provider's webhook body never does.` };
    throw err;
  }
}
