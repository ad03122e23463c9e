import type { StatsDay, StatsPopularity, StatsRatio, StatsReport } from "../../../ops/stats-report.js";
import { renderPage, type PageSection } from "./page.js";
import { niceStep } from "./svg.js";
import { html, type Html } from "./template.js";

/**
 * `bookflow stats --format html`: the StatsReport (src/ops/stats-report.ts) as
 * one page: the summary rates, the daily series as inline SVG charts (each with
 * a <title>, a <desc> and the same figures as a table), popularity and webhook
 * processing times. A rate whose denominator is 0 prints "n/a".
 */

export function percent(rate: number | null): string {
  return rate === null || !Number.isFinite(rate) ? "n/a" : `${(rate * 100).toFixed(1)}%`;
}

function ms(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return "n/a";
  return value >= 10_000 ? `${(value / 1000).toFixed(1)}s` : `${Math.round(value)}ms`;
}

/** SendGrid's own figures beside bookflow's, or why they are absent. */
function sendGridTable(sg: StatsReport["sendgrid"]): Html | string {
  if (!sg) return "";
  if (!sg.available) return html`<h3>SendGrid's own stats</h3>\n<p data-field="sendgrid" data-available="false">Not shown: ${sg.reason}</p>`;
  return html`<h3>SendGrid's own stats</h3>
<table data-field="sendgrid" data-available="true"><caption class="muted">GET /v3/stats over the UTC days ${sg.startDate} to ${sg.endDate}; rates over requests</caption><thead><tr><th scope="col" class="num">Requests</th><th scope="col" class="num">Delivered</th><th scope="col" class="num">Bounces</th><th scope="col" class="num">Blocks</th><th scope="col" class="num">Delivered</th><th scope="col" class="num">Bounced</th><th scope="col" class="num">Blocked</th></tr></thead><tbody>
<tr><td class="num" data-field="requests">${sg.requests}</td><td class="num" data-field="delivered">${sg.delivered}</td><td class="num" data-field="bounces">${sg.bounces}</td><td class="num" data-field="blocks">${sg.blocks}</td><td class="num" data-field="deliveredRate">${percent(sg.deliveredRate)}</td><td class="num" data-field="bounceRate">${percent(sg.bounceRate)}</td><td class="num" data-field="blockRate">${percent(sg.blockRate)}</td></tr>
</tbody></table>`;
}

const r1 = (n: number) => Math.round(n * 10) / 10;

function yTicks(max: number): number[] {
  const step = Math.max(1, niceStep(max, 4));
  const ticks: number[] = [];
  for (let t = 0; t <= max + 1e-9; t += step) ticks.push(t);
  return ticks;
}

/** Bookings per UTC day: one bar per day, its count written above it. */
export function dailyBookingsChart(days: readonly StatsDay[], id: string): Html {
  const width = 1000;
  const left = 50;
  const chartW = 920;
  const top = 24;
  const chartH = 200;
  const height = top + chartH + 40;
  const max = Math.max(1, ...days.map((d) => d.bookings));
  const bw = chartW / Math.max(1, days.length);
  const y = (n: number) => top + chartH - (n / max) * chartH;
  const total = days.reduce((n, d) => n + d.bookings, 0);
  const labelEvery = Math.max(1, Math.ceil(days.length / 15));
  return html`<svg class="chart" role="img" aria-labelledby="${id}-t ${id}-d" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">
<title id="${id}-t">Bookings created per UTC day</title>
<desc id="${id}-d">${days.length} day(s), ${total} booking(s) in all, at most ${max === 1 && total === 0 ? 0 : max} on one day. The table below holds the same figures.</desc>
${yTicks(max).map((t) => html`<line class="grid" x1="${left}" x2="${left + chartW}" y1="${r1(y(t))}" y2="${r1(y(t))}"/><text x="${left - 6}" y="${r1(y(t) + 4)}" text-anchor="end">${t}</text>`)}
<line class="axis" x1="${left}" x2="${left + chartW}" y1="${top + chartH}" y2="${top + chartH}"/>
${days.map((d, i) => {
  const bx = left + i * bw;
  return html`<g class="row" data-day="${d.day}"><title>${d.day}: ${d.bookings} booking(s), ${d.confirmed} confirmed, ${d.paid} paid, ${d.cancelled} cancelled</title><rect class="bar neutral" x="${r1(bx + Math.min(2, bw * 0.1))}" y="${r1(y(d.bookings))}" width="${r1(Math.max(1, bw - 2 * Math.min(2, bw * 0.1)))}" height="${r1(top + chartH - y(d.bookings))}"/>${days.length <= 62 ? html`<text x="${r1(bx + bw / 2)}" y="${r1(y(d.bookings) - 4)}" text-anchor="middle">${d.bookings}</text>` : ""}${i % labelEvery === 0 ? html`<text x="${r1(bx + bw / 2)}" y="${top + chartH + 16}" text-anchor="middle">${d.day.slice(5)}</text>` : ""}</g>`;
})}
</svg>`;
}

