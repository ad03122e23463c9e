/**
 * `bookflow stats` as plain-text tables (the --json value is the StatsReport itself).
 * A rate whose denominator is 0 prints "n/a"; every rate shows its n/d beside it.
 */
import type { StatsRatio, StatsReport } from "../../src/ops/stats-report.js";

export function percent(rate: number | null): string {
  return rate === null ? "n/a" : `${(rate * 100).toFixed(1)}%`;
}

function ratioText(r: StatsRatio): string {
  return `${percent(r.rate).padStart(6)}  (${r.numerator}/${r.denominator})`;
}

function ms(value: number | null): string {
  if (value === null) return "n/a";
  return value >= 10_000 ? `${(value / 1000).toFixed(1)}s` : `${Math.round(value)}ms`;
}

function table(header: string[], rows: string[][], right: ReadonlySet<number> = new Set()): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (right.has(i) ? c.padStart(widths[i]!) : i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd();
  return [line(header), ...rows.map(line)].map((l) => `  ${l}`).join("\n");
}

export function formatStats(r: StatsReport): string {
  const b = r.bookings;
  const out: string[] = [];
  out.push(`Stats from ${r.window.since} to ${r.window.until} (UTC; until excluded)`);
  out.push("");
  out.push(`Bookings: ${b.created} created (${b.free} free, ${b.paid} paid); now ${b.confirmedNow} confirmed, ${b.pending} pending, ${b.cancelled} cancelled`);
  out.push(`  Booking conversion    ${ratioText(r.conversion.booked)}   confirmed / created`);
  out.push(`  Checkout conversion   ${ratioText(r.conversion.checkout)}   paid / Checkout created`);
  out.push(`  Payment success       ${ratioText(r.payments.success)}   paid / (paid + failed); ${r.payments.awaiting} awaiting`);
  out.push(`  Refund rate           ${ratioText(r.payments.refund)}   refunded / paid`);
  out.push(`  Dispute rate          ${ratioText(r.payments.dispute)}   disputed / paid`);
  out.push("");
  out.push("Email delivery (bookflow's EmailMessage rows: SENT is SendGrid's 202, not the inbox)");
  const emailRows = [...r.emails.byKind.map((e) => ({ name: e.kind, ...e })), { name: "ALL", ...r.emails.all }];
  out.push(table(["KIND", "TOTAL", "SENT", "FAILED", "QUEUED", "DELIVERY"], emailRows.map((e) => [e.name, String(e.total), String(e.sent), String(e.failed), String(e.queued), percent(e.deliveryRate)]), new Set([1, 2, 3, 4, 5])));
  out.push("");
  const sg = r.sendgrid;
  if (sg?.available) {
    out.push(`SendGrid's own stats (GET /v3/stats, UTC days ${sg.startDate} to ${sg.endDate})`);
    out.push(
      table(
        ["REQUESTS", "DELIVERED", "BOUNCES", "BLOCKS", "DELIVERED %", "BOUNCED %", "BLOCKED %"],
        [[String(sg.requests), String(sg.delivered), String(sg.bounces), String(sg.blocks), percent(sg.deliveredRate), percent(sg.bounceRate), percent(sg.blockRate)]],
        new Set([0, 1, 2, 3, 4, 5, 6]),
      ),
    );
    out.push("");
  } else if (sg) {
    out.push(`SendGrid's own stats: not shown. ${sg.reason}`);
    out.push("");
  }
  out.push("Session types, most booked first");
  out.push(r.sessionTypes.length ? table(["SESSION TYPE", "BUILDER", "BOOKINGS", "CONFIRMED", "SHARE"], r.sessionTypes.map((s) => [s.slug, s.builderSlug ?? "", String(s.bookings), String(s.confirmed), percent(s.share)]), new Set([2, 3, 4])) : "  (no bookings)");
  out.push("");
  out.push("Builders, most booked first");
  out.push(r.builders.length ? table(["BUILDER", "NAME", "BOOKINGS", "CONFIRMED", "SHARE"], r.builders.map((s) => [s.slug, s.name, String(s.bookings), String(s.confirmed), percent(s.share)]), new Set([2, 3, 4])) : "  (no bookings)");
  out.push("");
  out.push("Webhook processing time (received → processed)");
  out.push(
    r.webhooks.length
      ? table(["PROVIDER", "TYPE", "RECEIVED", "PROCESSED", "FAILED", "HELD", "P50", "P95", "P99", "MAX"], r.webhooks.map((w) => [w.provider.toLowerCase(), w.type, String(w.received), String(w.processed), String(w.failed), String(w.held), ms(w.p50Ms), ms(w.p95Ms), ms(w.p99Ms), ms(w.maxMs)]), new Set([2, 3, 4, 5, 6, 7, 8, 9]))
      : "  (no webhook events)",
  );
  out.push("");
  out.push("Daily (UTC)");
  out.push(table(["DAY", "BOOKINGS", "CONFIRMED", "PAID", "CANCELLED", "EMAILS SENT", "EMAILS FAILED", "WEBHOOKS"], r.daily.map((d) => [d.day, String(d.bookings), String(d.confirmed), String(d.paid), String(d.cancelled), String(d.emailsSent), String(d.emailsFailed), String(d.webhooksReceived)]), new Set([1, 2, 3, 4, 5, 6, 7])));
  return `${out.join("\n")}\n`;
}
