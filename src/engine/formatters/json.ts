import type { Formatter } from "./shared.js";

/** The report as versioned JSON (docs/report-schema.json). */
export const formatJson: Formatter = (report) => JSON.stringify(report, null, 2) + "\n";
