import { describe, expect, it } from "vitest";
import { decideCheck, type AnyCheck, type CheckOutcome } from "../../src/engine/check.js";
import type { Facts } from "../../src/engine/facts/index.js";

/**
 * ESLint RuleTester-style tables for one check: worlds (facts) in which it
 * passes, and worlds in which it fails (or warns, or skips), with the status
 * and, optionally, a pattern its message must match. Runs the check's own
 * decision: a warn-severity check still returns "fail" here (the runner turns
 * it into a warning). A check reading a fact it did not declare fails the test.
 */
export type World = Partial<Facts>;

export interface PassCase {
  name?: string;
  facts: World;
  /** The message id of the pass (optional). */
  messageId?: string;
}

export interface FailCase {
  name?: string;
  facts: World;
  /**
   * The status and the message id the check must report (a key of its
   * `messages`); `data`: values its placeholders must be filled with (a
   * subset); `message` / `notMessage`: patterns for the rendered message (or
   * the whole outcome), where the wording itself is the point (a secret never
   * shown).
   */
  expect: { status: Exclude<CheckOutcome["status"], "pass">; messageId?: string; data?: Record<string, unknown>; message?: RegExp; notMessage?: RegExp };
}

export function checkTester(check: AnyCheck, cases: { pass: (World | PassCase)[]; fail: FailCase[] }): void {
  describe(check.id, () => {
    it("has tables of passing and failing worlds", () => {
      expect(cases.pass.length).toBeGreaterThan(0);
      expect(cases.fail.length).toBeGreaterThan(0);
    });

    cases.pass.forEach((c, i) => {
      const pc: PassCase = isPassCase(c) ? c : { facts: c };
      it(`passes: ${pc.name ?? `world #${i + 1}`}`, async () => {
        const outcome = await decide(check, pc.facts);
        expect(outcome.status, outcome.message).toBe("pass");
        expect(outcome.message.length).toBeGreaterThan(0);
        if (pc.messageId) expect(outcome.messageId).toBe(pc.messageId);
      });
    });

    cases.fail.forEach((c, i) => {
      it(`${c.expect.status}: ${c.name ?? `world #${i + 1}`}`, async () => {
        const outcome = await decide(check, c.facts);
        expect(outcome.status, outcome.message).toBe(c.expect.status);
        if (c.expect.messageId) expect(outcome.messageId, outcome.message).toBe(c.expect.messageId);
        if (c.expect.data) expect(outcome.data).toMatchObject(c.expect.data);
        if (c.expect.message) expect(outcome.message).toMatch(c.expect.message);
        if (c.expect.notMessage) expect(JSON.stringify(outcome)).not.toMatch(c.expect.notMessage);
      });
    });
  });
}

function isPassCase(c: World | PassCase): c is PassCase {
  return "facts" in c;
}

/** Runs the check on exactly its declared facts; reading another one throws. */
export async function decide(check: AnyCheck, world: World): Promise<CheckOutcome> {
  const declared = new Set<string>(check.facts);
  const facts = new Proxy(world as Facts, {
    get(target, prop, receiver) {
      if (typeof prop === "string" && !declared.has(prop) && prop !== "then") throw new Error(`${check.id} read fact "${prop}" without declaring it in facts`);
      if (typeof prop === "string" && declared.has(prop) && !(prop in target)) throw new Error(`test world for ${check.id} lacks fact "${prop}"`);
      return Reflect.get(target, prop, receiver);
    },
  });
  return decideCheck(check, facts);
}
