import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/db/client.js";
import { seed, seedIsPresent } from "../../src/db/seed.js";
import { DEFAULT_SEED } from "../../src/db/seed-data.js";
import { createTestDatabase, type TestDatabase } from "../support/db.js";

const USERS = new Set([...DEFAULT_SEED.customers.map((c) => c.email), ...DEFAULT_SEED.builders.map((b) => b.email)]).size;
const BUILDERS = DEFAULT_SEED.builders.length;
const SESSION_TYPES = DEFAULT_SEED.builders.reduce((n, b) => n + b.sessionTypes.length, 0);

/** Every row of the seeded tables, in a stable order, with every column. */
async function snapshot(db: Database) {
  const [users, builders, sessionTypes] = await Promise.all([
    db.prisma.user.findMany({ orderBy: { id: "asc" } }),
    db.prisma.builderProfile.findMany({ orderBy: { id: "asc" } }),
    db.prisma.sessionType.findMany({ orderBy: { id: "asc" } }),
  ]);
  return { users, builders, sessionTypes };
}

describe("db seed", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase({ migrated: true, seed: false });
  });
  afterAll(async () => t?.drop());

  it("creates the demo data the first time, and a second run changes nothing", async () => {
    const first = await seed(t.db.prisma);
    expect(first.created).toEqual({ users: USERS, builders: BUILDERS, sessionTypes: SESSION_TYPES });
    expect(first.unchanged).toEqual({ users: 0, builders: 0, sessionTypes: 0 });
    const before = await snapshot(t.db);
    expect(before.users).toHaveLength(USERS);
    expect(before.builders).toHaveLength(BUILDERS);
    expect(before.sessionTypes).toHaveLength(SESSION_TYPES);

    const second = await seed(t.db.prisma);
    expect(second.created).toEqual({ users: 0, builders: 0, sessionTypes: 0 });
    expect(second.unchanged).toEqual({ users: USERS, builders: BUILDERS, sessionTypes: SESSION_TYPES });
    // Full contents, updatedAt included: not even a no-op update happened.
    expect(await snapshot(t.db)).toEqual(before);
  });

  it("never overwrites edits made by hand, and recreates only what was deleted", async () => {
    await seed(t.db.prisma);
    const builderSeed = DEFAULT_SEED.builders[0]!;
    const builder = await t.db.prisma.builderProfile.update({
      where: { slug: builderSeed.slug },
      data: { visible: false, headline: "Edited by support" },
    });
    const paidSeed = builderSeed.sessionTypes.find((s) => s.priceCents > 0)!;
    const paid = await t.db.prisma.sessionType.update({
      where: { builderId_slug: { builderId: builder.id, slug: paidSeed.slug } },
      data: { priceCents: paidSeed.priceCents + 100, active: false },
    });
    const freeSeed = builderSeed.sessionTypes.find((s) => s.priceCents === 0)!;
    await t.db.prisma.sessionType.delete({ where: { builderId_slug: { builderId: builder.id, slug: freeSeed.slug } } });

    const report = await seed(t.db.prisma);
    expect(report.created).toEqual({ users: 0, builders: 0, sessionTypes: 1 });

    const after = await t.db.prisma.builderProfile.findUniqueOrThrow({ where: { slug: builderSeed.slug } });
    expect(after).toEqual(builder);
    expect(after.visible).toBe(false);
    expect(after.headline).toBe("Edited by support");
    expect(await t.db.prisma.sessionType.findUniqueOrThrow({ where: { id: paid.id } })).toEqual(paid);
    const recreated = await t.db.prisma.sessionType.findUniqueOrThrow({ where: { builderId_slug: { builderId: builder.id, slug: freeSeed.slug } } });
    expect(recreated.priceCents).toBe(0);
    expect(recreated.calendlyEventTypeUri).toBe(freeSeed.calendlyEventTypeUri);
  });

  it("gives every builder a free (priceCents 0) and a paid session type", async () => {
    const fresh = await createTestDatabase({ migrated: true, seed: true });
    try {
      const builders = await fresh.db.prisma.builderProfile.findMany({ include: { sessionTypes: true } });
      expect(builders).toHaveLength(BUILDERS);
      for (const b of builders) {
        const free = b.sessionTypes.filter((s) => s.priceCents === 0);
        const paid = b.sessionTypes.filter((s) => s.priceCents > 0);
        expect(free.length, `${b.slug} has a free session type`).toBeGreaterThan(0);
        expect(paid.length, `${b.slug} has a paid session type`).toBeGreaterThan(0);
        for (const s of free) expect(s.stripePriceId).toBeNull();
        for (const s of paid) expect(s.stripePriceId).toMatch(/^price_/);
        for (const s of b.sessionTypes) {
          expect(s.active).toBe(true);
          expect(s.calendlyEventTypeUri).toMatch(/^https:\/\/api\.calendly\.com\/event_types\//);
        }
      }
    } finally {
      await fresh.drop();
    }
  });
});

describe("seedIsPresent: whether a start can skip the seed", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase({ migrated: true, seed: false });
  });
  afterAll(async () => t?.drop());

  it("is false on an empty database, true once seeded, and false again when any seeded row is gone", async () => {
    expect(await seedIsPresent(t.db.sql)).toBe(false);
    await seed(t.db.prisma);
    expect(await seedIsPresent(t.db.sql)).toBe(true);

    // A session type of the same slug under another builder does not count as this builder's.
    const [first] = DEFAULT_SEED.builders;
    const type = first!.sessionTypes[0]!;
    const builder = await t.db.prisma.builderProfile.findUniqueOrThrow({ where: { slug: first!.slug } });
    await t.db.prisma.sessionType.delete({ where: { builderId_slug: { builderId: builder.id, slug: type.slug } } });
    expect(await seedIsPresent(t.db.sql)).toBe(false);
    await seed(t.db.prisma);
    expect(await seedIsPresent(t.db.sql)).toBe(true);

    await t.db.prisma.user.update({ where: { email: DEFAULT_SEED.customers[0]!.email }, data: { email: "renamed@example.com" } });
    expect(await seedIsPresent(t.db.sql)).toBe(false);
  });

  it("reads the data it is given", async () => {
    expect(await seedIsPresent(t.db.sql, { customers: [{ email: "nobody@example.com", name: "Nobody" }], builders: [] })).toBe(false);
    expect(await seedIsPresent(t.db.sql, { customers: [], builders: [] })).toBe(true);
  });
});
