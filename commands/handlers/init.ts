import { existsSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { z } from "zod";
import { EXIT } from "../../src/engine/exit-codes.js";
import { UsageError } from "../../src/errors.js";
import {
  INIT_THRESHOLDS,
  initFiles,
  initTargets,
  NPM_SCHEMA_REF,
  parseContact,
  parseDomain,
  parseSessionType,
  parseTarget,
  parseThreshold,
  parseWebUrl,
  refuseExisting,
  schemaReference,
  withDefaults,
  writeInitFiles,
  type InitAnswers,
  type InitThreshold,
} from "../../src/ops/init.js";
import { packageRoot } from "../../src/package-root.js";
import { parseOptions } from "../support/flags.js";
import { defineCommand } from "../support/run.js";
import { askInitAnswers, terminalPrompt, type GivenAnswers } from "../support/init-questions.js";

const list = z.array(z.string()).default([]);
const text = z.string().optional();

const initOptionsSchema = z.object({
  dir: z.string().min(1, { message: "must name a folder" }).default("."),
  yes: z.boolean().default(false),
  force: z.boolean().default(false),
  envExample: z.boolean().default(true),
  target: text,
  domain: text,
  baseUrl: text,
  calendlyWebhookUrl: text,
  stripeWebhookUrl: text,
  sessionType: list,
  contact: list,
  httpLatencyMs: text,
  databaseLatencyMs: text,
  certificateExpiryDays: text,
});

interface InitInput {
  dir: string;
  yes: boolean;
  force: boolean;
  envExample: boolean;
  given: GivenAnswers;
}

/** Each flag through the rule its answer would go through on a terminal. */
function parseInit(raw: Record<string, unknown>): InitInput {
  const o = parseOptions(initOptionsSchema, raw, "init");
  const target = o.target === undefined ? undefined : parseTarget(o.target, "--target");
  const urlTarget = target ?? "production";
  const thresholds: InitAnswers["thresholds"] = {};
  for (const key of Object.keys(INIT_THRESHOLDS) as InitThreshold[]) {
    const value = o[key];
    if (value !== undefined) thresholds[key] = parseThreshold(key, value, INIT_THRESHOLDS[key].flag);
  }
  return {
    dir: o.dir,
    yes: o.yes,
    force: o.force,
    envExample: o.envExample,
    given: {
      target,
      domain: o.domain === undefined ? undefined : parseDomain(o.domain, "--domain"),
      baseUrl: o.baseUrl === undefined ? undefined : parseWebUrl(o.baseUrl, "--base-url", urlTarget),
      calendlyWebhookUrl: o.calendlyWebhookUrl === undefined ? undefined : parseWebUrl(o.calendlyWebhookUrl, "--calendly-webhook-url", urlTarget),
      stripeWebhookUrl: o.stripeWebhookUrl === undefined ? undefined : parseWebUrl(o.stripeWebhookUrl, "--stripe-webhook-url", urlTarget),
      sessionTypes: o.sessionType.map((t) => parseSessionType(t, "--session-type")),
      thresholds,
      contacts: o.contact.map((c) => parseContact(c, "--contact")),
    },
  };
}

/** `bookflow init`: bookflow.config.json (with `$schema`) and .env.example, from flags or answers on a terminal. */
export const init = defineCommand({
  command: "init",
  parse: (raw) => parseInit(raw),
  async run(input, ctx) {
    const dir = resolve(ctx.cwd, input.dir);
    const targets = initTargets(dir, input.envExample);
    refuseExisting(targets, input.force);
    let answers: InitAnswers;
    if (input.yes) {
      answers = { ...input.given, target: input.given.target ?? "production" };
    } else if (ctx.interactive) {
      const terminal = terminalPrompt(process.stdin, process.stdout);
      try {
        answers = await askInitAnswers(input.given, terminal.prompt, (t) => process.stdout.write(t));
      } finally {
        terminal.close();
      }
      // The files may have appeared while the questions were asked.
      refuseExisting(targets, input.force);
    } else {
      throw new UsageError(
        "bookflow init asks its questions on a terminal, and there is none here.",
        "Pass --yes to take the defaults for everything no flag gives (e.g. `bookflow init --yes --domain example.com --contact \"on-call:Payments on-call:+1 415 555 0100\"`; see `bookflow init --help`).",
        "NEEDS_ANSWERS",
      );
    }
    const complete = withDefaults(answers);
    const schemaRef = schemaReference(dir, packageRoot());
    const files = initFiles(complete, schemaRef);
    const written = writeInitFiles(targets, files, input.force);
    const shown = (f: string) => relative(ctx.cwd, f) || f;
    const counts = [
      `target ${complete.target}`,
      `${complete.sessionTypes.length} session type${complete.sessionTypes.length === 1 ? "" : "s"}`,
      `${complete.contacts.length} emergency contact${complete.contacts.length === 1 ? "" : "s"}`,
    ];
    const lines = [`Wrote ${shown(written[0]!)} (${counts.join(", ")}; "$schema": ${schemaRef})`];
    if (written[1]) lines.push(`Wrote ${shown(written[1])} (every variable bookflow reads; filled in: ${Object.keys(files.envValues).join(", ")})`);
    lines.push("", "Next:");
    if (written[1]) lines.push(`  cp ${shown(written[1])} .env      then fill in the values (keep .env out of version control)`);
    if (schemaRef === NPM_SCHEMA_REF && !existsSync(join(dir, NPM_SCHEMA_REF))) lines.push("  npm install --save-dev bookflow   so editors find the schema and autocomplete the config");
    if (complete.contacts.length === 0) lines.push('  add emergency contacts (`--contact role:name:way`, or "contacts" in the config): rollback prints them');
    lines.push("  bookflow verify --env-file .env");
    ctx.out(`${lines.join("\n")}\n`);
    return EXIT.OK;
  },
});
