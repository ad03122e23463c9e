import { execFile } from "node:child_process";
import dgram from "node:dgram";
import net from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { catalogue } from "../checks/index.js";
import { verifyCommand } from "../commands/handlers/verify.js";
import { defaultConfig } from "../src/config/bookflow-config.js";
import { createContext } from "../src/context.js";
import type { AnyCheck } from "../src/engine/check.js";
import { FactStore } from "../src/engine/facts/index.js";
import type { RunReport } from "../src/engine/report.js";
import { packageRoot } from "../src/package-root.js";
import { startSandbox, type SandboxWorld } from "../src/sandbox/world.js";

/**
 * `npm run bench -- verify-latency`: the whole `bookflow verify` against the
 * sandbox with LATENCY_MS added to every request to every emulator (Calendly,
 * Stripe, SendGrid, Vercel, Sentry/Datadog) and to every DNS query (the
 * sandbox's DNS server has no latency fault, so a delaying UDP/TCP relay sits
 * in front of it here). The database (real PostgreSQL, BOOKFLOW_BENCH_PG) and
 * the reference app get no latency.
 *
 * Figures:
 * - wall: the runner's wall time for the whole catalogue (median of RUNS, in process
 *   through the verify handler), and one `bookflow verify` child process;
 * - critical path: the longest prerequisite chain, each check costing the time its
 *   own facts take once its prerequisites' facts are gathered (measured one check
 *   at a time, each on a fresh fact store), with the sequential provider round
 *   trips along it (cost / latency);
 * - sequential sum: every check's duration in the run added up.
 * Target (issue 4): wall at most 1.5x the critical path.
 */
const SERVER = process.env.BOOKFLOW_BENCH_PG ?? "postgresql://postgres@127.0.0.1:5432";
export const LATENCY_MS = 300;

export interface VerifyLatencyOptions {
  runs?: number;
  latencyMs?: number;
  /** Also time one `bookflow verify` child process (default true; needs the build). */
  cli?: boolean;
}

export async function benchVerifyLatency(options: VerifyLatencyOptions = {}): Promise<Record<string, number | string>> {
  const latencyMs = options.latencyMs ?? LATENCY_MS;
  const dbName = `bookflow_bench_verify_${process.pid}`;
  const admin = new pg.Client({ connectionString: `${SERVER}/postgres` });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
  await admin.query(`CREATE DATABASE "${dbName}"`);
  const all = { latencyMs };
  let world: SandboxWorld | undefined;
  let dnsRelay: DelayingRelay | undefined;
  try {
    world = await startSandbox({ databaseUrl: `${SERVER}/${dbName}`, faults: { calendly: all, stripe: all, sendgrid: all, vercel: all } });
    world.monitoring.setFaults(all);
    dnsRelay = await startDelayingDnsRelay(world.dns.port, latencyMs);
    const env = { ...world.env, BOOKFLOW_DNS_SERVER: dnsRelay.address };
    const requests = requestCounter(world);

    const chain = await criticalPath(catalogue, env, requests);

    const walls: number[] = [];
    let report: RunReport | undefined;
    for (let i = 0; i < (options.runs ?? 3); i++) {
      const out: string[] = [];
      const ctx = createContext({ env: { ...env } as NodeJS.ProcessEnv, out: (t) => out.push(t), err: () => {} });
      const code = await verifyCommand()({ format: ["json"] }, { ctx });
      report = JSON.parse(out.join("")) as RunReport;
      if (code !== 0) throw new Error(`verify failed in the latency sandbox: ${report.results.filter((r) => r.status === "fail" || r.status === "error").map((r) => `${r.id}: ${r.message}`).join("; ")}`);
      walls.push(report.durationMs);
    }
    const last = report!;
    const sequentialSum = last.results.reduce((s, r) => s + r.durationMs, 0);
    const wall = median(walls);

    let cli: { ms: number; runMs: number } | undefined;
    if (options.cli ?? true) {
      const bin = join(packageRoot(), "bin", "bookflow.js");
      const t = performance.now();
      const { stdout } = await promisify(execFile)(process.execPath, ["--", bin, "verify", "--format", "json"], { env: { PATH: process.env.PATH, HOME: process.env.HOME, CI: "1", ...env }, maxBuffer: 16 * 1024 * 1024 });
      cli = { ms: performance.now() - t, runMs: (JSON.parse(stdout) as RunReport).durationMs };
    }

    const counts = Object.entries(last.summary).filter(([k, v]) => typeof v === "number" && k !== "total" && v > 0);
    return {
      "latency per emulator request and DNS query, ms": latencyMs,
      checks: `${last.results.length} (${counts.map(([k, v]) => `${String(v)} ${k}`).join(", ")})`,
      "wall time, in process (median), ms": Math.round(wall),
      "… runs, ms": walls.map((w) => Math.round(w)).join(", "),
      ...(cli ? { "wall time, `bookflow verify` child process, ms": Math.round(cli.ms), "… of which the checks (report.durationMs), ms": Math.round(cli.runMs) } : {}),
      "critical path (longest prerequisite chain), ms": Math.round(chain.ms),
      "… sequential provider round trips on it": chain.roundTrips(latencyMs),
      "… chain": chain.describe(),
      "sequential sum (every check's duration added up), ms": Math.round(sequentialSum),
      "wall / critical path": ratio(wall, chain.ms),
      "sequential sum / wall": ratio(sequentialSum, wall),
      "slowest checks in the run": [...last.results].sort((a, b) => b.durationMs - a.durationMs).slice(0, 3).map((r) => `${r.id} ${Math.round(r.durationMs)} ms`).join(", "),
      target: "wall ≤ 1.5x critical path",
    };
  } finally {
    await dnsRelay?.close();
    await world?.stop();
    await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
    await admin.end();
  }
}

