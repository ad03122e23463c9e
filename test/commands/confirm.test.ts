import { describe, expect, it } from "vitest";
import { confirmPlan, type PlanView } from "../../commands/support/confirm.js";
import { UserAbort } from "../../src/errors.js";

const plan: PlanView = { title: "Disable webhooks", steps: ["disable stripe we_1", "delete calendly sub_1"], json: { steps: 2 } };

function io(interactive: boolean, answer?: boolean) {
  const out: string[] = [];
  const asked: string[] = [];
  return {
    out,
    asked,
    io: { out: (t: string) => out.push(t), err: () => {}, interactive, ask: async (q: string) => (asked.push(q), answer ?? false) },
  };
}

describe("confirmation gate", () => {
  it("--dry-run shows the plan and applies nothing", async () => {
    const x = io(false);
    expect(await confirmPlan(plan, { dryRun: true }, x.io)).toBe("dry-run");
    expect(x.out.join("")).toContain("1. disable stripe we_1");
  });
  it("--yes applies without asking", async () => {
    const x = io(true);
    expect(await confirmPlan(plan, { yes: true }, x.io)).toBe("apply");
    expect(x.asked).toEqual([]);
  });
  it("on a terminal it asks; no aborts", async () => {
    const yes = io(true, true);
    expect(await confirmPlan(plan, {}, yes.io)).toBe("apply");
    expect(yes.asked).toHaveLength(1);
    await expect(confirmPlan(plan, {}, io(true, false).io)).rejects.toBeInstanceOf(UserAbort);
  });
  it("without a terminal or --yes it prints the plan as JSON and aborts (exit 2)", async () => {
    const x = io(false);
    await expect(confirmPlan(plan, {}, x.io)).rejects.toMatchObject({ code: "ABORTED", hint: expect.stringContaining("--yes") });
    expect(JSON.parse(x.out.join(""))).toEqual({ steps: 2 });
  });
  it("an empty plan needs no confirmation", async () => {
    expect(await confirmPlan({ ...plan, steps: [] }, {}, io(false).io)).toBe("nothing-to-do");
  });
});
