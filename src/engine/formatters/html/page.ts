import { createHash } from "node:crypto";
import { html, trusted, type Html } from "./template.js";

/**
 * One self-contained HTML page made of sections: what every `--format html`
 * renders (a run report, a webhook bench, later other reports add their own
 * sections). No network: the stylesheet and the script are inline, images are
 * inline SVG, and the Content-Security-Policy forbids every fetch and every
 * script but the page's own (by hash), so a `<script>` that slipped into the
 * data could not run even if it were not escaped.
 */

export interface PageSection {
  /** Fragment id (#summary). */
  id: string;
  title: string;
  body: Html;
}

export interface Page {
  /** <title>. */
  title: string;
  /** The h1's content. */
  heading: Html;
  sections: readonly PageSection[];
  /** Footer line ("bookflow 1.2.0, 2026-12-07T00:00:00Z"). */
  footer: string;
}

/** Text and background colours of both schemes (a test holds each text/background pair to WCAG AA, 4.5:1). */
export const PALETTE = {
  light: {
    bg: "#ffffff", surface: "#f6f8fa", fg: "#1f2328", muted: "#59636e", border: "#818b98", link: "#0550ae", focus: "#0550ae",
    pass: "#1a7f37", warn: "#7d4e00", fail: "#cf222e", skip: "#59636e", error: "#8250df", critical: "#1f2328",
  },
  dark: {
    bg: "#0d1117", surface: "#161b22", fg: "#e6edf3", muted: "#9198a1", border: "#6e7681", link: "#58a6ff", focus: "#58a6ff",
    pass: "#3fb950", warn: "#d29922", fail: "#ff7b72", skip: "#9198a1", error: "#bc8cff", critical: "#e6edf3",
  },
} as const;

/** The colours drawn as text on `bg` and `surface`. */
export const TEXT_COLOURS = ["fg", "muted", "link", "pass", "warn", "fail", "skip", "error"] as const;

function vars(p: Record<string, string>): string {
  return Object.entries(p)
    .map(([k, v]) => `--${k}:${v};`)
    .join("");
}

const CSS = `
:root{${vars(PALETTE.light)}color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{${vars(PALETTE.dark)}}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
a{color:var(--link)}
:focus-visible{outline:3px solid var(--focus);outline-offset:2px;border-radius:3px}
.skip-link{position:absolute;left:-9999px;top:0;background:var(--bg);padding:.5rem 1rem}
.skip-link:focus{left:1rem;top:1rem;z-index:2}
header,main,footer{max-width:1120px;margin:0 auto;padding:0 1.25rem}
header{padding-top:1.25rem}
h1{font-size:1.6rem;margin:.25rem 0}
h2{font-size:1.25rem;margin:2rem 0 .75rem;padding-bottom:.25rem;border-bottom:1px solid var(--border)}
h3{font-size:1.05rem;margin:1.25rem 0 .5rem}
nav ul{list-style:none;display:flex;flex-wrap:wrap;gap:.25rem 1rem;padding:0;margin:.5rem 0 0}
footer{color:var(--muted);font-size:.85rem;padding-bottom:2rem;margin-top:2rem}
code,pre{font:13px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
pre{background:var(--surface);border:1px solid var(--border);border-radius:6px;padding:.5rem .75rem;overflow:auto;max-height:24rem;white-space:pre-wrap;word-break:break-word;margin:.25rem 0}
.outcome{display:inline-flex;align-items:center;gap:.4rem;font-weight:700;font-size:1.1rem;border:2px solid currentColor;border-radius:6px;padding:.1rem .6rem}
.tiles{display:flex;flex-wrap:wrap;gap:.75rem;list-style:none;padding:0;margin:1rem 0}
.tiles li{border:1px solid var(--border);background:var(--surface);border-radius:8px;padding:.5rem .9rem;min-width:7rem}
.tiles .n{display:block;font-size:1.6rem;font-weight:700;line-height:1.2}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:.15rem 1rem;margin:.5rem 0}
.facts dt{color:var(--muted)}
.facts dd{margin:0;overflow-wrap:anywhere}
.badge{display:inline-block;min-width:4.6rem;font-weight:700;font-size:.8rem;letter-spacing:.02em;white-space:nowrap}
.s-pass{color:var(--pass)}.s-warn{color:var(--warn)}.s-fail{color:var(--fail)}.s-skip{color:var(--skip)}.s-error{color:var(--error)}
details.check{border:1px solid var(--border);border-radius:6px;margin:.35rem 0;background:var(--bg)}
details.check>summary{cursor:pointer;padding:.4rem .7rem;display:flex;flex-wrap:wrap;gap:.2rem .75rem;align-items:baseline}
details.check>summary .title{flex:1 1 16rem}
details.check>summary .time{color:var(--muted);font-variant-numeric:tabular-nums}
details.check>.body{padding:.25rem .9rem .75rem;border-top:1px solid var(--border)}
details.problem{border-width:2px;border-color:var(--fail)}
details.problem.warn{border-color:var(--warn)}
.fix{border-left:4px solid var(--link);background:var(--surface);padding:.4rem .75rem;margin:.5rem 0;white-space:pre-wrap}
.fix strong{display:block}
table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{border-bottom:1px solid var(--border);padding:.3rem .5rem;text-align:left;vertical-align:top}
th{font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.muted{color:var(--muted)}
.toolbar{display:none;gap:.5rem;flex-wrap:wrap;margin:.5rem 0}
.js .toolbar{display:flex}
button{font:inherit;color:var(--fg);background:var(--surface);border:1px solid var(--border);border-radius:6px;padding:.3rem .8rem;cursor:pointer}
button[aria-pressed=true]{background:var(--fg);color:var(--bg)}
.only-problems details.check[data-problem=no]{display:none}
figure{margin:.5rem 0}
figcaption{color:var(--muted);font-size:.9rem}
.chart{width:100%;height:auto;max-width:100%}
.chart text{fill:var(--fg);font:11px system-ui,sans-serif}
.chart .axis{stroke:var(--muted);stroke-width:1}
.chart .grid{stroke:var(--border);stroke-width:.5;stroke-dasharray:2 3}
.chart .bar{stroke:none}
.chart .bar.s-pass{fill:var(--pass)}.chart .bar.s-warn{fill:var(--warn)}.chart .bar.s-fail{fill:var(--fail)}.chart .bar.s-skip{fill:var(--skip)}.chart .bar.s-error{fill:var(--error)}
.chart .bar.neutral{fill:var(--link)}
.chart .crit{fill:none;stroke:var(--critical);stroke-width:2}
.chart .row:hover text{font-weight:700}
.chart-scroll{overflow-x:auto}
@media print{
  :root{${vars(PALETTE.light)}}
  body{font-size:11pt;background:#fff;color:#000}
  nav,.toolbar,.skip-link{display:none!important}
  header,main,footer{max-width:none;padding:0}
  a{color:#000;text-decoration:none}
  details.check,tr,figure,.fix{break-inside:avoid}
  pre{max-height:none;overflow:visible}
  h2{break-after:avoid}
  .only-problems details.check[data-problem=no]{display:block}
}
`;

