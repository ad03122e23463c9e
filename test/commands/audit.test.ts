import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditList, type AuditListOptions } from "../../commands/handlers/audit.js";
import { actionMatcher, type AuditListReport } from "../../src/ops/audit-list.js";
import { createContext } from "../../src/context.js";
import { runCli } from "../support/cli.js";
import { createTestDatabase, type TestDatabase } from "../support/db.js";
import { expectUsageFailure } from "../support/errors.js";

/**
 * `bookflow audit list`: the filters (actor, action exact / prefix / glob,
 * target, time window absolute and relative), newest-first keyset pages with
 * and without a glob, and bad input.
 */
describe("bookflow audit list", () => {
  let t: TestDatabase;
  const now = Date.now();
  const at = (hoursAgo: number) => new Date(now - hoursAgo * 3_600_000);

  beforeAll(async () => {
    t = await createTestDatabase();
    const rows = [
      { actor: "ops@example.com", action: "booking.cancel", target: "bk_1", reason: "customer asked", createdAt: at(50) },
      { actor: "ops@example.com", action: "booking.cancel.email", target: "bk_1", createdAt: at(49) },
      { actor: "ops@example.com", action: "booking.cancel.calendly", target: "bk_1", createdAt: at(48) },
      { actor: "webhook:stripe", action: "booking.paid", target: "bk_2", createdAt: at(30) },
      { actor: "lead@example.com", action: "booking.reprocess", target: "bk_2", createdAt: at(20) },
      { actor: "lead@example.com", action: "webhooks.disable.stripe", target: "stripe:we_1", createdAt: at(10) },
      { actor: "ops@example.com", action: "bookings.reconcile.email", target: "bk_3", createdAt: at(5) },
      { actor: "ops@example.com", action: "booking.refund_failed", target: "bk_3", createdAt: at(1) },
    ];
    for (const r of rows) await t.db.prisma.auditLog.create({ data: r });
    // Many entries for paging (same second apart: ties broken by id).
    for (let i = 0; i < 25; i++) await t.db.prisma.auditLog.create({ data: { actor: "pager", action: i % 3 ? "rollback.step.promote" : "rollback.step.email", target: `rb_${i}`, createdAt: at(100 + Math.floor(i / 5)) } });
  });
  afterAll(() => t?.drop());

  async function list(options: AuditListOptions): Promise<AuditListReport> {
    let out = "";
    const ctx = createContext({ env: { DATABASE_URL: t.url } as NodeJS.ProcessEnv, out: (x) => (out += x), err: () => {} });
    expect(await auditList({ ...options, json: true }, { ctx })).toBe(0);
    return JSON.parse(out) as AuditListReport;
  }
  const actions = (r: AuditListReport) => r.entries.map((e) => `${e.action} ${e.target}`);

  it.each([
    ["--actor", { actor: "lead@example.com" }, ["webhooks.disable.stripe stripe:we_1", "booking.reprocess bk_2"]],
    ["--action exact", { action: "booking.cancel" }, ["booking.cancel bk_1"]],
    ["--action prefix with a dot", { action: "booking.cancel." }, ["booking.cancel.calendly bk_1", "booking.cancel.email bk_1"]],
    ["--action prefix with a star", { action: "booking.*", actor: "ops@example.com" }, ["booking.refund_failed bk_3", "booking.cancel.calendly bk_1", "booking.cancel.email bk_1", "booking.cancel bk_1"]],
    ["--action glob", { action: "*.email", since: "60h" }, ["bookings.reconcile.email bk_3", "booking.cancel.email bk_1"]],
    ["--target", { target: "bk_2" }, ["booking.reprocess bk_2", "booking.paid bk_2"]],
    ["--since relative", { since: "12h" }, ["booking.refund_failed bk_3", "bookings.reconcile.email bk_3", "webhooks.disable.stripe stripe:we_1"]],
    ["--since and --until as date-times", { since: at(31).toISOString(), until: at(15).toISOString() }, ["booking.reprocess bk_2", "booking.paid bk_2"]],
  ] as [string, AuditListOptions, string[]][])("filters by %s, newest first", async (_name, options, expected) => {
    expect(actions(await list(options))).toEqual(expected);
  });

  it("keeps the actor, reason, before and after of each entry in --json", async () => {
    const r = await list({ target: "bk_1", action: "booking.cancel" });
    expect(r.entries[0]).toMatchObject({ actor: "ops@example.com", reason: "customer asked", createdAt: at(50).toISOString() });
  });

  it.each([
    ["a plain filter", { actor: "pager" }, 25],
    ["a glob", { action: "rollback.*.email" }, 9],
  ] as [string, AuditListOptions, number][])("pages with --cursor through %s without gaps or repeats", async (_name, options, total) => {
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 20; pages++) {
      const page = await list({ ...options, limit: 4, ...(cursor ? { cursor } : {}) });
      seen.push(...page.entries.map((e) => e.id));
      cursor = page.nextCursor;
      if (!cursor) break;
    }
    expect(seen).toHaveLength(total);
    expect(new Set(seen).size).toBe(total);
  });

  it("matches globs as a whole: * is any run of characters, ? one", () => {
    const m = actionMatcher("booking.*.email");
    expect(m).toMatchObject({ query: "booking.*", glob: true });
    expect(["booking.cancel.email", "booking.x.y.email", "booking.email", "booking.cancel.emails"].map(m.test)).toEqual([true, true, false, false]);
    expect(actionMatcher("booking.*")).toMatchObject({ query: "booking.*", glob: false });
    expect(actionMatcher("booking.cancel?").test("booking.cancel")).toBe(false);
  });

  const bad: [string, AuditListOptions, string, RegExp][] = [
    ["a malformed --since", { since: "last tuesday" }, "BAD_DATE", /--since "last tuesday" is not a date/],
    ["--since after --until", { since: "2030-02-01", until: "2030-01-01" }, "BAD_DATE", /is not before --until/],
    ["a cursor bookflow did not print", { cursor: "abc" }, "BAD_CURSOR", /not a cursor bookflow printed/],
    ["an action with spaces", { action: "booking cancel" }, "BAD_OPTION", /is not an action name or glob/],
    ["--limit above 1000", { limit: 5000 }, "BAD_OPTION", /limit: must be 1 to 1000/],
  ];
  it.each(bad)("bad input, %s: exit 2 with what to do", async (_name, options, code, message) => {
    const ctx = createContext({ env: { DATABASE_URL: t.url } as NodeJS.ProcessEnv, out: () => {}, err: () => {} });
    await expectUsageFailure(auditList(options, { ctx }), { code, message });
  });

  it("on the command line: a table, and a bad date → exit 2 (CLI)", async () => {
    const r = await runCli(["audit", "list", "--actor", "ops@example.com", "--limit", "2"], { env: { DATABASE_URL: t.url } });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^TIME\s+ACTOR\s+ACTION\s+TARGET\s+REASON/);
    expect(r.stdout).toContain("booking.refund_failed");
    expect(r.stdout).toMatch(/More: add --cursor \S+ for the next page\./);
    const bad = await runCli(["audit", "list", "--until", "2030-02-31"], { env: { DATABASE_URL: t.url } });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('--until "2030-02-31" is not a date');
  });
});
