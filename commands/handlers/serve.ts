import { z } from "zod";
import { readAppEnv } from "../../src/config/app-env.js";
import { parseOrThrow } from "../../src/config/validation.js";
import { applyMigrations, migrationStatus } from "../../src/db/migrations.js";
import { startReferenceApp } from "../../src/app/start.js";
import { EXIT } from "../../src/engine/exit-codes.js";
import { ConfigError } from "../../src/errors.js";
import { packageVersion } from "../../src/package-root.js";
import { defineCommand } from "../support/run.js";

const optionsSchema = z.object({
  port: z.coerce.number().int().min(0).max(65535, { message: "must be a port number from 0 to 65535" }).optional(),
  host: z.string().min(1).optional(),
  migrate: z.boolean().optional(),
});

/** `bookflow serve`: the reference app until SIGTERM/SIGINT, one JSON log line per event on stdout. */
export const serve = defineCommand({
  command: "serve",
  parse: (raw) => parseOrThrow(optionsSchema, raw, "options for serve", "See `bookflow serve --help`."),
  async run(opts, ctx) {
    const env = readAppEnv(ctx.env);
    const db = await ctx.db();
    if (opts.migrate) await applyMigrations(db);
    const status = await migrationStatus(db);
    if (status.pending.length || status.failed.length) {
      throw new ConfigError(`The database ${db.location} has ${status.pending.length} pending and ${status.failed.length} failed migration(s).`, "Run `bookflow db migrate` (or pass --migrate), then start again.", "DB_NOT_MIGRATED");
    }
    const log = (e: object) => ctx.out(JSON.stringify(e) + "\n");
    const app = await startReferenceApp({ env, db, version: packageVersion(), port: opts.port, host: opts.host, log });
    log({ time: new Date().toISOString(), level: "info", msg: "listening", url: app.url, database: db.location });

    await new Promise<void>((resolve) => {
      const stop = (signal: string) => {
        log({ time: new Date().toISOString(), level: "info", msg: "shutting down", signal });
        resolve();
      };
      process.once("SIGTERM", () => stop("SIGTERM"));
      process.once("SIGINT", () => stop("SIGINT"));
    });
    await app.close();
    // The database is closed by the runner when the command returns.
    log({ time: new Date().toISOString(), level: "info", msg: "stopped" });
    return EXIT.OK;
  },
});
