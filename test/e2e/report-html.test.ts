import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatHtml } from "../../src/engine/formatters/html/index.js";
import type { RunReport } from "../../src/engine/report.js";
import { createStripeClient } from "../../src/providers/stripe-client.js";
import { findChromium, launchChromium, openPage, type Browser, type PageSession } from "../support/chromium.js";
import { runCli, tempDir } from "../support/cli.js";
import { createTestDatabase } from "../support/db.js";
import { startTestSandbox, type TestSandbox } from "../support/sandbox.js";

/**
 * The HTML report opened in a real browser (headless Chromium over the
 * DevTools protocol) from file://: the report of a real `verify` run against
 * the sandbox with one check failing, of `scenarios run`, of `webhooks bench`,
 * and a report whose data carries markup that must stay text.
 */

const chromium = findChromium();
if (!chromium && process.env.CI) throw new Error("Chromium is not installed, and CI must run the browser tests: apt-get install chromium (.ci/run does).");
const describeBrowser = chromium ? describe : describe.skip;
if (!chromium) console.warn("test/e2e/report-html.test.ts skipped: no Chromium (apt-get install chromium, or set BOOKFLOW_CHROMIUM); CI is unset.");

const FAILING = "stripe.webhook-endpoint-enabled";
const SECRET_NAMES = ["STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "SENDGRID_API_KEY", "CALENDLY_API_TOKEN", "CALENDLY_WEBHOOK_SIGNING_KEY", "VERCEL_TOKEN", "SENTRY_AUTH_TOKEN", "DATADOG_API_KEY"];

describeBrowser("the HTML report in headless Chromium", () => {
  let browser: Browser;
  let sandbox: TestSandbox;
  const dir = tempDir("bookflow-html-");

  beforeAll(async () => {
    [browser, sandbox] = await Promise.all([launchChromium(chromium!), startTestSandbox()]);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await sandbox?.stop();
  });

  /** Asserts the page fetched nothing but itself and logged no error. */
  function clean(page: PageSession, file: string) {
    expect(page.errors()).toEqual([]);
    expect(page.requests().filter((u) => u !== pathToFileURL(file).href)).toEqual([]);
  }

  it("verify with one failing check: summary, the failure with its fix, keyboard focus, timeline, no errors, no requests, no secrets", { timeout: 120_000 }, async () => {
    const { world } = sandbox;
    const stripe = await createStripeClient({ secretKey: world.env.STRIPE_SECRET_KEY!, apiBase: world.env.STRIPE_API_BASE });
    const endpoint = (await stripe.webhookEndpoints.list()).data.find((e) => e.url === world.env.STRIPE_WEBHOOK_URL)!;
    await stripe.webhookEndpoints.update(endpoint.id, { disabled: true });
    const file = join(dir, "reports", "verify.html");
    let r;
    try {
      r = await runCli(["verify", "--format", "html", "--output", file], { env: world.env, timeout: 90_000 });
    } finally {
      await stripe.webhookEndpoints.update(endpoint.id, { disabled: false });
    }
    expect(r.exitCode, r.stderr).toBe(1);
    const text = readFileSync(file, "utf8");
    for (const name of SECRET_NAMES) {
      const value = world.env[name];
      if (value && value.length >= 8) expect(text.includes(value), `${name} appears in the report`).toBe(false);
    }

    const page = await openPage(browser, pathToFileURL(file).href);
    const summary = await page.evaluate<Record<string, string>>(`Object.fromEntries([...document.querySelectorAll("#summary [data-count]")].map(li => [li.dataset.count, li.querySelector(".n").textContent]))`);
    const checks = await page.evaluate<number>(`document.querySelectorAll("#checks details.check").length`);
    expect(Number(summary.total)).toBe(checks);
    expect(checks).toBeGreaterThanOrEqual(40);
    expect(summary.fail).toBe("1");
    expect(summary.error).toBe("0");
    expect(["pass", "warn", "fail", "error", "skip"].reduce((n, s) => n + Number(summary[s]), 0)).toBe(checks);
    // The human summary on stdout says the same.
    expect(r.stdout).toMatch(new RegExp(`\\b${summary.pass} passed\\b`));
    expect(await page.evaluate<string>(`document.querySelector("[data-outcome]").textContent.trim()`)).toMatch(/Failed/);

    // The failure, with what it found and its fix (the check's docs.fix), is open under "Needs attention".
    const failure = await page.evaluate<{ status: string; badge: string; message: string; fix: string; open: boolean; visible: boolean }>(`(() => {
      const d = document.querySelector('#attention details[data-id="${FAILING}"]');
      return { status: d.dataset.status, badge: d.querySelector(".badge").textContent.trim(), message: d.querySelector('[data-field=message]').textContent,
        fix: d.querySelector('[data-field=fix]').textContent, open: d.open, visible: d.querySelector('[data-field=fix]').getBoundingClientRect().height > 0 };
    })()`);
    expect(failure).toMatchObject({ status: "fail", open: true, visible: true });
    expect(failure.badge).toMatch(/FAIL/); // the status in text, not colour alone
    expect(failure.message).toMatch(/disabled/i);
    const explain = await runCli(["checks", "explain", FAILING]);
    const fixText = failure.fix.replace(/^How to fix/, "").trim();
    expect(fixText.length).toBeGreaterThan(10);
    expect(explain.stdout.replace(/\s+/g, " ")).toContain(fixText.replace(/\s+/g, " ").slice(0, 60));

    // Keyboard: Tab from the top reaches the failure's summary, focus is visible, Enter folds and unfolds it.
    let reached = false;
    for (let i = 0; i < 30 && !reached; i++) {
      await page.press("Tab");
      reached = await page.evaluate<boolean>(`document.activeElement === document.querySelector('#attention details[data-id="${FAILING}"] > summary')`);
    }
    expect(reached).toBe(true);
    expect(await page.evaluate<string>(`getComputedStyle(document.activeElement).outlineStyle`)).not.toBe("none");
    await page.press("Enter");
    expect(await page.evaluate<boolean>(`document.activeElement.parentElement.open`)).toBe(false);
    await page.press("Enter");
    expect(await page.evaluate<boolean>(`document.activeElement.parentElement.open`)).toBe(true);

    // The "only what needs attention" button, pressed from the keyboard, leaves the failure and hides passes.
    await page.evaluate(`document.querySelector("button[data-action=problems]").focus()`);
    await page.press("Enter");
    const filtered = await page.evaluate<{ pressed: string | null; shown: string[] }>(`({ pressed: document.querySelector("button[data-action=problems]").getAttribute("aria-pressed"),
      shown: [...document.querySelectorAll("#checks details.check")].filter(d => d.getClientRects().length).map(d => d.dataset.id) })`);
    expect(filtered.pressed).toBe("true");
    expect(filtered.shown).toContain(FAILING);
    expect(filtered.shown.length).toBeLessThan(checks);

    // Every check has a bar on the timeline; the critical path is named in text.
    expect(await page.evaluate<number>(`document.querySelectorAll("#timeline svg .bar").length`)).toBe(checks);
    expect(await page.evaluate<string>(`document.querySelector("[data-field=critical-path]").textContent`)).toMatch(/Critical path \(.+\): \S+/);

    // Dark scheme and print: other colours, still readable; print hides the controls.
    await browser.send("Emulation.setEmulatedMedia", { features: [{ name: "prefers-color-scheme", value: "dark" }] }, page.sessionId);
    expect(await page.evaluate<string>(`getComputedStyle(document.body).backgroundColor`)).toBe("rgb(13, 17, 23)");
    await browser.send("Emulation.setEmulatedMedia", { media: "print", features: [] }, page.sessionId);
    expect(await page.evaluate<string>(`getComputedStyle(document.body).color`)).toBe("rgb(0, 0, 0)");
    expect(await page.evaluate<string>(`getComputedStyle(document.querySelector(".toolbar")).display`)).toBe("none");
    clean(page, file);
  });

  it("scenarios run: each scenario with its steps", { timeout: 120_000 }, async () => {
    const file = join(dir, "scenarios.html");
    const r = await runCli(["scenarios", "run", "free-session", "--format", "html", "--output", file], { env: sandbox.world.env, timeout: 90_000 });
    expect(r.exitCode, r.stderr).toBe(0);
    const page = await openPage(browser, pathToFileURL(file).href);
    const steps = await page.evaluate<{ id: string; status: string }[]>(`[...document.querySelectorAll('#checks details[data-id="scenarios.free-session"] tr[data-step]')].map(tr => ({ id: tr.dataset.step, status: tr.querySelector(".badge").textContent.trim() }))`);
    expect(steps.length).toBeGreaterThan(1);
    for (const s of steps) expect(s.status, s.id).toMatch(/PASS|SKIP/);
    expect(await page.evaluate<string>(`document.querySelector("h1").textContent`)).toMatch(/bookflow scenarios/);
    clean(page, file);
  });

  it("webhooks bench: the latency histogram holds every request", { timeout: 120_000 }, async () => {
    const file = join(dir, "bench.html");
    const r = await runCli(["webhooks", "bench", "calendly", "--count", "60", "--concurrency", "6", "--target", "sandbox", "--format", "html", "--output", file], { env: sandbox.world.env, timeout: 90_000 });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/html report written to/);
    const page = await openPage(browser, pathToFileURL(file).href);
    const rows = await page.evaluate<number[]>(`[...document.querySelectorAll("[data-field=histogram] tbody tr")].map(tr => Number(tr.lastElementChild.textContent))`);
    expect(rows.reduce((a, b) => a + b, 0)).toBe(60);
    expect(await page.evaluate<number>(`document.querySelectorAll("#latency svg .bar").length`)).toBe(rows.length);
    expect(await page.evaluate<string>(`document.querySelector("#latency svg").textContent`)).toMatch(/p95/);
    expect(await page.evaluate<string>(`document.querySelector('[data-count="sent"] .n').textContent`)).toBe("60");
    clean(page, file);
  });

  it("stats: the summary figures, one bar per day, no errors, no requests", { timeout: 120_000 }, async () => {
    const t = await createTestDatabase({ seed: true });
    try {
      const types = await t.db.prisma.sessionType.findMany({ orderBy: { id: "asc" } });
      const free = types.find((s) => s.priceCents === 0)!;
      const paid = types.find((s) => s.priceCents > 0)!;
      const at = (day: string, hour: number) => new Date(`${day}T${String(hour).padStart(2, "0")}:00:00Z`);
      // 2030-03-01: 3 bookings, 03-02: none, 03-03: 2; the paid ones: 2 recorded, 1 cancelled unpaid after Checkout (failed).
      const rows = [
        { st: free, status: "CONFIRMED", paymentStatus: "NOT_REQUIRED", checkout: false, createdAt: at("2030-03-01", 9) },
        { st: paid, status: "CONFIRMED", paymentStatus: "PAID", checkout: true, createdAt: at("2030-03-01", 10) },
        { st: paid, status: "CANCELLED", paymentStatus: "UNPAID", checkout: true, createdAt: at("2030-03-01", 11) },
        { st: paid, status: "CONFIRMED", paymentStatus: "PAID", checkout: true, createdAt: at("2030-03-03", 9) },
        { st: free, status: "PENDING", paymentStatus: "NOT_REQUIRED", checkout: false, createdAt: at("2030-03-03", 10) },
      ] as const;
      await t.db.prisma.booking.createMany({
        data: rows.map((b, i) => ({
          sessionTypeId: b.st.id,
          builderId: b.st.builderId,
          inviteeEmail: `invitee${i}@example.com`,
          startTime: new Date("2030-04-01T09:00:00Z"),
          endTime: new Date("2030-04-01T10:00:00Z"),
          status: b.status,
          paymentStatus: b.paymentStatus,
          stripeCheckoutSessionId: b.checkout ? `cs_test_FAKE_${i}` : null,
          createdAt: b.createdAt,
        })),
      });
      const file = join(dir, "stats", "stats.html");
      const r = await runCli(["stats", "--since", "2030-03-01", "--until", "2030-03-03", "--format", "html", "--output", file], { env: { DATABASE_URL: t.url } });
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/html report written to/);
      const page = await openPage(browser, pathToFileURL(file).href);
      expect(await page.evaluate<string>(`document.querySelector('[data-count="created"] .n').textContent`)).toBe("5");
      const rates = await page.evaluate<Record<string, string>>(`Object.fromEntries([...document.querySelectorAll("[data-rate]")].map(tr => [tr.dataset.rate, tr.querySelector("[data-field=rate]").textContent]))`);
      expect(rates).toMatchObject({ booked: "60.0%", success: "66.7%", refund: "0.0%", dispute: "0.0%" });
      expect(await page.evaluate<string>(`document.querySelector('[data-kind="ALL"] [data-field=delivery]').textContent`)).toBe("n/a");
      expect(await page.evaluate<string[]>(`[...document.querySelectorAll('[data-chart="bookings"] svg g.row')].map(g => g.dataset.day)`)).toEqual(["2030-03-01", "2030-03-02", "2030-03-03"]);
      expect(await page.evaluate<number>(`document.querySelectorAll('[data-chart="bookings"] svg .bar').length`)).toBe(3);
      const heights = await page.evaluate<number[]>(`[...document.querySelectorAll('[data-chart="bookings"] svg .bar')].map(b => b.getBoundingClientRect().height)`);
      expect(heights[0]).toBeGreaterThan(heights[2]!);
      expect(heights[1]).toBe(0);
      expect(await page.evaluate<string>(`document.querySelector('[data-chart="bookings"] svg title').textContent`)).toMatch(/Bookings created per UTC day/);
      expect(await page.evaluate<string>(`document.querySelector("#webhooks").textContent`)).toMatch(/No webhook events/);
      clean(page, file);
    } finally {
      await t.drop();
    }
  });

  it("markup in a check's message, title, expected, actual and details stays text: no script runs, no element is made", { timeout: 60_000 }, async () => {
    const evil = `<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"><a href="javascript:window.__pwned=3">x</a>`;
    const report: RunReport = {
      schemaVersion: 1,
      tool: { name: "bookflow", version: "0.0.0-test" },
      target: "sandbox",
      strict: false,
      startedAt: "2026-12-07T00:00:00.000Z",
      finishedAt: "2026-12-07T00:00:01.000Z",
      durationMs: 1000,
      outcome: "failed",
      summary: { total: 2, pass: 1, warn: 0, fail: 1, skip: 0, error: 0 },
      results: [
        { id: "env.first", section: "env", title: "First", severity: "error", status: "pass", message: "ok", durationMs: 5, startMs: 0, docs: { why: "w", fix: "f" } },
        { id: `env.second"><script>`, section: `env</h3><script>window.__pwned=4</script>`, title: evil, severity: "error", status: "fail", message: `bad value ${evil}`, expected: evil, actual: { html: evil }, details: [evil], durationMs: 20, startMs: 5, needs: ["env.first"], docs: { why: evil, fix: `run ${evil}` } },
      ],
    };
    const file = join(dir, "planted.html");
    writeFileSync(file, formatHtml(report));
    const page = await openPage(browser, pathToFileURL(file).href);
    const seen = await page.evaluate<{ pwned: unknown; scripts: number; imgs: number; links: string[]; message: string }>(`({ pwned: window.__pwned ?? null, scripts: document.scripts.length, imgs: document.images.length,
      links: [...document.querySelectorAll("a")].map(a => a.getAttribute("href")).filter(h => !h.startsWith("#")),
      message: document.querySelector('#attention [data-field=message]').textContent })`);
    expect(seen).toEqual({ pwned: null, scripts: 1, imgs: 0, links: [], message: `bad value ${evil}` });
    expect(await page.evaluate<string>(`document.querySelector('#attention [data-field=expected]').textContent`)).toBe(evil);
    clean(page, file);
  });
});
