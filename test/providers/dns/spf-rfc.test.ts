import { afterAll, beforeAll, describe, expect, it } from "vitest";
import check from "../../../checks/dns/spf.js";
import { decideCheck } from "../../../src/engine/check.js";
import type { Facts } from "../../../src/engine/facts/index.js";
import { checkHost, evaluateSpf } from "../../../src/providers/dns/spf.js";
import { createDnsClient, type DnsClient } from "../../../src/providers/dns/resolver.js";
import { startNsd, txt, type RunningNsd } from "../../support/nsd.js";
import { SG_IP, SPF_CASES, SPF_ZONE, spfZones } from "./spf-cases.js";

/**
 * RFC 7208's verdicts for the case table (spf-cases.ts), served by a real
 * authoritative server (NSD) on loopback: bookflow's check_host() must give
 * each one, name the deciding term and count lookups as the RFC counts them.
 */

let nsd: RunningNsd;
let dns: DnsClient;

beforeAll(async () => {
  const zones = spfZones();
  // Whole-check worlds: the sending domains of the dns.spf tests below.
  zones["check.test"] = [
    txt("good", "v=spf1 include:sendgrid.net -all"),
    txt("plus", "v=spf1 include:sendgrid.net +all"),
    txt("neutral", "v=spf1 include:sendgrid.net ?all"),
    txt("after", `v=spf1 include:sendgrid.net ${Array.from({ length: 11 }, (_, i) => `include:x${i + 1}.${SPF_ZONE}`).join(" ")} -all`),
    txt("first", "v=spf1 -all include:sendgrid.net"),
    txt("leading", " v=spf1 include:sendgrid.net -all"),
    txt("ptr", `v=spf1 include:sendgrid.net ptr:${SPF_ZONE} -all`),
    txt("direct", "v=spf1 ip4:167.89.0.0/17 ip4:149.72.0.0/16 -all"),
    txt("partial", "v=spf1 ip4:167.89.0.0/17 -all"),
  ];
  nsd = await startNsd(zones);
  dns = createDnsClient({ server: nsd.address, timeoutMs: 500, tries: 1 });
});

afterAll(async () => {
  await nsd?.stop();
});

describe("RFC 7208 check_host() verdicts, served by NSD", () => {
  for (const c of SPF_CASES) {
    it(`${c.id}: ${c.rfc} (RFC 7208 ${c.section})`, async () => {
      const domain = `${c.id}.${SPF_ZONE}`;
      const r = await checkHost(c.ip ?? SG_IP, domain, `postmaster@${domain}`, domain, dns);
      expect(r.result, JSON.stringify(r)).toBe(c.rfc);
      if (c.term) expect(r.decidedBy).toContain(c.term);
      if (c.lookups !== undefined) expect(r.lookups, JSON.stringify(r)).toBe(c.lookups);
      if (c.voids !== undefined) expect(r.voidLookups, JSON.stringify(r)).toBe(c.voids);
      if (c.rfc !== "pass") expect(r.rfc).toMatch(/^RFC 7208 §/);
    });
  }
});

describe("dns.spf on NSD-served sending domains", () => {
  const run = async (name: string) => decideCheck(check, { spfRecord: await evaluateSpf(`${name}.check.test`, dns) } as Facts);

  it("reads SendGrid's netblocks from sendgrid.net and passes for one address in each", async () => {
    const e = await evaluateSpf("good.check.test", dns);
    expect(e.sendgridSource).toBe("dns");
    expect(e.sendgrid.map((r) => r.ip)).toEqual(["167.89.0.1", "149.72.0.1"]);
    expect(e.sendgridResult).toBe("pass");
    expect(e.stranger.result).toBe("fail");
    const o = await run("good");
    expect(o.status).toBe("pass");
    expect(o.message).toBe("SPF for good.check.test: pass for SendGrid's 2 netblock(s) via include:sendgrid.net > ip4:167.89.0.0/17 (1/10 lookups, 0/2 void); other senders get fail via -all");
  });

  it("+all: SendGrid passes, but so does everyone (fail)", async () => {
    const o = await run("plus");
    expect([o.status, o.messageId]).toEqual(["fail", "anyonePasses"]);
    expect(o.message).toContain("RFC 7208 §2.6.3");
  });

  it("?all: other senders are neutral (warn)", async () => {
    const o = await run("neutral");
    expect([o.status, o.messageId]).toEqual(["warn", "weak"]);
    expect(o.message).toContain("neutral via ?all");
  });

  it("the limit reached after SendGrid's match: pass for SendGrid, permerror for other senders (warn)", async () => {
    const o = await run("after");
    expect([o.status, o.messageId]).toEqual(["warn", "weak"]);
    expect(o.message).toContain("other senders get permerror via include:x10.spf.test — more than 10 DNS-querying terms, RFC 7208 §4.6.4");
  });

  it("-all before include:sendgrid.net: SendGrid's mail fails", async () => {
    const o = await run("first");
    expect([o.status, o.messageId]).toEqual(["fail", "sendgridNotPass"]);
    expect(o.message).toBe("SPF for first.check.test: fail for SendGrid's 167.89.0.1 via -all (0/10 lookups, 0/2 void) — RFC 7208 §2.6.4: receivers may reject SendGrid's mail (RFC 7208 §8.4)");
  });

  it("leading whitespace: no SPF record at all", async () => {
    const o = await run("leading");
    expect(o.status).toBe("fail");
    expect(o.message).toContain("none for SendGrid's");
    expect(o.message).toContain("RFC 7208 §4.5");
  });

  it("ptr is evaluated: warn (RFC 7208 §5.5)", async () => {
    // SendGrid's address matches the include first; the stranger's evaluation reaches ptr.
    const o = await run("ptr");
    expect([o.status, o.messageId]).toEqual(["warn", "weak"]);
    expect(o.message).toContain("§5.5");
  });

  it("SendGrid's netblocks listed directly pass without lookups; one of them missing is a failure", async () => {
    const o = await run("direct");
    expect(o.status).toBe("pass");
    expect(o.message).toContain("via ip4:167.89.0.0/17 (0/10 lookups, 0/2 void)");
    const partial = await run("partial");
    expect([partial.status, partial.messageId]).toEqual(["fail", "sendgridMixed"]);
    expect(partial.message).toContain("167.89.0.1 pass via ip4:167.89.0.0/17; 149.72.0.1 fail via -all");
  });

  it("a DNS failure is temperror, not a crash", async () => {
    const e = await evaluateSpf("x.unserved.example", dns, { ips: [SG_IP] });
    expect(e.sendgridResult).toBe("temperror");
    const o = decideCheck(check, { spfRecord: e } as Facts);
    expect((await o).message).toContain("RFC 7208 §4.4");
  });
});
