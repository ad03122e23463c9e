import { Command } from "commander";
import { packageVersion } from "../src/package-root.js";
import { registerInit } from "./init.js";
import { registerDb } from "./db.js";
import { registerServe } from "./serve.js";
import { registerVerify } from "./verify.js";
import { registerSandbox } from "./sandbox.js";
import { registerWebhooks } from "./webhooks.js";
import { registerScenarios } from "./scenarios.js";
import { registerBookings } from "./bookings.js";
import { registerAudit } from "./audit.js";
import { registerEmails } from "./emails.js";
import { registerRollback } from "./rollback.js";
import { registerRelease } from "./release.js";
import { registerReport } from "./report.js";
import { registerStats } from "./stats.js";
import { registerMonitor } from "./monitor.js";

// Start-up stays light: commander and the command definitions only. Prisma,
// provider SDKs and listr2 are imported inside the actions that use them.

export function buildProgram(): Command {
  const program = new Command("bookflow")
    .description(
      "Release checks, webhook operations, end-to-end scenarios and support tooling\n" +
        "for a Calendly + Stripe + SendGrid booking platform.",
    )
    .version(packageVersion(), "-V, --version", "print bookflow's version")
    .option("--env-file <path>", "read variables from a dotenv file (repeatable; later files win)", collect, [] as string[])
    .showHelpAfterError("(run with --help for usage)")
    .configureHelp({ sortSubcommands: false, showGlobalOptions: true })
    // Throw instead of exiting, so usage errors get exit code 2 in one place.
    .exitOverride();
  program.addHelpText(
    "after",
    `
Exit codes: 0 success, 1 checks/scenarios/operation failed, 2 bad usage or configuration.
Without DATABASE_URL, bookflow uses an embedded database under .bookflow/.
Docs: README.md`,
  );
  registerInit(program);
  registerVerify(program);
  registerWebhooks(program);
  registerScenarios(program);
  registerBookings(program);
  registerAudit(program);
  registerEmails(program);
  registerRelease(program);
  registerRollback(program);
  registerStats(program);
  registerSandbox(program);
  registerServe(program);
  registerDb(program);
  registerReport(program);
  registerMonitor(program);
  return program;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
