/**
 * A small authoritative DNS server for the sandbox: real UDP (and TCP, for
 * answers too big for a datagram) on 127.0.0.1, answering from an in-memory
 * zone that tests and `bookflow sandbox` can change while it runs.
 *
 * It answers A, CNAME, MX and TXT (and ANY) with AA set; NXDOMAIN when a name
 * does not exist at all, NOERROR with no answers when it exists with other
 * types (or only has names below it), follows in-zone CNAME chains, and
 * answers FORMERR to garbage. It never recurses.
 */
import { createSocket, type Socket } from "node:dgram";
import { createServer, type Server, type Socket as TcpSocket } from "node:net";
import {
  CLASS_ANY,
  CLASS_IN,
  DnsFormatError,
  encodeResponse,
  parseQuery,
  peekId,
  RCODE,
  TYPE,
  TYPE_NAMES,
  type DnsQuery,
  type ResourceRecord,
} from "./wire.js";

export type DnsRecordType = "TXT" | "CNAME" | "A" | "MX";

/**
 * One zone entry. `value` by type:
 * - TXT: a string (split into ≤255-byte character-strings on the wire), or the
 *   record's character-strings as a list (each split again if longer than 255 bytes);
 * - CNAME: the target name; A: a dotted IPv4 address; MX: `"<preference> <exchange>"`.
 *   For these a list means one record per item.
 */
export interface DnsRecord {
  name: string;
  type: DnsRecordType;
  value: string | string[];
  /** Seconds; default 300. */
  ttl?: number;
}

export interface DnsServerOptions {
  /** Port for both UDP and TCP; default an ephemeral one. */
  port?: number;
  zone?: DnsRecord[];
  /** Also answer over TCP on the same port (default true). */
  tcp?: boolean;
}

export interface DnsQueryLogEntry {
  name: string;
  type: string;
  rcode: number;
  answers: number;
  transport: "udp" | "tcp";
  at: number;
}

export interface RunningDnsServer {
  host: "127.0.0.1";
  port: number;
  /** `127.0.0.1:<port>`, the form `Resolver.setServers` and BOOKFLOW_DNS_SERVER take. */
  address: string;
  setZone(records: DnsRecord[]): void;
  addRecord(record: DnsRecord): void;
  /** Removes every record at `name` (of `type`, when given). Returns how many were removed. */
  removeRecords(name: string, type?: DnsRecordType): number;
  /** The zone as it is now. */
  records(): DnsRecord[];
  /** Every query answered, oldest first. */
  queryLog: DnsQueryLogEntry[];
  close(): Promise<void>;
}

const DEFAULT_TTL = 300;
const MAX_CNAME_CHAIN = 8;
/** The UDP size limit without EDNS0 (RFC 1035 §4.2.1). */
const CLASSIC_UDP_LIMIT = 512;
/** What we advertise and honour with EDNS0 (the DNS Flag Day 2020 value). */
const EDNS_UDP_LIMIT = 1232;

export function normalizeName(name: string): string {
  return name.trim().replace(/\.$/, "").toLowerCase();
}

const RECORD_TYPES: Record<DnsRecordType, number> = { A: TYPE.A, CNAME: TYPE.CNAME, MX: TYPE.MX, TXT: TYPE.TXT };

function toResourceRecords(owner: string, record: DnsRecord): ResourceRecord[] {
  const ttl = record.ttl ?? DEFAULT_TTL;
  const values = Array.isArray(record.value) ? record.value : [record.value];
  switch (record.type) {
    case "TXT":
      return [{ name: owner, type: TYPE.TXT, ttl, data: values }];
    case "A":
      return values.map((v) => ({ name: owner, type: TYPE.A, ttl, data: v.trim() }));
    case "CNAME":
      return values.map((v) => ({ name: owner, type: TYPE.CNAME, ttl, data: normalizeName(v) }));
    case "MX":
      return values.map((v) => {
        const m = /^\s*(\d+)\s+(\S+)\s*$/.exec(v);
        if (!m) throw new RangeError(`MX value must be "<preference> <exchange>", got "${v}"`);
        return { name: owner, type: TYPE.MX, ttl, data: { preference: Number(m[1]), exchange: normalizeName(m[2]!) } };
      });
  }
}

