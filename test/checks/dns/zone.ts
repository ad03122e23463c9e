import { generateKeyPairSync } from "node:crypto";
import type { DnsClient } from "../../../src/providers/dns/resolver.js";

/** An in-memory zone for the dns check tables: TXT and CNAME records by name (CNAMEs followed for TXT, as a resolver does). */
export function memoryDns(records: { txt?: Record<string, string[]>; cname?: Record<string, string> }): DnsClient {
  const txt = records.txt ?? {};
  const cname = records.cname ?? {};
  const follow = (name: string, depth = 0): string => (cname[name] && depth < 8 ? follow(cname[name], depth + 1) : name);
  return {
    server: "memory",
    txt: async (name) => txt[follow(name)] ?? [],
    cname: async (name) => cname[name] ?? null,
    a: async () => ["192.0.2.1"],
    mx: async () => [{ exchange: "mx.example.com", priority: 10 }],
  };
}

export function rsaKey(bits = 2048): string {
  const { publicKey } = generateKeyPairSync("rsa", { modulusLength: bits });
  return publicKey.export({ type: "spki", format: "der" }).toString("base64");
}

export const SENDGRID_SPF = "v=spf1 ip4:167.89.0.0/17 ip4:208.117.48.0/20 ~all";
