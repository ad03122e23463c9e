import { formatGithub } from "./github.js";
import { formatHtml } from "./html/index.js";
import { formatJson } from "./json.js";
import { formatJunit } from "./junit.js";
import { formatMarkdown } from "./markdown.js";
import type { FormatName } from "./names.js";
import { formatPrettySummary } from "./pretty-summary.js";
import type { Formatter } from "./shared.js";

export type { FormatOptions, Formatter } from "./shared.js";
export { FORMAT_NAMES, isFormatName, type FormatName } from "./names.js";

/** Every formatter, by the name `--format` takes. */
export const formatters: Record<FormatName, Formatter> = {
  json: formatJson,
  junit: formatJunit,
  markdown: formatMarkdown,
  github: formatGithub,
  "pretty-summary": formatPrettySummary,
  html: formatHtml,
};
