/**
 * DMARC policy discovery and record parsing as a receiver does it (RFC 7489).
 *
 * §6.6.3: the TXT records at `_dmarc.<From domain>` that start with exactly
 * `v=DMARC1` (§6.3, §6.4: no leading space, DMARC1 case-sensitive); when
 * there are none, those at `_dmarc.<Organizational Domain>` (§3.2: the
 * registrable domain under the Public Suffix List, from `tldts`); more than
 * one record, or none, means no DMARC processing. The policy for the From
 * domain is `p=` when the record is its own, else `sp=` when given, else `p=`
 * (§6.3). A record whose `p=` is not valid, or whose `sp=` is present and not
 * valid, is treated as `p=none` when `rua=` holds a valid URI, else ignored
 * (§6.6.3 step 6) — receivers do not fall back to the other tag.
 *
 * rua=/ruf= destinations outside the policy domain's Organizational Domain
 * need the destination's consent, a `v=DMARC1` TXT record at
 * `<policy domain>._report._dmarc.<destination host>` (§7.1); without it
 * receivers send that destination nothing.
 */
import { getDomain } from "tldts";
import type { DnsClient } from "./resolver.js";
import { parseTagList } from "./tag-list.js";

export type DmarcPolicy = "none" | "quarantine" | "reject";

export type DmarcProblem =
  /** No `v=DMARC1` record at `_dmarc.<domain>` nor at the Organizational Domain: no DMARC processing (§6.6.3). */
  | "none"
  /** More than one DMARC record where policy discovery stopped: receivers apply no DMARC (§6.6.3 step 5). */
  | "multiple"
  /** The record is not a valid tag list (§6.3, §6.4). */
  | "syntax"
  /** `p=` missing or not none/quarantine/reject (§6.3, §6.6.3 step 6). */
  | "invalid-policy"
  /** `sp=` present and not none/quarantine/reject: the whole record is treated as p=none or ignored (§6.6.3 step 6). */
  | "invalid-subdomain-policy"
  /** The policy for the sending domain is none: monitoring only (§6.3). */
  | "policy-none"
  /** `pct` below 100: the policy applies to a share of failing mail only (§6.3, §6.6.4). */
  | "partial-pct"
  /** No `rua=`: no aggregate reports (§6.3, §7.2). */
  | "no-rua"
  /** A rua=/ruf= entry that is not a valid DMARC URI (§6.2, §6.4). */
  | "invalid-uri"
  /** An external rua=/ruf= destination without its authorization record: it gets no reports (§7.1). */
  | "unauthorized-destination"
  /** adkim, aspf, fo, pct, rf or ri with a value the grammar does not allow (§6.3, §6.4). */
  | "invalid-tag";

export interface DmarcReportDestination {
  tag: "rua" | "ruf";
  uri: string;
  /** The mailto host, when the URI is mailto:. */
  host?: string;
  /** Outside the policy domain's Organizational Domain. */
  external: boolean;
  /** For external destinations: the `<policy domain>._report._dmarc.<host>` record exists. */
  authorized?: boolean;
  /** The name queried for the authorization. */
  authorizationName?: string;
}

export interface DmarcEvaluation {
  /** The From domain evaluated. */
  domain: string;
  /** `_dmarc.<name>` where the record was found, else `_dmarc.<domain>`. */
  name: string;
  /** The Organizational Domain of the From domain (Public Suffix List). */
  organizationalDomain: string;
  /** The record came from the Organizational Domain (the From domain has none of its own). */
  inherited: boolean;
  record?: string;
  /** Why the record is not a valid tag list. */
  syntaxError?: string;
  /** p= as written (valid values only). */
  policy?: DmarcPolicy;
  subdomainPolicy?: DmarcPolicy;
  /** The policy receivers apply to the From domain's failing mail (after §6.6.3 step 6), when DMARC applies. */
  effectivePolicy?: DmarcPolicy;
  pct?: number;
  adkim: "r" | "s";
  aspf: "r" | "s";
  fo: string[];
  /** Aggregate report addresses (`rua=`). */
  rua: string[];
  ruf: string[];
  destinations: DmarcReportDestination[];
  /** Invalid tag values, as `tag=value`. */
  invalidTags: string[];
  problems: DmarcProblem[];
}

/**
 * §6.3, §6.4: dmarc-version = "v" *WSP "=" *WSP %x44 %x4d %x41 %x52 %x43 %x31 at the very start of the record
 * (no leading space; DMARC1 exactly; the tag name as DKIM's tag lists write it, §6.3 → RFC 6376 §3.2: case-sensitive).
 */
export function isDmarcRecord(txt: string): boolean {
  return /^v[ \t]*=[ \t]*DMARC1[ \t]*(;|$)/.test(txt);
}

/** §3.2: the Organizational Domain, by the Public Suffix List (private entries included); the domain itself when it has none. */
export function organizationalDomain(domain: string): string {
  return getDomain(domain, { allowPrivateDomains: true }) ?? domain;
}

const POLICY = /^(none|quarantine|reject)$/i;

