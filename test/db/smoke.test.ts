import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/db.js";

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase({ seed: true });
});
afterAll(async () => t?.drop());

it("a test database is migrated and seeded", async () => {
  expect(await t.db.prisma.builderProfile.count({ where: { visible: true } })).toBeGreaterThan(0);
});
