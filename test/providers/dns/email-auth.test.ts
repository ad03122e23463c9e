import { generateKeyPairSync } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { evaluateDkim, evaluateDmarc, evaluateSpf } from "../../../src/providers/dns/email-auth.js";
import { createDnsClient, type DnsClient, type MxRecord } from "../../../src/providers/dns/resolver.js";
import { startDnsServer, type RunningDnsServer } from "../../../src/sandbox/dns/server.js";
import { sandboxZone, type ZoneBreakage } from "../../../src/sandbox/dns/zones.js";

const DOMAIN = "bookflow.test";

describe("email authentication against the sandbox zone (real DNS on loopback)", () => {
  let server: RunningDnsServer;
  let dns: DnsClient;

  beforeAll(async () => {
    server = await startDnsServer({ zone: sandboxZone(DOMAIN) });
    dns = createDnsClient({ server: server.address, timeoutMs: 1000, tries: 1 });
  });
  afterAll(async () => {
    await server.close();
  });

  const withBreak = (b: ZoneBreakage) => server.setZone(sandboxZone(DOMAIN, { break: b }));

  describe("the healthy zone", () => {
    beforeAll(() => server.setZone(sandboxZone(DOMAIN)));

    it("has one SPF record that passes SendGrid's addresses with one lookup, and softfails others", async () => {
      const spf = await evaluateSpf(DOMAIN, dns);
      expect(spf.records).toEqual(["v=spf1 include:sendgrid.net ~all"]);
      expect(spf.sendgridSource).toBe("dns");
      expect(spf.sendgrid).toHaveLength(9);
      expect(spf.sendgridResult).toBe("pass");
      expect(spf.sendgrid[0]).toMatchObject({ ip: "167.89.0.1", result: "pass", decidedBy: "include:sendgrid.net > ip4:167.89.0.0/17", lookups: 1, voidLookups: 0 });
      expect(spf.stranger).toMatchObject({ result: "softfail", decidedBy: "~all", lookups: 1 });
    });

    it("has both SendGrid DKIM selectors as CNAMEs to valid RSA keys", async () => {
      const dkim = await evaluateDkim(DOMAIN, undefined, dns);
      expect(dkim.map((d) => d.selector)).toEqual(["s1", "s2"]);
      for (const d of dkim) {
        expect(d.valid).toBe(true);
        expect(d.problem).toBeUndefined();
        expect(d.name).toBe(`${d.selector}._domainkey.${DOMAIN}`);
        expect(d.cname).toBe(`${d.selector}.domainkey.u123.wl001.sendgrid.net`);
        expect(d.record).toMatch(/^v=DKIM1; k=rsa; p=/);
        expect(d.keyType).toBe("rsa");
        expect(d.keyBits).toBe(2048);
      }
      expect(dkim[0]!.record).not.toBe(dkim[1]!.record);
    });

    it("has a DMARC quarantine policy with aggregate reports", async () => {
      const dmarc = await evaluateDmarc(DOMAIN, dns);
      expect(dmarc.record).toBe(`v=DMARC1; p=quarantine; rua=mailto:dmarc@${DOMAIN}`);
      expect(dmarc.policy).toBe("quarantine");
      expect(dmarc.rua).toEqual([`mailto:dmarc@${DOMAIN}`]);
      expect(dmarc.problems).toEqual([]);
    });

    it("points the return path at SendGrid", async () => {
      expect(await dns.cname(`em123.${DOMAIN}`)).toBe("u123.wl001.sendgrid.net");
    });
  });

  describe("each named breakage is detected", () => {
    it("no-spf: no SPF record", async () => {
      withBreak("no-spf");
      const spf = await evaluateSpf(DOMAIN, dns);
      expect(spf.records).toEqual([]);
      expect(spf.sendgridResult).toBe("none");
      expect(spf.sendgrid[0]).toMatchObject({ result: "none", rfc: "RFC 7208 §4.5" });
    });

    it("two-spf: two SPF records, a permanent error", async () => {
      withBreak("two-spf");
      const spf = await evaluateSpf(DOMAIN, dns);
      expect(spf.records).toHaveLength(2);
      expect(spf.sendgridResult).toBe("permerror");
      expect(spf.sendgrid[0]).toMatchObject({ decidedBy: "(record)", rfc: "RFC 7208 §4.5" });
    });

    it("too-many-lookups: an include chain reaching the 10-lookup limit before SendGrid's include, all resolvable", async () => {
      withBreak("too-many-lookups");
      const spf = await evaluateSpf(DOMAIN, dns);
      expect(spf.sendgridResult).toBe("permerror");
      expect(spf.sendgrid[0]).toMatchObject({ decidedBy: "mx", lookups: 11, voidLookups: 0, rfc: "RFC 7208 §4.6.4" });
    });

    it("plus-all: +all lets anyone send", async () => {
      withBreak("plus-all");
      const spf = await evaluateSpf(DOMAIN, dns);
      expect(spf.sendgridResult).toBe("pass");
      expect(spf.stranger).toMatchObject({ result: "pass", decidedBy: "+all" });
    });

    it("missing-dkim: neither selector resolves", async () => {
      withBreak("missing-dkim");
      const dkim = await evaluateDkim(DOMAIN, ["s1", "s2"], dns);
      expect(dkim.map((d) => [d.valid, d.problem])).toEqual([
        [false, "missing"],
        [false, "missing"],
      ]);
    });

    it("dmarc-none: monitoring-only policy", async () => {
      withBreak("dmarc-none");
      const dmarc = await evaluateDmarc(DOMAIN, dns);
      expect(dmarc.policy).toBe("none");
      expect(dmarc.problems).toEqual(["policy-none"]);
    });

    it("no-dmarc: no DMARC record", async () => {
      withBreak("no-dmarc");
      const dmarc = await evaluateDmarc(DOMAIN, dns);
      expect(dmarc.record).toBeUndefined();
      expect(dmarc.policy).toBeUndefined();
      expect(dmarc.problems).toEqual(["none"]);
    });

    it("each breakage leaves the other records healthy", async () => {
      withBreak("no-dmarc");
      expect((await evaluateSpf(DOMAIN, dns)).sendgridResult).toBe("pass");
      expect((await evaluateDkim(DOMAIN, undefined, dns)).every((d) => d.valid)).toBe(true);
      withBreak("missing-dkim");
      expect((await evaluateDmarc(DOMAIN, dns)).problems).toEqual([]);
    });
  });

  it("refuses an unknown breakage name", () => {
    expect(() => sandboxZone(DOMAIN, { break: "no-such-thing" as ZoneBreakage })).toThrow(RangeError);
  });

  it("combines several breakages", async () => {
    server.setZone(sandboxZone(DOMAIN, { break: ["plus-all", "no-dmarc"] }));
    expect((await evaluateSpf(DOMAIN, dns)).stranger.result).toBe("pass");
    expect((await evaluateDmarc(DOMAIN, dns)).problems).toEqual(["none"]);
  });
});