/** Enhancements only: the page is complete without it (details/summary work on their own). */
const SCRIPT = `(() => {
  document.documentElement.classList.add("js");
  const checks = () => document.querySelectorAll("details.check");
  for (const b of document.querySelectorAll("button[data-action]")) {
    b.addEventListener("click", () => {
      const action = b.getAttribute("data-action");
      if (action === "expand") for (const d of checks()) d.open = true;
      else if (action === "collapse") for (const d of checks()) d.open = false;
      else if (action === "problems") {
        const on = b.getAttribute("aria-pressed") !== "true";
        b.setAttribute("aria-pressed", String(on));
        document.body.classList.toggle("only-problems", on);
      }
    });
  }
  let opened = [];
  addEventListener("beforeprint", () => {
    opened = [...document.querySelectorAll("details:not([open])")];
    for (const d of opened) d.open = true;
  });
  addEventListener("afterprint", () => {
    for (const d of opened) d.open = false;
    opened = [];
  });
})();`;

const SCRIPT_HASH = createHash("sha256").update(SCRIPT).digest("base64");

/** Nothing may be fetched; only the page's own script runs. */
export const CONTENT_SECURITY_POLICY = `default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-${SCRIPT_HASH}'; base-uri 'none'; form-action 'none'`;

export function renderPage(page: Page): string {
  const doc = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}">
<meta name="referrer" content="no-referrer">
<title>${page.title}</title>
<style>${trusted(CSS)}</style>
</head>
<body>
<a class="skip-link" href="#main">Skip to the report</a>
<header>
<h1>${page.heading}</h1>
<nav aria-label="Sections"><ul>${page.sections.map((s) => html`<li><a href="#${s.id}">${s.title}</a></li>`)}</ul></nav>
</header>
<main id="main" tabindex="-1">
${page.sections.map((s) => html`<section id="${s.id}" aria-labelledby="${s.id}-h"><h2 id="${s.id}-h">${s.title}</h2>
${s.body}
</section>
`)}</main>
<footer>${page.footer}</footer>
<script>${trusted(SCRIPT)}</script>
</body>
</html>
`;
  return doc.value;
}
