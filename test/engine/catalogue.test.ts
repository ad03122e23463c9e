import { describe, expect, it } from "vitest";
import { assertValidCatalogue, catalogueProblems } from "../../src/engine/catalogue.js";
import { InternalError } from "../../src/errors.js";
import { FACT_NAMES } from "../../src/engine/facts/index.js";
import { closest } from "../../src/engine/suggest.js";
import { testCheck } from "./helpers.js";

describe("catalogue validation", () => {
  it("accepts a sound catalogue", () => {
    expect(catalogueProblems([testCheck("a.one"), testCheck("a.two", { needs: ["a.one"], facts: ["env"] })], FACT_NAMES)).toEqual([]);
  });

  it("accepts a severity by target, and refuses an unknown target or severity in it", () => {
    expect(catalogueProblems([testCheck("a.one", { severity: "warn", severityByTarget: { production: "error" } })], FACT_NAMES)).toEqual([]);
    const problems = catalogueProblems(
      [testCheck("a.typo", { severity: "warn", severityByTarget: { prod: "error" } as never }), testCheck("a.bad", { severity: "warn", severityByTarget: { staging: "fatal" } as never })],
      FACT_NAMES,
    );
    expect(problems).toEqual([expect.stringContaining('check "a.typo" sets a severity for unknown target "prod"'), expect.stringContaining('check "a.bad" has severity "fatal" for staging')]);
  });

  it("detects prerequisite cycles", () => {
    const problems = catalogueProblems([testCheck("a.one", { needs: ["a.three"] }), testCheck("a.two", { needs: ["a.one"] }), testCheck("a.three", { needs: ["a.two"] })], FACT_NAMES);
    expect(problems).toEqual([expect.stringMatching(/^prerequisite cycle: a\.one -> a\.three -> a\.two -> a\.one$/)]);
  });

  it("detects unknown prerequisites, self-prerequisites, duplicate ids, bad ids and unknown facts", () => {
    const problems = catalogueProblems(
      [testCheck("a.one", { needs: ["a.missing"] }), testCheck("a.self", { needs: ["a.self"] }), testCheck("a.one"), testCheck("Bad_Id"), testCheck("a.facts", { facts: ["nope" as never] })],
      FACT_NAMES,
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        'check "a.one" needs unknown check "a.missing"',
        'check "a.self" needs itself',
        'duplicate check id "a.one"',
        expect.stringContaining('check id "Bad_Id"'),
        expect.stringContaining('reads unknown fact "nope"'),
      ]),
    );
  });

  it("assertValidCatalogue throws an InternalError listing the problems", () => {
    expect(() => assertValidCatalogue([testCheck("a.one", { needs: ["a.two"] }), testCheck("a.two", { needs: ["a.one"] })], FACT_NAMES)).toThrow(InternalError);
  });

  it("suggests the closest ids", () => {
    const ids = ["env.required-present", "env.urls-well-formed", "stripe.key-valid"];
    expect(closest("env.required", ids)[0]).toBe("env.required-present");
    expect(closest("stripe.key-vaild", ids)).toEqual(["stripe.key-valid"]);
    expect(closest("zzzzzzzz", ids)).toEqual([]);
  });
});
