import { execa } from "execa";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { webhooksBench, type WebhooksBenchOptions } from "../../commands/handlers/webhooks-bench.js";
import { productionReason, type BenchResult } from "../../src/ops/webhooks-bench.js";
import { createContext } from "../../src/context.js";
import { exitCodeForError } from "../../src/engine/exit-codes.js";
import { BookflowError } from "../../src/errors.js";
import { verifyCalendlySignature } from "../../src/providers/calendly-signature.js";
import { verifyStripeSignature } from "../../src/providers/stripe-signature.js";
import { createDeliveryFactory, isDuplicateSlot } from "../../src/providers/webhook-load.js";
import { BIN, cleanEnv, runCli, tempDir } from "../support/cli.js";
import { startTestSandbox, type TestSandbox } from "../support/sandbox.js";

/**
 * `bookflow webhooks bench`: against the sandbox's reference app (real intake,
 * real database) and against a small local endpoint that checks every
 * signature and answers as told; the production guard; every bad input.
 */

const CALENDLY_KEY = "bench_test_calendly_signing_key_FAKE";
const STRIPE_SECRET = "whsec_benchtestFAKE0123456789";

let s: TestSandbox;

/** A local endpoint: verifies the signature (401 if wrong), then answers 503 for every `failEvery`-th request, else 200. */
interface Endpoint {
  url: string;
  server: Server;
  requests: number;
  badSignatures: number;
  bodies: Set<string>;
  failEvery: number;
}
let endpoint: Endpoint;

async function startEndpoint(): Promise<Endpoint> {
  const e: Endpoint = { url: "", server: undefined as unknown as Server, requests: 0, badSignatures: 0, bodies: new Set(), failEvery: 0 };
  e.server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      void (async () => {
        const raw = Buffer.concat(chunks);
        const n = ++e.requests;
        e.bodies.add(raw.toString());
        const check = req.url!.includes("stripe")
          ? await verifyStripeSignature(raw, req.headers["stripe-signature"] as string | undefined, STRIPE_SECRET)
          : verifyCalendlySignature(raw, req.headers["calendly-webhook-signature"] as string | undefined, CALENDLY_KEY);
        if (!check.ok) {
          e.badSignatures++;
          res.writeHead(401).end();
          return;
        }
        const status = e.failEvery && n % e.failEvery === 0 ? 503 : 200;
        res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify({ outcome: status === 200 ? "processed" : "unavailable" }));
      })();
    });
  });
  await new Promise<void>((resolve) => e.server.listen(0, "127.0.0.1", resolve));
  e.url = `http://127.0.0.1:${(e.server.address() as AddressInfo).port}`;
  return e;
}

beforeAll(async () => {
  [s, endpoint] = await Promise.all([startTestSandbox(), startEndpoint()]);
}, 60_000);
afterAll(async () => {
  await new Promise((resolve) => endpoint?.server.close(resolve));
  await s?.stop();
});

/** Runs the handler with `env` and options; returns the exit code, stdout and stderr. */
async function bench(provider: string, options: WebhooksBenchOptions, env: Record<string, string | undefined>) {
  let out = "";
  let err = "";
  const ctx = createContext({ env: env as NodeJS.ProcessEnv, out: (t) => (out += t), err: (t) => (err += t) });
  const code = await webhooksBench({ ...options, provider }, { ctx });
  return { code, out, err, json: options.json ? (JSON.parse(out) as BenchResult) : undefined };
}

/** The error a handler call throws (it must throw one of ours). */
async function failure(provider: string, options: WebhooksBenchOptions, env: Record<string, string | undefined>): Promise<BookflowError> {
  const e = await bench(provider, options, env).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(BookflowError);
  return e as BookflowError;
}

const localEnv = { CALENDLY_WEBHOOK_SIGNING_KEY: CALENDLY_KEY, STRIPE_WEBHOOK_SECRET: STRIPE_SECRET };

