/**
 * DKIM key records as a verifier reads them (RFC 6376 §3.6.1, §6.1.2; RFC
 * 8463 for Ed25519; RFC 8301 for the algorithms and key sizes verifiers
 * accept), for the signatures SendGrid makes (a=rsa-sha256).
 *
 * A key record is the TXT record at `<selector>._domainkey.<domain>` whose
 * tag-list (RFC 6376 §3.2) starts with `v=DKIM1` or has no `v=`; records
 * starting with another `v=` are discarded. It is usable for SendGrid's mail
 * when: the tag-list is valid; `p=` is present and not empty (empty: revoked);
 * `k=` is rsa (default) or ed25519; for rsa, `p=` is a DER RSA public key,
 * either the RSAPublicKey §3.6.1 names (PKCS#1) or the SubjectPublicKeyInfo
 * wrapping most publishers use, of at least 1024 bits (RFC 8301 §3.2); for
 * ed25519, `p=` is the raw 32-byte key (RFC 8463 §4.2); `s=`, when present,
 * lists `*` or `email`; `h=`, when present, lists sha256 (a sha1-only key
 * verifies nothing RFC 8301 accepts).
 */
import { createPublicKey } from "node:crypto";
import type { DnsClient } from "./resolver.js";
import { parseTagList } from "./tag-list.js";

export type DkimProblem =
  /** Neither a CNAME nor a TXT record at `<selector>._domainkey.<domain>`. */
  | "missing"
  /** A CNAME whose target has no TXT record. */
  | "cname-target-missing"
  /** TXT records, but none is a DKIM key record (or all start with another v=). */
  | "not-dkim"
  /** More than one DKIM key record: a verifier may pick either (RFC 6376 §6.1.2). */
  | "multiple"
  /** Not a valid tag-list: a malformed tag, a duplicate tag, v= not first (RFC 6376 §3.2, §3.6.1). */
  | "syntax"
  /** `p=` is empty: the key is revoked (RFC 6376 §3.6.1, §6.1.2). */
  | "revoked"
  /** `p=` is missing, not base64, or not a public key of the declared type. */
  | "invalid-key"
  /** An RSA key shorter than 1024 bits (RFC 8301 §3.2). */
  | "weak-key"
  /** A `k=` other than rsa or ed25519. */
  | "unknown-key-type"
  /** `s=` lists neither `*` nor `email` (RFC 6376 §3.6.1). */
  | "not-for-email"
  /** `h=` does not list sha256: SendGrid's rsa-sha256 signatures fail; sha1 alone is refused by RFC 8301 §3.1. */
  | "no-sha256";

export type DkimWarning =
  /** `t=y`: the domain is testing DKIM; verifiers treat its mail as unsigned (RFC 6376 §3.6.1). */
  | "testing"
  /** An RSA key of 1024–2047 bits: signers SHOULD use at least 2048 (RFC 8301 §3.2). */
  | "short-key";

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
  /** How p= encodes the key: SubjectPublicKeyInfo, bare PKCS#1 RSAPublicKey, or raw Ed25519. */
  keyFormat?: "spki" | "pkcs1" | "raw";
  /** RSA modulus length. */
  keyBits?: number;
  problem?: DkimProblem;
  /** What is wrong, in words, when there is a problem. */
  reason?: string;
  warnings: DkimWarning[];
  /** `s=`, `h=`, `t=` as lists, when present. */
  services?: string[];
  hashes?: string[];
  flags?: string[];
}

export type DkimDns = Pick<DnsClient, "txt" | "cname">;

/** Where each problem and warning is defined. */
export const DKIM_RFC: Record<DkimProblem | DkimWarning, string> = {
  missing: "RFC 6376 §6.1.2",
  "cname-target-missing": "RFC 6376 §6.1.2",
  "not-dkim": "RFC 6376 §3.6.1, §6.1.2",
  multiple: "RFC 6376 §6.1.2",
  syntax: "RFC 6376 §3.2, §3.6.1",
  revoked: "RFC 6376 §3.6.1, §6.1.2",
  "invalid-key": "RFC 6376 §3.6.1, RFC 8463 §4.2",
  "weak-key": "RFC 8301 §3.2",
  "unknown-key-type": "RFC 6376 §3.6.1, §6.1.2",
  "not-for-email": "RFC 6376 §3.6.1",
  "no-sha256": "RFC 6376 §3.6.1, §6.1.2, RFC 8301 §3.1",
  testing: "RFC 6376 §3.6.1",
  "short-key": "RFC 8301 §3.2",
};

