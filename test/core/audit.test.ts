import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listAudit, recordAudit } from "../../src/core/audit.js";
import { resolveActor } from "../../src/config/actor.js";
import { UsageError } from "../../src/errors.js";
import { createTestDatabase, type TestDatabase } from "../support/db.js";

describe("audit trail", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(() => t?.drop());

  it("records an entry with JSON before/after and reads it back by target", async () => {
    const entry = await recordAudit(t.db.prisma, {
      actor: "ops@example.com",
      action: "booking.cancel",
      target: "bk_1",
      reason: "customer asked",
      before: { status: "CONFIRMED", at: new Date("2026-11-25T10:00:00Z") },
      after: { status: "CANCELLED" },
    });
    expect(entry.id).toBeTruthy();
    const [read] = await listAudit(t.db.prisma, { target: "bk_1" });
    expect(read).toMatchObject({ actor: "ops@example.com", action: "booking.cancel", reason: "customer asked", before: { status: "CONFIRMED", at: "2026-11-25T10:00:00.000Z" }, after: { status: "CANCELLED" } });
  });

  it("filters by action prefix and pages newest first without gaps or repeats", async () => {
    for (let i = 0; i < 7; i++) await recordAudit(t.db.prisma, { actor: "pager", action: i % 2 ? "webhooks.disable" : "webhooks.restore", target: `we_${i}` });
    await recordAudit(t.db.prisma, { actor: "pager", action: "booking.reprocess", target: "bk_2" });
    const webhooks = await listAudit(t.db.prisma, { actor: "pager", action: "webhooks.*" });
    expect(webhooks).toHaveLength(7);
    const seen: string[] = [];
    let after: { createdAt: Date; id: string } | undefined;
    for (;;) {
      const page = await listAudit(t.db.prisma, { actor: "pager", limit: 3, after });
      if (page.length === 0) break;
      seen.push(...page.map((e) => e.target));
      const last = page.at(-1)!;
      after = { createdAt: last.createdAt, id: last.id };
    }
    expect(seen).toHaveLength(8);
    expect(new Set(seen).size).toBe(8);
    expect(seen[0]).toBe("bk_2");
  });
});

describe("operator identity", () => {
  it("prefers --actor, then BOOKFLOW_ACTOR, then the OS user", () => {
    expect(resolveActor(" alice ", { BOOKFLOW_ACTOR: "bob" })).toBe("alice");
    expect(resolveActor(undefined, { BOOKFLOW_ACTOR: "bob" })).toBe("bob");
    expect(resolveActor(undefined, {})).toMatch(/\S/);
  });
  it("refuses control characters and overlong names", () => {
    expect(() => resolveActor("a\nb", {})).toThrow(UsageError);
    expect(() => resolveActor("x".repeat(201), {})).toThrow(UsageError);
  });
});
