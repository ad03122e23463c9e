import { defineCheck, fail, pass, skip } from "../../src/engine/check.js";
import type { SendGridSuppressionSummary } from "../../src/engine/facts/sendgrid.js";

const percent = (x: number) => `${(x * 100).toFixed(1)}%`;
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** `2× "550 5.1.1 … does not exist." (5.1.1, e.g. g***@example.org)`, most frequent first. */
function reasonsOf(list: SendGridSuppressionSummary, label: string): string[] {
  return list.reasons.map((r) => `${label} ${r.count}× "${r.reason}"${r.status ? ` (${r.status}${r.examples.length ? `, e.g. ${r.examples.join(", ")}` : ""})` : r.examples.length ? ` (e.g. ${r.examples.join(", ")})` : ""}`);
}

export default defineCheck({
  id: "sendgrid.delivery-rates",
  section: "sendgrid",
  title:
    "SendGrid's own figures over the last thresholds.emailStatsWindowHours (default 24): delivered, bounce and block rates within thresholds.emailDeliveryRateMin, emailBounceRateMax and emailBlockRateMax",
  severity: "error",
  needs: ["sendgrid.key-can-send"],
  facts: ["config", "sendgridDeliveryStats"],
  docs: {
    why: "SendGrid accepting a send (202) is not the customer receiving it: the receiving servers can bounce it (an address that does not exist, a full mailbox) or block it (the sending domain's reputation, a missing DKIM or SPF alignment), and the app sees nothing of that. SendGrid's Stats API counts what happened to every email requested (`/v3/stats`: requests, delivered, bounces, blocks) and its suppression lists say why (`/v3/suppression/bounces`, `/blocks`); rates outside the thresholds mean booking confirmations are not arriving (the checklist's \"Monitor email delivery rates\").",
    fix: "Read the reasons in the message. Bounces with 5.1.1 (no such user) mean bad addresses are being booked: check the booking form's address validation. Blocks (5.7.x, \"policy\", \"reputation\") mean receiving servers refuse the domain: make sure dns.spf, dns.dkim and dns.dmarc pass and sendgrid.domain-authenticated too, then follow SendGrid's Deliverability guide or ask its support. SendGrid drops later mail to a bounced address (bounce_drops): remove addresses fixed since from the bounce list (Suppressions → Bounces). The thresholds and the window are thresholds.emailDeliveryRateMin (default 0.95), emailBounceRateMax (0.05), emailBlockRateMax (0.02), emailStatsWindowHours (24) and emailStatsMinVolume (20) in bookflow.config.json. With fewer emails requested in the window than emailStatsMinVolume the check passes saying there was not enough volume to judge (a quiet window or a new account is not a delivery failure, and three emails make no rate): lower it, or 0 to judge every window, on a low-volume platform. A key without the Stats or Suppressions read permission makes this check skip: give the key Stats: Read Access and Suppressions: Read Access (Settings → API Keys).",
  },
  messages: {
    scopesMissing: "The SendGrid key cannot read its delivery figures ({{reads}}): give it {{permissions}} (scopes {{scopes}}) in Settings → API Keys",
    notEnoughVolume:
      "{{requests}} requested over the last {{hours}} hours ({{days}}), fewer than thresholds.emailStatsMinVolume ({{min}}): not enough volume to judge delivery rates ({{delivered}} delivered, {{bounces}} bounced, {{blocks}} blocked)",
    noEmails: "No email was requested over the last {{hours}} hours ({{days}}): no delivery rate to judge",
    outsideThresholds: "Email delivery over the last {{hours}} hours ({{days}}) is outside the thresholds: {{rates}} ({{counts}}); {{reasons}}",
    withinThresholds: "Over the last {{hours}} hours ({{days}}): {{rates}} ({{counts}})",
  },
  run({ config, sendgridDeliveryStats: s }) {
    if (!s.readable) {
      const permissions = [...new Set(s.missing.map((m) => m.permission))].join(" and ");
      return skip("scopesMissing", { reads: s.missing.map((m) => m.what).join(", "), permissions, scopes: s.missing.map((m) => m.scope).join(", ") });
    }
    const t = config.thresholds;
    const { requests, delivered, bounces, blocks } = s.totals;
    const hours = s.windowHours;
    const days = s.startDate === s.endDate ? `SendGrid's stats for ${s.startDate} UTC` : `SendGrid's daily stats for ${s.startDate} to ${s.endDate} UTC`;
    const counts = `${plural(requests, "email")} requested, ${delivered} delivered, ${bounces} bounced, ${blocks} blocked${s.totals.bounce_drops ? `, ${s.totals.bounce_drops} dropped as earlier bounces` : ""}`;
    if (requests === 0) return pass("noEmails", { hours, days });
    if (requests < t.emailStatsMinVolume) {
      return pass("notEnoughVolume", { requests: plural(requests, "email"), hours, days, min: t.emailStatsMinVolume, delivered, bounces, blocks });
    }
    const rates = [
      { name: "delivered", value: delivered / requests, limit: t.emailDeliveryRateMin, bad: (v: number, l: number) => v < l, word: "minimum" },
      { name: "bounced", value: bounces / requests, limit: t.emailBounceRateMax, bad: (v: number, l: number) => v > l, word: "maximum" },
      { name: "blocked", value: blocks / requests, limit: t.emailBlockRateMax, bad: (v: number, l: number) => v > l, word: "maximum" },
    ];
    const described = rates.map((r) => ({ ...r, text: `${r.name} ${percent(r.value)} (${r.word} ${percent(r.limit)})`, failing: r.bad(r.value, r.limit) }));
    const failing = described.filter((r) => r.failing);
    const figures = Object.fromEntries(described.map((r) => [r.name, { rate: Number(r.value.toFixed(4)), [r.word]: r.limit }]));
    if (!failing.length) return pass("withinThresholds", { hours, days, rates: described.map((r) => r.text).join(", "), counts }, { actual: { ...figures, totals: s.totals } });
    const listed = [...reasonsOf(s.bounces, "bounce:"), ...reasonsOf(s.blocks, "block:")];
    const more = (s.bounces.truncated || s.blocks.truncated) ? " (the lists were read in part: more entries than bookflow reads)" : "";
    const reasons = listed.length ? `top reasons: ${listed.join("; ")}${more}` : "SendGrid's bounce and block lists name no reason for this window";
    return fail(
      "outsideThresholds",
      { hours, days, rates: failing.map((r) => r.text).join(", "), counts, reasons },
      {
        expected: { delivered: `>= ${t.emailDeliveryRateMin}`, bounced: `<= ${t.emailBounceRateMax}`, blocked: `<= ${t.emailBlockRateMax}` },
        actual: { ...figures, totals: s.totals, bounces: s.bounces, blocks: s.blocks },
      },
    );
  },
});
