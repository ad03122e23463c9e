import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import check from "../../../checks/database/tables-match-schema.js";
import { defaultConfig } from "../../../src/config/bookflow-config.js";
import { defaultSchemaPath } from "../../../src/db/migrations.js";
import { expectedColumnsFromSchema, type ColumnsByTable } from "../../../src/engine/facts/database.js";
import { checkTester } from "../../support/check-tester.js";

const config = defaultConfig();
const expectedColumns = expectedColumnsFromSchema(readFileSync(defaultSchemaPath(), "utf8"));
const clone = (c: ColumnsByTable): ColumnsByTable => Object.fromEntries(Object.entries(c).map(([t, cols]) => [t, [...cols]]));
const world = (change: (db: ColumnsByTable) => ColumnsByTable = (d) => d) => ({ config, expectedColumns, databaseColumns: change(clone(expectedColumns)) });

checkTester(check, {
  pass: [
    { name: "every table as the schema has it", facts: world(), messageId: "matchesSchema" },
    { name: "extra columns and tables are fine", facts: world((d) => ({ ...d, Booking: [...d.Booking!, "legacyNote"], _prisma_migrations: ["id"] })) },
    { name: "a configured table outside the schema only has to exist", facts: { config: { ...config, seed: { ...config.seed, tables: ["Booking", "audit_archive"] } }, expectedColumns, databaseColumns: { ...clone(expectedColumns), audit_archive: ["id"] } }, messageId: "matchesSchemaExistenceOnly" },
  ],
  fail: [
    { name: "a missing table", facts: world((d) => (delete d.SessionType, d)), expect: { status: "fail", messageId: "schemaMismatch", data: { problems: "missing table: SessionType" } } },
    { name: "a missing column", facts: world((d) => ({ ...d, Booking: d.Booking!.filter((c) => c !== "stripePaymentIntentId") })), expect: { status: "fail", messageId: "schemaMismatch", data: { problems: "Booking lacks stripePaymentIntentId" } } },
    { name: "an empty database", facts: world(() => ({})), expect: { status: "fail", messageId: "schemaMismatch", data: { problems: expect.stringContaining("missing tables: Booking, SessionType, User, BuilderProfile") } } },
    {
      name: "columns missing in two tables",
      facts: world((d) => ({ ...d, User: d.User!.filter((c) => c !== "email"), BuilderProfile: d.BuilderProfile!.filter((c) => c !== "visible" && c !== "slug") })),
      expect: { status: "fail", messageId: "schemaMismatch", data: { problems: expect.stringContaining("User lacks email; BuilderProfile lacks slug, visible") } },
    },
  ],
});

describe("expectedColumnsFromSchema", () => {
  it("reads the columns of prisma/schema.prisma, leaving relation fields out", () => {
    expect(expectedColumns.SessionType).toEqual(expect.arrayContaining(["id", "builderId", "slug", "priceCents", "currency", "active", "calendlyEventTypeUri", "stripePriceId"]));
    expect(expectedColumns.SessionType).not.toContain("builder");
    expect(expectedColumns.SessionType).not.toContain("bookings");
    expect(expectedColumns.Booking).toEqual(expect.arrayContaining(["status", "paymentStatus", "userId", "runTag"]));
    expect(expectedColumns.User).not.toContain("builderProfile");
    expect(Object.keys(expectedColumns)).toEqual(expect.arrayContaining(["Booking", "SessionType", "User", "BuilderProfile"]));
  });

  it("honours @map and @@map, keeps enums and scalar lists, ignores comments and block attributes", () => {
    const cols = expectedColumnsFromSchema(`
      enum Mood { HAPPY SAD }
      // model Ghost { id String @id }
      model Person {
        id      String   @id
        mood    Mood     @default(HAPPY) // an enum column
        tags    String[]
        email   String   @map("email_address")
        pets    Pet[]
        blob    Unsupported("tsvector")?
        @@map("people")
        @@index([email])
      }
      model Pet {
        id       Int    @id
        ownerId  String
        owner    Person @relation(fields: [ownerId], references: [id])
      }`);
    expect(cols).toEqual({ people: ["id", "mood", "tags", "email_address", "blob"], Pet: ["id", "ownerId"] });
  });
});