describe("against the sandbox's reference app", () => {
  it("sends signed invitee.created events for the real session types: counts add up, repeats are answered 200 duplicate, bookings are created and tagged", async () => {
    const r = await bench("calendly", { count: "40", concurrency: "8", duplicates: "0.25", json: true }, s.world.env);
    const j = r.json!;
    expect(r.code).toBe(0);
    expect(j).toMatchObject({ provider: "calendly", sent: 40, answered: 40, failed: 0, target: "sandbox", eventTypeSource: "database", ok: true });
    expect(j.statusCodes).toEqual({ "200": 40 });
    expect(j.newEvents + j.duplicates).toBe(40);
    // Before the first answers there is nothing to repeat: those slots send new events.
    expect(j.duplicates).toBeGreaterThan(5);
    expect(j.outcomes).toEqual({ processed: j.newEvents, duplicate: j.duplicates });
    expect(j.eventTypes).toEqual({ "invitee.created": 40 });
    expect(j.latencyMs!.p50).toBeLessThanOrEqual(j.latencyMs!.p99);
    const prisma = (await import("../../src/db/client.js")).openDatabase;
    const db = await prisma({ databaseUrl: s.world.env.DATABASE_URL });
    try {
      const tagged = await db.prisma.booking.findMany({ where: { runTag: j.runTag! }, select: { sessionTypeId: true } });
      expect(tagged).toHaveLength(j.newEvents);
      // Every active session type got bookings (the event types were read from the database, in turn).
      const active = await db.prisma.sessionType.count({ where: { active: true, calendlyEventTypeUri: { not: null } } });
      expect(new Set(tagged.map((b) => b.sessionTypeId)).size).toBe(active);
    } finally {
      await db.close();
    }
  });

  it("sends Stripe payment events the app's Stripe SDK accepts (recorded as waiting for their booking)", async () => {
    const r = await bench("stripe", { count: "10", concurrency: "4", json: true }, s.world.env);
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({ sent: 10, statusCodes: { "200": 10 }, outcomes: { deferred: 10 }, eventTypes: { "checkout.session.completed": 5, "payment_intent.succeeded": 5 } });
  });
});

describe("against a local endpoint", () => {
  it("reports the status breakdown as answered, and exits 1 when not every answer is 2xx", async () => {
    endpoint.failEvery = 4;
    const before = endpoint.requests;
    try {
      const r = await bench("calendly", { url: `${endpoint.url}/calendly`, count: "40", concurrency: "5", json: true }, localEnv);
      expect(r.code).toBe(1);
      expect(r.json!.statusCodes).toEqual({ "200": 30, "503": 10 });
      expect(r.json!.ok).toBe(false);
      expect(endpoint.requests - before).toBe(40);
      expect(endpoint.badSignatures).toBe(0);
    } finally {
      endpoint.failEvery = 0;
    }
  });

  it("prints a readable report with the figures", async () => {
    const r = await bench("stripe", { url: `${endpoint.url}/stripe`, count: "12", concurrency: "3" }, localEnv);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/sent\s+12 request/);
    expect(r.out).toMatch(/throughput\s+[\d.]+ requests\/s/);
    expect(r.out).toMatch(/p50 [\d.]+ ms\s+p95 [\d.]+ ms\s+p99 [\d.]+ ms\s+max [\d.]+ ms/);
    expect(r.out).toContain("200 ×12");
    expect(r.out).not.toContain(STRIPE_SECRET);
  });

  it("runs for a duration instead of a count, every event new and correctly signed", async () => {
    const before = endpoint.bodies.size;
    const r = await bench("calendly", { url: `${endpoint.url}/calendly`, duration: "300ms", concurrency: "4", json: true }, localEnv);
    expect(r.code).toBe(0);
    expect(r.json!.requested).toEqual({ count: null, durationMs: 300 });
    expect(r.json!.sent).toBeGreaterThan(0);
    expect(endpoint.bodies.size - before).toBe(r.json!.sent);
    expect(endpoint.badSignatures).toBe(0);
  });

  it("counts network failures by error code", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const r = await bench("calendly", { url: `http://127.0.0.1:${port}/x`, count: "6", concurrency: "2", json: true }, localEnv);
    expect(r.code).toBe(1);
    expect(r.json).toMatchObject({ sent: 6, answered: 0, failed: 6, errors: { ECONNREFUSED: 6 } });
  });
});

describe("signing", () => {
  it("signs again what would be too old to be accepted (long runs, repeats), and not before", async () => {
    let now = Date.UTC(2030, 0, 1);
    const mix = { eventTypeUris: ["https://api.calendly.com/event_types/x"], payment: { amountCents: 4900, currency: "usd" }, runTag: "bookflow-bench-t" };
    const calendly = await createDeliveryFactory("calendly", CALENDLY_KEY, mix, () => now);
    const d = await calendly.next();
    const first = d.signature;
    now += 100_000;
    expect((await calendly.refresh(d)).signature).toBe(first);
    now += 30_000; // 130 s: still inside Calendly's 180 s, but close to it
    const again = await calendly.refresh(d);
    expect(again.signature).not.toBe(first);
    expect(verifyCalendlySignature(again.body, again.signature, CALENDLY_KEY, { now: () => now })).toEqual({ ok: true });

    const stripe = await createDeliveryFactory("stripe", STRIPE_SECRET, mix, () => now);
    const p = await stripe.next();
    now += 250_000; // Stripe accepts 300 s
    const resigned = await stripe.refresh(p);
    expect((await verifyStripeSignature(resigned.body, resigned.signature, STRIPE_SECRET, { now: () => now })).ok).toBe(true);
    expect(JSON.parse(resigned.body)).toMatchObject({ type: "checkout.session.completed", data: { object: { amount_total: 4900, currency: "usd" } } });
  });

  it("repeats exactly the share asked for", () => {
    const slots = Array.from({ length: 1000 }, (_, i) => isDuplicateSlot(i, 0.2)).filter(Boolean).length;
    expect(slots).toBe(200);
    expect(Array.from({ length: 50 }, (_, i) => isDuplicateSlot(i, 0)).some(Boolean)).toBe(false);
  });
});