export async function evaluateDmarc(domain: string, dns: Pick<DnsClient, "txt">): Promise<DmarcEvaluation> {
  const from = domain.toLowerCase().replace(/\.$/, "");
  const org = organizationalDomain(from);
  const result: DmarcEvaluation = { domain: from, name: `_dmarc.${from}`, organizationalDomain: org, inherited: false, adkim: "r", aspf: "r", fo: ["0"], rua: [], ruf: [], destinations: [], invalidTags: [], problems: [] };
  let records = (await dns.txt(`_dmarc.${from}`)).filter(isDmarcRecord);
  let policyDomain = from;
  if (records.length === 0 && org !== from) {
    records = (await dns.txt(`_dmarc.${org}`)).filter(isDmarcRecord);
    if (records.length) {
      policyDomain = org;
      result.inherited = true;
      result.name = `_dmarc.${org}`;
    }
  }
  if (records.length === 0) return { ...result, problems: ["none"] };
  result.record = records[0]!;
  if (records.length > 1) return { ...result, problems: ["multiple"] };

  const parsed = parseTagList(records[0]!);
  if (!parsed.ok) return { ...result, syntaxError: parsed.error, problems: ["syntax"] };
  const tags = parsed.tags;
  const p = tags.get("p");
  const sp = tags.get("sp");
  if (p !== undefined && POLICY.test(p)) result.policy = p.toLowerCase() as DmarcPolicy;
  if (sp !== undefined && POLICY.test(sp)) result.subdomainPolicy = sp.toLowerCase() as DmarcPolicy;

  const invalid = (tag: string) => result.invalidTags.push(`${tag}=${tags.get(tag)}`);
  for (const tag of ["adkim", "aspf"] as const) {
    const v = tags.get(tag);
    if (v === undefined) continue;
    if (/^[rs]$/i.test(v)) result[tag] = v.toLowerCase() as "r" | "s";
    else invalid(tag);
  }
  const pct = tags.get("pct");
  if (pct !== undefined) {
    if (/^[0-9]{1,3}$/.test(pct) && Number(pct) <= 100) result.pct = Number(pct);
    else invalid("pct");
  }
  const fo = tags.get("fo");
  if (fo !== undefined) {
    const options = fo.split(":").map((x) => x.trim());
    if (options.every((o) => /^[01ds]$/i.test(o))) result.fo = options;
    else invalid("fo");
  }
  const rf = tags.get("rf");
  if (rf !== undefined && !rf.split(":").every((x) => /^[a-z0-9]+$/i.test(x.trim()))) invalid("rf");
  const ri = tags.get("ri");
  if (ri !== undefined && !(/^[0-9]{1,10}$/.test(ri) && Number(ri) <= 0xffffffff)) invalid("ri");

  let validUri = false;
  for (const tag of ["rua", "ruf"] as const) {
    const value = tags.get(tag);
    if (value === undefined) continue;
    for (const raw of value.split(",").map((u) => u.trim())) {
      const uri = parseDmarcUri(raw);
      if (!uri) {
        if (!result.problems.includes("invalid-uri")) result.problems.push("invalid-uri");
        result.invalidTags.push(`${tag}=${raw}`);
        continue;
      }
      result[tag].push(raw);
      if (tag === "rua") validUri = true;
      const d: DmarcReportDestination = { tag, uri: raw, external: false };
      if (uri.host) {
        d.host = uri.host;
        d.external = organizationalDomain(uri.host) !== organizationalDomain(policyDomain);
        if (d.external) {
          d.authorizationName = `${policyDomain}._report._dmarc.${uri.host}`;
          d.authorized = (await dns.txt(d.authorizationName)).some(isDmarcRecord);
        }
      }
      result.destinations.push(d);
    }
  }

  // §6.6.3 step 6: an invalid p=, or an sp= present and invalid, makes the record p=none (with a valid rua=) or nothing.
  const pInvalid = result.policy === undefined;
  const spInvalid = sp !== undefined && result.subdomainPolicy === undefined;
  if (pInvalid || spInvalid) {
    result.problems.push(pInvalid ? "invalid-policy" : "invalid-subdomain-policy");
    if (validUri) result.effectivePolicy = "none";
  } else {
    result.effectivePolicy = result.inherited ? (result.subdomainPolicy ?? result.policy) : result.policy;
    if (result.effectivePolicy === "none") result.problems.push("policy-none");
  }
  if (result.pct !== undefined && result.pct < 100) result.problems.push("partial-pct");
  if (result.rua.length === 0) result.problems.push("no-rua");
  if (result.destinations.some((d) => d.external && !d.authorized)) result.problems.push("unauthorized-destination");
  if (result.invalidTags.some((t) => !/^ru[af]=/.test(t))) result.problems.push("invalid-tag");
  return result;
}

/** §6.4: dmarc-uri = URI [ "!" 1*DIGIT [ "k" / "m" / "g" / "t" ] ]; the mailto host when it is mailto:. */
function parseDmarcUri(raw: string): { host?: string } | null {
  const m = /^(.*?)(?:!([0-9]+)([kmgt])?)?$/i.exec(raw);
  const uri = m?.[1] ?? "";
  if (!/^[a-z][a-z0-9+.-]*:\S+$/i.test(uri)) return null;
  if (/^mailto:/i.test(uri)) {
    const address = decodeURIComponent(uri.slice("mailto:".length).split("?")[0]!);
    const at = address.lastIndexOf("@");
    const host = at > 0 ? address.slice(at + 1).toLowerCase() : "";
    if (!/^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(host)) return null;
    return { host };
  }
  try {
    new URL(uri);
    return {};
  } catch {
    return null;
  }
}
