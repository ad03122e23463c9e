import { expect } from "vitest";
import check from "../../../checks/dns/dmarc.js";
import { evaluateDmarc } from "../../../src/providers/dns/email-auth.js";
import { checkTester } from "../../support/check-tester.js";
import { memoryDns } from "./zone.js";

async function dmarc(records: string[]) {
  return { dmarcRecord: await evaluateDmarc("example.com", memoryDns({ txt: { "_dmarc.example.com": records } })) };
}

checkTester(check, {
  pass: [
    { name: "p=quarantine with reports", facts: await dmarc(["v=DMARC1; p=quarantine; rua=mailto:dmarc@example.com"]) },
    { name: "p=reject, pct=100", facts: await dmarc(["v=DMARC1; p=reject; pct=100; rua=mailto:a@example.com,mailto:b@example.net"]) },
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
    { name: "no sending domain", facts: { dmarcRecord: null }, expect: { status: "skip", messageId: "noSendingDomain" } },
  ],
});
