import type { DmarcProblem } from "../../../src/providers/dns/dmarc.js";
import { txt } from "../../support/nsd.js";

/**
 * The DMARC zone cases (RFC 7489), each with the verdict the RFC gives: dmarc-rfc.test.ts holds bookflow to them,
 * dmarc-mailauth.test.ts compares an independent implementation on the same NSD-served zones.
 */

export interface DmarcCase {
  id: string;
  /** The From domain (default `<zone>`). */
  from?: string;
  /** The zone (a registrable domain) and its lines. */
  zone: string;
  lines: string[];
  section: string;
  expect: { problems: DmarcProblem[]; effectivePolicy?: string | undefined; inherited?: boolean; name?: string; adkim?: string; aspf?: string; fo?: string[] };
  /** Where the npm mailauth package (4.13.3) departs from the RFC's verdict on this case, what it says and why. */
  mailauth?: { verdict: string; why: string };
}

export const RUA = (zone: string) => `rua=mailto:agg@${zone}`;

export const CASES: DmarcCase[] = [
  { id: "exact", zone: "d1.test", lines: [txt("_dmarc", `v=DMARC1; p=reject; ${RUA("d1.test")}`)], section: "§6.6.3 step 1", expect: { problems: [], effectivePolicy: "reject", inherited: false } },
  { id: "org-fallback", from: "mail.d2.test", zone: "d2.test", lines: [txt("_dmarc", `v=DMARC1; p=quarantine; ${RUA("d2.test")}`)], section: "§6.6.3 step 3 (the Organizational Domain's record)", expect: { problems: [], effectivePolicy: "quarantine", inherited: true, name: "_dmarc.d2.test" } },
  { id: "org-sp", from: "mail.d3.test", zone: "d3.test", lines: [txt("_dmarc", `v=DMARC1; p=none; sp=reject; ${RUA("d3.test")}`)], section: "§6.3 (sp= for subdomains)", expect: { problems: [], effectivePolicy: "reject", inherited: true } },
  { id: "org-sp-none", from: "mail.d4.test", zone: "d4.test", lines: [txt("_dmarc", `v=DMARC1; p=reject; sp=none; ${RUA("d4.test")}`)], section: "§6.3", expect: { problems: ["policy-none"], effectivePolicy: "none", inherited: true } },
  { id: "own-first", from: "mail.d5.test", zone: "d5.test", lines: [txt("_dmarc.mail", `v=DMARC1; p=none; ${RUA("d5.test")}`), txt("_dmarc", `v=DMARC1; p=reject; ${RUA("d5.test")}`)], section: "§6.6.3 steps 1-3 (the From domain's own record first)", expect: { problems: ["policy-none"], effectivePolicy: "none", inherited: false } },
  { id: "own-multiple", from: "mail.d6.test", zone: "d6.test", lines: [txt("_dmarc.mail", "v=DMARC1; p=none"), txt("_dmarc.mail", "v=DMARC1; p=reject"), txt("_dmarc", "v=DMARC1; p=reject")], section: "§6.6.3 step 5 (several records: no fallback, no DMARC)", expect: { problems: ["multiple"] }, mailauth: { verdict: "reject", why: "falls back to the Organizational Domain when the From domain has several records; §6.6.3 step 5 ends discovery there" } },
  { id: "own-discarded", from: "mail.d7.test", zone: "d7.test", lines: [txt("_dmarc.mail", "v=spf1 -all"), txt("_dmarc", `v=DMARC1; p=reject; ${RUA("d7.test")}`)], section: "§6.6.3 steps 2-3 (non-DMARC records are discarded)", expect: { problems: [], effectivePolicy: "reject", inherited: true } },
  { id: "leading-space", zone: "d8.test", lines: [txt("_dmarc", ` v=DMARC1; p=reject; ${RUA("d8.test")}`)], section: "§6.3, §6.4 (v=DMARC1 starts the record)", expect: { problems: ["none"] }, mailauth: { verdict: "reject", why: "trims the record before matching v=DMARC1; §6.3 and §6.4: the record starts with v=DMARC1" } },
  { id: "lowercase", zone: "d9.test", lines: [txt("_dmarc", `v=dmarc1; p=reject; ${RUA("d9.test")}`)], section: "§6.3 (DMARC1 must match precisely)", expect: { problems: ["none"] }, mailauth: { verdict: "reject", why: "matches v=DMARC1 case-insensitively; §6.3: DMARC1 must match precisely" } },
  { id: "wsp-around-eq", zone: "d10.test", lines: [txt("_dmarc", `v = DMARC1; p=reject; ${RUA("d10.test")}`)], section: "§6.4 (dmarc-version allows *WSP around =)", expect: { problems: [], effectivePolicy: "reject" }, mailauth: { verdict: "no-dmarc", why: "wants v=DMARC1 with no space around =; §6.4's dmarc-version allows *WSP there" } },
  { id: "sp-invalid", from: "mail.d11.test", zone: "d11.test", lines: [txt("_dmarc", `v=DMARC1; p=reject; sp=block; ${RUA("d11.test")}`)], section: "§6.6.3 step 6 (an invalid sp= with a valid rua=: p=none)", expect: { problems: ["invalid-subdomain-policy"], effectivePolicy: "none" }, mailauth: { verdict: "block", why: "passes an invalid sp= through as the policy; §6.6.3 step 6: with a valid rua=, an invalid policy is p=none" } },
  { id: "sp-invalid-own", zone: "d11b.test", lines: [txt("_dmarc", `v=DMARC1; p=reject; sp=block; ${RUA("d11b.test")}`)], section: "§6.6.3 step 6 (applies to the whole record, the domain's own mail too)", expect: { problems: ["invalid-subdomain-policy"], effectivePolicy: "none" }, mailauth: { verdict: "reject", why: "applies p= to the domain's own mail although the record's invalid sp= makes its policy none (§6.6.3 step 6)" } },
  { id: "p-invalid-no-rua", zone: "d12.test", lines: [txt("_dmarc", "v=DMARC1; p=block")], section: "§6.6.3 step 6 (no valid rua=: no DMARC)", expect: { problems: ["invalid-policy", "no-rua"], effectivePolicy: undefined }, mailauth: { verdict: "block", why: "passes an invalid p= through; §6.6.3 step 6: without a valid rua=, DMARC is not applied" } },
  { id: "p-missing", zone: "d12b.test", lines: [txt("_dmarc", `v=DMARC1; ${RUA("d12b.test")}`)], section: "§6.6.3 step 6", expect: { problems: ["invalid-policy"], effectivePolicy: "none" }, mailauth: { verdict: "no-dmarc", why: "gives no policy when p= is missing; §6.6.3 step 6: with a valid rua=, receivers act as p=none" } },
  { id: "pct-50", zone: "d13.test", lines: [txt("_dmarc", `v=DMARC1; p=reject; pct=50; ${RUA("d13.test")}`)], section: "§6.3, §6.6.4", expect: { problems: ["partial-pct"], effectivePolicy: "reject" } },
  { id: "pct-150", zone: "d13b.test", lines: [txt("_dmarc", `v=DMARC1; p=reject; pct=150; ${RUA("d13b.test")}`)], section: "§6.3 (pct is 0-100)", expect: { problems: ["invalid-tag"], effectivePolicy: "reject" } },
  { id: "external-unauthorized", zone: "d14.test", lines: [txt("_dmarc", "v=DMARC1; p=reject; rua=mailto:agg@reports.test")], section: "§7.1 (no authorization record: no reports)", expect: { problems: ["unauthorized-destination"], effectivePolicy: "reject" } },
  { id: "external-authorized", zone: "d15.test", lines: [txt("_dmarc", "v=DMARC1; p=reject; rua=mailto:agg@reports.test")], section: "§7.1", expect: { problems: [], effectivePolicy: "reject" } },
  { id: "external-inherited", from: "mail.d16.test", zone: "d16.test", lines: [txt("_dmarc", "v=DMARC1; p=reject; rua=mailto:agg@reports.test")], section: "§7.1 (the policy domain names the authorization)", expect: { problems: [], effectivePolicy: "reject", inherited: true } },
  { id: "same-org-destination", zone: "d17.test", lines: [txt("_dmarc", "v=DMARC1; p=reject; rua=mailto:agg@reports.d17.test")], section: "§7.1 (same Organizational Domain: no authorization needed)", expect: { problems: [], effectivePolicy: "reject" } },
  { id: "psl-co-uk", from: "mail.example.co.uk", zone: "example.co.uk", lines: [txt("_dmarc", `v=DMARC1; p=reject; ${RUA("example.co.uk")}`)], section: "§3.2 (the Public Suffix List: co.uk is a suffix)", expect: { problems: [], effectivePolicy: "reject", inherited: true, name: "_dmarc.example.co.uk" } },
  { id: "strict-alignment", zone: "d18.test", lines: [txt("_dmarc", `v=DMARC1; p=reject; adkim=s; aspf=s; fo=1:d; ${RUA("d18.test")}`)], section: "§6.3 (adkim, aspf, fo)", expect: { problems: [], effectivePolicy: "reject", adkim: "s", aspf: "s", fo: ["1", "d"] } },
  { id: "fo-invalid", zone: "d19.test", lines: [txt("_dmarc", `v=DMARC1; p=reject; fo=2; adkim=x; ${RUA("d19.test")}`)], section: "§6.3, §6.4", expect: { problems: ["invalid-tag"], effectivePolicy: "reject", adkim: "r" } },
  { id: "ruf-invalid", zone: "d20.test", lines: [txt("_dmarc", `v=DMARC1; p=reject; ${RUA("d20.test")}; ruf=not-a-uri`)], section: "§6.4 (dmarc-uri)", expect: { problems: ["invalid-uri"], effectivePolicy: "reject" } },
  { id: "rua-size-limit", zone: "d21.test", lines: [txt("_dmarc", "v=DMARC1; p=reject; rua=mailto:agg@d21.test!10m")], section: "§6.4 (a size limit after !)", expect: { problems: [], effectivePolicy: "reject" } },
  { id: "duplicate-tag", zone: "d22.test", lines: [txt("_dmarc", `v=DMARC1; p=reject; p=none; ${RUA("d22.test")}`)], section: "§6.3 → RFC 6376 §3.2 (a duplicate tag invalidates the list)", expect: { problems: ["syntax"], effectivePolicy: undefined }, mailauth: { verdict: "none", why: "keeps the last of two p= tags; §6.3 (RFC 6376 §3.2): a duplicate tag makes the record invalid" } },
  { id: "no-record", from: "mail.d23.test", zone: "d23.test", lines: [txt("@", "v=spf1 -all")], section: "§6.6.3 step 5 (no record at either level)", expect: { problems: ["none"] } },
];


/** Every case's lines by zone, plus the report-authorization zone (§7.1). */
/**
 * The receiver's conclusion a case comes to, in one word: the policy that applies (reject, quarantine, none, or
 * whatever a lenient implementation passes through), or "no-dmarc" when no DMARC policy is applied at all.
 */
export function rfcVerdict(c: DmarcCase): string {
  return c.expect.effectivePolicy ?? "no-dmarc";
}

export function dmarcZones(): Record<string, string[]> {
  const zones: Record<string, string[]> = {};
  for (const c of CASES) zones[c.zone] = [...(zones[c.zone] ?? []), ...c.lines];
  zones["reports.test"] = [txt("d15.test._report._dmarc", "v=DMARC1"), txt("d16.test._report._dmarc", "v=DMARC1")];
  return zones;
}
