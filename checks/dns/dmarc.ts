import { defineCheck, fail, pass, skip, warn } from "../../src/engine/check.js";

export default defineCheck({
  id: "dns.dmarc",
  section: "dns",
  title: "A DMARC record with a policy on the sending domain (p=none is a warning)",
  severity: "error",
  needs: [],
  facts: ["dmarcRecord"],
  docs: {
    why: "Gmail and Yahoo require DMARC from bulk senders; without it (or with two records) confirmations are more likely to be rejected. p=none only monitors: spoofed mail in the domain's name is still delivered.",
    fix: "Publish one TXT record at _dmarc.<domain>: `v=DMARC1; p=quarantine; rua=mailto:dmarc@<domain>` (start with p=none while reading the reports, then move to quarantine or reject).",
  },
  messages: {
    noSendingDomain: "No sending domain: set SENDGRID_FROM_EMAIL (see env.required-present) or email.sendingDomain in bookflow.config.json",
    noRecord: "No DMARC record at {{name}}",
    multipleRecords: "More than one DMARC record at {{name}}: receivers ignore them all",
    invalidPolicy: "DMARC at {{name}} has no valid policy (p=none|quarantine|reject)",
    weakPolicy: "DMARC at {{name}}: {{notes}}",
    enforced: "{{name}}: p={{policy}}, reports to {{rua}}",
  },
  run({ dmarcRecord: d }) {
    if (d === null) return skip("noSendingDomain");
    const details = { name: d.name, record: d.record, policy: d.policy, subdomainPolicy: d.subdomainPolicy, pct: d.pct, rua: d.rua, problems: d.problems };
    if (d.problems.includes("none")) return fail("noRecord", { name: d.name }, { expected: "v=DMARC1; p=quarantine|reject", actual: null, details });
    if (d.problems.includes("multiple")) return fail("multipleRecords", { name: d.name }, { expected: "one v=DMARC1 record", details });
    if (d.problems.includes("invalid-policy")) return fail("invalidPolicy", { name: d.name }, { expected: "p=quarantine or p=reject", actual: d.record, details });
    const notes: string[] = [];
    if (d.problems.includes("policy-none")) notes.push("p=none only monitors: nothing is quarantined or rejected");
    if (d.problems.includes("partial-pct")) notes.push(`pct=${d.pct}: the policy applies to ${d.pct}% of failing mail only`);
    if (d.problems.includes("no-rua")) notes.push("no rua=: no aggregate reports");
    if (notes.length) return warn("weakPolicy", { name: d.name, notes: notes.join("; ") }, { expected: "p=quarantine or p=reject, pct=100, rua=", actual: d.record, details });
    return pass("enforced", { name: d.name, policy: String(d.policy), rua: d.rua.join(", ") }, { details });
  },
});
