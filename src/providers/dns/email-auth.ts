/**
 * Email authentication as DNS publishes it: SPF (RFC 7208), DKIM keys
 * (RFC 6376) and DMARC (RFC 7489). Each evaluator reads DNS through a
 * DnsClient and returns a value: what is published, and the problems found,
 * as stable codes the checks decide on. DNS failures other than "no record"
 * propagate as ProviderError (the checks report them as errors, not fails).
 */
import { createPublicKey } from "node:crypto";
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

// ---------------------------------------------------------------- DKIM

export type DkimProblem =
  /** Neither a CNAME nor a TXT record at `<selector>._domainkey.<domain>`. */
  | "missing"
  /** A CNAME whose target has no TXT record. */
  | "cname-target-missing"
  /** TXT records, but none is a DKIM key record. */
  | "not-dkim"
  /** More than one DKIM key record. */
  | "multiple"
  /** `p=` is empty: the key is revoked. */
  | "revoked"
  /** `p=` is missing, not base64, or not a public key of the declared type. */
  | "invalid-key"
  /** An RSA key shorter than 1024 bits (RFC 8301). */
  | "weak-key"
  /** A `k=` other than rsa or ed25519. */
  | "unknown-key-type";

export interface DkimSelectorResult {
  selector: string;
  /** `<selector>._domainkey.<domain>` */
  name: string;
  /** The CNAME target, with SendGrid's automated security. */
  cname?: string;
  /** The DKIM key record (first one, if several). */
  record?: string;
  valid: boolean;
  keyType?: "rsa" | "ed25519";
  /** RSA modulus length. */
  keyBits?: number;
  problem?: DkimProblem;
}

export type DkimDns = Pick<DnsClient, "txt" | "cname">;

/** Parses a `tag=value; tag=value` list (DKIM and DMARC records). Tag names are lower-cased. */
export function parseTagList(record: string): Map<string, string> {
  const tags = new Map<string, string>();
  for (const part of record.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim().toLowerCase();
    if (key && !tags.has(key)) tags.set(key, part.slice(eq + 1).trim());
  }
  return tags;
}

function isDkimRecord(txt: string): boolean {
  const tags = parseTagList(txt);
  // v= is optional, but when present it must be first and be DKIM1 (RFC 6376 §3.6.1).
  if (/^\s*v\s*=/i.test(txt)) return /^\s*v\s*=\s*DKIM1\s*(;|$)/i.test(txt);
  return tags.has("p");
}

export async function evaluateDkim(domain: string, selectors: string[] = ["s1", "s2"], dns: DkimDns): Promise<DkimSelectorResult[]> {
  return Promise.all(selectors.map((selector) => evaluateSelector(domain, selector, dns)));
}

async function evaluateSelector(domain: string, selector: string, dns: DkimDns): Promise<DkimSelectorResult> {
  const name = `${selector}._domainkey.${domain}`;
  const [cname, txts] = await Promise.all([dns.cname(name), dns.txt(name)]);
  const result: DkimSelectorResult = { selector, name, valid: false };
  if (cname) result.cname = cname;
  if (txts.length === 0) return { ...result, problem: cname ? "cname-target-missing" : "missing" };
  const keys = txts.filter(isDkimRecord);
  if (keys.length === 0) return { ...result, problem: "not-dkim" };
  result.record = keys[0]!;
  if (keys.length > 1) return { ...result, problem: "multiple" };
  const tags = parseTagList(keys[0]!);
  const p = tags.get("p");
  if (p === undefined) return { ...result, problem: "invalid-key" };
  const key = p.replace(/\s+/g, "");
  if (key === "") return { ...result, problem: "revoked" };
  const k = (tags.get("k") ?? "rsa").toLowerCase();
  if (k !== "rsa" && k !== "ed25519") return { ...result, problem: "unknown-key-type" };
  result.keyType = k;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(key)) return { ...result, problem: "invalid-key" };
  const der = Buffer.from(key, "base64");
  try {
    if (k === "ed25519") {
      // RFC 8463: p= is the raw 32-byte key; wrap it in an SPKI header to check it.
      if (der.length !== 32) return { ...result, problem: "invalid-key" };
      createPublicKey({ key: Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), der]), format: "der", type: "spki" });
      return { ...result, valid: true };
    }
    const publicKey = createPublicKey({ key: der, format: "der", type: "spki" });
    if (publicKey.asymmetricKeyType !== "rsa") return { ...result, problem: "invalid-key" };
    const bits = publicKey.asymmetricKeyDetails?.modulusLength;
    if (bits !== undefined) result.keyBits = bits;
    if (bits !== undefined && bits < 1024) return { ...result, problem: "weak-key" };
    return { ...result, valid: true };
  } catch {
    return { ...result, problem: "invalid-key" };
  }
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
  const tags = parseTagList(records[0]!);
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
