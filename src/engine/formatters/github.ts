import { reportSubject, type Formatter } from "./shared.js";
import { baselineCounts } from "./baseline.js";

/**
 * GitHub Actions workflow commands: `::error` for failed and errored checks
 * (and warnings under --strict), `::warning` for warnings, then a `::notice` with the counts.
 */
export const formatGithub: Formatter = (report) => {
  const lines: string[] = [];
  for (const r of report.results) {
    const level = r.status === "fail" || r.status === "error" || (report.strict && r.status === "warn") ? "error" : r.status === "warn" ? "warning" : undefined;
    if (!level) continue;
    const what = r.status === "error" ? "could not decide: " : "";
    // --baseline: a failure that is new since then says so in its title.
    const isNew = level === "error" && report.baseline?.newFailures.some((c) => c.id === r.id);
    lines.push(`::${level} title=${property(`${isNew ? "new since the baseline: " : ""}${r.id}: ${r.title}`)}::${data(`${what}${r.message}\nFix: ${r.docs.fix}`)}`);
  }
  if (report.baseline) {
    const b = report.baseline;
    const fixed = b.fixed.length ? `; fixed: ${b.fixed.map((c) => c.id).join(", ")}` : "";
    const slower = b.slower.length ? `; slower: ${b.slower.map((c) => c.id).join(", ")}` : "";
    lines.push(`::notice title=${property(`Since the baseline of ${b.against.startedAt}`)}::${data(`${baselineCounts(b)}${fixed}${slower}`)}`);
  }
  const s = report.summary;
  lines.push(
    `::notice title=${property(reportSubject(report).title)}::${data(`${report.outcome} (target ${report.target}): ${s.pass} passed, ${s.warn} warnings, ${s.fail} failed, ${s.skip} skipped, ${s.error} errors`)}`,
  );
  return lines.join("\n") + "\n";
};

/** Escaping for a workflow command's message. */
function data(s: string): string {
  return s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

/** Escaping for a workflow command's property value. */
function property(s: string): string {
  return data(s).replace(/:/g, "%3A").replace(/,/g, "%2C");
}