describe("production guard", () => {
  const prodUrl = "https://app.example.com/api/webhooks/calendly";

  it.each([
    ["the target is production", { BOOKFLOW_TARGET: "production" }, undefined],
    ["no target is set (production by default)", {}, undefined],
    ["STRIPE_SECRET_KEY is live, whatever the target", { STRIPE_SECRET_KEY: "sk_live_FAKE0123456789abcdef" }, "staging"],
  ])("refuses a non-loopback URL when %s (exit 2, nothing sent)", async (_name, env, target) => {
    const e = await failure("calendly", { url: prodUrl, count: "5", ...(target ? { target } : {}) }, { ...localEnv, ...env });
    expect(e.code).toBe("PRODUCTION_REFUSED");
    expect(exitCodeForError(e)).toBe(2);
    expect(e.hint).toContain("--i-know-this-is-production");
  });

  it("tells production from staging and loopback", () => {
    expect(productionReason(new URL(prodUrl), "staging", {})).toBeUndefined();
    expect(productionReason(new URL("http://127.0.0.1:3000/x"), "production", {})).toBeUndefined();
    expect(productionReason(new URL("http://localhost:3000/x"), "production", {})).toBeUndefined();
    expect(productionReason(new URL("http://[::1]:3000/x"), "production", {})).toBeUndefined();
    expect(productionReason(new URL("http://10.0.0.5/x"), "production", {})).toMatch(/production/);
  });

  it("sends to a production URL with --i-know-this-is-production", async () => {
    // 0.0.0.0 is not a loopback name (so it counts as production) but reaches the local endpoint.
    const url = endpoint.url.replace("127.0.0.1", "0.0.0.0") + "/calendly";
    expect((await failure("calendly", { url, count: "3" }, { ...localEnv, BOOKFLOW_TARGET: "production" })).code).toBe("PRODUCTION_REFUSED");
    const r = await bench("calendly", { url, count: "3", iKnowThisIsProduction: true, json: true }, { ...localEnv, BOOKFLOW_TARGET: "production" });
    expect(r.json).toMatchObject({ sent: 3, statusCodes: { "200": 3 }, target: "production" });
  });
});

describe("bad input (exit 2, with what is wrong and how to fix it)", () => {
  const url = "http://127.0.0.1:9/x";
  it.each([
    ["count 0", { count: "0" }, "--count"],
    ["a negative count", { count: "-5" }, "--count"],
    ["a count that is not a number", { count: "lots" }, "--count"],
    ["a fractional count", { count: "1.5" }, "--count"],
    ["concurrency 0", { concurrency: "0" }, "--concurrency"],
    ["duplicates above 1", { duplicates: "1.5" }, "--duplicates"],
    ["negative duplicates", { duplicates: "-0.1" }, "--duplicates"],
    ["duplicates that are not a share", { duplicates: "some" }, "--duplicates"],
    ["both --count and --duration", { count: "10", duration: "5s" }, "--count and --duration"],
    ["a duration that is not one", { duration: "fast" }, "--duration"],
    ["a zero duration", { duration: "0s" }, "--duration"],
    ["a URL that is not http(s)", { url: "ftp://example.com/x" }, "--url"],
    ["an unknown target", { target: "prod" }, "--target"],
  ])("%s", async (_name, options, mentions) => {
    const e = await failure("calendly", { url, ...options } as WebhooksBenchOptions, localEnv);
    expect(exitCodeForError(e)).toBe(2);
    expect(e.message).toContain(mentions);
    expect(e.hint).toBeTruthy();
  });

  it("an unknown provider", async () => {
    const e = await failure("paypal", { url }, localEnv);
    expect(e.code).toBe("UNKNOWN_PROVIDER");
    expect(exitCodeForError(e)).toBe(2);
    expect(e.hint).toMatch(/calendly.*stripe/);
  });

  it.each([
    ["no signing key", "calendly", { CALENDLY_WEBHOOK_URL: url }, "CALENDLY_WEBHOOK_SIGNING_KEY"],
    ["no URL", "stripe", { STRIPE_WEBHOOK_SECRET: STRIPE_SECRET }, "STRIPE_WEBHOOK_URL"],
    ["a Stripe secret that is not whsec_", "stripe", { STRIPE_WEBHOOK_URL: url, STRIPE_WEBHOOK_SECRET: "not-a-whsec" }, "whsec_"],
  ])("%s in the environment", async (_name, provider, env, mentions) => {
    const e = await failure(provider, {}, env);
    expect(exitCodeForError(e)).toBe(2);
    expect(e.message).toContain(mentions);
  });
});