/** An in-memory DnsClient for edge cases the sandbox zone does not have. */
function fakeDns(zone: { txt?: Record<string, string[]>; cname?: Record<string, string>; a?: Record<string, string[]>; mx?: Record<string, MxRecord[]> }): DnsClient & { queries: string[] } {
  const queries: string[] = [];
  return {
    server: "fake",
    queries,
    txt: async (name) => (queries.push(`TXT ${name}`), zone.txt?.[name] ?? []),
    cname: async (name) => (queries.push(`CNAME ${name}`), zone.cname?.[name] ?? null),
    a: async (name) => (queries.push(`A ${name}`), zone.a?.[name] ?? []),
    mx: async (name) => (queries.push(`MX ${name}`), zone.mx?.[name] ?? []),
    aaaa: async (name) => (queries.push(`AAAA ${name}`), []),
    ptr: async (name) => (queries.push(`PTR ${name}`), []),
  };
}

describe("evaluateSpf edge cases (the RFC 7208 table with NSD is spf-rfc.test.ts)", () => {
  const SG = ["v=spf1 ip4:1.2.3.0/24 ~all"];
  const cases: { name: string; txt: Record<string, string[]>; a?: Record<string, string[]>; mx?: Record<string, MxRecord[]>; expect: { sendgridResult: string; decidedBy?: string; lookups?: number; voidLookups?: number; stranger?: string; usedPtr?: boolean } }[] = [
    {
      name: "redirect= counts as a lookup and supplies the result",
      txt: { "d.test": ["v=spf1 redirect=_spf.d.test"], "_spf.d.test": ["v=spf1 include:sendgrid.net -all"], "sendgrid.net": SG },
      expect: { sendgridResult: "pass", decidedBy: "redirect=_spf.d.test > include:sendgrid.net > ip4:1.2.3.0/24", lookups: 2, stranger: "fail" },
    },
    {
      name: "redirect= is ignored when the record has an all",
      txt: { "d.test": ["v=spf1 redirect=other.test -all"], "sendgrid.net": SG },
      expect: { sendgridResult: "fail", decidedBy: "-all", lookups: 0 },
    },
    {
      name: "a, mx, ptr and exists count; ip4/ip6 do not; evaluation stops at the match",
      txt: { "d.test": ["v=spf1 ip4:198.51.100.4 ip6:2001:db8::/32 a mx:d.test ptr exists:x.d.test include:sendgrid.net ~all"], "sendgrid.net": SG },
      a: { "d.test": ["192.0.2.10"], "x.d.test": ["127.0.0.2"] },
      // a (1, answered), mx (2, void), ptr (3, void), exists (4) matches: SendGrid's mail passes via exists.
      expect: { sendgridResult: "pass", decidedBy: "exists:x.d.test", lookups: 4, voidLookups: 2, usedPtr: true },
    },
    {
      name: "a third void lookup is a permerror",
      txt: { "d.test": ["v=spf1 a:gone1.test a:gone2.test a:gone3.test include:sendgrid.net ~all"], "sendgrid.net": SG },
      expect: { sendgridResult: "permerror", decidedBy: "a:gone3.test", lookups: 3, voidLookups: 3 },
    },
    {
      name: "an include loop reaches the lookup limit (permerror)",
      txt: { "d.test": ["v=spf1 include:loop.test include:sendgrid.net ~all"], "loop.test": ["v=spf1 include:d.test ~all"], "sendgrid.net": SG },
      expect: { sendgridResult: "permerror", lookups: 11 },
    },
    {
      name: "no all and no redirect: SendGrid passes, others are neutral",
      txt: { "d.test": ["v=spf1 include:sendgrid.net"], "sendgrid.net": SG },
      expect: { sendgridResult: "pass", stranger: "neutral" },
    },
    {
      name: "unknown mechanisms are a permerror; case of v=spf1 does not matter",
      txt: { "d.test": ["V=SPF1 include:sendgrid.net foo:bar ~all", "unrelated"], "sendgrid.net": SG },
      expect: { sendgridResult: "permerror", decidedBy: "foo:bar" },
    },
    {
      name: "sendgrid.net without netblocks: the built-in ones are used",
      txt: { "d.test": ["v=spf1 ip4:167.89.0.0/17 -all"], "sendgrid.net": ["v=spf1 ~all"] },
      expect: { sendgridResult: "mixed" },
    },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      const dns = fakeDns({ txt: c.txt, ...(c.a ? { a: c.a } : {}), ...(c.mx ? { mx: c.mx } : {}) });
      const spf = await evaluateSpf("d.test", dns);
      expect(spf.sendgridResult, JSON.stringify(spf.sendgrid[0])).toBe(c.expect.sendgridResult);
      const first = spf.sendgrid[0]!;
      if (c.expect.decidedBy !== undefined) expect(first.decidedBy).toBe(c.expect.decidedBy);
      if (c.expect.lookups !== undefined) expect(first.lookups).toBe(c.expect.lookups);
      if (c.expect.voidLookups !== undefined) expect(first.voidLookups).toBe(c.expect.voidLookups);
      if (c.expect.stranger !== undefined) expect(spf.stranger.result).toBe(c.expect.stranger);
      if (c.expect.usedPtr !== undefined) expect(first.usedPtr).toBe(c.expect.usedPtr);
    });
  }

  it("uses the built-in netblocks when sendgrid.net cannot be read, and queries each name once per evaluation", async () => {
    const dns = fakeDns({ txt: { "d.test": ["v=spf1 include:sendgrid.net -all"] } });
    const spf = await evaluateSpf("d.test", dns);
    expect(spf.sendgridSource).toBe("built-in");
    expect(spf.sendgrid.map((r) => r.ip)).toContain("167.89.0.1");
    expect(spf.sendgridResult).toBe("permerror");
    expect(dns.queries.filter((q) => q === "TXT sendgrid.net")).toHaveLength(1);
  });
});

