import { defineCheck, fail, pass, skip } from "../../src/engine/check.js";
import type { DkimProblem } from "../../src/providers/dns/email-auth.js";

const PROBLEM: Record<DkimProblem, string> = {
  missing: "no CNAME or TXT record",
  "cname-target-missing": "its CNAME target has no TXT record",
  "not-dkim": "TXT records, none a DKIM key",
  multiple: "more than one DKIM key record",
  revoked: "the key is revoked (empty p=)",
  "invalid-key": "p= is not a valid public key",
  "weak-key": "RSA key shorter than 1024 bits",
  "unknown-key-type": "k= is neither rsa nor ed25519",
};

export default defineCheck({
  id: "dns.dkim",
  section: "dns",
  title: "DKIM keys for SendGrid's selectors (s1, s2) resolve to valid public keys",
  severity: "error",
  needs: [],
  facts: ["dkimRecords"],
  docs: {
    why: "SendGrid signs mail with the keys published at s1._domainkey and s2._domainkey of the sending domain; without valid keys DKIM fails, DMARC fails with it, and confirmations are rejected or land in spam.",
    fix: "In SendGrid (Settings → Sender Authentication) authenticate the domain and publish the CNAMEs it shows (s1._domainkey, s2._domainkey → …sendgrid.net), or TXT records `v=DKIM1; k=rsa; p=<key>` without automated security. Other selectors: email.dkimSelectors in bookflow.config.json.",
  },
  messages: {
    noSendingDomain: "No sending domain: set SENDGRID_FROM_EMAIL (see env.required-present) or email.sendingDomain in bookflow.config.json",
    invalidKey: "{{name}}: {{problem}}",
    invalidKeys: "{{problems}}",
    validKeys: "{{keys}}",
  },
  run({ dkimRecords }) {
    if (dkimRecords === null) return skip("noSendingDomain");
    const details = dkimRecords.map((r) => ({ selector: r.selector, name: r.name, cname: r.cname, valid: r.valid, keyType: r.keyType, keyBits: r.keyBits, problem: r.problem }));
    const bad = dkimRecords.filter((r) => !r.valid);
    if (bad.length) {
      const extra = { expected: dkimRecords.map((r) => `${r.name}: a valid DKIM key`), actual: bad.map((r) => ({ name: r.name, problem: r.problem })), details };
      const problem = (r: (typeof bad)[number]) => (r.problem ? PROBLEM[r.problem] : "invalid");
      if (bad.length === 1) return fail("invalidKey", { name: bad[0]!.name, problem: problem(bad[0]!) }, extra);
      return fail("invalidKeys", { problems: bad.map((r) => `${r.name}: ${problem(r)}`).join("; ") }, extra);
    }
    const keys = dkimRecords.map((r) => `${r.selector}: ${r.keyType ?? "rsa"}${r.keyBits ? `-${r.keyBits}` : ""}${r.cname ? ` via ${r.cname}` : ""}`).join(", ");
    return pass("validKeys", { keys }, { details });
  },
});
