import type { Formatter } from "../shared.js";
import { renderRunReport } from "./run-report.js";

export { renderPage, type Page, type PageSection } from "./page.js";
export { runReportSections } from "./run-report.js";

/** One self-contained HTML page (inline CSS, script and SVG; works from file://, fetches nothing). */
export const formatHtml: Formatter = (report) => renderRunReport(report);
