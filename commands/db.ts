import type { Command } from "commander";
import { withEffect } from "./support/effect.js";
import { commandAction } from "./support/run.js";

/** `bookflow db …`: migrations and seed data, without Prisma's native engine. */
export function registerDb(program: Command): void {
  const db = program
    .command("db")
    .description("database: migration status, migrate, seed (DATABASE_URL, else the embedded database)")
    .addHelpText(
      "after",
      `
Examples:
  bookflow db status            applied, pending, failed and unknown migrations (exit 1 unless up to date)
  bookflow db migrate           apply pending migrations from prisma/migrations
  bookflow db seed              create the demo builders and session types (idempotent)`,
    );

  withEffect(db.command("status")
    .description("compare _prisma_migrations with prisma/migrations; exit 1 when anything is pending, failed, edited or unknown")
    .option("--json", "print the status as JSON")
    .action(commandAction(async () => (await import("./handlers/db.js")).dbStatus)), "read");

  withEffect(db.command("migrate")
    .description("apply pending migrations (Prisma's schema engine, same _prisma_migrations bookkeeping as `prisma migrate deploy`)")
    .option("--json", "print the result as JSON")
    .action(commandAction(async () => (await import("./handlers/db.js")).dbMigrate)), "write");

  withEffect(db.command("seed")
    .description("create demo builders with a free and a paid session type each; running it twice changes nothing")
    .option("--json", "print what was created as JSON")
    .action(commandAction(async () => (await import("./handlers/db.js")).dbSeed)), "write");
}
