import { expect } from "vitest";
import check from "../../../checks/dns/spf.js";
import { evaluateSpf } from "../../../src/providers/dns/email-auth.js";
import { checkTester } from "../../support/check-tester.js";
import { memoryDns, SENDGRID_SPF } from "./zone.js";

const D = "example.com";

/** The spfRecord fact for the domain's TXT records (plus any other names' TXT records). */
async function spf(records: string[], others: Record<string, string[]> = {}) {
  return { spfRecord: await evaluateSpf(D, memoryDns({ txt: { [D]: records, "sendgrid.net": [SENDGRID_SPF], ...others } })) };
}

/** n includes, each one lookup with an SPF record of its own. */
function includes(n: number): { record: string; others: Record<string, string[]> } {
  const names = Array.from({ length: n }, (_, i) => `_spf${i}.${D}`);
  return { record: `v=spf1 include:sendgrid.net ${names.map((x) => `include:${x}`).join(" ")} -all`, others: Object.fromEntries(names.map((x) => [x, ["v=spf1 ip4:198.51.100.1 ~all"]])) };
}

const nine = includes(9);
const ten = includes(10);
const nested = { record: "v=spf1 include:sendgrid.net include:_spf.example.com ~all", others: { "_spf.example.com": ["v=spf1 mx a include:_a.example.com include:_b.example.com ~all"], "_a.example.com": ["v=spf1 a mx exists:%{i}.x.example.com ~all"], "_b.example.com": ["v=spf1 a mx a:mail.example.com ~all"] } };

checkTester(check, {
  pass: [
    { name: "include:sendgrid.net ~all", facts: await spf(["v=spf1 include:sendgrid.net ~all", "google-site-verification=abc"]) },
    { name: "-all with other mechanisms", facts: await spf(["v=spf1 ip4:198.51.100.0/24 mx include:sendgrid.net -all"]) },
    { name: "exactly 10 lookups", facts: await spf([nine.record], nine.others) },
  ],
  fail: [
    { name: "no SPF record", facts: await spf(["google-site-verification=abc"]), expect: { status: "fail", messageId: "recordInvalid", data: { domain: "example.com", problems: expect.stringContaining("no SPF record on example.com") } } },
    { name: "two SPF records", facts: await spf(["v=spf1 include:sendgrid.net ~all", "v=spf1 include:_spf.google.com ~all"]), expect: { status: "fail", messageId: "recordInvalid", data: { domain: "example.com", problems: expect.stringContaining("2 SPF records on example.com (exactly one allowed)") } } },
    { name: "SendGrid not included", facts: await spf(["v=spf1 include:_spf.google.com ~all"], { "_spf.google.com": ["v=spf1 ip4:35.190.247.0/24 ~all"] }), expect: { status: "fail", messageId: "recordInvalid", data: { domain: "example.com", problems: expect.stringContaining("does not include sendgrid.net") } } },
    { name: "11 lookups", facts: await spf([ten.record], ten.others), expect: { status: "fail", messageId: "recordInvalid", data: { domain: "example.com", problems: expect.stringContaining("11 DNS lookups, limit 10") } } },
    { name: "over the limit only when counted through nested includes", facts: await spf([nested.record], nested.others), expect: { status: "fail", messageId: "recordInvalid", data: { domain: "example.com", problems: expect.stringMatching(/1[1-9] DNS lookups, limit 10/) } } },
    { name: "+all", facts: await spf(["v=spf1 include:sendgrid.net +all"]), expect: { status: "fail", messageId: "recordInvalid", data: { domain: "example.com", problems: expect.stringContaining("+all") } } },
    { name: "a bare all is +all", facts: await spf(["v=spf1 include:sendgrid.net all"]), expect: { status: "fail", messageId: "recordInvalid", data: { domain: "example.com", problems: expect.stringContaining("+all") } } },
    { name: "an include without SPF", facts: await spf(["v=spf1 include:sendgrid.net include:_gone.example.com ~all"]), expect: { status: "fail", messageId: "recordInvalid", data: { domain: "example.com", problems: expect.stringContaining("no single SPF record at _gone.example.com") } } },
    { name: "?all is a warning", facts: await spf(["v=spf1 include:sendgrid.net ?all"]), expect: { status: "warn", messageId: "recordWeak", data: { domain: "example.com", problems: expect.stringContaining("?all") } } },
    { name: "no all is a warning", facts: await spf(["v=spf1 include:sendgrid.net"]), expect: { status: "warn", messageId: "recordWeak", data: { domain: "example.com", problems: expect.stringContaining("no all mechanism") } } },
    { name: "ptr is a warning", facts: await spf(["v=spf1 ptr include:sendgrid.net ~all"]), expect: { status: "warn", messageId: "recordWeak", data: { domain: "example.com", problems: expect.stringContaining("ptr") } } },
    { name: "a failure outranks a warning", facts: await spf(["v=spf1 ptr ?all"]), expect: { status: "fail", messageId: "recordInvalid", data: { domain: "example.com", problems: expect.stringContaining("does not include sendgrid.net") } } },
    { name: "no sending domain", facts: { spfRecord: null }, expect: { status: "skip", messageId: "noSendingDomain" } },
  ],
});
