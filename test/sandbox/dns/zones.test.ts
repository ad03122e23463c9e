import { createPublicKey } from "node:crypto";
import { describe, expect, it } from "vitest";
import { startDnsServer } from "../../../src/sandbox/dns/server.js";
import { sandboxDkimKeys, sandboxNames, sandboxZone, SENDGRID_SPF, ZONE_BREAKAGES } from "../../../src/sandbox/dns/zones.js";

const DOMAIN = "bookflow.test";
const txtAt = (records: ReturnType<typeof sandboxZone>, name: string) =>
  records.filter((r) => r.type === "TXT" && r.name === name).map((r) => (Array.isArray(r.value) ? r.value.join("") : r.value));

describe("sandbox zone", () => {
  it("publishes SendGrid's automated-security records, with their targets in the same zone", () => {
    const zone = sandboxZone(DOMAIN);
    const names = sandboxNames(DOMAIN);
    const cname = (name: string) => zone.find((r) => r.type === "CNAME" && r.name === name)?.value;
    expect(cname(`em123.${DOMAIN}`)).toBe("u123.wl001.sendgrid.net");
    expect(cname(`s1._domainkey.${DOMAIN}`)).toBe("s1.domainkey.u123.wl001.sendgrid.net");
    expect(cname(`s2._domainkey.${DOMAIN}`)).toBe("s2.domainkey.u123.wl001.sendgrid.net");
    expect(txtAt(zone, names.dkim.s1.target)).toEqual([`v=DKIM1; k=rsa; p=${sandboxDkimKeys().s1}`]);
    expect(txtAt(zone, "sendgrid.net")).toEqual([SENDGRID_SPF]);
    expect(txtAt(zone, DOMAIN)).toContain("v=spf1 include:sendgrid.net ~all");
    expect(txtAt(zone, `_dmarc.${DOMAIN}`)).toEqual([`v=DMARC1; p=quarantine; rua=mailto:dmarc@${DOMAIN}`]);
  });

  it("uses real RSA public keys, the same for every zone built in a process", () => {
    const keys = sandboxDkimKeys();
    for (const key of [keys.s1, keys.s2]) {
      const k = createPublicKey({ key: Buffer.from(key, "base64"), format: "der", type: "spki" });
      expect(k.asymmetricKeyType).toBe("rsa");
    }
    expect(sandboxDkimKeys()).toBe(keys);
  });

  it("takes another SendGrid user id and whitelabel", () => {
    const zone = sandboxZone(DOMAIN, { sendgridUserId: 42, whitelabel: "wl7", ttl: 60 });
    expect(zone.find((r) => r.name === `em42.${DOMAIN}`)?.value).toBe("u42.wl7.sendgrid.net");
    expect(zone.every((r) => r.ttl === 60)).toBe(true);
  });

  it("builds a zone the DNS server accepts for every breakage", async () => {
    const server = await startDnsServer();
    try {
      for (const b of ZONE_BREAKAGES) expect(() => server.setZone(sandboxZone(DOMAIN, { break: b }))).not.toThrow();
    } finally {
      await server.close();
    }
  });

  it("changes only what each breakage names", () => {
    const healthy = sandboxZone(DOMAIN);
    expect(txtAt(sandboxZone(DOMAIN, { break: "no-spf" }), DOMAIN).filter((t) => t.startsWith("v=spf1"))).toEqual([]);
    expect(txtAt(sandboxZone(DOMAIN, { break: "two-spf" }), DOMAIN).filter((t) => t.startsWith("v=spf1"))).toHaveLength(2);
    expect(sandboxZone(DOMAIN, { break: "missing-dkim" }).some((r) => r.name.includes("._domainkey."))).toBe(false);
    expect(txtAt(sandboxZone(DOMAIN, { break: "no-dmarc" }), `_dmarc.${DOMAIN}`)).toEqual([]);
    expect(sandboxZone(DOMAIN, { break: "no-dmarc" }).length).toBe(healthy.length - 1);
  });
});
