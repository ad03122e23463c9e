import { expect } from "vitest";
import check from "../../../checks/dns/dmarc.js";
import { evaluateDmarc } from "../../../src/providers/dns/email-auth.js";
import { checkTester } from "../../support/check-tester.js";
import { memoryDns } from "./zone.js";

async function dmarc(records: string[], others: Record<string, string[]> = {}, domain = "example.com") {
  return { dmarcRecord: await evaluateDmarc(domain, memoryDns({ txt: { "_dmarc.example.com": records, ...others } })) };
}

const AUTHORIZED = { "example.com._report._dmarc.example.net": ["v=DMARC1"] };

checkTester(check, {
  pass: [
    { name: "p=quarantine with reports", facts: await dmarc(["v=DMARC1; p=quarantine; rua=mailto:dmarc@example.com"]) },
    { name: "p=reject, pct=100, an external destination that authorizes the reports", facts: await dmarc(["v=DMARC1; p=reject; pct=100; rua=mailto:a@example.com,mailto:b@example.net"], AUTHORIZED) },
    { name: "a subdomain under the Organizational Domain's record, sp=reject", facts: await dmarc(["v=DMARC1; p=none; sp=reject; rua=mailto:d@example.com"], {}, "mail.example.com"), messageId: "enforced" },
  ],
  fail: [
    { name: "no record", facts: await dmarc([]), expect: { status: "fail", messageId: "noRecord", data: { name: "_dmarc.example.com" } } },
    { name: "a TXT that is not DMARC", facts: await dmarc(["v=spf1 -all"]), expect: { status: "fail", messageId: "noRecord" } },
    { name: "two records", facts: await dmarc(["v=DMARC1; p=reject", "v=DMARC1; p=none"]), expect: { status: "fail", messageId: "multipleRecords" } },
    { name: "no policy", facts: await dmarc(["v=DMARC1; rua=mailto:dmarc@example.com"]), expect: { status: "fail", messageId: "invalidPolicy" } },
    { name: "an unknown policy", facts: await dmarc(["v=DMARC1; p=block; rua=mailto:dmarc@example.com"]), expect: { status: "fail", messageId: "invalidPolicy" } },
    { name: "p=none is a warning", facts: await dmarc(["v=DMARC1; p=none; rua=mailto:dmarc@example.com"]), expect: { status: "warn", messageId: "weakPolicy", data: { notes: expect.stringContaining("p=none only monitors") } } },
    { name: "pct below 100 is a warning", facts: await dmarc(["v=DMARC1; p=reject; pct=25; rua=mailto:dmarc@example.com"]), expect: { status: "warn", messageId: "weakPolicy", data: { notes: expect.stringContaining("pct=25") } } },
    { name: "no reports is a warning", facts: await dmarc(["v=DMARC1; p=reject"]), expect: { status: "warn", messageId: "weakPolicy", data: { notes: expect.stringContaining("no rua=") } } },
    // Was a pass: RFC 7489 §7.1, a destination outside the domain that publishes no authorization gets no reports.
    { name: "an external destination without its authorization record", facts: await dmarc(["v=DMARC1; p=reject; rua=mailto:a@example.com,mailto:b@example.net"]), expect: { status: "warn", messageId: "weakPolicy", data: { notes: expect.stringContaining("no v=DMARC1 record at example.com._report._dmarc.example.net (RFC 7489 §7.1)") } } },
    { name: "an invalid sp= makes receivers act as p=none, not p=", facts: await dmarc(["v=DMARC1; p=reject; sp=block; rua=mailto:d@example.com"]), expect: { status: "fail", messageId: "invalidPolicy", data: { tag: "sp=", consequence: "act as p=none (rua= holds a valid URI)" } } },
    { name: "an invalid p= without rua=: no DMARC at all", facts: await dmarc(["v=DMARC1; p=block"]), expect: { status: "fail", messageId: "invalidPolicy", data: { tag: "p=", consequence: "apply no DMARC (no valid rua=)" } } },
    { name: "v=DMARC1 after a space is no record", facts: await dmarc([" v=DMARC1; p=reject; rua=mailto:d@example.com"]), expect: { status: "fail", messageId: "noRecord" } },
    { name: "v=dmarc1 is no record", facts: await dmarc(["v=dmarc1; p=reject; rua=mailto:d@example.com"]), expect: { status: "fail", messageId: "noRecord" } },
    { name: "a subdomain inherits sp=none", facts: await dmarc(["v=DMARC1; p=reject; sp=none; rua=mailto:d@example.com"], {}, "mail.example.com"), expect: { status: "warn", messageId: "weakPolicy", data: { notes: expect.stringContaining("sp=none only monitors") } } },
    { name: "a duplicate tag is not a valid record", facts: await dmarc(["v=DMARC1; p=reject; p=none"]), expect: { status: "fail", messageId: "syntax" } },
    { name: "no sending domain", facts: { dmarcRecord: null }, expect: { status: "skip", messageId: "noSendingDomain" } },
  ],
});
