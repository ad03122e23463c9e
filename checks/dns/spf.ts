import { defineCheck, fail, pass, skip, warn } from "../../src/engine/check.js";
import { SPF_LOOKUP_LIMIT, SPF_VOID_LOOKUP_LIMIT, type SpfCheckHost } from "../../src/providers/dns/email-auth.js";

/** What a receiver does with SendGrid's mail for each result other than pass (RFC 7208 §8). */
const CONSEQUENCE: Record<Exclude<SpfCheckHost["result"], "pass">, string> = {
  fail: "receivers may reject SendGrid's mail (RFC 7208 §8.4)",
  softfail: "receivers treat SendGrid's mail as suspect (RFC 7208 §8.5)",
  neutral: "the record asserts nothing about SendGrid's mail (RFC 7208 §8.2)",
  none: "receivers find no SPF record (RFC 7208 §8.1)",
  permerror: "receivers see a permanent error (RFC 7208 §8.7)",
  temperror: "receivers defer or treat the mail as unauthenticated (RFC 7208 §8.6)",
};

function reasonOf(r: SpfCheckHost): string {
  const parts = [r.reason, r.rfc].filter((x): x is string => Boolean(x));
  return parts.length ? ` — ${parts.join(", ")}` : "";
}

function summary(r: SpfCheckHost): string {
  return `${r.result} via ${r.decidedBy}`;
}

export default defineCheck({
  id: "dns.spf",
  section: "dns",
  title: "SPF (RFC 7208 check_host) gives pass for SendGrid's addresses and not for other senders",
  severity: "error",
  needs: [],
  retryable: true,
  facts: ["spfRecord"],
  docs: {
    decides:
      "Runs RFC 7208 check_host() against the sending domain's record, as a receiver does, for one address in each netblock sendgrid.net publishes (built-in netblocks when sendgrid.net cannot be read) and for 192.0.2.1, an address nobody authorises. " +
      "Fails when SendGrid's addresses get anything but pass: none (no record, or a record with leading whitespace: §4.5), permerror (more than one record §4.5; a syntax error in any term, even after all: §4.6, §5, §7.1, §12; more than 10 DNS-querying terms or 2 void lookups reached before a match: §4.6.4; more than 10 MX records: §4.6.4; an include or redirect target without SPF: §5.2, §6.1; a second redirect= or exp=: §6), temperror (a DNS failure: §4.4), fail, softfail or neutral (§2.6, §4.7). Fails when the unauthorised address gets pass (+all: §2.6.3). " +
      "Warns when other senders get neutral (?all or no all: §2.6.2, §4.7) or an error (the limits reached after SendGrid's match: §4.6.4), or when ptr or %{p} is evaluated (§5.5). Terms after the matching one are never evaluated (§4.6.2, §5.1); redirect= is ignored when the record has all (§6.1).",
    why: "Receivers check SPF on every message: when SendGrid's addresses do not get pass from the sending domain's record (no record, two records, too many lookups, a syntax error, no authorisation for SendGrid), booking confirmations fail authentication and land in spam or bounce; a record that passes everybody lets anyone send as the domain.",
    fix: "Publish exactly one TXT record on the sending domain such as `v=spf1 include:sendgrid.net ~all` (merge other senders' includes into it before the all; flatten includes if it needs more than 10 lookups), ending in ~all or -all. The domain is email.sendingDomain in bookflow.config.json, else the SENDGRID_FROM_EMAIL domain.",
  },
  messages: {
    noSendingDomain: "No sending domain: set SENDGRID_FROM_EMAIL (see env.required-present) or email.sendingDomain in bookflow.config.json",
    sendgridNotPass: "SPF for {{domain}}: {{result}} for SendGrid's {{ip}} via {{term}} ({{lookups}}/{{limit}} lookups, {{voids}}/{{voidLimit}} void){{reason}}: {{consequence}}",
    sendgridMixed: "SPF for {{domain}}: SendGrid's addresses get different results ({{results}}): some of SendGrid's mail is not authorised (RFC 7208 §2.6)",
    anyonePasses: "SPF for {{domain}}: pass for any sender via {{term}}: anyone may send as the domain (RFC 7208 §2.6.3)",
    weak: "SPF for {{domain}}: pass for SendGrid via {{term}} ({{lookups}}/{{limit}} lookups, {{voids}}/{{voidLimit}} void), but {{notes}}",
    valid: "SPF for {{domain}}: pass for SendGrid's {{count}} netblock(s) via {{term}} ({{lookups}}/{{limit}} lookups, {{voids}}/{{voidLimit}} void); other senders get {{stranger}}",
  },
  run({ spfRecord: e }) {
    if (e === null) return skip("noSendingDomain");
    const details = { domain: e.domain, records: e.records, sender: e.sender, sendgridSource: e.sendgridSource, sendgrid: e.sendgrid, stranger: e.stranger };
    const limits = { limit: SPF_LOOKUP_LIMIT, voidLimit: SPF_VOID_LOOKUP_LIMIT };
    const expected = "pass for SendGrid's addresses, fail or softfail for others";
    if (e.sendgridResult === "mixed") {
      const results = e.sendgrid.map((r) => `${r.ip} ${summary(r)}`).join("; ");
      return fail("sendgridMixed", { domain: e.domain, results }, { expected, actual: e.records, details });
    }
    const first = e.sendgrid[0]!;
    if (e.sendgridResult !== "pass") {
      return fail(
        "sendgridNotPass",
        { domain: e.domain, result: first.result, ip: first.ip, term: first.decidedBy, lookups: first.lookups, voids: first.voidLookups, ...limits, reason: reasonOf(first), consequence: CONSEQUENCE[e.sendgridResult] },
        { expected, actual: e.records, details },
      );
    }
    const s = e.stranger;
    if (s.result === "pass") return fail("anyonePasses", { domain: e.domain, term: s.decidedBy }, { expected, actual: e.records, details });
    const notes: string[] = [];
    if (s.result === "neutral") notes.push(`other senders get neutral via ${s.decidedBy}: forged mail is not refused (RFC 7208 §2.6.2)`);
    if (s.result === "permerror" || s.result === "temperror") notes.push(`other senders get ${s.result} via ${s.decidedBy}${reasonOf(s)}: the domain's other senders fail SPF`);
    if (e.sendgrid.some((r) => r.usedPtr) || s.usedPtr) notes.push("the ptr mechanism or %{p} macro is evaluated (RFC 7208 §5.5: SHOULD NOT be used)");
    const data = { domain: e.domain, term: first.decidedBy, lookups: first.lookups, voids: first.voidLookups, ...limits };
    if (notes.length) return warn("weak", { ...data, notes: notes.join("; ") }, { expected, actual: e.records, details });
    return pass("valid", { ...data, count: e.sendgrid.length, stranger: summary(s) }, { details });
  },
});
