import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Context } from "../context.js";
import { loadBookflowConfig } from "../config/bookflow-config.js";
import type { Target } from "../config/verify-env.js";
import { assertValidCatalogue } from "../engine/catalogue.js";
import type { AnyCheck, CheckResult } from "../engine/check.js";
import { FACT_NAMES } from "../engine/facts/index.js";
import { renderRunReport } from "../engine/formatters/html/run-report.js";
import { outcomeOf, summarize as summarizeResults, type RunReport } from "../engine/report.js";
import { runChecks } from "../engine/runner.js";
import { selectChecks } from "../engine/selection.js";
import { ConfigError } from "../errors.js";
import { packageVersion } from "../package-root.js";
import { deliverToWebhook, slackBody } from "./monitor-alerts.js";
import { MonitorMetrics } from "./monitor-metrics.js";
import { dueChecks, intervalsFor, nextDueIn, unknownIntervalKeys, withDependents } from "./monitor-schedule.js";
import { readSignals, SIGNAL_WINDOW_MS, type Signals } from "./monitor-signals.js";
import { initialState, observeRun, summarize, type MonitorAlert, type MonitorState, type MonitorSummary } from "./monitor-state.js";
import { targetFromEnv } from "./target.js";
import { createFactStore, type VerifyDeps } from "./verify.js";

/**
 * `bookflow monitor`: the checks on a schedule (each at its own interval),
 * the database's live signals after every run, an HTTP server (/healthz,
 * /metrics, the latest HTML report at /), and an alert on every state change.
 * Runs until `signal` aborts or `durationMs` is over; returns the summary.
 */

export interface MonitorInput {
  only: readonly string[];
  skip: readonly string[];
  target?: Target | undefined;
  config?: string | undefined;
  intervalMs: number;
  durationMs?: number | undefined;
  port: number;
  host: string;
  alertWebhook?: string | undefined;
  alertsStdout: boolean;
  concurrency: number;
  timeoutMs: number;
}

export interface MonitorHooks {
  /** Stops the monitor (Ctrl-C, SIGTERM): the current run is abandoned. */
  signal: AbortSignal;
  /** The server listens. */
  ready?(url: string, target: Target, checks: number): void;
  /** One JSON line per alert (--alerts stdout). */
  alertLine?(line: string): void;
  /** Progress and delivery problems, for a person (stderr). */
  log?(text: string): void;
  /** Pause before each retry of a failed alert delivery (tests shorten it). */
  alertBackoffMs?: number;
}

export async function monitor(ctx: Context, input: MonitorInput, hooks: MonitorHooks, deps: VerifyDeps = {}): Promise<MonitorSummary> {
  const { config } = loadBookflowConfig(input.config, ctx.cwd);
  const target = input.target ?? targetFromEnv(ctx.env) ?? config.target ?? "production";
  const catalogue = deps.catalogue ?? (await import("../../checks/index.js")).catalogue;
  assertValidCatalogue(catalogue, FACT_NAMES);
  const unknown = unknownIntervalKeys(catalogue, config.monitor.intervals);
  if (unknown.length) throw new ConfigError(`monitor.intervals names no check or section: ${unknown.join(", ")}`, "Use a check id or a section from `bookflow checks list`.", "CONFIG_INVALID");
  const selection = selectChecks(catalogue, { only: [...input.only], skip: [...input.skip] });
  const intervals = intervalsFor(selection.checks, config.monitor.intervals, input.intervalMs);
  const byId = new Map(selection.checks.map((c) => [c.id, c]));
  const redact = (t: string) => ctx.redactor.redact(t);
  const log = (t: string) => hooks.log?.(redact(t));

  const startedAt = Date.now();
  const latest = new Map<string, CheckResult>();
  const lastRun = new Map<string, number>();
  const metrics = new MonitorMetrics();
  let state: MonitorState = initialState(startedAt);
  let report: RunReport | undefined;
  let signals: Signals | undefined;
  let signalsError: string | undefined;
  let latencySince = startedAt - SIGNAL_WINDOW_MS;
  const delivery = { delivered: 0, failed: 0 };
  const pending: Promise<void>[] = [];

  const stop = new AbortController();
  const onAbort = () => stop.abort();
  hooks.signal.addEventListener("abort", onAbort, { once: true });
  const timer = input.durationMs === undefined ? undefined : setTimeout(() => stop.abort(), input.durationMs);

  const server = await listen(input.port, input.host, async (path) => {
    if (path === "/healthz") return { status: report && report.outcome === "passed" ? 200 : 503, type: "application/json", body: JSON.stringify(healthBody(report, state, signalsError)) };
    if (path === "/metrics") return { status: 200, type: metrics.contentType, body: await metrics.text() };
    if (path === "/") return { status: 200, type: "text/html; charset=utf-8", body: report ? withRefresh(renderRunReport(report), input.intervalMs) : waitingPage(input.intervalMs) };
    return undefined;
  });
  const address = server.address() as AddressInfo;
  hooks.ready?.(`http://${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}`, target, selection.checks.length);

  const alert = (a: MonitorAlert) => {
    const line = { type: "alert", kind: a.kind, at: a.at, target, text: a.text, failing: a.failing };
    if (input.alertsStdout) hooks.alertLine?.(redact(JSON.stringify(line)));
    if (!input.alertWebhook) return;
    const url = input.alertWebhook;
    pending.push(
      deliverToWebhook(url, slackBody(a, redact), { signal: stop.signal, ...(hooks.alertBackoffMs !== undefined ? { backoffMs: hooks.alertBackoffMs } : {}), onRetry: (n, e) => log(`Alert delivery attempt ${n} failed (${e}); retrying.\n`) }).then((d) => {
        if (d.ok) delivery.delivered++;
        else {
          delivery.failed++;
          log(`Alert "${a.kind}" could not be delivered to --alert-webhook after ${d.attempts} attempts: ${d.error ?? "unknown error"}.\n`);
        }
        metrics.recordAlert(d.ok ? "delivered" : "failed");
      }),
    );
  };

  try {
    while (!stop.signal.aborted) {
      const now = Date.now();
      const due = withDependents(dueChecks(now, intervals, lastRun), selection.checks);
      if (due.length) {
        const facts = createFactStore(ctx, { target, config, signal: stop.signal, sendTestEvents: false, includeLoad: false }, deps.gatherers);
        const checks = due.map((id) => byId.get(id)!);
        const settled = new Map([...latest].filter(([id]) => !due.includes(id)));
        const run = await Promise.race([
          runChecks(checks, { facts, target, concurrency: input.concurrency, timeoutMs: input.timeoutMs, strict: false, excluded: selection.excluded, settled, toolVersion: packageVersion() }),
          aborted(stop.signal),
        ]);
        if (!run) break;
        for (const r of run.results) latest.set(r.id, r);
        for (const id of due) lastRun.set(id, now);
        // Published together with the state below, after the signals are read: a
        // /healthz answered in between must not pair this run's outcome with the
        // previous run's failing list.
        const nextReport = fullReport(run, selection.checks, latest, startedAt);
        try {
          const db = await ctx.db();
          const upto = Date.now();
          signals = await readSignals(db.sql, upto, latencySince);
          latencySince = upto;
          signalsError = undefined;
        } catch (err) {
          signals = undefined;
          signalsError = redact(err instanceof Error ? err.message : String(err));
          log(`Database signals could not be read: ${signalsError}\n`);
        }
        metrics.recordResults(nextReport.results, due, now);
        metrics.recordSignals(signals);
        const observed = observeRun(state, nextReport.results, due, Date.now(), target);
        report = nextReport;
        state = observed.state;
        if (observed.alert) alert(observed.alert);
        log(`Run ${state.runs}: ${due.length} check${due.length === 1 ? "" : "s"}, ${state.failing ? `failing (${state.failingChecks.map((c) => c.id).join(", ")})` : "healthy"}.\n`);
      }
      const wait = nextDueIn(Date.now(), intervals, lastRun);
      if (wait > 0) await sleep(wait, stop.signal);
    }
  } finally {
    if (timer) clearTimeout(timer);
    hooks.signal.removeEventListener("abort", onAbort);
    stop.abort();
    await Promise.allSettled(pending);
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }
  return summarize(state, startedAt, Date.now(), delivery);
}

