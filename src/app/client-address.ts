import { BlockList, isIP } from "node:net";
import type { IncomingMessage } from "node:http";
import type { TrustedProxy } from "../config/app-env.js";

/**
 * Who a request comes from, for the rate limiter. The socket's address, unless that address is a trusted proxy
 * (BOOKFLOW_TRUSTED_PROXIES): then the right-most X-Forwarded-For address that is not a trusted proxy, since each
 * proxy appends the address it received from and only the entries left of the last trusted hop can be forged.
 * IPv6 clients are keyed per /64 (one host holds a whole /64), IPv4-mapped IPv6 addresses as IPv4.
 */
export type ClientKeyer = (req: IncomingMessage) => string;

export function createClientKeyer(trustedProxies: readonly TrustedProxy[] = []): ClientKeyer {
  const trusted = new BlockList();
  for (const p of trustedProxies) trusted.addSubnet(p.address, p.prefix, p.family === 4 ? "ipv4" : "ipv6");
  const isTrusted = (address: string): boolean => {
    const family = isIP(address);
    return family !== 0 && trusted.check(address, family === 4 ? "ipv4" : "ipv6");
  };

  return (req) => {
    const socketAddress = req.socket.remoteAddress ?? "";
    if (!trustedProxies.length || !isTrusted(socketAddress)) return addressKey(socketAddress);
    const header = req.headers["x-forwarded-for"];
    const hops = (Array.isArray(header) ? header.join(",") : (header ?? ""))
      .split(",")
      .map((h) => h.trim())
      .filter(Boolean);
    let client = socketAddress;
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = unbracket(hops[i]!);
      // An entry that is not an address was not written by a proxy we trust: stop at the last hop we could read.
      if (isIP(hop) === 0) break;
      client = hop;
      if (!isTrusted(hop)) break;
    }
    return addressKey(client);
  };
}

/** The rate limiter's key for an address: IPv4 as is, IPv6 by its /64, anything else as given. */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (isIP(address) !== 6) return address || "unknown";
  const groups = expandIPv6(address);
  return `${groups.slice(0, 4).join(":")}::/64`;
}

/** The eight 16-bit groups of an IPv6 address, as lower-case hex without leading zeros. */
function expandIPv6(address: string): string[] {
  let text = address.split("%")[0]!.toLowerCase();
  // A trailing dotted IPv4 part is two groups.
  const v4 = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [left, right] = text.includes("::") ? (text.split("::") as [string, string]) : [text, undefined];
  const head = left ? left.split(":") : [];
  const tail = right ? right.split(":") : [];
  const groups = right === undefined ? head : [...head, ...Array<string>(8 - head.length - tail.length).fill("0"), ...tail];
  return groups.map((g) => parseInt(g, 16).toString(16));
}

function unbracket(hop: string): string {
  // "[2001:db8::1]:443" or "203.0.113.9:443" (some proxies add the port).
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(hop);
  if (bracketed) return bracketed[1]!;
  const v4port = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(hop);
  return v4port ? v4port[1]! : hop;
}