const SERIES = [
  { key: "emailsSent", label: "emails sent", dash: "" },
  { key: "emailsFailed", label: "emails failed", dash: "6 4" },
  { key: "webhooksReceived", label: "webhooks received", dash: "2 3" },
] as const;

/** Emails sent and failed and webhook events received per day: three lines, told apart by dash pattern, marker shape and a text label (not by colour). */
export function dailyActivityChart(days: readonly StatsDay[], id: string): Html {
  const width = 1000;
  const left = 50;
  const chartW = 800;
  const top = 24;
  const chartH = 200;
  const height = top + chartH + 40;
  const max = Math.max(1, ...days.flatMap((d) => SERIES.map((s) => d[s.key])));
  const step = days.length > 1 ? chartW / (days.length - 1) : 0;
  const x = (i: number) => left + (days.length > 1 ? i * step : chartW / 2);
  const y = (n: number) => top + chartH - (n / max) * chartH;
  const labelEvery = Math.max(1, Math.ceil(days.length / 15));
  const marker = (s: number, cx: number, cy: number) =>
    s === 0 ? html`<circle cx="${r1(cx)}" cy="${r1(cy)}" r="3"/>` : s === 1 ? html`<rect x="${r1(cx - 3)}" y="${r1(cy - 3)}" width="6" height="6"/>` : html`<path d="M${r1(cx)} ${r1(cy - 4)}L${r1(cx + 4)} ${r1(cy + 3)}L${r1(cx - 4)} ${r1(cy + 3)}Z"/>`;
  return html`<svg class="chart" role="img" aria-labelledby="${id}-t ${id}-d" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">
<title id="${id}-t">Emails sent, emails failed and webhook events received per UTC day</title>
<desc id="${id}-d">${days.length} day(s): ${SERIES.map((s) => `${days.reduce((n, d) => n + d[s.key], 0)} ${s.label}`).join(", ")}. Solid line with circles: emails sent; dashed with squares: emails failed; dotted with triangles: webhooks received. The table below holds the same figures.</desc>
${yTicks(max).map((t) => html`<line class="grid" x1="${left}" x2="${left + chartW}" y1="${r1(y(t))}" y2="${r1(y(t))}"/><text x="${left - 6}" y="${r1(y(t) + 4)}" text-anchor="end">${t}</text>`)}
<line class="axis" x1="${left}" x2="${left + chartW}" y1="${top + chartH}" y2="${top + chartH}"/>
${days.map((d, i) => (i % labelEvery === 0 ? html`<text x="${r1(x(i))}" y="${top + chartH + 16}" text-anchor="middle">${d.day.slice(5)}</text>` : ""))}
${SERIES.map((s, si) => {
  const points = days.map((d, i) => `${r1(x(i))},${r1(y(d[s.key]))}`).join(" ");
  const last = days.at(-1);
  return html`<g class="series" data-series="${s.key}"><title>${s.label}</title><polyline class="line" fill="none" stroke="currentColor" stroke-width="2" points="${points}"${s.dash ? html` stroke-dasharray="${s.dash}"` : ""}/>${days.map((d, i) => html`<g class="point" fill="currentColor"><title>${d.day}: ${d[s.key]} ${s.label}</title>${marker(si, x(i), y(d[s.key]))}</g>`)}${last ? html`<text x="${r1(x(days.length - 1) + 10)}" y="${r1(y(last[s.key]) + 4 + (si - 1) * 12)}">${s.label}</text>` : ""}</g>`;
})}
</svg>`;
}

