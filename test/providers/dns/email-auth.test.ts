import { generateKeyPairSync } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { evaluateDkim, evaluateDmarc, evaluateSpf, type SpfProblem } from "../../../src/providers/dns/email-auth.js";
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

    it("has one SPF record that includes SendGrid, within the lookup limits, ending in ~all", async () => {
      const spf = await evaluateSpf(DOMAIN, dns);
      expect(spf.records).toEqual(["v=spf1 include:sendgrid.net ~all"]);
      expect(spf.error).toBeUndefined();
      expect(spf.includesSendgrid).toBe(true);
      expect(spf.lookupCount).toBe(1);
      expect(spf.voidLookups).toBe(0);
      expect(spf.includes).toEqual(["sendgrid.net"]);
      expect(spf.allQualifier).toBe("~all");
      expect(spf.problems).toEqual([]);
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
      expect(spf.error).toBe("none");
      expect(spf.records).toEqual([]);
      expect(spf.problems).toEqual(["none"]);
      expect(spf.includesSendgrid).toBe(false);
    });

    it("two-spf: two SPF records, a permanent error", async () => {
      withBreak("two-spf");
      const spf = await evaluateSpf(DOMAIN, dns);
      expect(spf.error).toBe("multiple");
      expect(spf.records).toHaveLength(2);
      expect(spf.problems).toEqual(["multiple"]);
    });

    it("too-many-lookups: an include chain needing more than 10 lookups, all resolvable", async () => {
      withBreak("too-many-lookups");
      const spf = await evaluateSpf(DOMAIN, dns);
      expect(spf.error).toBeUndefined();
      expect(spf.lookupCount).toBe(13);
      expect(spf.voidLookups).toBe(0);
      expect(spf.unresolvedIncludes).toEqual([]);
      expect(spf.includesSendgrid).toBe(true);
      expect(spf.problems).toEqual(["too-many-lookups"]);
    });

    it("plus-all: +all lets anyone send", async () => {
      withBreak("plus-all");
      const spf = await evaluateSpf(DOMAIN, dns);
      expect(spf.allQualifier).toBe("+all");
      expect(spf.problems).toEqual(["plus-all"]);
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
      expect((await evaluateSpf(DOMAIN, dns)).problems).toEqual([]);
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
    expect((await evaluateSpf(DOMAIN, dns)).problems).toEqual(["plus-all"]);
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
  };
}

describe("evaluateSpf edge cases", () => {
  const cases: { name: string; txt: Record<string, string[]>; a?: Record<string, string[]>; expect: { lookupCount?: number; voidLookups?: number; allQualifier?: string | null; problems: SpfProblem[] } }[] = [
    {
      name: "redirect= counts as a lookup and supplies the all qualifier",
      txt: { "d.test": ["v=spf1 redirect=_spf.d.test"], "_spf.d.test": ["v=spf1 include:sendgrid.net -all"], "sendgrid.net": ["v=spf1 ip4:1.2.3.0/24 ~all"] },
      expect: { lookupCount: 2, allQualifier: "-all", problems: [] },
    },
    {
      name: "redirect= is ignored when the record has an all",
      txt: { "d.test": ["v=spf1 include:sendgrid.net redirect=other.test -all"], "sendgrid.net": ["v=spf1 ~all"] },
      expect: { lookupCount: 1, allQualifier: "-all", problems: [] },
    },
    {
      name: "a, mx, ptr and exists count; ip4/ip6 do not; ptr is flagged",
      txt: { "d.test": ["v=spf1 ip4:1.2.3.4 ip6:2001:db8::/32 a mx:d.test ptr exists:x.d.test include:sendgrid.net ~all"], "sendgrid.net": ["v=spf1 ~all"] },
      a: { "d.test": ["192.0.2.1"], "x.d.test": ["127.0.0.2"] },
      expect: { lookupCount: 5, voidLookups: 1, problems: ["uses-ptr"] },
    },
    {
      name: "void lookups beyond 2 are a problem",
      txt: { "d.test": ["v=spf1 a:gone1.test a:gone2.test include:gone3.test include:sendgrid.net ~all"], "sendgrid.net": ["v=spf1 ~all"] },
      expect: { lookupCount: 4, voidLookups: 3, problems: ["include-without-spf", "too-many-void-lookups"] },
    },
    {
      name: "an include loop is counted once per visit and stops",
      txt: { "d.test": ["v=spf1 include:loop.test include:sendgrid.net ~all"], "loop.test": ["v=spf1 include:d.test ~all"], "sendgrid.net": ["v=spf1 ~all"] },
      expect: { lookupCount: 3, problems: [] },
    },
    {
      name: "no all and no redirect",
      txt: { "d.test": ["v=spf1 include:sendgrid.net"], "sendgrid.net": ["v=spf1 ~all"] },
      expect: { allQualifier: null, problems: ["no-all"] },
    },
    {
      name: "a bare all means +all; ?all is neutral",
      txt: { "d.test": ["v=spf1 include:sendgrid.net all"], "sendgrid.net": ["v=spf1 ~all"] },
      expect: { allQualifier: "+all", problems: ["plus-all"] },
    },
    {
      name: "?all and no SendGrid include",
      txt: { "d.test": ["v=spf1 ip4:192.0.2.0/24 ?all"] },
      expect: { lookupCount: 0, allQualifier: "?all", problems: ["no-sendgrid-include", "neutral-all"] },
    },
    {
      name: "unknown terms are syntax problems; case of v=spf1 does not matter",
      txt: { "d.test": ["V=SPF1 include:sendgrid.net foo:bar ~all", "unrelated"], "sendgrid.net": ["v=spf1 ~all"] },
      expect: { problems: ["syntax"] },
    },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      const dns = fakeDns({ txt: c.txt, ...(c.a ? { a: c.a } : {}) });
      const spf = await evaluateSpf("d.test", dns);
      expect(spf.problems).toEqual(c.expect.problems);
      if (c.expect.lookupCount !== undefined) expect(spf.lookupCount).toBe(c.expect.lookupCount);
      if (c.expect.voidLookups !== undefined) expect(spf.voidLookups).toBe(c.expect.voidLookups);
      if (c.expect.allQualifier !== undefined) expect(spf.allQualifier).toBe(c.expect.allQualifier);
    });
  }

  it("does not query a/mx targets when the client cannot", async () => {
    const spf = await evaluateSpf("d.test", { txt: async (n) => (n === "d.test" ? ["v=spf1 a mx include:sendgrid.net -all"] : ["v=spf1 -all"]) });
    expect(spf.lookupCount).toBe(3);
    expect(spf.voidLookups).toBe(0);
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
