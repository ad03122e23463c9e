import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { addressKey, createClientKeyer } from "../../src/app/client-address.js";
import { trustedProxiesSchema } from "../../src/config/app-env.js";

function req(remoteAddress: string, xff?: string | string[]): IncomingMessage {
  return { socket: { remoteAddress }, headers: xff === undefined ? {} : { "x-forwarded-for": xff } } as unknown as IncomingMessage;
}
const proxies = (text: string) => trustedProxiesSchema.parse(text);

describe("addressKey", () => {
  it.each([
    ["203.0.113.9", "203.0.113.9"],
    ["::ffff:203.0.113.9", "203.0.113.9"],
    ["2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"],
    ["2001:0db8:0001:0002::1", "2001:db8:1:2::/64"],
    ["2001:db8::1", "2001:db8:0:0::/64"],
    ["::1", "0:0:0:0::/64"],
    ["fe80::1%eth0", "fe80:0:0:0::/64"],
    ["64:ff9b::192.0.2.33", "64:ff9b:0:0::/64"],
  ])("%s → %s", (address, key) => {
    expect(addressKey(address)).toBe(key);
  });

  it("keys two hosts of one /64 alike and the next /64 apart", () => {
    expect(addressKey("2001:db8:1:2::1")).toBe(addressKey("2001:db8:1:2:ffff::2"));
    expect(addressKey("2001:db8:1:3::1")).not.toBe(addressKey("2001:db8:1:2::1"));
  });
});

describe("createClientKeyer", () => {
  it("without trusted proxies: the socket's address, X-Forwarded-For ignored", () => {
    expect(createClientKeyer()(req("198.51.100.7", "203.0.113.1"))).toBe("198.51.100.7");
  });

  it("behind a trusted proxy: the right-most address the proxy did not write itself", () => {
    const key = createClientKeyer(proxies("10.0.0.0/8"));
    expect(key(req("10.0.0.1", "203.0.113.5"))).toBe("203.0.113.5");
    // Entries left of the client's are the client's own claims: ignored.
    expect(key(req("10.0.0.1", "1.1.1.1, 203.0.113.5"))).toBe("203.0.113.5");
    // A chain of trusted proxies is walked through.
    expect(key(req("10.0.0.1", "203.0.113.5, 10.2.3.4"))).toBe("203.0.113.5");
    expect(key(req("10.0.0.1", ["1.1.1.1, 203.0.113.5", "10.2.3.4"]))).toBe("203.0.113.5");
    // Ports and brackets some proxies add.
    expect(key(req("10.0.0.1", "203.0.113.5:4711"))).toBe("203.0.113.5");
    expect(key(req("10.0.0.1", "[2001:db8:1:2::9]:443"))).toBe("2001:db8:1:2::/64");
  });

  it("a request not from a trusted proxy is keyed on its socket, whatever it claims", () => {
    const key = createClientKeyer(proxies("10.0.0.0/8"));
    expect(key(req("198.51.100.7", "203.0.113.5"))).toBe("198.51.100.7");
  });

  it("a trusted proxy with no (or an unreadable) X-Forwarded-For: the last address that could be read", () => {
    const key = createClientKeyer(proxies("10.0.0.1, 10.0.0.2"));
    expect(key(req("10.0.0.1"))).toBe("10.0.0.1");
    expect(key(req("10.0.0.1", "203.0.113.5, garbage"))).toBe("10.0.0.1");
    expect(key(req("10.0.0.1", "garbage, 10.0.0.2"))).toBe("10.0.0.2");
  });

  it("IPv6 proxies and IPv4-mapped sockets", () => {
    const key = createClientKeyer(proxies("2001:db8:ffff::/48, 127.0.0.1"));
    expect(key(req("2001:db8:ffff::10", "2001:db8:1:2::1"))).toBe("2001:db8:1:2::/64");
    expect(key(req("::ffff:127.0.0.1", "203.0.113.5"))).toBe("203.0.113.5");
  });
});

describe("BOOKFLOW_TRUSTED_PROXIES", () => {
  it("reads addresses and CIDR ranges, comma-separated", () => {
    expect(proxies(" 10.0.0.0/8, 192.0.2.7 ,2001:db8::/32")).toEqual([
      { address: "10.0.0.0", prefix: 8, family: 4 },
      { address: "192.0.2.7", prefix: 32, family: 4 },
      { address: "2001:db8::", prefix: 32, family: 6 },
    ]);
  });

  it.each(["10.0.0.0/33", "proxy.example.com", "10.0.0.0/8/1", "2001:db8::/129", "10.0.0.0/x"])("refuses %s, naming the entry by position", (text) => {
    const r = trustedProxiesSchema.safeParse(`127.0.0.1, ${text}`);
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toContain("entry 2");
  });
});
