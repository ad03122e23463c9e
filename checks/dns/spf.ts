import { defineCheck, fail, pass, skip, warn } from "../../src/engine/check.js";
import { SPF_LOOKUP_LIMIT, type SpfEvaluation, type SpfProblem } from "../../src/providers/dns/email-auth.js";

/** Problems that make receivers reject or ignore SPF, or leave SendGrid's mail unauthorised. */
const FAILURES: readonly SpfProblem[] = ["none", "multiple", "too-many-lookups", "too-many-void-lookups", "include-without-spf", "no-sendgrid-include", "plus-all", "syntax"];

function describe(p: SpfProblem, e: SpfEvaluation): string {
  switch (p) {
    case "none":
      return `no SPF record on ${e.domain}`;
    case "multiple":
      return `${e.records.length} SPF records on ${e.domain} (exactly one allowed)`;
    case "too-many-lookups":
      return `${e.lookupCount} DNS lookups, limit ${SPF_LOOKUP_LIMIT}`;
    case "too-many-void-lookups":
      return `${e.voidLookups} lookups that find nothing (limit 2)`;
    case "include-without-spf":
      return `no single SPF record at ${e.unresolvedIncludes.join(", ")}`;
    case "no-sendgrid-include":
      return "does not include sendgrid.net";
    case "plus-all":
      return "ends in +all: anyone may send as the domain";
    case "syntax":
      return `unknown terms ${e.unknownTerms.join(" ")}`;
    case "neutral-all":
      return "ends in ?all: asserts nothing about other senders";
    case "no-all":
      return "has no all mechanism: other senders are neutral";
    case "uses-ptr":
      return "uses the deprecated ptr mechanism";
  }
}

export default defineCheck({
  id: "dns.spf",
  section: "dns",
  title: "One SPF record on the sending domain, including SendGrid, within 10 lookups, ending in ~all or -all",
  severity: "error",
  needs: [],
  facts: ["spfRecord"],
  docs: {
    why: "Receivers check SPF on every message: with no record, two records, more than 10 lookups or no include for SendGrid, booking confirmations fail authentication and land in spam or bounce; +all lets anyone send as the domain.",
    fix: "Publish exactly one TXT record on the sending domain such as `v=spf1 include:sendgrid.net ~all` (merge other senders' includes into it; flatten includes if it needs more than 10 lookups), ending in ~all or -all. The domain is email.sendingDomain in bookflow.config.json, else the SENDGRID_FROM_EMAIL domain.",
  },
  messages: {
    noSendingDomain: "No sending domain: set SENDGRID_FROM_EMAIL (see env.required-present) or email.sendingDomain in bookflow.config.json",
    recordInvalid: "SPF for {{domain}}: {{problems}}",
    recordWeak: "SPF for {{domain}}: {{problems}}",
    recordValid: "{{domain}}: {{record}} ({{lookups}}/{{limit}} lookups, {{all}})",
  },
  run({ spfRecord: e }) {
    if (e === null) return skip("noSendingDomain");
    const details = { domain: e.domain, records: e.records, lookups: e.lookupCount, voidLookups: e.voidLookups, all: e.allQualifier, includes: e.includes, problems: e.problems };
    const failures = e.problems.filter((p) => FAILURES.includes(p));
    if (failures.length) {
      return fail("recordInvalid", { domain: e.domain, problems: failures.map((p) => describe(p, e)).join("; ") }, {
        expected: `one v=spf1 record including sendgrid.net, ≤ ${SPF_LOOKUP_LIMIT} lookups, ending in ~all or -all`,
        actual: e.records,
        details,
      });
    }
    if (e.problems.length) return warn("recordWeak", { domain: e.domain, problems: e.problems.map((p) => describe(p, e)).join("; ") }, { expected: "ending in ~all or -all", actual: e.records, details });
    return pass("recordValid", { domain: e.domain, record: String(e.records[0]), lookups: e.lookupCount, limit: SPF_LOOKUP_LIMIT, all: String(e.allQualifier) }, { details });
  },
});
