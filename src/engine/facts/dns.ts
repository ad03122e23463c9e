import type { DnsClient } from "../../providers/dns/resolver.js";
import { defineFact } from "./define.js";
import type { FactContext } from "./types.js";

/**
 * DNS facts for the sending domain: SPF, DKIM (SendGrid's selectors, or the
 * config's) and DMARC, each evaluated by src/providers/dns/email-auth.ts
 * through the resolver at BOOKFLOW_DNS_SERVER (else the system's). Each is
 * null when no sending domain is known.
 */

export interface SendingDomain {
  domain: string;
  /** Where the domain came from. */
  source: "config" | "SENDGRID_FROM_EMAIL";
}

/** The domain mail is sent from: bookflow.config.json's email.sendingDomain, else the SENDGRID_FROM_EMAIL domain. */
export function sendingDomainOf(ctx: Pick<FactContext, "env" | "config">): SendingDomain | null {
  const configured = ctx.config.email.sendingDomain?.trim().toLowerCase();
  if (configured) return { domain: configured, source: "config" };
  const from = ctx.env.SENDGRID_FROM_EMAIL?.trim();
  const at = from ? from.lastIndexOf("@") : -1;
  const domain = from && at > 0 ? from.slice(at + 1).trim().toLowerCase().replace(/\.$/, "") : "";
  return /^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(domain) ? { domain, source: "SENDGRID_FROM_EMAIL" } : null;
}

async function dnsClient(ctx: FactContext): Promise<DnsClient> {
  const { createDnsClient, DNS_SERVER_ENV } = await import("../../providers/dns/resolver.js");
  return createDnsClient({ server: ctx.env[DNS_SERVER_ENV] || undefined });
}

export const sendingDomainFact = defineFact({
  name: "sendingDomain",
  gather: async (ctx) => sendingDomainOf(ctx),
});

/** `spfRecord`: the sending domain's SPF, evaluated recursively. */
export const spfRecordFact = defineFact({
  name: "spfRecord",
  needs: ["sendingDomain"],
  async gather(ctx, deps) {
    const sending = await deps.sendingDomain();
    if (!sending) return null;
    const { evaluateSpf } = await import("../../providers/dns/email-auth.js");
    return evaluateSpf(sending.domain, await dnsClient(ctx));
  },
});

/** `dkimRecords`: one result per DKIM selector (config email.dkimSelectors, default SendGrid's s1 and s2). */
export const dkimRecordsFact = defineFact({
  name: "dkimRecords",
  needs: ["sendingDomain"],
  async gather(ctx, deps) {
    const sending = await deps.sendingDomain();
    if (!sending) return null;
    const { evaluateDkim } = await import("../../providers/dns/email-auth.js");
    return evaluateDkim(sending.domain, [...ctx.config.email.dkimSelectors], await dnsClient(ctx));
  },
});

/** `dmarcRecord`: the record at `_dmarc.<domain>`, parsed. */
export const dmarcRecordFact = defineFact({
  name: "dmarcRecord",
  needs: ["sendingDomain"],
  async gather(ctx, deps) {
    const sending = await deps.sendingDomain();
    if (!sending) return null;
    const { evaluateDmarc } = await import("../../providers/dns/email-auth.js");
    return evaluateDmarc(sending.domain, await dnsClient(ctx));
  },
});