/** Per check: what its facts cost once its prerequisites' facts are in. */
export interface CheckCost {
  id: string;
  ms: number;
  /** Requests the emulators and the DNS server saw meanwhile. */
  requests: number;
}

export interface CriticalPath {
  ms: number;
  checks: CheckCost[];
  roundTrips(latencyMs: number): number;
  describe(): string;
}

/**
 * What each check's facts cost once its prerequisites have run: for each check,
 * a fresh fact store (nothing shared with other checks) in which the facts of
 * every check it needs, transitively, are gathered first (untimed), then its own
 * facts are timed. Then the longest chain through `needs` with those costs.
 */
export async function criticalPath(checks: readonly AnyCheck[], env: Record<string, string>, requests: () => number): Promise<CriticalPath> {
  const costs = new Map<string, CheckCost>();
  for (const check of checks) costs.set(check.id, await measureCost(check, ancestorsOf(check, checks), env, requests));
  return longestChain(checks, costs);
}

async function measureCost(check: AnyCheck, ancestors: readonly AnyCheck[], env: Record<string, string>, requests: () => number): Promise<CheckCost> {
  const abort = new AbortController();
  const ctx = createContext({ env: { ...env } as NodeJS.ProcessEnv, out: () => {}, err: () => {} });
  const facts = new FactStore({ env: ctx.env, target: "sandbox", config: defaultConfig(), signal: abort.signal, db: () => ctx.db() });
  try {
    await facts.pick([...new Set(ancestors.flatMap((a) => a.facts))]).catch(() => undefined);
    const before = requests();
    const t = performance.now();
    await facts.pick(check.facts).catch(() => undefined);
    return { id: check.id, ms: performance.now() - t, requests: requests() - before };
  } finally {
    abort.abort();
    await ctx.close();
  }
}

function ancestorsOf(check: AnyCheck, checks: readonly AnyCheck[]): AnyCheck[] {
  const byId = new Map(checks.map((c) => [c.id, c]));
  const seen = new Map<string, AnyCheck>();
  const visit = (c: AnyCheck) => {
    for (const n of c.needs) {
      const pre = byId.get(n);
      if (pre && !seen.has(n)) {
        seen.set(n, pre);
        visit(pre);
      }
    }
  };
  visit(check);
  return [...seen.values()];
}

