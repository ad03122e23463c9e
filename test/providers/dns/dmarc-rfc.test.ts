import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { evaluateDmarc, type DmarcProblem } from "../../../src/providers/dns/dmarc.js";
import { createDnsClient, type DnsClient } from "../../../src/providers/dns/resolver.js";
import { startNsd, txt, type RunningNsd } from "../../support/nsd.js";

/**
 * DMARC policy discovery and records (RFC 7489), each case with the verdict
 * the RFC gives, served by NSD: one zone per registrable domain, so the
 * Organizational Domain (§3.2, Public Suffix List) is what receivers would
 * compute — example.co.uk's under the multi-label suffix co.uk.
 */

interface DmarcCase {
  id: string;
  /** The From domain (default `<zone>`). */
  from?: string;
  /** The zone (a registrable domain) and its lines. */
  zone: string;
  lines: string[];
  section: string;
  expect: { problems: DmarcProblem[]; effectivePolicy?: string | undefined; inherited?: boolean; name?: string; adkim?: string; aspf?: string; fo?: string[] };
}

const RUA = (zone: string) => `rua=mailto:agg@${zone}`;

const CASES: DmarcCase[] = [
  { id: "exact", zone: "d1.test", lines: [txt("_dmarc", `v=DMARC1; p=reject; ${RUA("d1.test")}`)], section: "§6.6.3 step 1", expect: { problems: [], effectivePolicy: "reject", inherited: false } },
  { id: "org-fallback", from: "mail.d2.test", zone: "d2.test", lines: [txt("_dmarc", `v=DMARC1; p=quarantine; ${RUA("d2.test")}`)], section: "§6.6.3 step 3 (the Organizational Domain's record)", expect: { problems: [], effectivePolicy: "quarantine", inherited: true, name: "_dmarc.d2.test" } },
  { id: "org-sp", from: "mail.d3.test", zone: "d3.test", lines: [txt("_dmarc", `v=DMARC1; p=none; sp=reject; ${RUA("d3.test")}`)], section: "§6.3 (sp= for subdomains)", expect: { problems: [], effectivePolicy: "reject", inherited: true } },
  { id: "org-sp-none", from: "mail.d4.test", zone: "d4.test", lines: [txt("_dmarc", `v=DMARC1; p=reject; sp=none; ${RUA("d4.test")}`)], section: "§6.3", expect: { problems: ["policy-none"], effectivePolicy: "none", inherited: true } },
  { id: "own-first", from: "mail.d5.test", zone: "d5.test", lines: [txt("_dmarc.mail", `v=DMARC1; p=none; ${RUA("d5.test")}`), txt("_dmarc", `v=DMARC1; p=reject; ${RUA("d5.test")}`)], section: "§6.6.3 steps 1-3 (the From domain's own record first)", expect: { problems: ["policy-none"], effectivePolicy: "none", inherited: false } },
  { id: "own-multiple", from: "mail.d6.test", zone: "d6.test", lines: [txt("_dmarc.mail", "v=DMARC1; p=none"), txt("_dmarc.mail", "v=DMARC1; p=reject"), txt("_dmarc", "v=DMARC1; p=reject")], section: "§6.6.3 step 5 (several records: no fallback, no DMARC)", expect: { problems: ["multiple"] } },
  { id: "own-discarded", from: "mail.d7.test", zone: "d7.test", lines: [txt("_dmarc.mail", "v=spf1 -all"), txt("_dmarc", `v=DMARC1; p=reject; ${RUA("d7.test")}`)], section: "§6.6.3 steps 2-3 (non-DMARC records are discarded)", expect: { problems: [], effectivePolicy: "reject", inherited: true } },
  { id: "leading-space", zone: "d8.test", lines: [txt("_dmarc", ` v=DMARC1; p=reject; ${RUA("d8.test")}`)], section: "§6.3, §6.4 (v=DMARC1 starts the record)", expect: { problems: ["none"] } },
  { id: "lowercase", zone: "d9.test", lines: [txt("_dmarc", `v=dmarc1; p=reject; ${RUA("d9.test")}`)], section: "§6.3 (DMARC1 must match precisely)", expect: { problems: ["none"] } },
  { id: "wsp-around-eq", zone: "d10.test", lines: [txt("_dmarc", `v = DMARC1; p=reject; ${RUA("d10.test")}`)], section: "§6.4 (dmarc-version allows *WSP around =)", expect: { problems: [], effectivePolicy: "reject" } },
  { id: "sp-invalid", from: "mail.d11.test", zone: "d11.test", lines: [txt("_dmarc", `v=DMARC1; p=reject; sp=block; ${RUA("d11.test")}`)], section: "§6.6.3 step 6 (an invalid sp= with a valid rua=: p=none)", expect: { problems: ["invalid-subdomain-policy"], effectivePolicy: "none" } },
  { id: "sp-invalid-own", zone: "d11b.test", lines: [txt("_dmarc", `v=DMARC1; p=reject; sp=block; ${RUA("d11b.test")}`)], section: "§6.6.3 step 6 (applies to the whole record, the domain's own mail too)", expect: { problems: ["invalid-subdomain-policy"], effectivePolicy: "none" } },
  { id: "p-invalid-no-rua", zone: "d12.test", lines: [txt("_dmarc", "v=DMARC1; p=block")], section: "§6.6.3 step 6 (no valid rua=: no DMARC)", expect: { problems: ["invalid-policy", "no-rua"], effectivePolicy: undefined } },
  { id: "p-missing", zone: "d12b.test", lines: [txt("_dmarc", `v=DMARC1; ${RUA("d12b.test")}`)], section: "§6.6.3 step 6", expect: { problems: ["invalid-policy"], effectivePolicy: "none" } },
  { id: "pct-50", zone: "d13.test", lines: [txt("_dmarc", `v=DMARC1; p=reject; pct=50; ${RUA("d13.test")}`)], section: "§6.3, §6.6.4", expect: { problems: ["partial-pct"], effectivePolicy: "reject" } },
  { id: "pct-150", zone: "d13b.test", lines: [txt("_dmarc", `v=DMARC1; p=reject; pct=150; ${RUA("d13b.test")}`)], section: "§6.3 (pct is 0-100)", expect: { problems: ["invalid-tag"], effectivePolicy: "reject" } },
  { id: "external-unauthorized", zone: "d14.test", lines: [txt("_dmarc", "v=DMARC1; p=reject; rua=mailto:agg@reports.test")], section: "§7.1 (no authorization record: no reports)", expect: { problems: ["unauthorized-destination"], effectivePolicy: "reject" } },
  { id: "external-authorized", zone: "d15.test", lines: [txt("_dmarc", "v=DMARC1; p=reject; rua=mailto:agg@reports.test")], section: "§7.1", expect: { problems: [], effectivePolicy: "reject" } },
  { id: "external-inherited", from: "mail.d16.test", zone: "d16.test", lines: [txt("_dmarc", "v=DMARC1; p=reject; rua=mailto:agg@reports.test")], section: "§7.1 (the policy domain names the authorization)", expect: { problems: [], inherited: true } },
  { id: "same-org-destination", zone: "d17.test", lines: [txt("_dmarc", "v=DMARC1; p=reject; rua=mailto:agg@reports.d17.test")], section: "§7.1 (same Organizational Domain: no authorization needed)", expect: { problems: [] } },
  { id: "psl-co-uk", from: "mail.example.co.uk", zone: "example.co.uk", lines: [txt("_dmarc", `v=DMARC1; p=reject; ${RUA("example.co.uk")}`)], section: "§3.2 (the Public Suffix List: co.uk is a suffix)", expect: { problems: [], inherited: true, name: "_dmarc.example.co.uk" } },
  { id: "strict-alignment", zone: "d18.test", lines: [txt("_dmarc", `v=DMARC1; p=reject; adkim=s; aspf=s; fo=1:d; ${RUA("d18.test")}`)], section: "§6.3 (adkim, aspf, fo)", expect: { problems: [], adkim: "s", aspf: "s", fo: ["1", "d"] } },
  { id: "fo-invalid", zone: "d19.test", lines: [txt("_dmarc", `v=DMARC1; p=reject; fo=2; adkim=x; ${RUA("d19.test")}`)], section: "§6.3, §6.4", expect: { problems: ["invalid-tag"], adkim: "r" } },
  { id: "ruf-invalid", zone: "d20.test", lines: [txt("_dmarc", `v=DMARC1; p=reject; ${RUA("d20.test")}; ruf=not-a-uri`)], section: "§6.4 (dmarc-uri)", expect: { problems: ["invalid-uri"] } },
  { id: "rua-size-limit", zone: "d21.test", lines: [txt("_dmarc", "v=DMARC1; p=reject; rua=mailto:agg@d21.test!10m")], section: "§6.4 (a size limit after !)", expect: { problems: [] } },
  { id: "duplicate-tag", zone: "d22.test", lines: [txt("_dmarc", `v=DMARC1; p=reject; p=none; ${RUA("d22.test")}`)], section: "§6.3 → RFC 6376 §3.2 (a duplicate tag invalidates the list)", expect: { problems: ["syntax"] } },
  { id: "no-record", from: "mail.d23.test", zone: "d23.test", lines: [txt("@", "v=spf1 -all")], section: "§6.6.3 step 5 (no record at either level)", expect: { problems: ["none"] } },
];

