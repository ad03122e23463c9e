import { defineCheck, fail, pass } from "../../src/engine/check.js";

export default defineCheck({
  id: "database.tables-match-schema",
  section: "database",
  title: "Booking, SessionType, User and BuilderProfile exist with the columns prisma/schema.prisma expects",
  severity: "error",
  needs: ["database.connects"],
  facts: ["config", "expectedColumns", "databaseColumns"],
  docs: {
    why: "Prisma queries every column its schema names: a missing table or column fails bookings at runtime even when the migration history looks right (a manual change, a migration edited after applying, a wrong schema in the URL).",
    fix: "Run `bookflow db status` and `bookflow db migrate`; if the history is clean, compare the table with prisma/schema.prisma and add a migration that restores the missing columns. Check that DATABASE_URL points at the right database and schema. The tables checked are seed.tables in bookflow.config.json.",
  },
  messages: {
    schemaMismatch: "{{problems}}",
    matchesSchema: "{{tables}} tables with all {{columns}} expected columns",
    matchesSchemaExistenceOnly: "{{tables}} tables with all {{columns}} expected columns ({{notInSchema}} not in schema.prisma: existence only)",
  },
  run({ config, expectedColumns, databaseColumns }) {
    const tables = config.seed.tables;
    const missingTables: string[] = [];
    const missingColumns: Record<string, string[]> = {};
    const notInSchema: string[] = [];
    let columnCount = 0;
    for (const table of tables) {
      const actual = databaseColumns[table];
      const expected = expectedColumns[table];
      if (!expected) notInSchema.push(table);
      if (!actual) {
        missingTables.push(table);
        continue;
      }
      const have = new Set(actual);
      const missing = (expected ?? []).filter((c) => !have.has(c));
      if (missing.length) missingColumns[table] = missing;
      columnCount += (expected ?? []).length;
    }
    const problems: string[] = [];
    if (missingTables.length) problems.push(`missing table${missingTables.length === 1 ? "" : "s"}: ${missingTables.join(", ")}`);
    for (const [table, cols] of Object.entries(missingColumns)) problems.push(`${table} lacks ${cols.join(", ")}`);
    if (problems.length) {
      return fail("schemaMismatch", { problems: problems.join("; ") }, {
        expected: Object.fromEntries(tables.map((t) => [t, expectedColumns[t] ?? "(table)"])),
        actual: { missingTables, missingColumns },
      });
    }
    if (notInSchema.length) return pass("matchesSchemaExistenceOnly", { tables: tables.length, columns: columnCount, notInSchema: notInSchema.join(", ") });
    return pass("matchesSchema", { tables: tables.length, columns: columnCount });
  },
});
