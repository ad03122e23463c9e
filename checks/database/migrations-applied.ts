import { defineCheck, fail, pass } from "../../src/engine/check.js";

export default defineCheck({
  id: "database.migrations-applied",
  section: "database",
  title: "Every migration is applied; none failed, was edited after applying, or is unknown",
  severity: "error",
  needs: ["database.connects"],
  facts: ["migrationStatus"],
  docs: {
    why: "The released code expects the schema its migrations build. A pending migration means missing tables or columns (bookings fail at runtime); a failed one blocks every later migration; an edited or unknown one means the database and the repository have drifted apart.",
    fix: "Pending: run `bookflow db migrate` (or `prisma migrate deploy`) against DIRECT_URL. Failed: repair the database, then `prisma migrate resolve --rolled-back <name>` or `--applied <name>` and migrate again. Edited: restore the migration.sql that was applied and add a new migration instead. Unknown: deploy the code that has that migration folder, or find out who applied it.",
  },
  messages: {
    neverMigrated: "No _prisma_migrations table: this database was never migrated",
    notApplied: "Migrations {{problems}}",
    allApplied: "{{migrations}} applied, latest {{latest}}",
    noneApplied: "{{migrations}} applied",
  },
  run({ migrationStatus: s }) {
    if (!s.hasMigrationsTable) return fail("neverMigrated", undefined, { expected: "_prisma_migrations", actual: null, details: { pending: s.pending } });
    const problems: string[] = [];
    if (s.failed.length) problems.push(`failed: ${s.failed.map((f) => f.name).join(", ")}`);
    if (s.pending.length) problems.push(`pending: ${s.pending.join(", ")}`);
    if (s.edited.length) problems.push(`edited after applying: ${s.edited.join(", ")}`);
    if (s.missingFromFolder.length) problems.push(`unknown (applied, not in prisma/migrations): ${s.missingFromFolder.join(", ")}`);
    if (problems.length) {
      return fail("notApplied", { problems: problems.join("; ") }, {
        expected: { pending: [], failed: [], edited: [], unknown: [] },
        actual: { pending: s.pending, failed: s.failed.map((f) => f.name), edited: s.edited, unknown: s.missingFromFolder },
      });
    }
    const latest = s.applied.at(-1);
    const migrations = `${s.applied.length} migration${s.applied.length === 1 ? "" : "s"}`;
    return latest ? pass("allApplied", { migrations, latest: latest.name }) : pass("noneApplied", { migrations });
  },
});
