// How many checks or scenarios failed a run, from bookflow's JSON report (the
// action's `failed` output): results that failed or errored, and warnings when
// the run was --strict, as the exit code counts them. A document with only a
// `summary` (fail, error) counts those; a release's outcome (`verify.production`,
// else `verify.staged`, each with a summary) counts its last verify run's. Prints
// nothing when the file holds none of these.
import { readFileSync } from "node:fs";

const file = process.argv[2];
if (!file) {
  console.error("usage: failed-count.mjs <report.json>");
  process.exit(2);
}
const report = JSON.parse(readFileSync(file, "utf8"));
if (report && Array.isArray(report.results)) {
  const failing = report.results.filter((r) => r.status === "fail" || r.status === "error" || (report.strict === true && r.status === "warn"));
  console.log(String(failing.length));
} else if (report && report.summary && typeof report.summary.fail === "number" && typeof report.summary.error === "number") {
  console.log(String(report.summary.fail + report.summary.error));
} else if (report && report.verify && typeof report.verify === "object") {
  const last = report.verify.production ?? report.verify.staged;
  if (last && last.summary && typeof last.summary.fail === "number" && typeof last.summary.error === "number") console.log(String(last.summary.fail + last.summary.error));
}
