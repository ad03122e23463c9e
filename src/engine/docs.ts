import { describeSeverity, type AnyCheck } from "./check.js";

/**
 * docs/checks.md, generated from the catalogue (`bookflow checks list --markdown`).
 * test/engine/docs.test.ts fails when the committed file differs.
 */
export function renderChecksMarkdown(catalogue: readonly AnyCheck[]): string {
  const sections = [...new Set(catalogue.map((c) => c.section))];
  const out: string[] = [
    "# Checks",
    "",
    "<!-- Generated from checks/index.ts: run `node bin/bookflow.js checks list --markdown > docs/checks.md` after changing a check. test/engine/docs.test.ts fails when this file is stale. -->",
    "",
    "`bookflow verify` runs these checks. Each has an id (its file under `checks/`, with dots), a section, a severity",
    "(`error`: a failure fails the run; `warn`: a failure is a warning, which fails the run only with `--strict`;",
    "`warn; error for production`: a warning, except with `--target production`, where a failure fails the run),",
    "prerequisites (a check whose prerequisite did not pass is skipped, with the reason) and the facts it reads.",
    "",
    "Select with `--only` / `--skip` (ids, globs such as `env.*`, or section names); `bookflow checks explain <id>` prints one entry.",
    "Results, JSON report (docs/report-schema.json), formats and exit codes: `bookflow verify --help`.",
    "",
    ...CONFIG_DOCS,
    "",
    `${catalogue.length} checks in ${sections.length} section(s):`,
    "",
    "| Check | Section | Severity | Title |",
    "|---|---|---|---|",
    ...catalogue.map((c) => `| [\`${c.id}\`](#${anchor(c.id)}) | ${c.section} | ${describeSeverity(c)} | ${escape(c.title)} |`),
    "",
  ];
  for (const section of sections) {
    out.push(`## ${section}`, "");
    for (const c of catalogue.filter((x) => x.section === section)) {
      out.push(`### ${c.id}`, "");
      out.push(`**${escape(c.title)}**`, "");
      out.push(`- Severity: ${describeSeverity(c)}`);
      out.push(`- Needs: ${c.needs.length ? c.needs.map((n) => `[\`${n}\`](#${anchor(n)})`).join(", ") : "none"}`);
      out.push(`- Facts: ${c.facts.map((f) => `\`${f}\``).join(", ") || "none"}`);
      if (c.vars?.length) out.push(`- Skipped while unset: ${c.vars.map((v) => `\`${v}\``).join(", ")}`);
      if (c.retryable) out.push("- Waits on propagation: retried by `verify --retry-timeout` until it passes or the time is up");
      if (c.docs.decides) {
        out.push("", `**What it decides.** ${c.docs.decides}`, "", "**Messages.**", "");
        for (const [id, template] of Object.entries(c.messages)) out.push(`- \`${id}\`: ${template}`);
      }
      out.push("", `**Why it matters.** ${c.docs.why}`, "", `**How to fix.** ${c.docs.fix}`, "");
    }
  }
  return out.join("\n");
}

