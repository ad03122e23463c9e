/**
 * Email authentication as DNS publishes it: SPF (RFC 7208), DKIM keys
 * (RFC 6376) and DMARC (RFC 7489). Each evaluator reads DNS through a
 * DnsClient and returns a value: what is published, and the problems found,
 * as stable codes the checks decide on. DNS failures other than "no record"
 * propagate as ProviderError (the checks report them as errors, not fails).
 */
import type { DnsClient } from "./resolver.js";

// ---------------------------------------------------------------- SPF (./spf.ts)

export {
  checkHost,
  evaluateSpf,
  isSpfRecord,
  SENDGRID_NETBLOCKS,
  SENDGRID_SPF_DOMAIN,
  SPF_LOOKUP_LIMIT,
  SPF_MX_LIMIT,
  SPF_PTR_LIMIT,
  SPF_VOID_LOOKUP_LIMIT,
  STRANGER_IP,
  type SpfCheckHost,
  type SpfDns,
  type SpfEvaluation,
  type SpfOptions,
  type SpfResult,
} from "./spf.js";

// ---------------------------------------------------------------- DKIM (./dkim.ts)

export { DKIM_RFC, evaluateDkim, isDkimKeyRecord, parseDkimKey, type DkimDns, type DkimProblem, type DkimSelectorResult, type DkimWarning } from "./dkim.js";

/** Parses a `tag=value; tag=value` list leniently (the DMARC evaluator below). Tag names are lower-cased. */
function looseTagList(record: string): Map<string, string> {
  const tags = new Map<string, string>();
  for (const part of record.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim().toLowerCase();
    if (key && !tags.has(key)) tags.set(key, part.slice(eq + 1).trim());
  }
  return tags;
}

// ---------------------------------------------------------------- DMARC

export type DmarcPolicy = "none" | "quarantine" | "reject";

export type DmarcProblem =
  /** No `v=DMARC1` record at `_dmarc.<domain>`. */
  | "none"
  /** More than one DMARC record: receivers ignore them all. */
  | "multiple"
  /** `p=` missing or not none/quarantine/reject. */
  | "invalid-policy"
  /** `p=none`: monitoring only, nothing is quarantined or rejected. */
  | "policy-none"
  /** `pct` below 100: the policy applies to a share of failing mail only. */
  | "partial-pct"
  /** No `rua=`: no aggregate reports. */
  | "no-rua";

export interface DmarcEvaluation {
  /** `_dmarc.<domain>` */
  name: string;
  record?: string;
  policy?: DmarcPolicy;
  subdomainPolicy?: DmarcPolicy;
  pct?: number;
  /** Aggregate report addresses (`rua=`). */
  rua: string[];
  problems: DmarcProblem[];
}

const POLICIES = new Set<string>(["none", "quarantine", "reject"]);

export async function evaluateDmarc(domain: string, dns: Pick<DnsClient, "txt">): Promise<DmarcEvaluation> {
  const name = `_dmarc.${domain}`;
  const records = (await dns.txt(name)).filter((t) => /^\s*v\s*=\s*DMARC1\s*(;|$)/i.test(t));
  const result: DmarcEvaluation = { name, rua: [], problems: [] };
  if (records.length === 0) return { ...result, problems: ["none"] };
  result.record = records[0]!;
  if (records.length > 1) return { ...result, problems: ["multiple"] };
  const tags = looseTagList(records[0]!);
  const p = tags.get("p")?.toLowerCase();
  if (p && POLICIES.has(p)) result.policy = p as DmarcPolicy;
  else result.problems.push("invalid-policy");
  const sp = tags.get("sp")?.toLowerCase();
  if (sp && POLICIES.has(sp)) result.subdomainPolicy = sp as DmarcPolicy;
  const pct = tags.get("pct");
  if (pct !== undefined && /^\d+$/.test(pct)) result.pct = Number(pct);
  const rua = tags.get("rua");
  if (rua) result.rua = rua.split(",").map((u) => u.trim()).filter((u) => u !== "");
  if (result.policy === "none") result.problems.push("policy-none");
  if (result.pct !== undefined && result.pct < 100) result.problems.push("partial-pct");
  if (result.rua.length === 0) result.problems.push("no-rua");
  return result;
}