/** Every selected check's latest result, in catalogue order, as one report. */
function fullReport(run: RunReport, checks: readonly AnyCheck[], latest: ReadonlyMap<string, CheckResult>, startedAt: number): RunReport {
  const results = checks.flatMap((c) => latest.get(c.id) ?? []);
  const summary = summarizeResults(results);
  return { ...run, results, summary, outcome: outcomeOf(summary, false), startedAt: new Date(startedAt).toISOString() };
}

/** The /healthz body health probes read: {status, checks}, plus the failing ids. */
function healthBody(report: RunReport | undefined, state: MonitorState, signalsError: string | undefined) {
  if (!report) return { status: "starting", failing: [], checks: [] };
  return {
    status: report.outcome === "passed" ? "pass" : "fail",
    failing: state.failingChecks.map((c) => c.id),
    checks: report.results.map((r) => ({ id: r.id, status: r.status, message: r.message, duration_ms: r.durationMs })),
    summary: report.summary,
    since: new Date(state.since).toISOString(),
    ...(signalsError ? { signals_error: signalsError } : {}),
  };
}

const refreshSeconds = (intervalMs: number) => Math.max(5, Math.round(intervalMs / 1000));

function withRefresh(page: string, intervalMs: number): string {
  return page.replace("<head>\n", `<head>\n<meta http-equiv="refresh" content="${refreshSeconds(intervalMs)}">\n`);
}

function waitingPage(intervalMs: number): string {
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="${refreshSeconds(intervalMs)}"><title>bookflow monitor: first run in progress</title></head><body><p>The first run is in progress; this page refreshes by itself.</p></body></html>\n`;
}

type Answer = { status: number; type: string; body: string } | undefined;

function listen(port: number, host: string, route: (path: string) => Promise<Answer>): Promise<Server> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://monitor").pathname;
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain" }).end("method not allowed\n");
      return;
    }
    route(path).then(
      (a) => {
        if (!a) res.writeHead(404, { "content-type": "text/plain" }).end("not found: try /healthz, /metrics or /\n");
        else res.writeHead(a.status, { "content-type": a.type, "cache-control": "no-store" }).end(req.method === "HEAD" ? undefined : a.body);
      },
      (err: unknown) => res.writeHead(500, { "content-type": "text/plain" }).end(`${err instanceof Error ? err.message : String(err)}\n`),
    );
  });
  return new Promise((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) =>
      reject(err.code === "EADDRINUSE" ? new ConfigError(`--port ${port} is in use on ${host}.`, "Give another --port (0 picks a free one).", "PORT_IN_USE") : err),
    );
    server.listen(port, host, () => resolve(server));
  });
}

function aborted(signal: AbortSignal): Promise<undefined> {
  return new Promise((resolve) => (signal.aborted ? resolve(undefined) : signal.addEventListener("abort", () => resolve(undefined), { once: true })));
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}