describe("bookflow webhooks bench (CLI)", () => {
  it("runs against an endpoint and prints the report as JSON (exit 0)", async () => {
    const r = await runCli(["webhooks", "bench", "calendly", "--url", `${endpoint.url}/calendly`, "--count", "30", "--concurrency", "6", "--json"], { env: localEnv });
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    const j = JSON.parse(r.stdout) as BenchResult;
    expect(j).toMatchObject({ sent: 30, statusCodes: { "200": 30 }, ok: true });
    expect(r.stdout).not.toContain(CALENDLY_KEY);
  });

  it("on a terminal: one progress line redrawn in place, cleared before the report; none with --json on the same terminal", async () => {
    const onPty = (flags: string) =>
      execa("script", ["-qec", `node -- ${BIN} webhooks bench calendly --url ${endpoint.url}/calendly --duration 2s --concurrency 2 ${flags}`, "/dev/null"], {
        cwd: tempDir(),
        env: cleanEnv({ ...localEnv, CI: undefined }),
        extendEnv: false,
        reject: false,
        timeout: 60_000,
      });
    const human = await onPty("");
    const out = String(human.stdout);
    expect(human.exitCode, out).toBe(0);
    expect(out).toContain("\r\x1b[2Kwebhooks bench: sending calendly webhooks");
    expect(out).toMatch(/\r\x1b\[2Kwebhooks bench: sending calendly webhooks: [\d,]+ sent · \d s of 2 s/);
    // The old one-line-a-second output is gone: no progress text is left on its own line.
    expect(out).not.toMatch(/… \d+ sent in/);
    expect(out).toContain("Webhook bench: calendly");
    const json = await onPty("--json");
    expect(json.exitCode, String(json.stdout)).toBe(0);
    expect(String(json.stdout)).not.toContain("\x1b[2K");
  });

  it("exits 2 on bad input, naming the option", async () => {
    const r = await runCli(["webhooks", "bench", "calendly", "--url", `${endpoint.url}/calendly`, "--count", "0"], { env: localEnv });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("--count");
    expect(r.stderr).toContain("fix:");
  });

  it.each([
    [["--format", "pdf"], /--format: must be one of text, json, html, not "pdf"/],
    [["--json", "--format", "html"], /--json and --format html ask for two outputs/],
    [["--output", "bench.txt"], /--output writes the --format output/],
    [["--format", "html", "--output", " "], /--output: must be a file path/],
  ])("exits 2 on a bad output choice (%j), sending nothing", async (flags, message) => {
    const before = endpoint.requests;
    const r = await runCli(["webhooks", "bench", "calendly", "--url", `${endpoint.url}/calendly`, "--count", "3", ...flags], { env: localEnv });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(endpoint.requests).toBe(before);
  });

  it("--format html without --output prints the page on stdout", async () => {
    const r = await runCli(["webhooks", "bench", "calendly", "--url", `${endpoint.url}/calendly`, "--count", "5", "--format", "html"], { env: localEnv });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.startsWith("<!doctype html>")).toBe(true);
    expect(r.stdout).toContain(`data-count="sent"><span class="n">5</span>`);
    expect(r.stdout).not.toContain(STRIPE_SECRET);
  });

  it("exits 2 refusing a production URL, and sends nothing", async () => {
    const before = endpoint.requests;
    const r = await runCli(["webhooks", "bench", "stripe", "--count", "5"], { env: { ...localEnv, STRIPE_WEBHOOK_URL: "https://app.example.com/api/webhooks/stripe", BOOKFLOW_TARGET: "production" } });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("Refusing");
    expect(r.stderr).toContain("--i-know-this-is-production");
    expect(r.stderr).not.toContain(STRIPE_SECRET);
    expect(endpoint.requests).toBe(before);
  });

  it("documents itself with examples", async () => {
    const r = await runCli(["webhooks", "bench", "--help"]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("Examples:");
    expect(r.stdout).toContain("--i-know-this-is-production");
  });
});