describe("evaluateDkim edge cases", () => {
  const rsa = (bits: number) => generateKeyPairSync("rsa", { modulusLength: bits }).publicKey.export({ type: "spki", format: "der" }).toString("base64");
  const ed25519 = generateKeyPairSync("ed25519").publicKey.export({ type: "spki", format: "der" }).subarray(12).toString("base64");
  const key1024 = rsa(1024);

  const cases: { name: string; txt?: string[]; cname?: string; valid: boolean; problem?: string }[] = [
    { name: "a TXT key without CNAME (no automated security) and without v=", txt: [`k=rsa; p=${key1024}`], valid: true },
    { name: "a key split across whitespace", txt: [`v=DKIM1; k=rsa; p=${key1024.slice(0, 100)} ${key1024.slice(100)}`], valid: true },
    { name: "an ed25519 key", txt: [`v=DKIM1; k=ed25519; p=${ed25519}`], valid: true },
    { name: "an empty p= (revoked)", txt: ["v=DKIM1; k=rsa; p="], valid: false, problem: "revoked" },
    { name: "a p= that is not base64", txt: ["v=DKIM1; k=rsa; p=not*base64!"], valid: false, problem: "invalid-key" },
    { name: "a p= that is base64 but not a key", txt: [`v=DKIM1; k=rsa; p=${Buffer.from("hello world, not a key").toString("base64")}`], valid: false, problem: "invalid-key" },
    { name: "no p= at all", txt: ["v=DKIM1; k=rsa"], valid: false, problem: "invalid-key" },
    { name: "a 512-bit key", txt: [`v=DKIM1; k=rsa; p=${rsa(512)}`], valid: false, problem: "weak-key" },
    { name: "an unknown key type", txt: [`v=DKIM1; k=dsa; p=${key1024}`], valid: false, problem: "unknown-key-type" },
    { name: "a TXT record that is not DKIM", txt: ["v=spf1 -all"], valid: false, problem: "not-dkim" },
    { name: "two keys", txt: [`v=DKIM1; p=${key1024}`, `v=DKIM1; p=${key1024}`], valid: false, problem: "multiple" },
    { name: "a CNAME whose target has no key", cname: "s1.domainkey.u1.wl1.sendgrid.net", valid: false, problem: "cname-target-missing" },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      const name = "s1._domainkey.d.test";
      const dns = fakeDns({ txt: c.txt ? { [name]: c.txt } : {}, cname: c.cname ? { [name]: c.cname } : {} });
      const [result] = await evaluateDkim("d.test", ["s1"], dns);
      expect(result!.valid).toBe(c.valid);
      expect(result!.problem).toBe(c.problem);
    });
  }
});

describe("evaluateDmarc edge cases", () => {
  const cases: { name: string; txt: string[]; policy?: string; problems: string[] }[] = [
    { name: "reject with reports", txt: ["v=DMARC1; p=reject; rua=mailto:a@d.test,mailto:b@d.test"], policy: "reject", problems: [] },
    { name: "no rua", txt: ["v=DMARC1; p=reject"], policy: "reject", problems: ["no-rua"] },
    { name: "a partial pct", txt: ["v=DMARC1; p=quarantine; pct=25; rua=mailto:a@d.test"], policy: "quarantine", problems: ["partial-pct"] },
    { name: "an invalid policy", txt: ["v=DMARC1; p=maybe; rua=mailto:a@d.test"], problems: ["invalid-policy"] },
    { name: "two records", txt: ["v=DMARC1; p=reject", "v=DMARC1; p=none"], problems: ["multiple"] },
    { name: "only unrelated TXT", txt: ["something else"], problems: ["none"] },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const dmarc = await evaluateDmarc("d.test", fakeDns({ txt: { "_dmarc.d.test": c.txt } }));
      expect(dmarc.policy).toBe(c.policy);
      expect(dmarc.problems).toEqual(c.problems);
    });
  }
});