let nsd: RunningNsd;
let dns: DnsClient;

beforeAll(async () => {
  const zones: Record<string, string[]> = {};
  for (const c of CASES) zones[c.zone] = [...(zones[c.zone] ?? []), ...c.lines];
  zones["reports.test"] = [txt("d15.test._report._dmarc", "v=DMARC1"), txt("d16.test._report._dmarc", "v=DMARC1")];
  nsd = await startNsd(zones);
  dns = createDnsClient({ server: nsd.address, timeoutMs: 500, tries: 1 });
});

afterAll(async () => {
  await nsd?.stop();
});

describe("RFC 7489 DMARC verdicts, served by NSD", () => {
  for (const c of CASES) {
    it(`${c.id}: ${c.expect.problems.join(", ") || "no problem"} (RFC 7489 ${c.section})`, async () => {
      const d = await evaluateDmarc(c.from ?? c.zone, dns);
      expect(d.problems, JSON.stringify(d)).toEqual(c.expect.problems);
      if ("effectivePolicy" in c.expect) expect(d.effectivePolicy).toBe(c.expect.effectivePolicy);
      if (c.expect.inherited !== undefined) expect(d.inherited).toBe(c.expect.inherited);
      if (c.expect.name) expect(d.name).toBe(c.expect.name);
      if (c.expect.adkim) expect(d.adkim).toBe(c.expect.adkim);
      if (c.expect.aspf) expect(d.aspf).toBe(c.expect.aspf);
      if (c.expect.fo) expect(d.fo).toEqual(c.expect.fo);
    });
  }
});
