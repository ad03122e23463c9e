import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { z } from "zod";
import type { EmailKind } from "../../src/core/notifications.js";
import { EXIT } from "../../src/engine/exit-codes.js";
import { UsageError } from "../../src/errors.js";
import { previewEmail, type EmailPreview } from "../../src/ops/emails-preview.js";
import { parseOptions } from "../support/flags.js";
import { defineCommand } from "../support/run.js";

/** `bookflow emails preview <kind>`: parse, render (src/ops/emails-preview.ts), write the HTML (or --json) to stdout or --output. */

export const EMAIL_PREVIEW_KINDS = ["confirmation", "receipt", "cancellation", "rescheduled"] as const;

const previewOptionsSchema = z.object({
  kind: z.string(),
  output: z.string().trim().min(1, { message: "must name a file" }).optional(),
  json: z.boolean().default(false),
});

export type EmailsPreviewOptions = z.input<typeof previewOptionsSchema>;

function parseKind(text: string): EmailKind {
  const kind = text.trim().toLowerCase();
  if (!(EMAIL_PREVIEW_KINDS as readonly string[]).includes(kind)) {
    throw new UsageError(`Unknown email kind "${text}": the kinds are ${EMAIL_PREVIEW_KINDS.join(", ")}.`, "For example: bookflow emails preview confirmation", "BAD_KIND");
  }
  return kind.toUpperCase() as EmailKind;
}

export const emailsPreview = defineCommand({
  command: "emails preview",
  parse(raw) {
    const opts = parseOptions(previewOptionsSchema, raw, "emails preview");
    return { ...opts, kind: parseKind(opts.kind) };
  },
  async run(opts, ctx) {
    const preview = await previewEmail(ctx, { kind: opts.kind });
    const body = opts.json ? `${JSON.stringify(jsonView(preview), null, 2)}\n` : preview.html.endsWith("\n") ? preview.html : `${preview.html}\n`;
    if (opts.output) {
      const file = resolve(ctx.cwd, opts.output);
      await writeFile(file, body);
      ctx.out(`Wrote the ${preview.kind.toLowerCase()} email (${describeSource(preview)}) to ${file}\n`);
    } else {
      ctx.out(body);
    }
    for (const line of notes(preview)) ctx.err(`${line}\n`);
    return preview.errors.length ? EXIT.FAILED : EXIT.OK;
  },
});

function jsonView(p: EmailPreview) {
  return { kind: p.kind.toLowerCase(), subject: p.subject, html: p.html, text: p.text, variablesMissing: p.variablesMissing, source: p.source, template: p.template, fallbackReason: p.fallbackReason, errors: p.errors };
}

function describeSource(p: EmailPreview): string {
  return p.template ? `template ${p.template.id} version ${p.template.version}` : "bookflow's own rendering";
}

/** What a person should know besides the HTML, on stderr (stdout stays the email). */
function notes(p: EmailPreview): string[] {
  const lines: string[] = [];
  if (p.fallbackReason) lines.push(`note: ${p.fallbackReason}; showing bookflow's own rendering instead.`);
  if (p.variablesMissing.length) lines.push(`warning: the template uses variables the app does not send (rendered empty): ${p.variablesMissing.join(", ")}`);
  for (const e of p.errors) lines.push(`error: the template did not render: ${e}`);
  return lines;
}
