/**
 * The DNS client: `node:dns/promises` Resolver (c-ares) pointed at a chosen
 * server (BOOKFLOW_DNS_SERVER, e.g. the sandbox's `127.0.0.1:<port>`) or the
 * system's. "No such record" is a value (empty list / null), not an error;
 * every other failure (timeout, refused, SERVFAIL) is a ProviderError.
 */
import { Resolver } from "node:dns/promises";
import { isIP } from "node:net";
import { ConfigError, ProviderError } from "../../errors.js";

/** The environment variable naming the DNS server to query (`host:port`). */
export const DNS_SERVER_ENV = "BOOKFLOW_DNS_SERVER";

export interface DnsClientOptions {
  /** `host:port` or `host` (port 53), IPv6 as `[::1]:53`. Default: the system's resolvers. */
  server?: string | undefined;
  /** Per-try timeout in milliseconds (default 3000). */
  timeoutMs?: number | undefined;
  /** Tries per query, per server (default 2). */
  tries?: number | undefined;
}

export interface MxRecord {
  exchange: string;
  priority: number;
}

export interface DnsClient {
  /** The server queried, or "system". */
  readonly server: string;
  /** TXT records at `name`, each with its character-strings joined. Empty when there are none. */
  txt(name: string): Promise<string[]>;
  /** The CNAME target at `name`, or null. */
  cname(name: string): Promise<string | null>;
  /** IPv4 addresses at `name`. Empty when there are none. */
  a(name: string): Promise<string[]>;
  /** MX records at `name`. Empty when there are none. */
  mx(name: string): Promise<MxRecord[]>;
  /** IPv6 addresses at `name`. Empty when there are none. */
  aaaa(name: string): Promise<string[]>;
  /** PTR targets at `name` (an in-addr.arpa or ip6.arpa name). Empty when there are none. */
  ptr(name: string): Promise<string[]>;
}

/** c-ares codes meaning "the name or the record does not exist". */
const NO_RECORD = new Set(["ENOTFOUND", "ENODATA"]);

export function createDnsClient(options: DnsClientOptions = {}): DnsClient {
  const timeoutMs = options.timeoutMs ?? 3000;
  const tries = options.tries ?? 2;
  const resolver = new Resolver({ timeout: timeoutMs, tries });
  const server = options.server?.trim() || undefined;
  if (server) resolver.setServers([parseServer(server)]);

  async function query<T>(type: string, name: string, run: () => Promise<T>, none: T): Promise<T> {
    try {
      return await run();
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (typeof code === "string" && NO_RECORD.has(code)) return none;
      const message = err instanceof Error ? err.message : String(err);
      throw new ProviderError("dns", `${type} ${name}`, message, undefined, hintFor(code, server));
    }
  }

  return {
    server: server ?? "system",
    txt: (name) => query("TXT", name, async () => (await resolver.resolveTxt(name)).map((chunks) => chunks.join("")), [] as string[]),
    cname: (name) => query("CNAME", name, async () => (await resolver.resolveCname(name))[0] ?? null, null as string | null),
    a: (name) => query("A", name, () => resolver.resolve4(name), [] as string[]),
    mx: (name) => query("MX", name, () => resolver.resolveMx(name), [] as MxRecord[]),
    aaaa: (name) => query("AAAA", name, () => resolver.resolve6(name), [] as string[]),
    ptr: (name) => query("PTR", name, () => resolver.resolvePtr(name), [] as string[]),
  };
}

/** Validates `host[:port]` and returns the form `Resolver.setServers` takes. */
export function parseServer(server: string): string {
  const bad = () =>
    new ConfigError(`${DNS_SERVER_ENV} must be an IP address with an optional port (e.g. 127.0.0.1:5353 or [::1]:53), not "${server}"`, "DNS servers are given by address, not by host name.");
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(server);
  const v4 = /^([^:]+)(?::(\d+))?$/.exec(server);
  const host = v6?.[1] ?? v4?.[1] ?? (isIP(server) === 6 ? server : undefined);
  const port = v6?.[2] ?? v4?.[2];
  if (!host || isIP(host) === 0) throw bad();
  if (port !== undefined && (!/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535)) throw bad();
  return server;
}

function hintFor(code: unknown, server: string | undefined): string | undefined {
  const where = server ? `the DNS server ${server}` : "the system's DNS resolvers";
  if (code === "ETIMEOUT") return `No answer from ${where}; check that it is running and reachable.`;
  if (code === "ECONNREFUSED") return `${where} refused the connection; check that it is running.`;
  if (code === "ESERVFAIL") return `${where} could not answer (SERVFAIL); the zone may be misconfigured.`;
  return undefined;
}
