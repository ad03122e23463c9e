import { describe, expect, it } from "vitest";
import { selectChecks, selectorMatches } from "../../src/engine/selection.js";
import { UsageError } from "../../src/errors.js";
import { splitList } from "../../commands/support/flags.js";
import { testCheck } from "./helpers.js";

const catalogue = [
  testCheck("env.required-present"),
  testCheck("env.stripe-keys-well-formed", { needs: ["env.required-present"] }),
  testCheck("stripe.key-valid", { needs: ["env.stripe-keys-well-formed"] }),
  testCheck("stripe.webhook-endpoint.registered", { needs: ["stripe.key-valid"] }),
  testCheck("dns.spf-record", { section: "email-dns" }),
];
const ids = (only: string[] = [], skip: string[] = []) => selectChecks(catalogue, { only, skip }).checks.map((c) => c.id);

describe("selection", () => {
  it("selects everything by default", () => {
    expect(ids()).toHaveLength(catalogue.length);
  });

  it("matches ids, globs and section names", () => {
    const c = catalogue[3]!;
    expect(selectorMatches(c, "stripe.webhook-endpoint.registered")).toBe(true);
    expect(selectorMatches(c, "stripe.*")).toBe(true);
    expect(selectorMatches(c, "*.registered")).toBe(true);
    expect(selectorMatches(c, "stripe")).toBe(true);
    expect(selectorMatches(c, "stripe.webhook")).toBe(false);
    expect(selectorMatches(catalogue[4]!, "email-dns")).toBe(true);
    expect(selectorMatches(catalogue[4]!, "dns")).toBe(false);
  });

  it("--only by id adds the check's prerequisites, transitively, in catalogue order", () => {
    expect(ids(["stripe.key-valid"])).toEqual(["env.required-present", "env.stripe-keys-well-formed", "stripe.key-valid"]);
  });

  it("--only by section and by glob", () => {
    expect(ids(["email-dns"])).toEqual(["dns.spf-record"]);
    expect(ids(["env.*"])).toEqual(["env.required-present", "env.stripe-keys-well-formed"]);
  });

  it("--skip removes checks; a removed prerequisite is reported as excluded", () => {
    const s = selectChecks(catalogue, { only: ["stripe.*"], skip: ["env.stripe-keys-well-formed"] });
    expect(s.checks.map((c) => c.id)).toEqual(["env.required-present", "stripe.key-valid", "stripe.webhook-endpoint.registered"]);
    expect(s.excluded).toEqual(["env.stripe-keys-well-formed"]);
    expect(ids([], ["stripe", "env"])).toEqual(["dns.spf-record"]);
  });

  it("rejects a selector that matches nothing, suggesting the closest ids", () => {
    let err: unknown;
    try {
      selectChecks(catalogue, { only: ["stripe.key-vaild"] });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).code).toBe("UNKNOWN_CHECK");
    expect((err as UsageError).hint).toContain("stripe.key-valid");
    expect(() => selectChecks(catalogue, { skip: ["nope.*"] })).toThrow(UsageError);
  });

  it("splits repeatable comma-separated option values", () => {
    expect(splitList(["env.*, stripe", "dns"])).toEqual(["env.*", "stripe", "dns"]);
    expect(splitList([",,"])).toEqual([]);
  });
});
