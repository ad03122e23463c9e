import { Resolver } from "node:dns/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// The npm mailauth package (a devDependency, 4.13.3: its later majors need Node 22): an independent DMARC implementation.
import { dmarc } from "mailauth/lib/dmarc/index.js";
import { evaluateDmarc } from "../../../src/providers/dns/dmarc.js";
import { createDnsClient } from "../../../src/providers/dns/resolver.js";
import { startNsd, type RunningNsd } from "../../support/nsd.js";
import { CASES, dmarcZones, rfcVerdict } from "./dmarc-cases.js";

/**
 * The DMARC cross-check: mailauth's policy discovery runs on the same NSD-served zones as bookflow's. For every
 * case bookflow reaches the RFC's verdict, and mailauth does too unless the case records where mailauth departs
 * from RFC 7489 and why; a recorded departure mailauth no longer makes fails too, so the table stays true.
 */

type MailauthDmarc = (opts: { headerFrom: string; spfDomains: unknown[]; dkimDomains: unknown[]; resolver: (name: string, type: string) => Promise<unknown> }) => Promise<{ status: { result: string }; policy?: string }>;

let nsd: RunningNsd;
let resolver: Resolver;

beforeAll(async () => {
  nsd = await startNsd(dmarcZones());
  resolver = new Resolver({ timeout: 500, tries: 1 });
  resolver.setServers([nsd.address]);
});
afterAll(async () => {
  await nsd?.stop();
});

describe("mailauth and bookflow on the same NSD-served DMARC zones", () => {
  for (const c of CASES) {
    it(`${c.id}: RFC 7489 ${c.section} says ${rfcVerdict(c)}${c.mailauth ? `; mailauth says ${c.mailauth.verdict} (${c.mailauth.why})` : ""}`, async () => {
      const from = c.from ?? c.zone;
      const ours = await evaluateDmarc(from, createDnsClient({ server: nsd.address, timeoutMs: 500, tries: 1 }));
      expect(ours.effectivePolicy ?? "no-dmarc", "bookflow").toBe(rfcVerdict(c));
      const theirs = await (dmarc as MailauthDmarc)({ headerFrom: `someone@${from}`, spfDomains: [], dkimDomains: [], resolver: (name, type) => resolver.resolve(name, type as "TXT") });
      const verdict = theirs.status.result === "none" || theirs.policy === undefined ? "no-dmarc" : theirs.policy;
      expect(verdict, "mailauth").toBe(c.mailauth?.verdict ?? rfcVerdict(c));
    });
  }
});
