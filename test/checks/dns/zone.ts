import { generateKeyPairSync } from "node:crypto";
import type { DnsClient, MxRecord } from "../../../src/providers/dns/resolver.js";

/** An in-memory zone for the dns check tables: TXT, CNAME, A and MX records by name (CNAMEs followed for TXT, as a resolver does); no AAAA or PTR records. */
export function memoryDns(records: { txt?: Record<string, string[]>; cname?: Record<string, string>; a?: Record<string, string[]>; mx?: Record<string, MxRecord[]> }): DnsClient {
  const txt = records.txt ?? {};
  const cname = records.cname ?? {};
  const follow = (name: string, depth = 0): string => (cname[name] && depth < 8 ? follow(cname[name], depth + 1) : name);
  return {
    server: "memory",
    txt: async (name) => txt[follow(name)] ?? [],
    cname: async (name) => cname[name] ?? null,
    a: async (name) => records.a?.[name] ?? [],
    mx: async (name) => records.mx?.[name] ?? [],
    aaaa: async () => [],
    ptr: async () => [],
  };
}

export function rsaKey(bits = 2048): string {
  const { publicKey } = generateKeyPairSync("rsa", { modulusLength: bits });
  return publicKey.export({ type: "spki", format: "der" }).toString("base64");
}

export const SENDGRID_SPF = "v=spf1 ip4:167.89.0.0/17 ip4:208.117.48.0/20 ~all";

/** A bare PKCS#1 RSAPublicKey, base64 DER. */
export function pkcs1Key(bits = 2048): string {
  const { publicKey } = generateKeyPairSync("rsa", { modulusLength: bits });
  return publicKey.export({ type: "pkcs1", format: "der" }).toString("base64");
}
