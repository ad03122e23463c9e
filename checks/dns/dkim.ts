import { defineCheck, fail, pass, skip, warn } from "../../src/engine/check.js";
import { DKIM_RFC, type DkimProblem, type DkimSelectorResult, type DkimWarning } from "../../src/providers/dns/email-auth.js";

const PROBLEM: Record<DkimProblem, string> = {
  missing: "no CNAME or TXT record",
  "cname-target-missing": "its CNAME target has no TXT record",
  "not-dkim": "TXT records, none a DKIM key (v=DKIM1 first, or no v= and a p=)",
  multiple: "more than one DKIM key record: a verifier may use either",
  syntax: "not a valid tag=value list",
  revoked: "the key is revoked (empty p=)",
  "invalid-key": "p= is not a valid public key",
  "weak-key": "RSA key shorter than 1024 bits",
  "unknown-key-type": "k= is neither rsa nor ed25519",
  "not-for-email": "s= does not list email or *: the key is not for email",
  "no-sha256": "h= does not list sha256: SendGrid's rsa-sha256 signatures cannot verify",
};

const WARNING: Record<DkimWarning, string> = {
  testing: "t=y: the domain is testing DKIM, verifiers treat its mail as unsigned",
  "short-key": "an RSA key under 2048 bits (signers SHOULD use 2048)",
};

function problemOf(r: DkimSelectorResult): string {
  if (!r.problem) return "invalid";
  return `${PROBLEM[r.problem]}${r.reason ? ` (${r.reason})` : ""}, ${DKIM_RFC[r.problem]}`;
}

export default defineCheck({
  id: "dns.dkim",
  section: "dns",
  title: "DKIM keys for SendGrid's selectors (s1, s2) are usable for its rsa-sha256 signatures (RFC 6376 §3.6.1)",
  severity: "error",
  needs: [],
  retryable: true,
  facts: ["dkimRecords"],
  docs: {
    decides:
      "Reads the TXT record at <selector>._domainkey.<domain> for each selector (following SendGrid's CNAMEs) as a verifier does. A key record starts with v=DKIM1 or has no v= (other versions are discarded, RFC 6376 §3.6.1). " +
      "Fails when a selector has no record (RFC 6376 §6.1.2), none that is a key, or two keys (a verifier may use either, §6.1.2); when the tag list is invalid (a malformed or duplicate tag, v= not first: §3.2, §3.6.1); when p= is empty (revoked, §3.6.1, §6.1.2), missing or not a key of its k= type — rsa accepts both the RSAPublicKey §3.6.1 names (PKCS#1) and SubjectPublicKeyInfo, ed25519 the raw 32-byte key (RFC 8463 §4.2); when k= is unknown (§3.6.1); when s= lists neither email nor * (§3.6.1); when h= lacks sha256 (§6.1.2; sha1 alone: RFC 8301 §3.1); when an RSA key is under 1024 bits (RFC 8301 §3.2). " +
      "Warns on t=y (testing: §3.6.1) and RSA keys under 2048 bits (RFC 8301 §3.2).",
    why: "SendGrid signs mail with the keys published at s1._domainkey and s2._domainkey of the sending domain; without usable keys DKIM fails, DMARC fails with it, and confirmations are rejected or land in spam.",
    fix: "In SendGrid (Settings → Sender Authentication) authenticate the domain and publish the CNAMEs it shows (s1._domainkey, s2._domainkey → …sendgrid.net), or TXT records `v=DKIM1; k=rsa; p=<key>` without automated security (no s= or s=email, no h= or one listing sha256). Other selectors: email.dkimSelectors in bookflow.config.json.",
  },
  messages: {
    noSendingDomain: "No sending domain: set SENDGRID_FROM_EMAIL (see env.required-present) or email.sendingDomain in bookflow.config.json",
    invalidKey: "{{name}}: {{problem}}",
    invalidKeys: "{{problems}}",
    weakKeys: "{{notes}}",
    validKeys: "{{keys}}",
  },
  run({ dkimRecords }) {
    if (dkimRecords === null) return skip("noSendingDomain");
    const details = dkimRecords.map((r) => ({ selector: r.selector, name: r.name, cname: r.cname, valid: r.valid, keyType: r.keyType, keyFormat: r.keyFormat, keyBits: r.keyBits, problem: r.problem, reason: r.reason, warnings: r.warnings }));
    const bad = dkimRecords.filter((r) => !r.valid);
    if (bad.length) {
      const extra = { expected: dkimRecords.map((r) => `${r.name}: a usable DKIM key`), actual: bad.map((r) => ({ name: r.name, problem: r.problem })), details };
      if (bad.length === 1) return fail("invalidKey", { name: bad[0]!.name, problem: problemOf(bad[0]!) }, extra);
      return fail("invalidKeys", { problems: bad.map((r) => `${r.name}: ${problemOf(r)}`).join("; ") }, extra);
    }
    const warned = dkimRecords.filter((r) => r.warnings.length);
    if (warned.length) {
      const notes = warned.map((r) => `${r.name}: ${r.warnings.map((w) => `${WARNING[w]}, ${DKIM_RFC[w]}`).join("; ")}`).join("; ");
      return warn("weakKeys", { notes }, { details });
    }
    const keys = dkimRecords.map((r) => `${r.selector}: ${r.keyType ?? "rsa"}${r.keyBits ? `-${r.keyBits}` : ""}${r.keyFormat === "pkcs1" ? " (PKCS#1)" : ""}${r.cname ? ` via ${r.cname}` : ""}`).join(", ");
    return pass("validKeys", { keys }, { details });
  },
});
