import type { LoadReport } from "../../../providers/webhook-load.js";
import { formatDuration } from "../../report.js";
import { renderPage, type PageSection } from "./page.js";
import { histogram } from "./svg.js";
import { html, type Html } from "./template.js";

/** `bookflow webhooks bench --format html`: the run's figures, its latency histogram and the answers it got. */

/** What the page needs of the bench's result (src/ops/webhooks-bench.ts BenchResult). */
export type BenchResult = LoadReport & { target: string; ok: boolean };

function breakdownTable(caption: string, what: string, map: Record<string, number>, field: string): Html {
  const entries = Object.entries(map).sort((a, b) => b[1] - a[1]);
  if (!entries.length) return html``;
  return html`<table data-field="${field}"><caption class="muted">${caption}</caption><thead><tr><th scope="col">${what}</th><th scope="col" class="num">Requests</th></tr></thead><tbody>
${entries.map(([k, n]) => html`<tr><td><code>${k}</code></td><td class="num">${n}</td></tr>`)}
</tbody></table>`;
}

export function benchSections(r: BenchResult): PageSection[] {
  const l = r.latencyMs;
  const ok = r.ok;
  const summary: PageSection = {
    id: "summary",
    title: "Summary",
    body: html`<p><span class="outcome ${ok ? "s-pass" : "s-fail"}" data-outcome="${ok ? "passed" : "failed"}"><span aria-hidden="true">${ok ? "✔" : "✖"}</span> ${ok ? "Every request answered 2xx" : "Not every request answered 2xx"}</span>${r.interrupted ? html` <span class="muted">(interrupted)</span>` : ""}</p>
<ul class="tiles" aria-label="Figures">
<li data-count="sent"><span class="n">${r.sent}</span>requests</li>
<li data-count="rps"><span class="n">${r.requestsPerSecond}</span>requests/s</li>
${l ? html`<li data-count="p50"><span class="n">${formatDuration(l.p50)}</span>p50</li><li data-count="p95"><span class="n">${formatDuration(l.p95)}</span>p95</li><li data-count="p99"><span class="n">${formatDuration(l.p99)}</span>p99</li><li data-count="max"><span class="n">${formatDuration(l.max)}</span>max</li>` : ""}
<li data-count="failed"><span class="n ${r.failed ? "s-fail" : ""}">${r.failed}</span>failed on the network</li>
</ul>
<dl class="facts">
<dt>Provider</dt><dd>${r.provider}</dd>
<dt>Endpoint</dt><dd><code>${r.url}</code></dd>
<dt>Target</dt><dd>${r.target}</dd>
<dt>Duration</dt><dd>${formatDuration(r.durationMs)}</dd>
<dt>Concurrency</dt><dd>${r.concurrency}${r.pipelining > 1 ? `, pipelining ${r.pipelining}` : ""}</dd>
<dt>Repeats</dt><dd>${r.duplicates} of ${r.sent} (re-sent accepted events)</dd>
${r.runTag ? html`<dt>Run tag</dt><dd><code>${r.runTag}</code></dd>` : ""}
</dl>`,
  };
  const latency: PageSection = {
    id: "latency",
    title: "Latency",
    body:
      l && r.latencyHistogram.length
        ? html`<p>min ${formatDuration(l.min)} · mean ${formatDuration(l.mean)} · p50 ${formatDuration(l.p50)} · p95 ${formatDuration(l.p95)} · p99 ${formatDuration(l.p99)} · max ${formatDuration(l.max)}</p>
<figure><figcaption id="latency-caption">Latency histogram: ${r.sent} requests, percentiles as dashed lines</figcaption>
<div class="chart-scroll">${histogram(r.latencyHistogram, [
            { label: "p50", valueMs: l.p50 },
            { label: "p95", valueMs: l.p95 },
            { label: "p99", valueMs: l.p99 },
          ], "latency-caption")}</div></figure>
<table data-field="histogram"><caption class="muted">The same buckets as a table</caption><thead><tr><th scope="col">Latency</th><th scope="col" class="num">Requests</th></tr></thead><tbody>
${r.latencyHistogram.map((b) => html`<tr><td>${formatDuration(b.fromMs)} – ${formatDuration(b.toMs)}</td><td class="num">${b.count}</td></tr>`)}
</tbody></table>`
        : html`<p>No request completed: no latency to show.</p>`,
  };
  const answers: PageSection = {
    id: "answers",
    title: "Answers",
    body: html`${breakdownTable("HTTP status of the answered requests", "Status", r.statusCodes, "status")}${breakdownTable("Network errors", "Error", r.errors, "errors")}${breakdownTable("The endpoint's outcome field", "Outcome", r.outcomes, "outcomes")}${breakdownTable("Events sent", "Event type", r.eventTypes, "event-types")}`,
  };
  return [summary, latency, answers];
}

export function renderBenchHtml(r: BenchResult, toolVersion: string): string {
  return renderPage({
    title: `bookflow webhooks bench: ${r.provider} (${r.ok ? "all 2xx" : "failures"})`,
    heading: html`bookflow webhooks bench <span class="muted">· ${r.provider}</span>`,
    sections: benchSections(r),
    footer: `bookflow ${toolVersion} · webhooks bench`,
  });
}
