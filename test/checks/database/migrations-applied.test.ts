import { expect } from "vitest";
import check from "../../../checks/database/migrations-applied.js";
import type { MigrationStatus } from "../../../src/db/migrations.js";
import { checkTester } from "../../support/check-tester.js";

const clean: MigrationStatus = {
  applied: [
    { name: "20261125000000_init", finishedAt: "2026-11-25T00:00:00.000Z" },
    { name: "20261201000000_add_run_tag", finishedAt: "2026-12-01T00:00:00.000Z" },
  ],
  pending: [],
  failed: [],
  missingFromFolder: [],
  edited: [],
  hasMigrationsTable: true,
};
const world = (change: Partial<MigrationStatus> = {}) => ({ migrationStatus: { ...clean, ...change } });

checkTester(check, {
  pass: [{ name: "every migration applied", facts: world(), messageId: "allApplied" }],
  fail: [
    { name: "never migrated", facts: world({ hasMigrationsTable: false, applied: [], pending: ["20261125000000_init"] }), expect: { status: "fail", messageId: "neverMigrated" } },
    { name: "a pending migration", facts: world({ applied: clean.applied.slice(0, 1), pending: ["20261201000000_add_run_tag"] }), expect: { status: "fail", messageId: "notApplied", data: { problems: "pending: 20261201000000_add_run_tag" } } },
    { name: "a failed migration", facts: world({ applied: clean.applied.slice(0, 1), failed: [{ name: "20261201000000_add_run_tag", logs: "syntax error" }] }), expect: { status: "fail", messageId: "notApplied", data: { problems: expect.stringContaining("failed: 20261201000000_add_run_tag") } } },
    { name: "a migration edited after applying", facts: world({ edited: ["20261125000000_init"] }), expect: { status: "fail", messageId: "notApplied", data: { problems: expect.stringContaining("edited after applying: 20261125000000_init") } } },
    { name: "an unknown migration", facts: world({ missingFromFolder: ["20270101000000_hotfix"] }), expect: { status: "fail", messageId: "notApplied", data: { problems: expect.stringContaining("unknown (applied, not in prisma/migrations): 20270101000000_hotfix") } } },
    {
      name: "several problems at once, failed first",
      facts: world({ failed: [{ name: "b", logs: null }], pending: ["c"], missingFromFolder: ["z"] }),
      expect: { status: "fail", messageId: "notApplied", data: { problems: expect.stringMatching(/^failed: b; pending: c; unknown .*: z$/) } },
    },
  ],
});