/** The longest chain through `needs`, each check adding its cost. Pure: exported for its test. */
export function longestChain(checks: readonly AnyCheck[], costs: ReadonlyMap<string, CheckCost>): CriticalPath {
  const byId = new Map(checks.map((c) => [c.id, c]));
  const memo = new Map<string, { ms: number; path: CheckCost[] }>();
  const finish = (id: string): { ms: number; path: CheckCost[] } => {
    const known = memo.get(id);
    if (known) return known;
    const check = byId.get(id);
    const own = costs.get(id) ?? { id, ms: 0, requests: 0 };
    let best: { ms: number; path: CheckCost[] } | undefined;
    for (const need of check?.needs ?? []) {
      if (!byId.has(need)) continue; // not part of this run
      const f = finish(need);
      if (!best || f.ms > best.ms) best = f;
    }
    const result = { ms: (best?.ms ?? 0) + own.ms, path: [...(best?.path ?? []), own] };
    memo.set(id, result);
    return result;
  };
  let longest: { ms: number; path: CheckCost[] } = { ms: 0, path: [] };
  for (const c of checks) {
    const f = finish(c.id);
    if (f.ms > longest.ms) longest = f;
  }
  return {
    ms: longest.ms,
    checks: longest.path,
    roundTrips: (latencyMs) => longest.path.reduce((n, c) => n + Math.round(c.ms / latencyMs), 0),
    describe: () => longest.path.map((c) => `${c.id} ${Math.round(c.ms)} ms`).join(" → "),
  };
}

function requestCounter(world: SandboxWorld): () => number {
  const logs = [world.calendly, world.stripe, world.sendgrid, world.vercel, world.monitoring].map((e) => (e as unknown as { requestLog: unknown[] }).requestLog);
  return () => logs.reduce((n, l) => n + l.length, 0) + world.dns.queryLog.length;
}

interface DelayingRelay {
  address: string;
  close(): Promise<void>;
}

/**
 * A DNS relay on 127.0.0.1 (UDP and TCP on one port) that forwards each query
 * to the sandbox's DNS server after `delayMs`: the sandbox's server itself has
 * no latency fault.
 */
export async function startDelayingDnsRelay(upstreamPort: number, delayMs: number): Promise<DelayingRelay> {
  const timers = new Set<NodeJS.Timeout>();
  const later = (fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, delayMs);
    timers.add(t);
  };
  const sockets = new Set<net.Socket>();
  const onConnection = (client: net.Socket) => {
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    client.on("error", () => client.destroy());
    client.pause();
    later(() => {
      const upstream = net.connect(upstreamPort, "127.0.0.1");
      sockets.add(upstream);
      upstream.on("close", () => sockets.delete(upstream));
      upstream.on("error", () => client.destroy());
      client.pipe(upstream).pipe(client);
      client.resume();
    });
  };
  // TCP and UDP on one port (a resolver retries a truncated UDP answer over TCP to the same port): a few tries in case UDP's is taken.
  let tcp: net.Server | undefined;
  let udp: dgram.Socket | undefined;
  let port = 0;
  for (let attempt = 0; attempt < 5 && !udp; attempt++) {
    const server = net.createServer(onConnection);
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    port = (server.address() as net.AddressInfo).port;
    const socket = dgram.createSocket("udp4");
    const bound = await new Promise<boolean>((resolve) => {
      socket.once("error", () => resolve(false));
      socket.bind(port, "127.0.0.1", () => resolve(true));
    });
    if (bound) {
      tcp = server;
      udp = socket;
    } else {
      socket.close();
      await new Promise<void>((r) => server.close(() => r()));
    }
  }
  if (!tcp || !udp) throw new Error("could not bind the DNS relay's UDP and TCP sockets on one port");
  const [tcpServer, udpSocket] = [tcp, udp];
  const open = new Set<dgram.Socket>();
  udpSocket.on("message", (query, from) => {
    later(() => {
      const out = dgram.createSocket("udp4");
      open.add(out);
      const done = () => {
        if (open.delete(out)) out.close();
      };
      out.on("error", done);
      out.once("message", (answer) => {
        udpSocket.send(answer, from.port, from.address);
        done();
      });
      out.send(query, upstreamPort, "127.0.0.1");
    });
  });
  return {
    address: `127.0.0.1:${port}`,
    async close() {
      for (const t of timers) clearTimeout(t);
      for (const s of open) s.close();
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => udpSocket.close(() => r()));
      await new Promise<void>((r) => tcpServer.close(() => r()));
    },
  };
}

function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
}

function ratio(a: number, b: number): string {
  return b > 0 ? `${(a / b).toFixed(2)}x` : "n/a";
}