function rateRow(label: string, r: StatsRatio, definition: string, field: string): Html {
  return html`<tr data-rate="${field}"><th scope="row">${label}</th><td class="num" data-field="rate">${percent(r.rate)}</td><td class="num">${r.numerator}/${r.denominator}</td><td class="muted">${definition}</td></tr>`;
}

function popularityTable(caption: string, what: string, rows: readonly StatsPopularity[], field: string, builderColumn: boolean): Html {
  if (!rows.length) return html`<p data-field="${field}">No bookings in the window.</p>`;
  return html`<table data-field="${field}"><caption class="muted">${caption}</caption><thead><tr><th scope="col">${what}</th><th scope="col">Name</th>${builderColumn ? html`<th scope="col">Builder</th>` : ""}<th scope="col" class="num">Bookings</th><th scope="col" class="num">Confirmed</th><th scope="col" class="num">Share</th></tr></thead><tbody>
${rows.map((s) => html`<tr><td><code>${s.slug}</code></td><td>${s.name}</td>${builderColumn ? html`<td>${s.builderSlug ?? ""}</td>` : ""}<td class="num">${s.bookings}</td><td class="num">${s.confirmed}</td><td class="num">${percent(s.share)}</td></tr>`)}
</tbody></table>`;
}

export function statsSections(r: StatsReport): PageSection[] {
  const b = r.bookings;
  const summary: PageSection = {
    id: "summary",
    title: "Summary",
    body: html`<dl class="facts">
<dt>Window</dt><dd data-field="window"><time datetime="${r.window.since}">${r.window.since}</time> to <time datetime="${r.window.until}">${r.window.until}</time> (UTC; until excluded)</dd>
<dt>Generated</dt><dd><time datetime="${r.generatedAt}">${r.generatedAt}</time></dd>
</dl>
<ul class="tiles" aria-label="Bookings">
<li data-count="created"><span class="n">${b.created}</span>bookings created</li>
<li data-count="free"><span class="n">${b.free}</span>free</li>
<li data-count="paid"><span class="n">${b.paid}</span>paid</li>
<li data-count="confirmed"><span class="n">${b.confirmedNow}</span>confirmed now</li>
<li data-count="pending"><span class="n">${b.pending}</span>pending</li>
<li data-count="cancelled"><span class="n">${b.cancelled}</span>cancelled</li>
</ul>
<table data-field="rates"><caption class="muted">Rates: n/d, "n/a" when d is 0</caption><thead><tr><th scope="col">Rate</th><th scope="col" class="num">Value</th><th scope="col" class="num">n/d</th><th scope="col">Definition</th></tr></thead><tbody>
${rateRow("Booking conversion", r.conversion.booked, "confirmed at some point / created", "booked")}
${rateRow("Checkout conversion", r.conversion.checkout, "paid / Checkout created", "checkout")}
${rateRow("Payment success", r.payments.success, `paid / (paid + failed); ${r.payments.awaiting} awaiting`, "success")}
${rateRow("Refund rate", r.payments.refund, "refunded / paid", "refund")}
${rateRow("Dispute rate", r.payments.dispute, "disputed / paid", "dispute")}
</tbody></table>
<h3>Email delivery</h3>
<table data-field="emails"><caption class="muted">bookflow's EmailMessage rows: sent is SendGrid's 202, not the inbox</caption><thead><tr><th scope="col">Kind</th><th scope="col" class="num">Total</th><th scope="col" class="num">Sent</th><th scope="col" class="num">Failed</th><th scope="col" class="num">Queued</th><th scope="col" class="num">Delivery</th></tr></thead><tbody>
${[...r.emails.byKind.map((e) => ({ name: e.kind, ...e })), { name: "ALL", ...r.emails.all }].map((e) => html`<tr data-kind="${e.name}"><th scope="row">${e.name}</th><td class="num">${e.total}</td><td class="num">${e.sent}</td><td class="num">${e.failed}</td><td class="num">${e.queued}</td><td class="num" data-field="delivery">${percent(e.deliveryRate)}</td></tr>`)}
</tbody></table>
${sendGridTable(r.sendgrid)}`,
  };
  const daily: PageSection = {
    id: "daily",
    title: "Daily (UTC)",
    body: r.daily.length
      ? html`<figure data-chart="bookings"><figcaption>Bookings created per day (hover a bar for confirmed, paid and cancelled)</figcaption><div class="chart-scroll">${dailyBookingsChart(r.daily, "chart-bookings")}</div></figure>
<figure data-chart="activity"><figcaption>Emails sent (solid, circles), emails failed (dashed, squares) and webhook events received (dotted, triangles) per day</figcaption><div class="chart-scroll">${dailyActivityChart(r.daily, "chart-activity")}</div></figure>
<details><summary>The daily figures as a table</summary>
<table data-field="daily"><thead><tr><th scope="col">Day</th><th scope="col" class="num">Bookings</th><th scope="col" class="num">Confirmed</th><th scope="col" class="num">Paid</th><th scope="col" class="num">Cancelled</th><th scope="col" class="num">Emails sent</th><th scope="col" class="num">Emails failed</th><th scope="col" class="num">Webhooks</th></tr></thead><tbody>
${r.daily.map((d) => html`<tr data-day="${d.day}"><th scope="row">${d.day}</th><td class="num">${d.bookings}</td><td class="num">${d.confirmed}</td><td class="num">${d.paid}</td><td class="num">${d.cancelled}</td><td class="num">${d.emailsSent}</td><td class="num">${d.emailsFailed}</td><td class="num">${d.webhooksReceived}</td></tr>`)}
</tbody></table></details>`
      : html`<p>No days in the window.</p>`,
  };
  const popularity: PageSection = {
    id: "popularity",
    title: "Popularity",
    body: html`${popularityTable("Session types, most booked first", "Session type", r.sessionTypes, "session-types", true)}
${popularityTable("Builders, most booked first", "Builder", r.builders, "builders", false)}`,
  };
  const webhooks: PageSection = {
    id: "webhooks",
    title: "Webhook processing",
    body: r.webhooks.length
      ? html`<table data-field="webhooks"><caption class="muted">Processing time: processedAt − receivedAt, by provider and event type ("n/a": none processed)</caption><thead><tr><th scope="col">Provider</th><th scope="col">Type</th><th scope="col" class="num">Received</th><th scope="col" class="num">Processed</th><th scope="col" class="num">Failed</th><th scope="col" class="num">Held</th><th scope="col" class="num">p50</th><th scope="col" class="num">p95</th><th scope="col" class="num">p99</th><th scope="col" class="num">max</th></tr></thead><tbody>
${r.webhooks.map((w) => html`<tr><td>${w.provider.toLowerCase()}</td><td><code>${w.type}</code></td><td class="num">${w.received}</td><td class="num">${w.processed}</td><td class="num">${w.failed}</td><td class="num">${w.held}</td><td class="num">${ms(w.p50Ms)}</td><td class="num">${ms(w.p95Ms)}</td><td class="num">${ms(w.p99Ms)}</td><td class="num">${ms(w.maxMs)}</td></tr>`)}
</tbody></table>`
      : html`<p>No webhook events in the window.</p>`,
  };
  return [summary, daily, popularity, webhooks];
}

export function renderStatsHtml(r: StatsReport, toolVersion: string): string {
  return renderPage({
    title: `bookflow stats: ${r.window.since.slice(0, 10)} to ${r.window.until.slice(0, 10)}`,
    heading: html`bookflow stats <span class="muted">· ${r.window.since} to ${r.window.until} UTC</span>`,
    sections: statsSections(r),
    footer: `bookflow ${toolVersion} · stats · generated ${r.generatedAt}`,
  });
}
