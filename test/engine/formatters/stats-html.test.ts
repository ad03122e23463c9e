import { describe, expect, it } from "vitest";
import { CONTENT_SECURITY_POLICY } from "../../../src/engine/formatters/html/page.js";
import { renderStatsHtml } from "../../../src/engine/formatters/html/stats.js";
import { escapeHtml } from "../../../src/engine/formatters/html/template.js";
import { statsReportSchema, type StatsReport } from "../../../src/ops/stats-report.js";

/** `bookflow stats --format html` from a StatsReport built by hand (test/e2e/report-html.test.ts opens one in Chromium). */

const EVIL = `<script>window.__pwned = 1</script><img src=x onerror="alert(1)">`;

function report(): StatsReport {
  const day = (d: string, bookings: number) => ({ day: d, bookings, confirmed: Math.floor(bookings / 2), paid: 1, cancelled: 0, emailsSent: bookings, emailsFailed: 1, webhooksReceived: 3 });
  return statsReportSchema.parse({
    schemaVersion: 1,
    generatedAt: "2030-03-06T12:00:00.000Z",
    window: { since: "2030-03-01T00:00:00.000Z", until: "2030-03-04T00:00:00.000Z", timeZone: "UTC" },
    bookings: { created: 41, free: 11, paid: 30, pending: 4, confirmedNow: 29, cancelled: 8 },
    conversion: { booked: { numerator: 33, denominator: 41, rate: 33 / 41 }, checkout: { numerator: 0, denominator: 0, rate: null } },
    payments: { success: { numerator: 20, denominator: 25, rate: 0.8 }, awaiting: 3, refund: { numerator: 2, denominator: 20, rate: 0.1 }, dispute: { numerator: 0, denominator: 0, rate: null } },
    emails: {
      source: "bookflow",
      byKind: [
        { kind: "CONFIRMATION", total: 10, sent: 9, failed: 1, queued: 0, deliveryRate: 0.9 },
        { kind: "RECEIPT", total: 0, sent: 0, failed: 0, queued: 0, deliveryRate: null },
      ],
      all: { total: 10, sent: 9, failed: 1, queued: 0, deliveryRate: 0.9 },
    },
    sessionTypes: [{ id: "st1", slug: "intro-call", name: EVIL, builderSlug: "ada", bookings: 30, confirmed: 25, share: 30 / 41 }],
    builders: [{ id: "b1", slug: "ada", name: "Ada L.", bookings: 41, confirmed: 33, share: 1 }],
    webhooks: [
      { provider: "STRIPE", type: "checkout.session.completed", received: 12, processed: 11, failed: 1, held: 0, p50Ms: 42.4, p95Ms: 180, p99Ms: 12_345, maxMs: 20_000 },
      { provider: "CALENDLY", type: "invitee.created", received: 2, processed: 0, failed: 0, held: 2, p50Ms: null, p95Ms: null, p99Ms: null, maxMs: null },
    ],
    daily: [day("2030-03-01", 20), day("2030-03-02", 0), day("2030-03-03", 21)],
  });
}

const between = (text: string, from: string, to: string) => text.slice(text.indexOf(from), text.indexOf(to, text.indexOf(from)));

