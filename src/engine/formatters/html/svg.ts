import { formatDuration } from "../../report.js";
import { html, type Html } from "./template.js";

/**
 * Charts as inline SVG (no library, nothing fetched). Colours come from the
 * page's stylesheet through classes; every bar also says what it is in text
 * (a label, and a <title> read as its tooltip), never by colour alone.
 */

export interface WaterfallRow {
  id: string;
  status: "pass" | "warn" | "fail" | "skip" | "error";
  startMs: number;
  durationMs: number;
  /** On the run's critical path: outlined, and marked ◆ after its duration. */
  critical: boolean;
}

/** 1, 2 or 5 × 10^n: a tick step that gives about `count` ticks over `span`. */
export function niceStep(span: number, count: number): number {
  if (!(span > 0)) return 1;
  const raw = span / Math.max(1, count);
  const pow = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * pow >= raw) return m * pow;
  return 10 * pow;
}

const r1 = (n: number) => Math.round(n * 10) / 10;

/** One row per check: a bar from its start for its duration, on the run's time axis. */
export function waterfall(rows: readonly WaterfallRow[], totalMs: number, labelledBy: string): Html {
  const width = 1000;
  const labelW = 300;
  const chartW = 620;
  const rowH = 18;
  const top = 26;
  const span = Math.max(totalMs, ...rows.map((r) => r.startMs + r.durationMs), 1);
  const x = (ms: number) => labelW + (ms / span) * chartW;
  const height = top + rows.length * rowH + 8;
  const step = niceStep(span, 8);
  const ticks: number[] = [];
  for (let t = 0; t <= span + 1e-9; t += step) ticks.push(t);
  return html`<svg class="chart" role="img" aria-labelledby="${labelledBy}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">
${ticks.map((t) => html`<line class="grid" x1="${r1(x(t))}" x2="${r1(x(t))}" y1="${top - 4}" y2="${height - 6}"/><text x="${r1(x(t))}" y="${top - 9}" text-anchor="middle">${formatDuration(t)}</text>`)}
<line class="axis" x1="${labelW}" x2="${labelW + chartW}" y1="${top - 4}" y2="${top - 4}"/>
${rows.map((r, i) => {
  const y = top + i * rowH;
  const bx = x(r.startMs);
  const bw = Math.max(1.5, x(r.startMs + r.durationMs) - bx);
  const label = `${formatDuration(r.durationMs)}${r.critical ? " ◆" : ""}`;
  return html`<g class="row"><title>${r.id}: ${r.status.toUpperCase()}, started at ${formatDuration(r.startMs)}, took ${formatDuration(r.durationMs)}${r.critical ? " (critical path)" : ""}</title><text x="${labelW - 6}" y="${y + 12}" text-anchor="end">${r.id}</text><rect class="bar s-${r.status}" x="${r1(bx)}" y="${y + 3}" width="${r1(bw)}" height="11" rx="2"/>${r.critical ? html`<rect class="crit" x="${r1(bx - 1)}" y="${y + 2}" width="${r1(bw + 2)}" height="13" rx="2"/>` : ""}<text x="${r1(Math.min(bx + bw + 4, width - 70))}" y="${y + 12}">${label}</text></g>`;
})}
</svg>`;
}

export interface HistogramBucket {
  /** Lower bound (exclusive, except for the first bucket), ms. */
  fromMs: number;
  /** Upper bound (inclusive), ms. */
  toMs: number;
  count: number;
}

export interface HistogramMark {
  label: string;
  valueMs: number;
}

/** Latency histogram: one bar per bucket (equal widths; buckets grow 1-2-5), percentiles as labelled lines. */
export function histogram(buckets: readonly HistogramBucket[], marks: readonly HistogramMark[], labelledBy: string): Html {
  const width = 1000;
  const left = 60;
  const chartW = 900;
  const top = 40;
  const chartH = 220;
  const height = top + chartH + 50;
  const max = Math.max(1, ...buckets.map((b) => b.count));
  const bw = chartW / Math.max(1, buckets.length);
  const y = (n: number) => top + chartH - (n / max) * chartH;
  const yStep = niceStep(max, 4);
  const yTicks: number[] = [];
  for (let t = 0; t <= max + 1e-9; t += yStep) yTicks.push(t);
  // A value's place on the bucket axis: its bucket, then linearly inside it.
  const xOf = (ms: number) => {
    const i = buckets.findIndex((b) => ms <= b.toMs);
    if (i < 0) return left + chartW;
    const b = buckets[i]!;
    const within = b.toMs > b.fromMs ? Math.min(1, Math.max(0, (ms - b.fromMs) / (b.toMs - b.fromMs))) : 1;
    return left + (i + within) * bw;
  };
  return html`<svg class="chart" role="img" aria-labelledby="${labelledBy}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">
${yTicks.map((t) => html`<line class="grid" x1="${left}" x2="${left + chartW}" y1="${r1(y(t))}" y2="${r1(y(t))}"/><text x="${left - 6}" y="${r1(y(t) + 4)}" text-anchor="end">${t}</text>`)}
<line class="axis" x1="${left}" x2="${left + chartW}" y1="${top + chartH}" y2="${top + chartH}"/>
${buckets.map((b, i) => {
  const bx = left + i * bw;
  const h = top + chartH - y(b.count);
  return html`<g class="row"><title>${b.count} request(s) between ${formatDuration(b.fromMs)} and ${formatDuration(b.toMs)}</title><rect class="bar neutral" x="${r1(bx + 2)}" y="${r1(y(b.count))}" width="${r1(Math.max(1, bw - 4))}" height="${r1(Math.max(b.count ? 1 : 0, h))}"/>${b.count ? html`<text x="${r1(bx + bw / 2)}" y="${r1(y(b.count) - 4)}" text-anchor="middle">${b.count}</text>` : ""}<text x="${r1(bx + bw)}" y="${top + chartH + 16}" text-anchor="middle">≤${formatDuration(b.toMs)}</text></g>`;
})}
${marks.map((m, i) => {
  const mx = r1(xOf(m.valueMs));
  return html`<g><line class="crit" x1="${mx}" x2="${mx}" y1="${top - 6 + (i % 2) * 12}" y2="${top + chartH}" stroke-dasharray="4 3"/><text x="${mx + 3}" y="${top - 10 + (i % 2) * 12}">${m.label} ${formatDuration(m.valueMs)}</text></g>`;
})}
<text x="${left + chartW / 2}" y="${height - 8}" text-anchor="middle">latency (upper bound of each bucket)</text>
</svg>`;
}
