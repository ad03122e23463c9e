/**
 * The sandbox's DNS zone: a sending domain set up the way SendGrid's
 * automated security sets it up (SPF including sendgrid.net, CNAMEs for the
 * return path and the two DKIM selectors, DMARC), with everything those
 * records point at resolvable in the same zone, so SPF includes and DKIM
 * CNAMEs can be followed without the internet. Named breakages give tests
 * (and `bookflow sandbox --dns-break`) one misconfiguration each.
 */
import { generateKeyPairSync } from "node:crypto";
import type { DnsRecord } from "./server.js";

export const ZONE_BREAKAGES = ["no-spf", "two-spf", "too-many-lookups", "missing-dkim", "dmarc-none", "no-dmarc", "plus-all"] as const;
export type ZoneBreakage = (typeof ZONE_BREAKAGES)[number];

export interface SandboxZoneOptions {
  /** One misconfiguration, or several. */
  break?: ZoneBreakage | ZoneBreakage[] | undefined;
  /** SendGrid user id in `em<N>` / `u<N>` (default 123). */
  sendgridUserId?: number | undefined;
  /** SendGrid whitelabel host label (default "wl001"). */
  whitelabel?: string | undefined;
  /** TTL for every record (default 300). */
  ttl?: number | undefined;
}

/** SendGrid's SPF netblocks, as sendgrid.net publishes them (abridged). */
export const SENDGRID_SPF = "v=spf1 ip4:167.89.0.0/17 ip4:208.117.48.0/20 ip4:50.31.32.0/19 ip4:198.37.144.0/20 ip4:198.21.0.0/21 ip4:192.254.112.0/20 ip4:168.245.0.0/17 ip4:149.72.0.0/16 ip4:159.183.0.0/16 ~all";

let dkimKeys: { s1: string; s2: string } | undefined;

/** Two RSA-2048 public keys (base64 SPKI DER, the form DKIM's p= takes), generated once per process. */
export function sandboxDkimKeys(): { s1: string; s2: string } {
  dkimKeys ??= {
    s1: generatePublicKey(),
    s2: generatePublicKey(),
  };
  return dkimKeys;
}

function generatePublicKey(): string {
  const { publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return publicKey.export({ type: "spki", format: "der" }).toString("base64");
}

/** Names the zone uses, so tests and checks need not rebuild them. */
export function sandboxNames(domain: string, options: Pick<SandboxZoneOptions, "sendgridUserId" | "whitelabel"> = {}) {
  const user = options.sendgridUserId ?? 123;
  const wl = options.whitelabel ?? "wl001";
  const sendgridHost = `u${user}.${wl}.sendgrid.net`;
  return {
    domain,
    returnPath: `em${user}.${domain}`,
    returnPathTarget: sendgridHost,
    dkim: {
      s1: { name: `s1._domainkey.${domain}`, target: `s1.domainkey.${sendgridHost}` },
      s2: { name: `s2._domainkey.${domain}`, target: `s2.domainkey.${sendgridHost}` },
    },
    dmarc: `_dmarc.${domain}`,
  };
}

export function sandboxZone(domain: string, options: SandboxZoneOptions = {}): DnsRecord[] {
  const breaks = new Set<ZoneBreakage>(options.break === undefined ? [] : Array.isArray(options.break) ? options.break : [options.break]);
  for (const b of breaks) if (!ZONE_BREAKAGES.includes(b)) throw new RangeError(`unknown DNS zone breakage "${String(b)}"; known: ${ZONE_BREAKAGES.join(", ")}`);
  const ttl = options.ttl ?? 300;
  const names = sandboxNames(domain, options);
  const keys = sandboxDkimKeys();
  const records: DnsRecord[] = [];
  const add = (name: string, type: DnsRecord["type"], value: string | string[]) => records.push({ name, type, value, ttl });

  // The sending domain: the app on Vercel, a mailbox provider, a site verification TXT.
  add(domain, "A", "76.76.21.21");
  add(`www.${domain}`, "CNAME", "cname.vercel-dns.com");
  add(domain, "MX", `10 mx1.${domain}`);
  add(`mx1.${domain}`, "A", "192.0.2.25");
  add(`mail.${domain}`, "A", "192.0.2.26");
  add(domain, "TXT", "bookflow-site-verification=sandbox");

  // SPF.
  if (breaks.has("too-many-lookups")) {
    // 1 (_spf) + 3 (_spf1.._spf3) + 3×2 (a:mail + include:_netblocksN) + 2 (mx, a) + 1 (sendgrid) = 13 lookups, all
    // resolvable; SendGrid's include comes after the 10th, so receivers stop with permerror before it (RFC 7208 §4.6.4).
    add(domain, "TXT", `v=spf1 include:_spf.${domain} mx a include:sendgrid.net ~all`);
    add(`_spf.${domain}`, "TXT", `v=spf1 include:_spf1.${domain} include:_spf2.${domain} include:_spf3.${domain} ~all`);
    for (const n of [1, 2, 3]) {
      add(`_spf${n}.${domain}`, "TXT", `v=spf1 a:mail.${domain} include:_netblocks${n}.${domain} ~all`);
      add(`_netblocks${n}.${domain}`, "TXT", `v=spf1 ip4:198.51.100.${n * 16}/28 ~all`);
    }
  } else if (!breaks.has("no-spf")) {
    add(domain, "TXT", `v=spf1 include:sendgrid.net ${breaks.has("plus-all") ? "+all" : "~all"}`);
  }
  if (breaks.has("two-spf")) add(domain, "TXT", "v=spf1 include:_spf.google.com ~all");

  // SendGrid automated security: return path and DKIM as CNAMEs into sendgrid.net.
  add(names.returnPath, "CNAME", names.returnPathTarget);
  if (!breaks.has("missing-dkim")) {
    add(names.dkim.s1.name, "CNAME", names.dkim.s1.target);
    add(names.dkim.s2.name, "CNAME", names.dkim.s2.target);
  }

  // DMARC.
  if (!breaks.has("no-dmarc")) {
    add(names.dmarc, "TXT", `v=DMARC1; p=${breaks.has("dmarc-none") ? "none" : "quarantine"}; rua=mailto:dmarc@${domain}`);
  }

  // What the CNAMEs and includes point at, inside sendgrid.net (served from the same zone).
  add("sendgrid.net", "TXT", SENDGRID_SPF);
  add("sendgrid.net", "A", "167.89.118.1");
  add("sendgrid.net", "MX", "10 mx.sendgrid.net");
  add("mx.sendgrid.net", "A", "167.89.118.2");
  add(names.returnPathTarget, "A", "167.89.118.3");
  add(names.returnPathTarget, "MX", "10 mx.sendgrid.net");
  add(names.returnPathTarget, "TXT", "v=spf1 include:sendgrid.net ~all");
  add(names.dkim.s1.target, "TXT", `v=DKIM1; k=rsa; p=${keys.s1}`);
  add(names.dkim.s2.target, "TXT", `v=DKIM1; k=rsa; p=${keys.s2}`);
  return records;
}
