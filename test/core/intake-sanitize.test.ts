import { describe, expect, it } from "vitest";
import { MAX_JSON_DEPTH, sanitizeForJsonb } from "../../src/core/intake/sanitize.js";

describe("sanitizeForJsonb", () => {
  it("returns the same value, untouched, when nothing needs replacing", () => {
    const body = { event: "invitee.created", payload: { name: "Zoë 😀", list: [1, "two", null, true] } };
    const r = sanitizeForJsonb(body);
    expect(r).toEqual({ ok: true, value: body, replaced: { nul: 0, loneSurrogates: 0 } });
    expect(r.ok && r.value).toBe(body);
  });

  it("drops NUL and replaces lone surrogates (high or low) with U+FFFD, keeping pairs", () => {
    const body = { a: "x\u0000y", b: ["\uD800", "\uDC00z", "\uD83D\uDE00"], c: { "k\u0000\uDBFF": "v" } };
    const r = sanitizeForJsonb(body);
    expect(r).toEqual({ ok: true, value: { a: "xy", b: ["\uFFFD", "\uFFFDz", "\uD83D\uDE00"], c: { "k\uFFFD": "v" } }, replaced: { nul: 2, loneSurrogates: 3 } });
    // The input is not modified.
    expect(body.a).toBe("x\u0000y");
  });

  it("keeps a __proto__ key an own key, as JSON.parse made it", () => {
    const body = JSON.parse('{"__proto__": {"polluted": "x\\u0000"}}') as object;
    const r = sanitizeForJsonb(body);
    expect(r.ok).toBe(true);
    const value = (r as { value: object }).value;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value)).toEqual(["__proto__"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it(`accepts ${MAX_JSON_DEPTH} levels of nesting and refuses one more, without recursing past the bound`, () => {
    const nest = (n: number) => JSON.parse(`${"[".repeat(n)}${"]".repeat(n)}`) as unknown;
    expect(sanitizeForJsonb(nest(MAX_JSON_DEPTH)).ok).toBe(true);
    const over = sanitizeForJsonb(nest(MAX_JSON_DEPTH + 1));
    expect(over.ok).toBe(false);
    expect(!over.ok && over.issue).toContain(String(MAX_JSON_DEPTH));
    expect(sanitizeForJsonb(nest(100_000)).ok).toBe(false);
  });
});