function validate(record: DnsRecord): void {
  if (!(record.type in RECORD_TYPES)) throw new RangeError(`unsupported record type ${String(record.type)}`);
  // Encoding once catches bad names, addresses and MX values when the zone is set, not mid-query.
  encodeResponse({ id: 0, rcode: 0, answers: toResourceRecords(normalizeName(record.name), record) });
}

class Zone {
  private byName = new Map<string, DnsRecord[]>();

  constructor(records: DnsRecord[]) {
    this.set(records);
  }
  set(records: DnsRecord[]): void {
    records.forEach(validate);
    this.byName = new Map();
    for (const r of records) this.addUnchecked(r);
  }
  add(record: DnsRecord): void {
    validate(record);
    this.addUnchecked(record);
  }
  private addUnchecked(record: DnsRecord): void {
    const key = normalizeName(record.name);
    const list = this.byName.get(key) ?? [];
    list.push({ ...record });
    this.byName.set(key, list);
  }
  remove(name: string, type?: DnsRecordType): number {
    const key = normalizeName(name);
    const list = this.byName.get(key) ?? [];
    const keep = type ? list.filter((r) => r.type !== type) : [];
    if (keep.length) this.byName.set(key, keep);
    else this.byName.delete(key);
    return list.length - keep.length;
  }
  all(): DnsRecord[] {
    return [...this.byName.values()].flat().map((r) => ({ ...r }));
  }
  at(name: string): DnsRecord[] | undefined {
    return this.byName.get(name);
  }
  /** A name exists if it has records or names below it (an "empty non-terminal", RFC 8020). */
  exists(name: string): boolean {
    if (this.byName.has(name)) return true;
    const suffix = `.${name}`;
    for (const key of this.byName.keys()) if (key.endsWith(suffix)) return true;
    return false;
  }

  answer(name: string, qtype: number): { rcode: number; answers: ResourceRecord[] } {
    const answers: ResourceRecord[] = [];
    let current = name;
    const seen = new Set<string>();
    for (let hop = 0; hop <= MAX_CNAME_CHAIN; hop++) {
      const records = this.at(current);
      if (!records) {
        // NXDOMAIN only for the name asked; a CNAME pointing outside what we hold is answered as is.
        if (hop === 0 && !this.exists(current)) return { rcode: RCODE.NXDOMAIN, answers };
        return { rcode: RCODE.NOERROR, answers };
      }
      const matching = qtype === TYPE.ANY ? records : records.filter((r) => RECORD_TYPES[r.type] === qtype);
      if (matching.length > 0) {
        for (const r of matching) answers.push(...toResourceRecords(current, r));
        return { rcode: RCODE.NOERROR, answers };
      }
      const cname = records.find((r) => r.type === "CNAME");
      if (!cname) return { rcode: RCODE.NOERROR, answers };
      const [rr] = toResourceRecords(current, cname);
      answers.push(rr!);
      seen.add(current);
      current = (rr as { data: string }).data;
      if (seen.has(current)) return { rcode: RCODE.SERVFAIL, answers: [] };
    }
    return { rcode: RCODE.NOERROR, answers };
  }
}

