import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createRequire } from "node:module";
import { signCalendlyPayload } from "../src/providers/calendly-signature.js";
import { calendlyInviteeCreated } from "../src/providers/webhook-events.js";
import { runWebhookLoad } from "../src/providers/webhook-load.js";

/**
 * `bookflow webhooks bench`'s generator against `autocannon` on the same
 * endpoint: a loopback node:http server (its own process) that reads the body
 * and answers 200 at once. Same concurrency, same duration; autocannon sends one
 * fixed body, bookflow builds, signs and sends a new realistic event each time
 * (and reads each answer's outcome). Rounds alternate (A B A B …) and the median
 * of each is compared. Target: bookflow ≥ 0.8 × autocannon.
 */

const SERVER_SOURCE = `
const http = require("node:http");
const server = http.createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    res.writeHead(200, { "content-type": "application/json", "content-length": 23 });
    res.end('{"outcome":"processed"}');
  });
});
server.keepAliveTimeout = 30000;
server.listen(0, "127.0.0.1", () => process.stdout.write(server.address().port + "\\n"));
`;

const SIGNING_KEY = "bench_calendly_signing_key_FAKE";

interface AutocannonResult {
  duration: number;
  requests: { total?: number; average: number };
  non2xx: number;
  errors: number;
}
type Autocannon = (opts: Record<string, unknown>) => Promise<AutocannonResult>;

async function startServer(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ["-e", SERVER_SOURCE], { stdio: ["ignore", "pipe", "inherit"] });
  const [chunk] = (await once(child.stdout!, "data")) as [Buffer];
  return { url: `http://127.0.0.1:${chunk.toString().trim()}/api/webhooks/calendly`, child };
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export async function benchWebhooksBench(options: { concurrency?: number; seconds?: number; rounds?: number } = {}): Promise<Record<string, number | string>> {
  const concurrency = options.concurrency ?? 32;
  const seconds = options.seconds ?? 4;
  const rounds = options.rounds ?? 3;
  // autocannon is CommonJS without types: loaded through require, typed by what is used here.
  const autocannon = createRequire(import.meta.url)("autocannon") as Autocannon;
  const { url, child } = await startServer();
  try {
    const body = JSON.stringify(calendlyInviteeCreated({ eventTypeUri: "https://api.calendly.com/event_types/bench" }));
    const headers = { "content-type": "application/json", "calendly-webhook-signature": signCalendlyPayload(body, SIGNING_KEY) };
    const mix = { eventTypeUris: ["https://api.calendly.com/event_types/bench"], payment: { amountCents: 5000, currency: "usd" }, runTag: "bookflow-bench-autocannon" };
    const runAutocannon = async (s: number) => {
      const r = await autocannon({ url, method: "POST", headers, body, connections: concurrency, pipelining: 1, duration: s });
      return { rps: (r.requests.total ?? r.requests.average * r.duration) / r.duration, bad: r.non2xx + r.errors };
    };
    const runBookflow = async (s: number) => {
      const r = await runWebhookLoad({ provider: "calendly", url, secret: SIGNING_KEY, durationMs: s * 1000, concurrency, mix });
      return { rps: r.requestsPerSecond, bad: r.failed + r.sent - (r.statusCodes["200"] ?? 0) };
    };
    // Warm-up (JIT, connections), not counted.
    await runAutocannon(1);
    await runBookflow(1);
    const a: number[] = [];
    const b: number[] = [];
    let bad = 0;
    for (let i = 0; i < rounds; i++) {
      const ra = await runAutocannon(seconds);
      const rb = await runBookflow(seconds);
      a.push(ra.rps);
      b.push(rb.rps);
      bad += ra.bad + rb.bad;
    }
    const ratio = median(b) / median(a);
    return {
      concurrency,
      "seconds per round": seconds,
      rounds,
      "autocannon req/s": Math.round(median(a)),
      "bookflow req/s": Math.round(median(b)),
      "ratio bookflow/autocannon": Number(ratio.toFixed(2)),
      "per round (autocannon | bookflow)": a.map((v, i) => `${Math.round(v)} | ${Math.round(b[i]!)}`).join(", "),
      "non-2xx or errors": bad,
      target: ">= 0.8",
      verdict: ratio >= 0.8 ? "met" : "NOT met",
    };
  } finally {
    child.kill();
  }
}
