import { defineCheck, fail, pass, skip, warn } from "../../src/engine/check.js";

export default defineCheck({
  id: "dns.dmarc",
  section: "dns",
  title: "DMARC (RFC 7489) gives the sending domain an enforced policy, found as receivers find it (p=none is a warning)",
  severity: "error",
  needs: [],
  retryable: true,
  facts: ["dmarcRecord"],
  docs: {
    decides:
      "Discovers the policy as receivers do (RFC 7489 §6.6.3): the TXT records at _dmarc.<sending domain> that start with exactly v=DMARC1 (no leading space, DMARC1 case-sensitive: §6.3, §6.4), else those at _dmarc.<Organizational Domain> (§3.2, from the Public Suffix List), where sp= (else p=) applies to the subdomain (§6.3). " +
      "Fails when neither has a record or one has several (no DMARC processing, §6.6.3 step 5), when the record is not a valid tag list (§6.3, §6.4), and when p= is not valid or sp= is present and not valid: receivers then act as p=none when rua= holds a valid URI and apply no DMARC otherwise (§6.6.3 step 6) — they do not fall back from a bad sp= to p=. " +
      "Warns when the policy for the sending domain is none (§6.3), pct is below 100 (§6.6.4), there is no rua= (§7.2), a rua=/ruf= entry is not a DMARC URI (§6.4), an external report destination lacks its <policy domain>._report._dmarc.<host> record (it gets no reports, §7.1), or adkim, aspf, fo, pct, rf or ri hold a value the grammar does not allow (§6.4).",
    why: "Gmail and Yahoo require DMARC from bulk senders; without it (or with two records, or an invalid policy) confirmations are more likely to be rejected. p=none only monitors: spoofed mail in the domain's name is still delivered.",
    fix: "Publish one TXT record at _dmarc.<domain> (or at the Organizational Domain, with sp= for subdomains): `v=DMARC1; p=quarantine; rua=mailto:dmarc@<domain>` (start with p=none while reading the reports, then move to quarantine or reject). A report address on another domain needs `v=DMARC1` published at `<domain>._report._dmarc.<that host>`.",
  },
  messages: {
    noSendingDomain: "No sending domain: set SENDGRID_FROM_EMAIL (see env.required-present) or email.sendingDomain in bookflow.config.json",
    noRecord: "No DMARC record at {{name}}{{orgName}}: receivers apply no DMARC to {{domain}} (RFC 7489 §6.6.3)",
    multipleRecords: "More than one DMARC record at {{name}}: receivers apply no DMARC (RFC 7489 §6.6.3 step 5)",
    syntax: "DMARC at {{name}} is not a valid tag list ({{error}}): receivers may ignore it (RFC 7489 §6.3, §6.4)",
    invalidPolicy: "DMARC at {{name}} has no valid {{tag}} (none|quarantine|reject): receivers {{consequence}} (RFC 7489 §6.6.3 step 6)",
    weakPolicy: "DMARC at {{name}}: {{notes}}",
    enforced: "{{name}}: p={{policy}} for {{domain}}{{via}}, pct={{pct}}, adkim={{adkim}}, aspf={{aspf}}, reports to {{rua}}",
  },
  run({ dmarcRecord: d }) {
    if (d === null) return skip("noSendingDomain");
    const details = {
      domain: d.domain,
      name: d.name,
      organizationalDomain: d.organizationalDomain,
      inherited: d.inherited,
      record: d.record,
      policy: d.policy,
      subdomainPolicy: d.subdomainPolicy,
      effectivePolicy: d.effectivePolicy,
      pct: d.pct,
      adkim: d.adkim,
      aspf: d.aspf,
      fo: d.fo,
      rua: d.rua,
      ruf: d.ruf,
      destinations: d.destinations,
      invalidTags: d.invalidTags,
      problems: d.problems,
    };
    const has = (p: (typeof d.problems)[number]) => d.problems.includes(p);
    if (has("none")) {
      const orgName = d.organizationalDomain !== d.domain ? ` nor at _dmarc.${d.organizationalDomain}` : "";
      return fail("noRecord", { name: d.name, orgName, domain: d.domain }, { expected: "v=DMARC1; p=quarantine|reject", actual: null, details });
    }
    if (has("multiple")) return fail("multipleRecords", { name: d.name }, { expected: "one v=DMARC1 record", details });
    if (has("syntax")) return fail("syntax", { name: d.name, error: d.syntaxError ?? "invalid" }, { expected: "a tag=value list", actual: d.record, details });
    if (has("invalid-policy") || has("invalid-subdomain-policy")) {
      const consequence = d.effectivePolicy === "none" ? "act as p=none (rua= holds a valid URI)" : "apply no DMARC (no valid rua=)";
      return fail("invalidPolicy", { name: d.name, tag: has("invalid-policy") ? "p=" : "sp=", consequence }, { expected: "p= and sp= (when present) none, quarantine or reject", actual: d.record, details });
    }
    const notes: string[] = [];
    const policyTag = d.inherited && d.subdomainPolicy ? "sp" : "p";
    if (has("policy-none")) notes.push(`${policyTag}=none only monitors: nothing is quarantined or rejected (RFC 7489 §6.3)`);
    if (has("partial-pct")) notes.push(`pct=${d.pct}: the policy applies to ${d.pct}% of failing mail only (RFC 7489 §6.6.4)`);
    if (has("no-rua")) notes.push("no rua=: no aggregate reports (RFC 7489 §7.2)");
    if (has("invalid-uri")) notes.push(`not DMARC URIs: ${d.invalidTags.filter((t) => /^ru[af]=/.test(t)).join(", ")} (RFC 7489 §6.4)`);
    for (const dest of d.destinations.filter((x) => x.external && !x.authorized)) {
      notes.push(`${dest.tag}=${dest.uri} gets no reports: no v=DMARC1 record at ${dest.authorizationName} (RFC 7489 §7.1)`);
    }
    if (has("invalid-tag")) notes.push(`values the grammar does not allow: ${d.invalidTags.filter((t) => !/^ru[af]=/.test(t)).join(", ")} (RFC 7489 §6.4)`);
    if (notes.length) return warn("weakPolicy", { name: d.name, notes: notes.join("; ") }, { expected: "p=quarantine or p=reject, pct=100, rua= with authorized destinations", actual: d.record, details });
    const via = d.inherited ? ` (inherited from ${d.organizationalDomain}${d.subdomainPolicy ? " via sp=" : ""})` : "";
    return pass("enforced", { name: d.name, policy: String(d.effectivePolicy), domain: d.domain, via, pct: d.pct ?? 100, adkim: d.adkim, aspf: d.aspf, rua: d.rua.join(", ") }, { details });
  },
});