/** Whether a TXT record is a DKIM key record: `v=DKIM1` first, or no `v=` and a `p=` (RFC 6376 §3.6.1: other versions are discarded). */
export function isDkimKeyRecord(txt: string): boolean {
  const first = /^[ \t]*v[ \t]*=([^;]*)/.exec(txt);
  if (first) return first[1]!.trim() === "DKIM1";
  return /(^|;)[ \t]*p[ \t]*=/.test(txt);
}

export async function evaluateDkim(domain: string, selectors: string[] = ["s1", "s2"], dns: DkimDns): Promise<DkimSelectorResult[]> {
  return Promise.all(selectors.map((selector) => evaluateSelector(domain, selector, dns)));
}

async function evaluateSelector(domain: string, selector: string, dns: DkimDns): Promise<DkimSelectorResult> {
  const name = `${selector}._domainkey.${domain}`;
  const [cname, txts] = await Promise.all([dns.cname(name), dns.txt(name)]);
  const base: DkimSelectorResult = { selector, name, valid: false, warnings: [] };
  if (cname) base.cname = cname;
  if (txts.length === 0) return { ...base, problem: cname ? "cname-target-missing" : "missing" };
  const keys = txts.filter(isDkimKeyRecord);
  if (keys.length === 0) return { ...base, problem: "not-dkim" };
  base.record = keys[0]!;
  if (keys.length > 1) return { ...base, problem: "multiple", reason: `${keys.length} key records` };
  return { ...base, ...parseDkimKey(keys[0]!) };
}

/** One key record, judged (the fields of DkimSelectorResult it decides). */
export function parseDkimKey(record: string): Pick<DkimSelectorResult, "valid" | "keyType" | "keyFormat" | "keyBits" | "problem" | "reason" | "warnings" | "services" | "hashes" | "flags"> {
  const out: ReturnType<typeof parseDkimKey> = { valid: false, warnings: [] };
  const bad = (problem: DkimProblem, reason?: string) => ({ ...out, valid: false, problem, ...(reason ? { reason } : {}) });
  const parsed = parseTagList(record);
  if (!parsed.ok) return bad("syntax", parsed.error);
  const { tags, order } = parsed;
  if (tags.has("v") && order[0] !== "v") return bad("syntax", "v= is not the first tag");
  const list = (v: string) => v.split(":").map((x) => x.trim());
  if (tags.has("s")) out.services = list(tags.get("s")!);
  if (tags.has("h")) out.hashes = list(tags.get("h")!);
  if (tags.has("t")) out.flags = list(tags.get("t")!);
  const p = tags.get("p");
  if (p === undefined) return bad("invalid-key", "no p= tag");
  const key = p.replace(/[ \t\r\n]+/g, "");
  if (key === "") return bad("revoked");
  const k = tags.get("k") ?? "rsa";
  if (k !== "rsa" && k !== "ed25519") return bad("unknown-key-type", `k=${k}`);
  out.keyType = k;
  if (out.services && !out.services.some((s) => s === "*" || s === "email")) return bad("not-for-email", `s=${tags.get("s")}`);
  if (out.hashes && !out.hashes.includes("sha256")) return bad("no-sha256", `h=${tags.get("h")}`);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(key) || key.replace(/=+$/, "").length % 4 === 1) return bad("invalid-key", "p= is not base64");
  const der = Buffer.from(key, "base64");
  if (k === "ed25519") {
    // RFC 8463 §4.2: the raw 32-byte key; wrapped in an SPKI header here only to check it.
    if (der.length !== 32) return bad("invalid-key", `an Ed25519 p= is 32 bytes, not ${der.length}`);
    try {
      createPublicKey({ key: Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), der]), format: "der", type: "spki" });
    } catch {
      return bad("invalid-key", "not an Ed25519 public key");
    }
    out.keyFormat = "raw";
  } else {
    const rsa = rsaKey(der);
    if (!rsa) return bad("invalid-key", "not a DER RSA public key (SubjectPublicKeyInfo or RSAPublicKey)");
    out.keyFormat = rsa.format;
    out.keyBits = rsa.bits;
    if (rsa.bits < 1024) return bad("weak-key", `${rsa.bits} bits`);
    if (rsa.bits < 2048) out.warnings.push("short-key");
  }
  if (out.flags?.includes("y")) out.warnings.push("testing");
  return { ...out, valid: true };
}

function rsaKey(der: Buffer): { format: "spki" | "pkcs1"; bits: number } | null {
  for (const format of ["spki", "pkcs1"] as const) {
    try {
      const key = createPublicKey({ key: der, format: "der", type: format });
      if (key.asymmetricKeyType !== "rsa") return null;
      const bits = key.asymmetricKeyDetails?.modulusLength;
      return bits === undefined ? null : { format, bits };
    } catch {
      // try the other form
    }
  }
  return null;
}