export async function startDnsServer(options: DnsServerOptions = {}): Promise<RunningDnsServer> {
  const zone = new Zone(options.zone ?? []);
  const queryLog: DnsQueryLogEntry[] = [];

  const respond = (msg: Buffer, transport: "udp" | "tcp"): Buffer | undefined => {
    let query: DnsQuery;
    try {
      query = parseQuery(msg);
    } catch (err) {
      const id = peekId(msg);
      // Fewer than two bytes, or a response sent to us: nothing sensible to answer.
      if (id === undefined || (msg.length >= 3 && msg[2]! & 0x80)) return undefined;
      if (!(err instanceof DnsFormatError)) throw err;
      queryLog.push({ name: "", type: "", rcode: RCODE.FORMERR, answers: 0, transport, at: Date.now() });
      return encodeResponse({ id, rcode: RCODE.FORMERR });
    }
    const { question } = query;
    const base = {
      id: query.id,
      opcode: query.opcode,
      recursionDesired: query.recursionDesired,
      question,
      ...(query.edns ? { edns: { udpPayloadSize: EDNS_UDP_LIMIT } } : {}),
      ...(transport === "udp" ? { maxBytes: query.edns ? Math.min(query.edns.udpPayloadSize, EDNS_UDP_LIMIT) : CLASSIC_UDP_LIMIT } : {}),
    };
    let result: { rcode: number; answers: ResourceRecord[] };
    if (query.opcode !== 0) result = { rcode: RCODE.NOTIMP, answers: [] };
    else if (query.edns && query.edns.version !== 0) result = { rcode: RCODE.FORMERR, answers: [] };
    else if (question.class !== CLASS_IN && question.class !== CLASS_ANY) result = { rcode: RCODE.REFUSED, answers: [] };
    else result = zone.answer(question.name, question.type);
    queryLog.push({
      name: question.name,
      type: TYPE_NAMES[question.type] ?? String(question.type),
      rcode: result.rcode,
      answers: result.answers.length,
      transport,
      at: Date.now(),
    });
    return encodeResponse({ ...base, authoritative: result.rcode === RCODE.NOERROR || result.rcode === RCODE.NXDOMAIN, ...result });
  };

  const { udp, tcp, port } = await bind(options.port, options.tcp !== false, respond);

  return {
    host: "127.0.0.1",
    port,
    address: `127.0.0.1:${port}`,
    setZone: (records) => zone.set(records),
    addRecord: (record) => zone.add(record),
    removeRecords: (name, type) => zone.remove(name, type),
    records: () => zone.all(),
    queryLog,
    close: async () => {
      await Promise.all([
        new Promise<void>((resolve) => udp.close(() => resolve())),
        tcp
          ? new Promise<void>((resolve) => {
              tcp.close(() => resolve());
              for (const s of tcpSockets.get(tcp) ?? []) s.destroy();
            })
          : Promise.resolve(),
      ]);
    },
  };
}

const tcpSockets = new WeakMap<Server, Set<TcpSocket>>();

type Responder = (msg: Buffer, transport: "udp" | "tcp") => Buffer | undefined;

async function bind(port: number | undefined, withTcp: boolean, respond: Responder): Promise<{ udp: Socket; tcp: Server | undefined; port: number }> {
  // With an ephemeral port, the TCP listener may find the UDP port's number taken: try again.
  const attempts = port ? 1 : 8;
  let lastError: unknown;
  for (let i = 0; i < attempts; i++) {
    const udp = await bindUdp(port ?? 0, respond);
    const udpPort = udp.address().port;
    if (!withTcp) return { udp, tcp: undefined, port: udpPort };
    try {
      const tcp = await listenTcp(udpPort, respond);
      return { udp, tcp, port: udpPort };
    } catch (err) {
      lastError = err;
      await new Promise<void>((resolve) => udp.close(() => resolve()));
    }
  }
  throw lastError;
}

function bindUdp(port: number, respond: Responder): Promise<Socket> {
  const socket = createSocket("udp4");
  socket.on("message", (msg, rinfo) => {
    const reply = respond(msg, "udp");
    if (reply) socket.send(reply, rinfo.port, rinfo.address);
  });
  return new Promise((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(port, "127.0.0.1", () => {
      socket.off("error", reject);
      // A send to a client that went away must not crash the sandbox.
      socket.on("error", () => undefined);
      resolve(socket);
    });
  });
}

function listenTcp(port: number, respond: Responder): Promise<Server> {
  const sockets = new Set<TcpSocket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    socket.setTimeout(10_000, () => socket.destroy());
    let buffered = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      // Each message is preceded by its two-byte length (RFC 1035 §4.2.2).
      while (buffered.length >= 2) {
        const len = buffered.readUInt16BE(0);
        if (buffered.length < 2 + len) break;
        const msg = buffered.subarray(2, 2 + len);
        buffered = buffered.subarray(2 + len);
        const reply = respond(msg, "tcp");
        if (!reply) {
          socket.destroy();
          return;
        }
        const prefix = Buffer.alloc(2);
        prefix.writeUInt16BE(reply.length);
        socket.write(Buffer.concat([prefix, reply]));
      }
    });
  });
  tcpSockets.set(server, sockets);
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve(server);
    });
  });
}
