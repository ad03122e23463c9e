import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { statsReportSchema, type StatsReport } from "../../src/ops/stats-report.js";
import { startSendGridEmulator, type SendGridEmulator } from "../../src/sandbox/sendgrid/emulator.js";
import { runCli, tempDir } from "../support/cli.js";
import { createTestDatabase, type TestDatabase } from "../support/db.js";

/**
 * `bookflow stats` with SendGrid's own stats: against the SendGrid emulator
 * (which counts the sends it accepts per UTC day and makes recipients bounce or
 * be blocked through its control API), the report's `sendgrid` figures are the
 * ones this test planted; no key, a key without the Stats scope, a key SendGrid
 * refuses and SendGrid unreachable each say why the figures are absent, with
 * exit code 0 and bookflow's own figures intact.
 */

const KEY = "SG.FAKE-stats-report.key";
const NO_STATS_KEY = "SG.FAKE-stats-no-scope.key";
const FROM = "bookings@example.com";
let emulator: SendGridEmulator;
let t: TestDatabase;

async function control(path: string, body?: unknown, method = body === undefined ? "DELETE" : "POST"): Promise<number> {
  const res = await fetch(`${emulator.url}${path}`, { method, headers: { "content-type": "application/json" }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  await res.text();
  return res.status;
}

async function send(to: string): Promise<number> {
  const res = await fetch(`${emulator.url}/v3/mail/send`, {
    method: "POST",
    headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
    body: JSON.stringify({ personalizations: [{ to: [{ email: to }] }], from: { email: FROM }, subject: "Booked", content: [{ type: "text/plain", value: "Booked." }] }),
  });
  await res.text();
  return res.status;
}

const stats = (args: string[], env: Record<string, string> = {}) => runCli(["stats", "--since", "24h", ...args], { env: { DATABASE_URL: t.url, SENDGRID_API_KEY: KEY, SENDGRID_API_BASE: emulator.url, ...env } });

async function report(args: string[] = [], env: Record<string, string> = {}): Promise<StatsReport> {
  const r = await stats(["--json", ...args], env);
  expect(r.exitCode, r.stderr).toBe(0);
  return statsReportSchema.parse(JSON.parse(r.stdout));
}

const utcDay = (d: Date) => d.toISOString().slice(0, 10);

beforeAll(async () => {
  t = await createTestDatabase({ seed: true });
  emulator = await startSendGridEmulator({ apiKey: KEY, extraKeys: [{ apiKey: NO_STATS_KEY, scopes: ["mail.send", "templates.read"] }] });
  expect(await control("/_control/stats")).toBe(204);
  expect(await control("/_control/delivery-outcomes", { match: "@bounces.example", outcome: "bounce" })).toBe(200);
  expect(await control("/_control/delivery-outcomes", { match: "@blocks.example", outcome: "block" })).toBe(200);
  // 20 emails requested: 3 bounce, 2 are blocked, 15 delivered.
  for (let i = 0; i < 20; i++) expect(await send(i < 3 ? `c${i}@bounces.example` : i < 5 ? `c${i}@blocks.example` : `c${i}@example.org`)).toBe(202);
}, 60_000);

afterAll(async () => {
  await emulator?.close();
  await t?.drop();
});

describe("stats with SendGrid's own stats", () => {
  it("reports SendGrid's requests, delivered, bounces, blocks and rates over the window's UTC days, as the emulator counted them", async () => {
    const r = await report();
    const now = new Date();
    expect(r.sendgrid).toEqual({
      available: true,
      startDate: utcDay(new Date(now.getTime() - 86_400_000)),
      endDate: utcDay(now),
      requests: 20,
      delivered: 15,
      bounces: 3,
      blocks: 2,
      deliveredRate: 0.75,
      bounceRate: 0.15,
      blockRate: 0.1,
    });
    // bookflow's own figures are there too (no email row in this database).
    expect(r.emails.all).toEqual({ total: 0, sent: 0, failed: 0, queued: 0, deliveryRate: null });
  });

  it("prints them as a table beside bookflow's, and in the HTML page", async () => {
    const text = await stats([]);
    expect(text.exitCode, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/SendGrid's own stats \(GET \/v3\/stats, UTC days \d{4}-\d\d-\d\d to \d{4}-\d\d-\d\d\)\n\s+REQUESTS\s+DELIVERED\s+BOUNCES\s+BLOCKS\s+DELIVERED %\s+BOUNCED %\s+BLOCKED %\n\s+20\s+15\s+3\s+2\s+75\.0%\s+15\.0%\s+10\.0%\n/);
    const out = join(tempDir(), "stats.html");
    const page = await stats(["--format", "html", "--output", out]);
    expect(page.exitCode, page.stderr).toBe(0);
    const html = readFileSync(out, "utf8");
    expect(html).toContain(`<td class="num" data-field="requests">20</td><td class="num" data-field="delivered">15</td><td class="num" data-field="bounces">3</td><td class="num" data-field="blocks">2</td>`);
    expect(html).toContain(`<td class="num" data-field="deliveredRate">75.0%</td>`);
  });

  it.each([
    ["no SENDGRID_API_KEY", { SENDGRID_API_KEY: "" }, /^SENDGRID_API_KEY is not set: set it \(a key with Stats: Read Access\)/],
    ["a key without the Stats read scope", { SENDGRID_API_KEY: NO_STATS_KEY }, /^The SendGrid key cannot read its stats \(GET \/v3\/stats needs the scope stats\.global\.read\): give it Stats: Read Access in Settings → API Keys/],
    ["a key SendGrid refuses", { SENDGRID_API_KEY: "SG.FAKE-unknown.key" }, /^SendGrid refused the key \(401\): check SENDGRID_API_KEY/],
    ["SendGrid unreachable", { SENDGRID_API_BASE: "http://127.0.0.1:9" }, /^SendGrid's stats could not be read: sendgrid GET \/v3\/scopes/],
  ])("%s: exit 0, bookflow's figures, and the reason SendGrid's are absent", async (_name, env, reason) => {
    const r = await report([], env);
    expect(r.sendgrid).toEqual({ available: false, reason: expect.stringMatching(reason) });
    expect(r.bookings.created).toBe(0);
    expect(r.daily.length).toBeGreaterThan(0);
    expect(JSON.stringify(r)).not.toContain("SG.FAKE");
    const text = await stats([], env);
    expect(text.exitCode).toBe(0);
    expect(text.stdout).toContain(`SendGrid's own stats: not shown. ${r.sendgrid!.available === false ? r.sendgrid!.reason : ""}`);
  });

  it("--no-provider-stats does not ask SendGrid", async () => {
    const r = await report(["--no-provider-stats"], { SENDGRID_API_BASE: "http://127.0.0.1:9" });
    expect(r.sendgrid).toEqual({ available: false, reason: "Not asked for (--no-provider-stats)." });
  });
});
