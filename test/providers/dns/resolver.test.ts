import { createSocket, type Socket } from "node:dgram";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, ProviderError } from "../../../src/errors.js";
import { createDnsClient, parseServer } from "../../../src/providers/dns/resolver.js";
import { startDnsServer, type RunningDnsServer } from "../../../src/sandbox/dns/server.js";

const LONG = `v=DKIM1; k=rsa; p=${"MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA".repeat(10)}`;

describe("DNS client against the sandbox DNS server", () => {
  let server: RunningDnsServer;

  beforeAll(async () => {
    server = await startDnsServer({
      zone: [
        { name: "example.test", type: "TXT", value: "v=spf1 include:sendgrid.net ~all" },
        { name: "example.test", type: "TXT", value: "site-verification=abc" },
        { name: "example.test", type: "A", value: "192.0.2.1" },
        { name: "example.test", type: "MX", value: "10 mx.example.test" },
        { name: "long.example.test", type: "TXT", value: LONG },
        { name: "s1._domainkey.example.test", type: "CNAME", value: "s1.domainkey.u1.wl1.sendgrid.test" },
        { name: "s1.domainkey.u1.wl1.sendgrid.test", type: "TXT", value: "v=DKIM1; k=rsa; p=KEY" },
      ],
    });
  });
  afterAll(async () => {
    await server.close();
  });

  const client = () => createDnsClient({ server: server.address, timeoutMs: 1000, tries: 1 });

  it("reads every TXT record at a name", async () => {
    expect((await client().txt("example.test")).sort()).toEqual(["site-verification=abc", "v=spf1 include:sendgrid.net ~all"]);
  });

  it("rejoins a TXT value the server split into 255-byte character-strings", async () => {
    expect(Buffer.byteLength(LONG)).toBeGreaterThan(255);
    expect(await client().txt("long.example.test")).toEqual([LONG]);
  });

  it("reads a CNAME, and TXT through it", async () => {
    const c = client();
    expect(await c.cname("s1._domainkey.example.test")).toBe("s1.domainkey.u1.wl1.sendgrid.test");
    expect(await c.txt("s1._domainkey.example.test")).toEqual(["v=DKIM1; k=rsa; p=KEY"]);
  });

  it("reads A and MX records", async () => {
    const c = client();
    expect(await c.a("example.test")).toEqual(["192.0.2.1"]);
    expect(await c.mx("example.test")).toEqual([{ exchange: "mx.example.test", priority: 10 }]);
  });

  it("maps NXDOMAIN to no record", async () => {
    const c = client();
    expect(await c.txt("nothing.example.test")).toEqual([]);
    expect(await c.cname("nothing.example.test")).toBeNull();
  });

  it("maps NODATA (the name exists with other types) to no record", async () => {
    const c = client();
    expect(await c.cname("example.test")).toBeNull();
    expect(await c.a("s1.domainkey.u1.wl1.sendgrid.test")).toEqual([]);
    expect(await c.mx("long.example.test")).toEqual([]);
  });

  it("sees zone changes at once (no client-side cache)", async () => {
    const c = client();
    server.addRecord({ name: "fresh.example.test", type: "TXT", value: "v1" });
    expect(await c.txt("fresh.example.test")).toEqual(["v1"]);
    server.removeRecords("fresh.example.test");
    server.addRecord({ name: "fresh.example.test", type: "TXT", value: "v2" });
    expect(await c.txt("fresh.example.test")).toEqual(["v2"]);
  });

  it("reports the server it queries", () => {
    expect(client().server).toBe(server.address);
    expect(createDnsClient().server).toBe("system");
  });
});

describe("DNS client failures", () => {
  it("turns a server that is down into a ProviderError naming the query, quickly", async () => {
    const gone = await startDnsServer({ zone: [] });
    const address = gone.address;
    await gone.close();
    const c = createDnsClient({ server: address, timeoutMs: 300, tries: 1 });
    const started = Date.now();
    const err = await c.txt("example.test").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).provider).toBe("dns");
    expect((err as ProviderError).endpoint).toBe("TXT example.test");
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it("times out within its bound when the server never answers", async () => {
    const silent: Socket = createSocket("udp4");
    await new Promise<void>((resolve) => silent.bind(0, "127.0.0.1", () => resolve()));
    try {
      const c = createDnsClient({ server: `127.0.0.1:${silent.address().port}`, timeoutMs: 200, tries: 2 });
      const started = Date.now();
      const err = await c.cname("example.test").catch((e: unknown) => e);
      const elapsed = Date.now() - started;
      expect(err).toBeInstanceOf(ProviderError);
      expect((err as ProviderError).endpoint).toBe("CNAME example.test");
      expect((err as ProviderError).message).toMatch(/ETIMEOUT/);
      expect(elapsed).toBeGreaterThanOrEqual(150);
      expect(elapsed).toBeLessThan(3000);
    } finally {
      silent.close();
    }
  });

  it("rejects a server that is not an address with a port", () => {
    expect(parseServer("127.0.0.1:5353")).toBe("127.0.0.1:5353");
    expect(parseServer("[::1]:53")).toBe("[::1]:53");
    expect(parseServer("10.0.0.1")).toBe("10.0.0.1");
    for (const bad of ["dns.example.com:53", "127.0.0.1:99999", "127.0.0.1:", "[::1]:x"]) {
      expect(() => createDnsClient({ server: bad })).toThrow(ConfigError);
    }
  });
});
