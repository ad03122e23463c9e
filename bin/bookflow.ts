import { buildProgram } from "../commands/program.js";
import { reportFatal } from "../commands/support/fatal.js";

try {
  await buildProgram().parseAsync(process.argv);
} catch (err) {
  process.exitCode = reportFatal(err);
}
