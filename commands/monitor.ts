import type { Command } from "commander";
import { withEffect } from "./support/effect.js";
import { commandAction } from "./support/run.js";

/** `bookflow monitor`: the checks on a schedule, with /healthz, /metrics and alerts on state changes. */
export function registerMonitor(program: Command): void {
  withEffect(program
    .command("monitor")
    .description("run the checks on a schedule and serve /healthz, /metrics and the latest report; alert when the state changes")
    .option("--interval <duration>", "how often each check runs unless the config gives it its own interval: 30s, 5m, 1h", "5m")
    .option("--port <port>", "port to serve /healthz, /metrics and / on (0 picks a free one)", "9464")
    .option("--host <host>", "address to bind", "127.0.0.1")
    .option("--duration <duration>", "stop by itself after this long (24h, 90m) and print the summary")
    .option("--alert-webhook <url>", "POST each state change to this Slack-compatible incoming webhook (JSON {text, blocks})")
    .option("--alerts <where>", "stdout: one JSON line per state change on stdout; none: no stdout alerts", "stdout")
    .option("--summary-file <file>", "also write the summary (JSON) to this file when the monitor stops")
    .option("--json", "print the summary as JSON")
    .option("--only <selectors>", "monitor only these checks: ids, globs (stripe.*) or sections, comma-separated (repeatable)", collect, [] as string[])
    .option("--skip <selectors>", "leave out these checks: ids, globs or sections, comma-separated (repeatable)", collect, [] as string[])
    .option("--target <target>", "production | staging | sandbox (default: $BOOKFLOW_TARGET, else the config file's target, else production)")
    .option("--config <file>", "config file (default: ./bookflow.config.json when it exists)")
    .option("--concurrency <n>", "checks reading the world at once", "8")
    .option("--timeout <duration>", "time limit per check: 15s, 500ms", "15s")
    .addHelpText(
      "after",
      `
Routes (on --host:--port):
  GET /healthz    200 when the latest results have no failure or error, else 503;
                  JSON {status, failing: [ids], checks: [{id, status, message, duration_ms}]}
  GET /metrics    Prometheus text: check status and duration, stuck bookings, failed and held
                  emails and webhook events, webhook processing latency, conversion, payment success
  GET /           the latest HTML report, refreshing itself every interval

Intervals: cheap checks can run more often than slow ones. In bookflow.config.json:
  { "monitor": { "intervals": { "endpoints": "1m", "stripe.webhook-endpoint-enabled": "1m", "dns": "1h" } } }
A check's id wins over its section; the rest run every --interval.

Alerts are sent on a state change only (healthy -> failing, failing -> healthy), with secrets masked.
A webhook delivery that fails is retried 3 times and logged; the monitor keeps going.
Progress goes to stderr. Ctrl-C or SIGTERM stops it (the current run is abandoned), exit 0.

Examples:
  bookflow monitor --target production --interval 5m --alert-webhook https://hooks.slack.com/services/...
  bookflow monitor --duration 24h --summary-file launch-day.json      the 24 hours after the launch
  bookflow sandbox run -- monitor --interval 10s --port 9464`,
    )
    .action(commandAction(async () => (await import("./handlers/monitor.js")).monitorCommand())), "read");
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