/** bookflow.config.json (src/config/bookflow-config.ts); a test keeps every field mentioned. */
const CONFIG_DOCS = [
  "## Inputs",
  "",
  "- The environment, then each `--env-file` in order (later wins). Empty values count as unset.",
  "- `--target production|staging|sandbox` (default: `$BOOKFLOW_TARGET`, else the config file's `target`, else `production`): production demands live Stripe keys,",
  "  https URLs and NODE_ENV/VERCEL_ENV=production; staging and sandbox demand test keys; http URLs are accepted only for sandbox.",
  "- `BOOKFLOW_EXTRA_CA_FILE=<file>`: a PEM file of CA certificates the endpoints and security probes trust besides Node's bundled roots",
  "  (a private CA in front of staging). A file that cannot be read or holds no certificate makes those checks `error`, naming the variable.",
  "- `--config <file>`, default `./bookflow.config.json` when it exists. Every field is optional; unknown fields are errors",
  "  (exit 2, naming the file and the field):",
  "",
  "```jsonc",
  "{",
  '  "target": "production",                       // default for --target',
  '  "email": { "sendingDomain": "example.com",    // dns.*: the domain checked (default: the SENDGRID_FROM_EMAIL domain)',
  '             "dkimSelectors": ["s1", "s2"] },   // dns.dkim: the selectors that must hold keys',
  '  "calendly": { "events": ["invitee.created", "invitee.canceled"] },              // calendly.webhook-subscription-active',
  '  "stripe": { "events": ["checkout.session.completed", "payment_intent.succeeded"] }, // stripe.webhook-endpoint-enabled',
  '  "seed": { "tables": ["Booking", "SessionType", "User", "BuilderProfile"],      // database.tables-match-schema',
  '            "sessionTypes": [{ "slug": "intro-call", "priceCents": 0, "currency": "usd" }], // database.session-types-seeded',
  '            "minVisibleBuilders": 1 },                                            // database.marketplace-has-builders',
  '  "monitor": { "intervals": { "endpoints": "1m", "dns": "1h" } }, // bookflow monitor: a check\'s (or section\'s) own interval (docs/monitor.md)',
  '  "contacts": [{ "role": "stripe", "name": "Stripe Support", "url": "https://support.stripe.com", "when": "payment issues" }, // emergency contacts:',
  '               { "role": "on-call", "name": "Payments on-call", "phone": "+1 415 555 0100" }],  // role, name, email/phone/url; rollback prints them; deployment.emergency-contacts',
  '  "rollback": { "noticeTemplateId": "d-5f2c1a7e9b3d4c6e8a0b1c2d3e4f5a6b" }, // rollback --notify: the notice\'s SendGrid template (else bookflow\'s text)',
  '  "thresholds": { "databaseLatencyMs": 500,     // database.connects warns above it',
  '                  "httpLatencyMs": 2000,        // endpoints.* (base URL, health, webhook routes) warn above it',
  '                  "certificateExpiryDays": 14,  // endpoints.base-url-https warns when the certificate expires sooner (0: never)',
  '                  "webhookDeliveryGraceMinutes": 10, // stripe.webhook-deliveries-succeeding: an event undelivered this long fails (0: any)',
  '                  "slowerByMs": 1000,           // verify --baseline, report diff: "slower" means more than this many ms longer…',
  '                  "slowerByRatio": 1.5,         // …and at least this many times as long (1: the ms rule alone)',
  '                  "emailDeliveryRateMin": 0.95, // sendgrid.delivery-rates: delivered / requested over the window, at least (a fraction)',
  '                  "emailBounceRateMax": 0.05,   // sendgrid.delivery-rates: bounced / requested, at most',
  '                  "emailBlockRateMax": 0.02,    // sendgrid.delivery-rates: blocked / requested, at most',
  '                  "emailStatsWindowHours": 24,  // sendgrid.delivery-rates: the window read from SendGrid (1 to 720)',
  '                  "emailStatsMinVolume": 20,    // sendgrid.delivery-rates: fewer emails requested than this: rates not judged (0: always judged)',
  '                  "databaseConnectionSamples": 6,    // database.connections-stable: fresh connections to DATABASE_URL …',
  '                  "databaseSampleWindowMs": 2500,    // … spread over this time; any failed one fails the check',
  '                  "databaseLatencySpreadMs": 250 }, // database.connections-stable warns when 2+ samples are this far above the median',
  '  "monitoring": { "sentry": { "alertRules": ["new-issues", "high-priority"] }, // monitoring.sentry-alert-rules: the issue alert rules the project needs',
  '                  "datadog": { "monitors": [                                 // monitoring.datadog-monitors: each found by "name" (substring) or "tag";',
  '                    { "purpose": "webhook-processing-time", "tag": "bookflow:webhook-processing-time" }, // neither: the tag bookflow:<purpose>',
  '                    { "purpose": "email-failures", "name": "Booking emails failing" } ] } }',
  "}",
  "```",
];

/** GitHub's heading anchor for a check id heading. */
function anchor(id: string): string {
  return id.toLowerCase().replace(/[^a-z0-9 -]/g, "").replace(/ /g, "-");
}

function escape(s: string): string {
  return s.replace(/\|/g, "\\|");
}
