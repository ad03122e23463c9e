import { expect } from "vitest";
import check from "../../../checks/dns/spf.js";
import { evaluateSpf } from "../../../src/providers/dns/email-auth.js";
import { checkTester } from "../../support/check-tester.js";
import { memoryDns, SENDGRID_SPF } from "./zone.js";

const D = "example.com";

/** The spfRecord fact for the domain's TXT records (plus any other names' TXT records). */
async function spf(records: string[], others: Record<string, string[]> = {}) {
  return { spfRecord: await evaluateSpf(D, memoryDns({ txt: { [D]: records, "sendgrid.net": [SENDGRID_SPF], ...others }, a: { [D]: ["198.51.100.7"] }, mx: { [D]: [{ exchange: `mx.${D}`, priority: 10 }] } })) };
}

/** n includes, each one lookup with an SPF record of its own; SendGrid's include first or last. */
function includes(n: number, sendgrid: "first" | "last" = "first"): { record: string; others: Record<string, string[]> } {
  const names = Array.from({ length: n }, (_, i) => `_spf${i}.${D}`);
  const list = names.map((x) => `include:${x}`).join(" ");
  const record = sendgrid === "first" ? `v=spf1 include:sendgrid.net ${list} -all` : `v=spf1 ${list} include:sendgrid.net -all`;
  return { record, others: Object.fromEntries(names.map((x) => [x, ["v=spf1 ip4:198.51.100.1 ~all"]])) };
}

const nine = includes(9);
const ten = includes(10);
const tenFirst = includes(10, "last");

checkTester(check, {
  pass: [
    { name: "include:sendgrid.net ~all", facts: await spf(["v=spf1 include:sendgrid.net ~all", "google-site-verification=abc"]) },
    { name: "-all with other mechanisms", facts: await spf(["v=spf1 ip4:198.51.100.0/24 mx include:sendgrid.net -all"]) },
    { name: "exactly 10 lookups", facts: await spf([nine.record], nine.others) },
  ],
  fail: [
    { name: "no SPF record", facts: await spf(["google-site-verification=abc"]), expect: { status: "fail", messageId: "sendgridNotPass", data: { domain: "example.com", result: "none", reason: expect.stringContaining("RFC 7208 §4.5") } } },
    { name: "two SPF records", facts: await spf(["v=spf1 include:sendgrid.net ~all", "v=spf1 include:_spf.google.com ~all"]), expect: { status: "fail", messageId: "sendgridNotPass", data: { result: "permerror", reason: expect.stringContaining("2 SPF records at example.com (exactly one allowed)") } } },
    { name: "SendGrid not included", facts: await spf(["v=spf1 include:_spf.google.com ~all"], { "_spf.google.com": ["v=spf1 ip4:35.190.247.0/24 ~all"] }), expect: { status: "fail", messageId: "sendgridNotPass", data: { result: "softfail", term: "~all" } } },
    // Was a failure: RFC 7208 §4.6.2/§4.6.4 stop at the first match, so SendGrid's mail (matched by the first include) passes; only other senders reach the limit.
    { name: "11 lookups after SendGrid's include: other senders get permerror", facts: await spf([ten.record], ten.others), expect: { status: "warn", messageId: "weak", data: { notes: expect.stringContaining("other senders get permerror via include:_spf9.example.com — more than 10 DNS-querying terms, RFC 7208 §4.6.4") } } },
    { name: "11 lookups before SendGrid's include", facts: await spf([tenFirst.record], tenFirst.others), expect: { status: "fail", messageId: "sendgridNotPass", data: { result: "permerror", term: "include:sendgrid.net", lookups: 11, reason: expect.stringContaining("§4.6.4") } } },
    { name: "+all", facts: await spf(["v=spf1 include:sendgrid.net +all"]), expect: { status: "fail", messageId: "anyonePasses", data: { domain: "example.com", term: "+all" } } },
    { name: "a bare all is +all", facts: await spf(["v=spf1 include:sendgrid.net all"]), expect: { status: "fail", messageId: "anyonePasses", data: { term: "all" } } },
    { name: "an include without SPF before SendGrid's", facts: await spf(["v=spf1 include:_gone.example.com include:sendgrid.net ~all"]), expect: { status: "fail", messageId: "sendgridNotPass", data: { result: "permerror", term: "include:_gone.example.com", reason: expect.stringContaining("RFC 7208 §5.2") } } },
    // Was a failure: the include after SendGrid's is only reached for other senders.
    { name: "an include without SPF after SendGrid's", facts: await spf(["v=spf1 include:sendgrid.net include:_gone.example.com ~all"]), expect: { status: "warn", messageId: "weak", data: { notes: expect.stringContaining("other senders get permerror via include:_gone.example.com") } } },
    { name: "?all is a warning", facts: await spf(["v=spf1 include:sendgrid.net ?all"]), expect: { status: "warn", messageId: "weak", data: { notes: expect.stringContaining("neutral via ?all") } } },
    { name: "no all is a warning", facts: await spf(["v=spf1 include:sendgrid.net"]), expect: { status: "warn", messageId: "weak", data: { notes: expect.stringContaining("neutral via (default)") } } },
    { name: "ptr is a warning", facts: await spf(["v=spf1 ptr include:sendgrid.net ~all"]), expect: { status: "warn", messageId: "weak", data: { notes: expect.stringContaining("ptr") } } },
    { name: "a failure outranks a warning", facts: await spf(["v=spf1 ptr ?all"]), expect: { status: "fail", messageId: "sendgridNotPass", data: { result: "neutral", term: "?all" } } },
    { name: "-all before SendGrid's include", facts: await spf(["v=spf1 -all include:sendgrid.net"]), expect: { status: "fail", messageId: "sendgridNotPass", data: { result: "fail", term: "-all", lookups: 0 } } },
    { name: "a syntax error after all", facts: await spf(["v=spf1 include:sendgrid.net -all ip4:10.0.0.0/33"]), expect: { status: "fail", messageId: "sendgridNotPass", data: { result: "permerror", term: "ip4:10.0.0.0/33" } } },
    { name: "no sending domain", facts: { spfRecord: null }, expect: { status: "skip", messageId: "noSendingDomain" } },
  ],
});
