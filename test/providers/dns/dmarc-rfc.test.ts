import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { evaluateDmarc } from "../../../src/providers/dns/dmarc.js";
import { createDnsClient, type DnsClient } from "../../../src/providers/dns/resolver.js";
import { startNsd, type RunningNsd } from "../../support/nsd.js";
import { CASES, dmarcZones } from "./dmarc-cases.js";

/**
 * DMARC policy discovery and records (RFC 7489), each case with the verdict
 * the RFC gives, served by NSD: one zone per registrable domain, so the
 * Organizational Domain (§3.2, Public Suffix List) is what receivers would
 * compute — example.co.uk's under the multi-label suffix co.uk.
 */

let nsd: RunningNsd;
let dns: DnsClient;

beforeAll(async () => {
  nsd = await startNsd(dmarcZones());
  dns = createDnsClient({ server: nsd.address, timeoutMs: 500, tries: 1 });
});

afterAll(async () => {
  await nsd?.stop();
});

describe("RFC 7489 DMARC verdicts, served by NSD", () => {
  for (const c of CASES) {
    it(`${c.id}: ${c.expect.problems.join(", ") || "no problem"} (RFC 7489 ${c.section})`, async () => {
      const d = await evaluateDmarc(c.from ?? c.zone, dns);
      expect(d.problems, JSON.stringify(d)).toEqual(c.expect.problems);
      if ("effectivePolicy" in c.expect) expect(d.effectivePolicy).toBe(c.expect.effectivePolicy);
      if (c.expect.inherited !== undefined) expect(d.inherited).toBe(c.expect.inherited);
      if (c.expect.name) expect(d.name).toBe(c.expect.name);
      if (c.expect.adkim) expect(d.adkim).toBe(c.expect.adkim);
      if (c.expect.aspf) expect(d.aspf).toBe(c.expect.aspf);
      if (c.expect.fo) expect(d.fo).toEqual(c.expect.fo);
    });
  }
});
