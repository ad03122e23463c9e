/**
 * Takes docs/report.png (the top of the page) and docs/report-timeline.png: the HTML report of a `bookflow verify` run against a
 * fresh sandbox with one check broken (the Stripe webhook endpoint disabled),
 * opened in headless Chromium from file://.
 *
 *   npm run build && npx tsx scripts/report-screenshot.ts [out.png]
 *
 * Needs PostgreSQL on 127.0.0.1:5432 (as the tests do) and Debian's chromium
 * (or BOOKFLOW_CHROMIUM). The report itself is left next to the picture's
 * temporary directory, whose path it prints.
 */
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { createStripeClient } from "../src/providers/stripe-client.js";
import { findChromium, launchChromium, openPage } from "../test/support/chromium.js";
import { runCli, tempDir } from "../test/support/cli.js";
import { startTestSandbox } from "../test/support/sandbox.js";

const out = resolve(process.argv[2] ?? "docs/report.png");
const chromium = findChromium();
if (!chromium) {
  console.error("No Chromium: apt-get install chromium, or set BOOKFLOW_CHROMIUM.");
  process.exit(2);
}

const sandbox = await startTestSandbox();
const browser = await launchChromium(chromium);
try {
  const { world } = sandbox;
  const stripe = await createStripeClient({ secretKey: world.env.STRIPE_SECRET_KEY!, apiBase: world.env.STRIPE_API_BASE });
  const endpoint = (await stripe.webhookEndpoints.list()).data.find((e) => e.url === world.env.STRIPE_WEBHOOK_URL)!;
  await stripe.webhookEndpoints.update(endpoint.id, { disabled: true });
  const file = join(tempDir("bookflow-report-"), "verify.html");
  const r = await runCli(["verify", "--format", "html", "--output", file], { env: world.env, timeout: 120_000 });
  if (r.exitCode !== 1) throw new Error(`verify exited ${r.exitCode}, expected 1 (one failing check): ${r.stderr}`);
  const page = await openPage(browser, pathToFileURL(file).href, { width: 1200, height: 1500 });
  const errors = page.errors();
  if (errors.length) throw new Error(`the page logged errors: ${errors.join("; ")}`);
  writeFileSync(out, await page.screenshot());
  // The timeline, with its critical path, as a second picture next to the first.
  await page.evaluate(`document.querySelector("#timeline").scrollIntoView()`);
  const timeline = out.replace(/\.png$/, "") + "-timeline.png";
  writeFileSync(timeline, await page.screenshot());
  console.log(`${out} and ${timeline} (from ${file})`);
} finally {
  await browser.close();
  await sandbox.stop();
}
