import { expect } from "vitest";
import check from "../../../checks/dns/dkim.js";
import { evaluateDkim } from "../../../src/providers/dns/email-auth.js";
import { checkTester } from "../../support/check-tester.js";
import { memoryDns, pkcs1Key, rsaKey } from "./zone.js";

const D = "example.com";
const [K1, K2, WEAK, K1024] = [rsaKey(), rsaKey(), rsaKey(512), rsaKey(1024)];
const SG = "u123.wl001.sendgrid.net";

async function dkim(records: { txt?: Record<string, string[]>; cname?: Record<string, string> }, selectors = ["s1", "s2"]) {
  return { dkimRecords: await evaluateDkim(D, selectors, memoryDns(records)) };
}

/** SendGrid's automated security: CNAMEs into sendgrid.net, keys there. */
const automated = (change: { s1?: string[]; s2?: string[] } = {}) =>
  dkim({
    cname: { [`s1._domainkey.${D}`]: `s1.domainkey.${SG}`, [`s2._domainkey.${D}`]: `s2.domainkey.${SG}` },
    txt: { [`s1.domainkey.${SG}`]: change.s1 ?? [`v=DKIM1; k=rsa; p=${K1}`], [`s2.domainkey.${SG}`]: change.s2 ?? [`v=DKIM1; k=rsa; p=${K2}`] },
  });

checkTester(check, {
  pass: [
    { name: "CNAMEs to SendGrid's keys", facts: await automated() },
    { name: "TXT keys without automated security", facts: await dkim({ txt: { [`s1._domainkey.${D}`]: [`v=DKIM1; k=rsa; p=${K1}`], [`s2._domainkey.${D}`]: [`k=rsa; p=${K2}`] } }) },
    { name: "a bare PKCS#1 RSAPublicKey (the form RFC 6376 §3.6.1 names)", facts: await automated({ s1: [`v=DKIM1; k=rsa; p=${pkcs1Key()}`] }) },
    { name: "a configured selector", facts: await dkim({ txt: { [`mail._domainkey.${D}`]: [`v=DKIM1; p=${K1}`] } }, ["mail"]) },
  ],
  fail: [
    { name: "no records", facts: await dkim({}), expect: { status: "fail", messageId: "invalidKeys", data: { problems: "s1._domainkey.example.com: no CNAME or TXT record, RFC 6376 §6.1.2; s2._domainkey.example.com: no CNAME or TXT record, RFC 6376 §6.1.2" } } },
    { name: "s2 missing", facts: await dkim({ txt: { [`s1._domainkey.${D}`]: [`v=DKIM1; k=rsa; p=${K1}`] } }), expect: { status: "fail", messageId: "invalidKey", data: { name: "s2._domainkey.example.com", problem: "no CNAME or TXT record, RFC 6376 §6.1.2" } } },
    { name: "a CNAME to nothing", facts: await automated({ s1: [] }), expect: { status: "fail", messageId: "invalidKey", data: { name: "s1._domainkey.example.com", problem: "its CNAME target has no TXT record, RFC 6376 §6.1.2" } } },
    { name: "a revoked key", facts: await automated({ s2: ["v=DKIM1; k=rsa; p="] }), expect: { status: "fail", messageId: "invalidKey", data: { problem: expect.stringContaining("revoked") } } },
    { name: "a key that is not base64", facts: await automated({ s1: ["v=DKIM1; k=rsa; p=not*a*key"] }), expect: { status: "fail", messageId: "invalidKey", data: { problem: expect.stringContaining("not a valid public key") } } },
    { name: "a truncated key", facts: await automated({ s1: [`v=DKIM1; k=rsa; p=${K1.slice(0, 60)}`] }), expect: { status: "fail", messageId: "invalidKey", data: { problem: expect.stringContaining("not a valid public key") } } },
    { name: "a 512-bit key", facts: await automated({ s2: [`v=DKIM1; k=rsa; p=${WEAK}`] }), expect: { status: "fail", messageId: "invalidKey", data: { problem: expect.stringContaining("shorter than 1024 bits") } } },
    { name: "a key limited to TLS reports (s=tlsrpt)", facts: await automated({ s1: [`v=DKIM1; s=tlsrpt; p=${K1}`] }), expect: { status: "fail", messageId: "invalidKey", data: { problem: expect.stringContaining("s= does not list email or *") } } },
    { name: "a sha1-only key (h=sha1)", facts: await automated({ s1: [`v=DKIM1; h=sha1; p=${K1}`] }), expect: { status: "fail", messageId: "invalidKey", data: { problem: expect.stringContaining("RFC 8301 §3.1") } } },
    { name: "t=y is a warning", facts: await automated({ s2: [`v=DKIM1; t=y; p=${K2}`] }), expect: { status: "warn", messageId: "weakKeys", data: { notes: expect.stringContaining("t=y") } } },
    { name: "a 1024-bit key is a warning", facts: await automated({ s2: [`v=DKIM1; p=${K1024}`] }), expect: { status: "warn", messageId: "weakKeys", data: { notes: expect.stringContaining("under 2048 bits") } } },
    { name: "a TXT that is not DKIM", facts: await automated({ s1: ["hello"] }), expect: { status: "fail", messageId: "invalidKey", data: { problem: expect.stringContaining("none a DKIM key") } } },
    { name: "no sending domain", facts: { dkimRecords: null }, expect: { status: "skip", messageId: "noSendingDomain" } },
  ],
});
