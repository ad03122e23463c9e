import { describe, expect, it } from "vitest";
import type { CheckResult } from "../../src/engine/check.js";
import { MonitorMetrics } from "../../src/ops/monitor-metrics.js";
import { LATENCY_BUCKETS, type Signals } from "../../src/ops/monitor-signals.js";
import { parsePrometheusText } from "../e2e/prometheus-text.js";

const result = (id: string, status: CheckResult["status"], durationMs = 12): CheckResult => ({ id, section: id.split(".")[0]!, title: id, severity: "error", status, message: "m", durationMs }) as CheckResult;

const signals = (latency: { count: number; upTo1s: number; sum: number }): Signals => ({
  stuckBookings: { pending: 2, unpaid: 1 },
  emails: { failed: 3, held: 0 },
  webhookEvents: [
    { provider: "calendly", failed: 0, held: 1 },
    { provider: "stripe", failed: 4, held: 0 },
  ],
  conversion: { created: 4, confirmed: 3 },
  payments: { checkouts: 0, paid: 0 },
  latency: [{ provider: "stripe", buckets: LATENCY_BUCKETS.map((b) => (b >= 1 ? latency.count : b >= 0.1 ? latency.upTo1s : 0)), count: latency.count, sumSeconds: latency.sum }, { provider: "calendly", buckets: LATENCY_BUCKETS.map(() => 0), count: 0, sumSeconds: 0 }],
});

describe("monitor metrics", () => {
  it("the registry's text parses strictly, with the values recorded; the latency histogram accumulates across reads", async () => {
    const m = new MonitorMetrics();
    m.recordResults([result("stripe.key-valid", "pass"), result("dns.spf", "fail", 1500)], ["stripe.key-valid", "dns.spf"], Date.parse("2026-12-07T00:00:00Z"));
    m.recordSignals(signals({ count: 5, upTo1s: 2, sum: 2.5 }));
    m.recordSignals(signals({ count: 1, upTo1s: 1, sum: 0.2 }));
    m.recordAlert("delivered");
    const families = parsePrometheusText(await m.text());
    const value = (name: string, labels: Record<string, string> = {}) => {
      const family = families.get(name) ?? families.get(name.replace(/_(bucket|sum|count)$/, ""));
      return family?.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
    };
    expect(value("bookflow_check_status", { check: "dns.spf", status: "fail" })).toBe(1);
    expect(value("bookflow_check_status", { check: "dns.spf", status: "pass" })).toBe(0);
    expect(value("bookflow_check_duration_seconds", { check: "dns.spf" })).toBe(1.5);
    expect(value("bookflow_check_last_run_timestamp_seconds", { check: "dns.spf" })).toBe(1796601600);
    expect(value("bookflow_monitor_healthy")).toBe(0);
    expect(value("bookflow_monitor_runs_total")).toBe(1);
    expect(value("bookflow_monitor_alerts_total", { outcome: "delivered" })).toBe(1);
    expect(value("bookflow_bookings_stuck", { state: "pending" })).toBe(2);
    expect(value("bookflow_emails", { state: "failed" })).toBe(3);
    expect(value("bookflow_webhook_events", { provider: "stripe", outcome: "failed" })).toBe(4);
    expect(value("bookflow_booking_conversion_ratio")).toBe(0.75);
    // No checkout in the window: no ratio at all rather than a made-up one.
    expect(families.get("bookflow_payment_success_ratio")?.samples).toEqual([]);
    expect(value("bookflow_webhook_processing_seconds_count", { provider: "stripe" })).toBe(6);
    expect(value("bookflow_webhook_processing_seconds_bucket", { provider: "stripe", le: "0.5" })).toBe(3);
    expect(value("bookflow_webhook_processing_seconds_bucket", { provider: "stripe", le: "+Inf" })).toBe(6);
    expect(value("bookflow_webhook_processing_seconds_sum", { provider: "stripe" })).toBeCloseTo(2.7);
  });

  it.each([
    ["a sample before its TYPE", "x 1\n"],
    ["a bad value", "# TYPE x gauge\nx one\n"],
    ["unquoted labels", "# TYPE x gauge\nx{a=b} 1\n"],
    ["a duplicate series", "# TYPE x gauge\nx{a=\"1\"} 1\nx{a=\"1\"} 2\n"],
    ["a histogram without +Inf", "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_count 1\nh_sum 1\n"],
    ["a histogram whose buckets shrink", "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_count 1\nh_sum 1\n"],
    ["no final line feed", "# TYPE x gauge\nx 1"],
  ])("the parser refuses %s", (_what, text) => {
    expect(() => parsePrometheusText(text)).toThrow();
  });
});
