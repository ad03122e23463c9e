import { assertValidCatalogue } from "../../src/engine/catalogue.js";
import { describeSeverity, type AnyCheck } from "../../src/engine/check.js";
import { renderChecksMarkdown } from "../../src/engine/docs.js";
import { EXIT } from "../../src/engine/exit-codes.js";
import { FACT_NAMES } from "../../src/engine/facts/index.js";
import { closest } from "../../src/engine/suggest.js";
import { UsageError } from "../../src/errors.js";
import { defineCommand } from "../support/run.js";

async function load(): Promise<readonly AnyCheck[]> {
  const { catalogue } = await import("../../checks/index.js");
  assertValidCatalogue(catalogue, FACT_NAMES);
  return catalogue;
}

/** `bookflow checks list`: a table, JSON, or the Markdown of docs/checks.md. */
export const checksList = defineCommand({
  command: "checks list",
  parse: (raw) => ({ json: !!raw.json, markdown: !!raw.markdown }),
  run: async (opts, ctx) => {
  const catalogue = await load();
  const deps = { ctx };
  if (opts.json && opts.markdown) throw new UsageError("Choose one of --json and --markdown.", undefined, "BAD_OPTION");
  if (opts.json) {
    const rows = catalogue.map((c) => ({ id: c.id, section: c.section, title: c.title, severity: c.severity, ...(c.severityByTarget ? { severityByTarget: c.severityByTarget } : {}), needs: c.needs, vars: c.vars ?? [], facts: c.facts, docs: c.docs }));
    deps.ctx.out(JSON.stringify(rows, null, 2) + "\n");
  } else if (opts.markdown) {
    deps.ctx.out(renderChecksMarkdown(catalogue));
  } else {
    deps.ctx.out(table(["ID", "SECTION", "SEVERITY", "TITLE"], catalogue.map((c) => [c.id, c.section, describeSeverity(c), c.title])));
    deps.ctx.out(`\n${catalogue.length} checks. \`bookflow checks explain <id>\` tells why each matters and how to fix it.\n`);
  }
  return EXIT.OK;
  },
});

/** `bookflow checks explain <id>`. */
export const checksExplain = defineCommand({
  command: "checks explain",
  parse: (raw) => ({ id: String(raw.id) }),
  run: async (opts, ctx) => {
  const catalogue = await load();
  const deps = { ctx };
  const check = catalogue.find((c) => c.id === opts.id);
  if (!check) {
    const near = closest(opts.id, catalogue.map((c) => c.id), 3);
    throw new UsageError(
      `Unknown check "${opts.id}".`,
      near.length ? `Did you mean ${near.join(", ")}? (\`bookflow checks list\` shows every id.)` : "Run `bookflow checks list` to see every id.",
      "UNKNOWN_CHECK",
    );
  }
  const neededBy = catalogue.filter((c) => c.needs.includes(check.id)).map((c) => c.id);
  deps.ctx.out(
    [
      `${check.id}: ${check.title}`,
      "",
      `  section:   ${check.section}`,
      `  severity:  ${check.severity}${check.severity === "error" ? " (a failure fails verify)" : " (a failure is a warning; fails verify only with --strict)"}`,
      ...Object.entries(check.severityByTarget ?? {}).map(([target, s]) => `             ${s} with --target ${target}${s === "error" ? " (a failure fails verify)" : " (a failure is a warning)"}`),
      `  needs:     ${check.needs.length ? check.needs.join(", ") : "(none)"}`,
      `  needed by: ${neededBy.length ? neededBy.join(", ") : "(none)"}`,
      `  facts:     ${check.facts.join(", ") || "(none)"}`,
      ...(check.vars?.length ? [`  skipped while unset: ${check.vars.join(", ")}`] : []),
      "",
      ...(check.docs.decides ? ["What it decides:", `  ${check.docs.decides}`, ""] : []),
      "Why it matters:",
      `  ${check.docs.why}`,
      "",
      "How to fix:",
      `  ${check.docs.fix}`,
      "",
    ].join("\n"),
  );
  return EXIT.OK;
  },
});

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("  ");
  return [line(header), ...rows.map(line)].join("\n") + "\n";
}
