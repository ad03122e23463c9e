import { createInterface } from "node:readline/promises";
import type { Readable, Writable } from "node:stream";
import { CONTACT_ROLES, defaultConfig } from "../../src/config/bookflow-config.js";
import { TARGETS, type Target } from "../../src/config/verify-env.js";
import { BookflowError, UserAbort } from "../../src/errors.js";
import {
  INIT_THRESHOLDS,
  parseContact,
  parseDomain,
  parseSessionType,
  parseTarget,
  parseThreshold,
  parseWebUrl,
  webhookUrlsFor,
  type InitAnswers,
  type InitThreshold,
} from "../../src/ops/init.js";

/**
 * `bookflow init`'s questions on a terminal. Each answer goes through the same
 * parser as its flag (src/ops/init.ts); a bad one is explained and asked again.
 * What a flag already gave is not asked. End of input (Ctrl-D) cancels with
 * nothing written.
 */

/** Asks one question; resolves to the line typed, or undefined at end of input. */
export type Prompt = (question: string) => Promise<string | undefined>;

/** What the flags gave: undefined (or an empty list) is asked. */
export interface GivenAnswers {
  target?: Target | undefined;
  domain?: string | undefined;
  baseUrl?: string | undefined;
  calendlyWebhookUrl?: string | undefined;
  stripeWebhookUrl?: string | undefined;
  sessionTypes: InitAnswers["sessionTypes"];
  thresholds: InitAnswers["thresholds"];
  contacts: InitAnswers["contacts"];
}

/** A prompt on a terminal's streams (node:readline/promises); lines typed ahead are kept for the next questions. */
export function terminalPrompt(input: Readable, output: Writable): { prompt: Prompt; close(): void } {
  const rl = createInterface({ input, output, terminal: Boolean((input as { isTTY?: boolean }).isTTY && (output as { isTTY?: boolean }).isTTY) });
  const lines = rl[Symbol.asyncIterator]();
  return {
    async prompt(question) {
      rl.setPrompt(question);
      rl.prompt();
      const next = await lines.next();
      return next.done ? undefined : next.value;
    },
    close: () => rl.close(),
  };
}

const cancelled = () => new UserAbort("Cancelled: no file was written.", "Run `bookflow init` again, or give the answers as flags with --yes (see `bookflow init --help`).");

/** Asks until the answer parses; blank takes the default (undefined when there is none). */
async function askOne<T>(prompt: Prompt, say: (t: string) => void, question: string, shownDefault: string | undefined, parse: (text: string) => T): Promise<T | undefined> {
  for (;;) {
    const line = await prompt(`${question}${shownDefault !== undefined ? ` [${shownDefault}]` : ""}: `);
    if (line === undefined) throw cancelled();
    const text = line.trim() === "" ? shownDefault : line.trim();
    if (text === undefined || text === "") return undefined;
    try {
      return parse(text);
    } catch (err) {
      if (!(err instanceof BookflowError)) throw err;
      say(`  ${err.message}${err.hint ? `\n  ${err.hint}` : ""}\n`);
    }
  }
}

/** Asks for entries one a line until a blank line. */
async function askMany<T>(prompt: Prompt, say: (t: string) => void, intro: string, parse: (text: string) => T): Promise<T[]> {
  say(`${intro}\n`);
  const out: T[] = [];
  for (;;) {
    const value = await askOne(prompt, say, `  ${out.length + 1}`, undefined, parse);
    if (value === undefined) return out;
    out.push(value);
  }
}

export async function askInitAnswers(given: GivenAnswers, prompt: Prompt, say: (text: string) => void): Promise<InitAnswers> {
  say("bookflow init: a few questions for bookflow.config.json and .env.example. Enter takes the [default]; a blank answer without one leaves the value out.\n\n");
  const target = given.target ?? (await askOne(prompt, say, `Target (${TARGETS.join(", ")})`, "production", (t) => parseTarget(t, "target"))) ?? "production";
  const domain = given.domain ?? (await askOne(prompt, say, "Domain mail is sent from (blank: the SENDGRID_FROM_EMAIL domain)", undefined, (t) => parseDomain(t, "domain")));
  const baseUrl = given.baseUrl ?? (await askOne(prompt, say, "Public base URL of the app (NEXT_PUBLIC_BASE_URL)", domain ? `https://${domain}` : undefined, (t) => parseWebUrl(t, "base URL", target)));
  const hooks = baseUrl ? webhookUrlsFor(baseUrl) : undefined;
  const calendlyWebhookUrl = given.calendlyWebhookUrl ?? (await askOne(prompt, say, "Calendly webhook URL (CALENDLY_WEBHOOK_URL)", hooks?.calendly, (t) => parseWebUrl(t, "Calendly webhook URL", target)));
  const stripeWebhookUrl = given.stripeWebhookUrl ?? (await askOne(prompt, say, "Stripe webhook URL (STRIPE_WEBHOOK_URL)", hooks?.stripe, (t) => parseWebUrl(t, "Stripe webhook URL", target)));
  const sessionTypes = given.sessionTypes.length
    ? given.sessionTypes
    : await askMany(prompt, say, "\nSession types that must exist, one a line as slug:priceCents:currency (intro-call:0:usd, deep-dive:15000:usd); a blank line ends the list:", (t) => parseSessionType(t, "session type"));
  const defaults = defaultConfig().thresholds;
  const thresholds: InitAnswers["thresholds"] = { ...given.thresholds };
  say("\nThresholds (Enter keeps the default, which the config then leaves out):\n");
  for (const key of Object.keys(INIT_THRESHOLDS) as InitThreshold[]) {
    if (thresholds[key] !== undefined) continue;
    const value = await askOne(prompt, say, `  ${INIT_THRESHOLDS[key].question}`, String(defaults[key]), (t) => parseThreshold(key, t, key));
    if (value !== undefined && value !== defaults[key]) thresholds[key] = value;
  }
  const contacts = given.contacts.length
    ? given.contacts
    : await askMany(
        prompt,
        say,
        `\nEmergency contacts, one a line as role:name:way (roles: ${CONTACT_ROLES.join(", ")}; way: an email, a phone number or an https URL); a blank line ends the list:`,
        (t) => parseContact(t, "contact"),
      );
  return { target, domain, baseUrl, calendlyWebhookUrl, stripeWebhookUrl, sessionTypes, thresholds, contacts };
}