describe("stats as HTML", () => {
  const page = renderStatsHtml(report(), "0.0.0-test");

  it("is one page: summary first, then the daily charts, popularity and webhooks; the page's CSP", () => {
    expect(page.startsWith("<!doctype html>")).toBe(true);
    expect(page).toContain(escapeHtml(CONTENT_SECURITY_POLICY));
    const order = ['id="summary"', 'id="daily"', 'id="popularity"', 'id="webhooks"'].map((s) => page.indexOf(s));
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(page).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
  });

  it("shows the figures: window, counts, rates with n/d, email delivery, webhook percentiles", () => {
    expect(page).toContain("2030-03-01T00:00:00.000Z</time> to <time");
    expect(page).toMatch(/data-count="created"><span class="n">41</);
    expect(between(page, 'data-rate="booked"', "</tr>")).toContain(`${((33 / 41) * 100).toFixed(1)}%`);
    expect(between(page, 'data-rate="booked"', "</tr>")).toContain("33/41");
    expect(between(page, 'data-rate="success"', "</tr>")).toContain("80.0%");
    expect(between(page, 'data-rate="success"', "</tr>")).toContain("3 awaiting");
    expect(between(page, 'data-rate="refund"', "</tr>")).toContain("10.0%");
    expect(between(page, 'data-kind="CONFIRMATION"', "</tr>")).toContain("90.0%");
    const stripe = between(page, "checkout.session.completed", "</tr>");
    for (const v of ["42ms", "180ms", "12.3s", "20.0s"]) expect(stripe).toContain(v);
  });

  it('prints "n/a" for a null rate or percentile, never NaN', () => {
    expect(page).not.toMatch(/NaN|undefined|null/);
    expect(between(page, 'data-rate="checkout"', "</tr>")).toContain(">n/a<");
    expect(between(page, 'data-rate="dispute"', "</tr>")).toContain(">n/a<");
    expect(between(page, 'data-kind="RECEIPT"', "</tr>")).toContain(">n/a<");
    expect(between(page, "invitee.created", "</tr>").match(/>n\/a</g)).toHaveLength(4);
  });

  it("shows SendGrid's own figures beside bookflow's, or why they are absent (escaped), and nothing when the report has none", () => {
    const withSendGrid = renderStatsHtml(
      statsReportSchema.parse({ ...report(), sendgrid: { available: true, startDate: "2030-03-01", endDate: "2030-03-03", requests: 40, delivered: 36, bounces: 3, blocks: 1, deliveredRate: 0.9, bounceRate: 0.075, blockRate: 0.025 } }),
      "0.0.0-test",
    );
    const table = between(withSendGrid, '<table data-field="sendgrid" data-available="true">', "</table>");
    expect(table).toContain("UTC days 2030-03-01 to 2030-03-03");
    for (const [field, value] of [["requests", "40"], ["delivered", "36"], ["bounces", "3"], ["blocks", "1"], ["deliveredRate", "90.0%"], ["bounceRate", "7.5%"], ["blockRate", "2.5%"]])
      expect(table).toContain(`data-field="${field}">${value}</td>`);
    expect(withSendGrid.indexOf('data-field="sendgrid"')).toBeGreaterThan(withSendGrid.indexOf('data-field="emails"'));
    const noRequests = renderStatsHtml(statsReportSchema.parse({ ...report(), sendgrid: { available: true, startDate: "2030-03-01", endDate: "2030-03-03", requests: 0, delivered: 0, bounces: 0, blocks: 0, deliveredRate: null, bounceRate: null, blockRate: null } }), "0.0.0-test");
    expect(between(noRequests, 'data-field="sendgrid"', "</table>").match(/>n\/a</g)).toHaveLength(3);
    const absent = renderStatsHtml(statsReportSchema.parse({ ...report(), sendgrid: { available: false, reason: `The SendGrid key cannot read its stats ${EVIL}` } }), "0.0.0-test");
    expect(between(absent, '<p data-field="sendgrid" data-available="false">', "</p>")).toContain(`Not shown: The SendGrid key cannot read its stats ${escapeHtml(EVIL)}`);
    expect(absent).not.toContain(EVIL);
    expect(page).not.toContain('data-field="sendgrid"');
  });

  it("keeps markup in a session type's name as text", () => {
    expect(page).not.toContain(EVIL);
    expect(page).not.toContain("<script>window.__pwned");
    expect(page).not.toContain("<img");
    expect(page).toContain("&lt;script&gt;window.__pwned = 1&lt;/script&gt;");
    expect(page.match(/<script>/g)).toHaveLength(1);
  });

  it("draws one bar per day with a title and desc, and the same figures in a table under <details>", () => {
    const chart = between(page, '<figure data-chart="bookings"', "</figure>");
    expect(chart.match(/<rect class="bar/g)).toHaveLength(3);
    expect(chart).toContain('<title id="chart-bookings-t">');
    expect(chart).toMatch(/<desc id="chart-bookings-d">3 day\(s\), 41 booking\(s\)/);
    expect(chart).toContain("<title>2030-03-02: 0 booking(s)");
    const activity = between(page, '<figure data-chart="activity"', "</figure>");
    expect(activity.match(/<polyline/g)).toHaveLength(3);
    for (const label of ["emails sent", "emails failed", "webhooks received"]) expect(activity).toContain(`>${label}</text>`);
    const table = between(page, "<details><summary>The daily figures", "</details>");
    expect(table.match(/<tr data-day=/g)).toHaveLength(3);
    expect(between(table, 'data-day="2030-03-03"', "</tr>")).toContain('<td class="num">21</td>');
  });
});
