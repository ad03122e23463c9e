import { Counter, Gauge, Registry } from "prom-client";
import type { CheckResult } from "../engine/check.js";
import { STATUSES } from "../engine/report.js";
import { LATENCY_BUCKETS, SIGNAL_WINDOW_MS, type Signals } from "./monitor-signals.js";

const WINDOW = `${SIGNAL_WINDOW_MS / 60_000}m`;

/**
 * The monitor's Prometheus metrics (GET /metrics), on a registry of its own.
 * Check status is one series per status with value 1 for the current one (the
 * usual way to expose an enum). The webhook processing latency histogram is
 * cumulative: each read adds the events processed since the previous one.
 */
export class MonitorMetrics {
  readonly registry = new Registry();
  private readonly checkStatus = new Gauge({ name: "bookflow_check_status", help: "1 for the latest status of each check (pass, warn, fail, skip, error), 0 for the others", labelNames: ["check", "section", "status"], registers: [this.registry] });
  private readonly checkDuration = new Gauge({ name: "bookflow_check_duration_seconds", help: "How long each check's latest run took", labelNames: ["check"], registers: [this.registry] });
  private readonly checkLastRun = new Gauge({ name: "bookflow_check_last_run_timestamp_seconds", help: "When each check last ran (Unix time)", labelNames: ["check"], registers: [this.registry] });
  private readonly healthy = new Gauge({ name: "bookflow_monitor_healthy", help: "1 when the latest results have no failure or error, else 0", registers: [this.registry] });
  private readonly runs = new Counter({ name: "bookflow_monitor_runs_total", help: "Monitor runs (each runs the checks that are due)", registers: [this.registry] });
  private readonly alerts = new Counter({ name: "bookflow_monitor_alerts_total", help: "State-change alerts, by delivery outcome", labelNames: ["outcome"], registers: [this.registry] });
  private readonly signalsUp = new Gauge({ name: "bookflow_signals_up", help: "1 when the latest read of the database signals succeeded, else 0", registers: [this.registry] });
  private readonly stuck = new Gauge({ name: "bookflow_bookings_stuck", help: "Bookings still PENDING or UNPAID 30 minutes after they were created", labelNames: ["state"], registers: [this.registry] });
  private readonly emails = new Gauge({ name: "bookflow_emails", help: "Emails FAILED in the last hour, and emails held (QUEUED for more than 15 minutes)", labelNames: ["state"], registers: [this.registry] });
  private readonly events = new Gauge({ name: "bookflow_webhook_events", help: "Webhook events FAILED in the last hour, and events HELD", labelNames: ["provider", "outcome"], registers: [this.registry] });
  private readonly conversion = new Gauge({ name: "bookflow_booking_conversion_ratio", help: "Of the bookings created in the window, the share confirmed (absent when there were none)", labelNames: ["window"], registers: [this.registry] });
  private readonly paymentSuccess = new Gauge({ name: "bookflow_payment_success_ratio", help: "Of the bookings with a Stripe Checkout created in the window, the share paid (absent when there were none)", labelNames: ["window"], registers: [this.registry] });
  private readonly windowBookings = new Gauge({ name: "bookflow_window_bookings", help: "Bookings created in the last hour: created, confirmed, with a checkout, paid", labelNames: ["kind"], registers: [this.registry] });
  private readonly latency = new CumulativeHistogram("bookflow_webhook_processing_seconds", "Webhook processing latency, received to processed", LATENCY_BUCKETS);

  constructor() {
    this.registry.registerMetric(this.latency as never);
  }

  recordResults(results: readonly CheckResult[], ranIds: readonly string[], at: number): void {
    const ran = new Set(ranIds);
    for (const r of results) {
      for (const s of STATUSES) this.checkStatus.set({ check: r.id, section: r.section, status: s }, r.status === s ? 1 : 0);
      if (ran.has(r.id)) {
        this.checkDuration.set({ check: r.id }, r.durationMs / 1000);
        this.checkLastRun.set({ check: r.id }, Math.floor(at / 1000));
      }
    }
    this.healthy.set(results.some((r) => r.status === "fail" || r.status === "error") ? 0 : 1);
    this.runs.inc();
  }

  recordAlert(outcome: "delivered" | "failed"): void {
    this.alerts.inc({ outcome });
  }

  recordSignals(signals: Signals | undefined): void {
    this.signalsUp.set(signals ? 1 : 0);
    if (!signals) return;
    this.stuck.set({ state: "pending" }, signals.stuckBookings.pending);
    this.stuck.set({ state: "unpaid" }, signals.stuckBookings.unpaid);
    this.emails.set({ state: "failed" }, signals.emails.failed);
    this.emails.set({ state: "held" }, signals.emails.held);
    for (const e of signals.webhookEvents) {
      this.events.set({ provider: e.provider, outcome: "failed" }, e.failed);
      this.events.set({ provider: e.provider, outcome: "held" }, e.held);
    }
    const { created, confirmed } = signals.conversion;
    const { checkouts, paid } = signals.payments;
    if (created > 0) this.conversion.set({ window: WINDOW }, confirmed / created);
    else this.conversion.reset();
    if (checkouts > 0) this.paymentSuccess.set({ window: WINDOW }, paid / checkouts);
    else this.paymentSuccess.reset();
    this.windowBookings.set({ kind: "created" }, created);
    this.windowBookings.set({ kind: "confirmed" }, confirmed);
    this.windowBookings.set({ kind: "checkout" }, checkouts);
    this.windowBookings.set({ kind: "paid" }, paid);
    for (const l of signals.latency) this.latency.add(l.provider, l.buckets, l.count, l.sumSeconds);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/**
 * A histogram fed with bucket counts computed in SQL (prom-client's Histogram
 * only observes values one at a time). Registered as a custom metric: the
 * registry calls get() and prints _bucket/_sum/_count lines.
 */
class CumulativeHistogram {
  readonly type = "histogram";
  private readonly series = new Map<string, { buckets: number[]; count: number; sum: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly bounds: readonly number[],
  ) {}

  add(provider: string, buckets: readonly number[], count: number, sum: number): void {
    const s = this.series.get(provider) ?? { buckets: this.bounds.map(() => 0), count: 0, sum: 0 };
    buckets.forEach((n, i) => (s.buckets[i]! += n));
    s.count += count;
    s.sum += sum;
    this.series.set(provider, s);
  }

  get() {
    const values: { metricName: string; labels: Record<string, string | number>; value: number }[] = [];
    for (const [provider, s] of this.series) {
      this.bounds.forEach((le, i) => values.push({ metricName: `${this.name}_bucket`, labels: { provider, le }, value: s.buckets[i]! }));
      values.push({ metricName: `${this.name}_bucket`, labels: { provider, le: "+Inf" }, value: s.count });
      values.push({ metricName: `${this.name}_sum`, labels: { provider }, value: s.sum });
      values.push({ metricName: `${this.name}_count`, labels: { provider }, value: s.count });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: "sum" };
  }
}
