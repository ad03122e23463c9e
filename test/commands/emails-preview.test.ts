import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createContext } from "../../src/context.js";
import { previewEmail } from "../../src/ops/emails-preview.js";
import { DEFAULT_SENDGRID_TEMPLATES, startSendGridEmulator, type SendGridEmulator } from "../../src/sandbox/sendgrid/emulator.js";
import { runCli, tempDir } from "../support/cli.js";

const API_KEY = "SG.preview-test.key";
const TEMPLATE = DEFAULT_SENDGRID_TEMPLATES[0]!;
const VERSION = TEMPLATE.versions[0]!;

let emulator: SendGridEmulator;
beforeAll(async () => {
  emulator = await startSendGridEmulator({ apiKey: API_KEY });
});
afterAll(() => emulator.close());

const templateEnv = () => ({ SENDGRID_API_KEY: API_KEY, SENDGRID_API_BASE: emulator.url, SENDGRID_BOOKING_TEMPLATE_ID: TEMPLATE.id });

describe("bookflow emails preview (as a process)", () => {
  it("prints bookflow's own HTML for a sample booking when no template is configured", async () => {
    const r = await runCli(["emails", "preview", "confirmation"]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain("<p>Your Build Session with Ada Lovelace is confirmed.</p>");
    expect(r.stderr).toBe("");
  });

  it("renders the configured template's active version, as SendGrid would, with the session title", async () => {
    const r = await runCli(["emails", "preview", "RECEIPT"], { env: templateEnv() });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain("<h1>Build Session with Ada Lovelace</h1>");
    expect(r.stdout).toContain("<p>Paid: $99.00</p>");
    expect(r.stderr).toBe("");
  });

  it("--json prints kind, subject, html, text and variablesMissing", async () => {
    const r = await runCli(["emails", "preview", "cancellation", "--json"], { env: templateEnv() });
    expect(r.exitCode, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(json).toMatchObject({
      kind: "cancellation",
      subject: "Cancelled: Build Session with Ada Lovelace",
      html: expect.stringContaining("Reason: The invitee cannot make it"),
      text: expect.stringContaining("When: Tuesday, January 15, 2030"),
      variablesMissing: [],
      source: "template",
      template: { id: TEMPLATE.id, version: "v1" },
    });
  });

  it("--output writes the HTML to a file (relative to the working directory) and says where", async () => {
    const dir = tempDir();
    const r = await runCli(["emails", "preview", "rescheduled", "--output", "moved.html"], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Wrote the rescheduled email \(bookflow's own rendering\) to .*moved\.html\n$/);
    expect(readFileSync(join(dir, "moved.html"), "utf8")).toContain("has moved to Tuesday, January 15, 2030");
  });

  it("names on stderr a variable the template uses that the app does not send", async () => {
    const before = emulator.updateTemplateVersion(TEMPLATE.id, VERSION.id, { html_content: "<p>{{sessionTitle}} {{promoCode}}</p>" });
    try {
      const r = await runCli(["emails", "preview", "confirmation"], { env: templateEnv() });
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout).toBe("<p>Build Session </p>\n");
      expect(r.stderr).toMatch(/variables the app does not send \(rendered empty\): promoCode/);
    } finally {
      emulator.updateTemplateVersion(TEMPLATE.id, VERSION.id, { html_content: before.html_content! });
    }
  });

  it("exits 1 with the error when the template does not render", async () => {
    const before = emulator.updateTemplateVersion(TEMPLATE.id, VERSION.id, { html_content: "<p>{{#if sessionTitle}}never closed</p>" });
    try {
      const r = await runCli(["emails", "preview", "confirmation"], { env: templateEnv() });
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toMatch(/the template did not render: html_content: Parse error/);
    } finally {
      emulator.updateTemplateVersion(TEMPLATE.id, VERSION.id, { html_content: before.html_content! });
    }
  });

  it("falls back to bookflow's own rendering, saying why, when SendGrid cannot be read", async () => {
    const r = await runCli(["emails", "preview", "confirmation"], { env: { ...templateEnv(), SENDGRID_API_BASE: "http://127.0.0.1:1" } });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain("<p>Your Build Session with Ada Lovelace is confirmed.</p>");
    expect(r.stderr).toMatch(new RegExp(`note: template ${TEMPLATE.id} could not be read: .*showing bookflow's own rendering instead`));
  });

  it.each([["nope"], ["confirmations"], [""]])("a bad kind %j exits 2 naming the valid kinds", async (kind) => {
    const r = await runCli(["emails", "preview", kind]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/the kinds are confirmation, receipt, cancellation, rescheduled/);
    expect(r.stdout).toBe("");
  });

  it("a missing kind exits 2", async () => {
    const r = await runCli(["emails", "preview"]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/missing required argument 'kind'/);
  });

  it("--help teaches the kinds, the template and the exit codes", async () => {
    const r = await runCli(["emails", "preview", "--help"]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/confirmation \| receipt \| cancellation \| rescheduled/);
    expect(r.stdout).toMatch(/SENDGRID_BOOKING_TEMPLATE_ID/);
    expect(r.stdout).toMatch(/Exit codes: 0 rendered, 1 the template did not render/);
  });
});

describe("previewEmail (the use case)", () => {
  it("reports a template with no active version and uses bookflow's rendering", async () => {
    emulator.updateTemplateVersion(TEMPLATE.id, VERSION.id, { active: 0 });
    try {
      const ctx = createContext({ env: templateEnv(), out: () => {}, err: () => {} });
      const p = await previewEmail(ctx, { kind: "CONFIRMATION" });
      expect(p).toMatchObject({ source: "bookflow", template: null, fallbackReason: `template ${TEMPLATE.id} has no active version`, variablesMissing: [] });
      await ctx.close();
    } finally {
      emulator.updateTemplateVersion(TEMPLATE.id, VERSION.id, { active: 1 });
    }
  });

  it("makes the plain part from the HTML when the version has no plain_content, as SendGrid does", async () => {
    const before = emulator.updateTemplateVersion(TEMPLATE.id, VERSION.id, { plain_content: undefined });
    try {
      const ctx = createContext({ env: templateEnv(), out: () => {}, err: () => {} });
      const p = await previewEmail(ctx, { kind: "CONFIRMATION" });
      expect(p.source).toBe("template");
      expect(p.text).toContain("Build Session with Ada Lovelace\n");
      expect(p.text).not.toMatch(/<[a-z]/);
      await ctx.close();
    } finally {
      emulator.updateTemplateVersion(TEMPLATE.id, VERSION.id, { plain_content: before.plain_content! });
    }
  });
});
