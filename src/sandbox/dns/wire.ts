/**
 * The DNS wire format (RFC 1035 §4, with EDNS0's OPT record from RFC 6891),
 * just enough for an authoritative server answering A, CNAME, MX and TXT:
 * parsing a query, and encoding a response with name compression.
 */

export const TYPE = { A: 1, NS: 2, CNAME: 5, SOA: 6, MX: 15, TXT: 16, AAAA: 28, OPT: 41, ANY: 255 } as const;
export const CLASS_IN = 1;
export const CLASS_ANY = 255;

export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

export const TYPE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(TYPE).map(([k, v]) => [v, k]));

const HEADER_BYTES = 12;
const MAX_NAME_BYTES = 255;
const MAX_LABEL_BYTES = 63;

/** A malformed message: the server answers FORMERR. */
export class DnsFormatError extends Error {
  override name = "DnsFormatError";
}

export interface DnsQuestion {
  /** Lower-cased, without the trailing dot ("" is the root). */
  name: string;
  type: number;
  class: number;
}

export interface DnsQuery {
  id: number;
  opcode: number;
  recursionDesired: boolean;
  question: DnsQuestion;
  /** Present when the query carried an EDNS0 OPT record. */
  edns?: { udpPayloadSize: number; version: number };
}

/** One resource record to encode. `data` depends on the type. */
export type ResourceRecord =
  | { name: string; type: typeof TYPE.A; ttl: number; data: string }
  | { name: string; type: typeof TYPE.CNAME; ttl: number; data: string }
  | { name: string; type: typeof TYPE.MX; ttl: number; data: { preference: number; exchange: string } }
  | { name: string; type: typeof TYPE.TXT; ttl: number; data: string[] };

/** The first two bytes of a message, when there are two: used to answer even a garbled query. */
export function peekId(msg: Buffer): number | undefined {
  return msg.length >= 2 ? msg.readUInt16BE(0) : undefined;
}

/** Reads a (possibly compressed) name at `offset`; returns it lower-cased and the offset after it. */
export function readName(msg: Buffer, offset: number): { name: string; next: number } {
  const labels: string[] = [];
  let pos = offset;
  let next = -1;
  let jumps = 0;
  let total = 0;
  for (;;) {
    if (pos >= msg.length) throw new DnsFormatError("name runs past the end of the message");
    const len = msg[pos]!;
    if (len === 0) {
      if (next < 0) next = pos + 1;
      break;
    }
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (pos + 1 >= msg.length) throw new DnsFormatError("truncated compression pointer");
      if (++jumps > 32) throw new DnsFormatError("compression pointer loop");
      if (next < 0) next = pos + 2;
      pos = ((len & 0x3f) << 8) | msg[pos + 1]!;
      continue;
    }
    if (kind !== 0) throw new DnsFormatError("unsupported label type");
    if (pos + 1 + len > msg.length) throw new DnsFormatError("label runs past the end of the message");
    total += len + 1;
    if (total > MAX_NAME_BYTES) throw new DnsFormatError("name longer than 255 bytes");
    labels.push(msg.subarray(pos + 1, pos + 1 + len).toString("latin1").toLowerCase());
    pos += 1 + len;
  }
  return { name: labels.join("."), next };
}

/** Parses a query message. Throws DnsFormatError when it is not one well-formed question. */
export function parseQuery(msg: Buffer): DnsQuery {
  if (msg.length < HEADER_BYTES) throw new DnsFormatError("message shorter than a header");
  const id = msg.readUInt16BE(0);
  const flags = msg.readUInt16BE(2);
  if (flags & 0x8000) throw new DnsFormatError("message is a response, not a query");
  const opcode = (flags >> 11) & 0x0f;
  const qdcount = msg.readUInt16BE(4);
  const ancount = msg.readUInt16BE(6);
  const nscount = msg.readUInt16BE(8);
  const arcount = msg.readUInt16BE(10);
  if (qdcount !== 1) throw new DnsFormatError(`expected one question, got ${qdcount}`);
  const { name, next } = readName(msg, HEADER_BYTES);
  if (next + 4 > msg.length) throw new DnsFormatError("question runs past the end of the message");
  const question: DnsQuestion = { name, type: msg.readUInt16BE(next), class: msg.readUInt16BE(next + 2) };
  let pos = next + 4;
  let edns: DnsQuery["edns"];
  // Skip answer and authority records (a query has none, but tolerate them); look for OPT in additional.
  const records = ancount + nscount + arcount;
  for (let i = 0; i < records; i++) {
    const rr = readName(msg, pos);
    pos = rr.next;
    if (pos + 10 > msg.length) throw new DnsFormatError("record header runs past the end of the message");
    const type = msg.readUInt16BE(pos);
    const rrClass = msg.readUInt16BE(pos + 2);
    const ttl = msg.readUInt32BE(pos + 4);
    const rdlength = msg.readUInt16BE(pos + 8);
    pos += 10 + rdlength;
    if (pos > msg.length) throw new DnsFormatError("record data runs past the end of the message");
    if (type === TYPE.OPT && i >= ancount + nscount) {
      if (edns) throw new DnsFormatError("more than one OPT record");
      edns = { udpPayloadSize: Math.max(512, rrClass), version: (ttl >>> 16) & 0xff };
    }
  }
  const query: DnsQuery = { id, opcode, recursionDesired: (flags & 0x0100) !== 0, question };
  if (edns) query.edns = edns;
  return query;
}

/** Splits text into character-strings of at most 255 bytes (UTF-8), never splitting a character. */
export function splitCharacterStrings(text: string): Buffer[] {
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length <= 255) return [bytes];
  const out: Buffer[] = [];
  let start = 0;
  while (start < bytes.length) {
    let end = Math.min(start + 255, bytes.length);
    // Back off to a UTF-8 boundary (continuation bytes are 10xxxxxx).
    while (end < bytes.length && end > start && (bytes[end]! & 0xc0) === 0x80) end--;
    out.push(bytes.subarray(start, end));
    start = end;
  }
  return out;
}

class Writer {
  private bytes: number[] = [];
  private readonly names = new Map<string, number>();

  get length(): number {
    return this.bytes.length;
  }
  u8(v: number): void {
    this.bytes.push(v & 0xff);
  }
  u16(v: number): void {
    this.bytes.push((v >> 8) & 0xff, v & 0xff);
  }
  u32(v: number): void {
    this.u16((v >>> 16) & 0xffff);
    this.u16(v & 0xffff);
  }
  raw(buf: Uint8Array): void {
    for (const b of buf) this.bytes.push(b);
  }
  set16(at: number, v: number): void {
    this.bytes[at] = (v >> 8) & 0xff;
    this.bytes[at + 1] = v & 0xff;
  }
  /** Writes a name, compressing against names written before (RFC 1035 §4.1.4). */
  name(name: string): void {
    const labels = splitName(name);
    for (let i = 0; i < labels.length; i++) {
      const suffix = labels.slice(i).join(".").toLowerCase();
      const at = this.names.get(suffix);
      if (at !== undefined) {
        this.u16(0xc000 | at);
        return;
      }
      if (this.length < 0x3fff) this.names.set(suffix, this.length);
      const label = Buffer.from(labels[i]!, "utf8");
      this.u8(label.length);
      this.raw(label);
    }
    this.u8(0);
  }
  toBuffer(): Buffer {
    return Buffer.from(this.bytes);
  }
}

/** Splits a name into labels, checking the RFC 1035 length limits. */
export function splitName(name: string): string[] {
  const trimmed = name.replace(/\.$/, "");
  if (trimmed === "") return [];
  const labels = trimmed.split(".");
  let total = 1;
  for (const label of labels) {
    const len = Buffer.byteLength(label, "utf8");
    if (len === 0 || len > MAX_LABEL_BYTES) throw new RangeError(`invalid label in DNS name "${name}"`);
    total += len + 1;
  }
  if (total > MAX_NAME_BYTES) throw new RangeError(`DNS name longer than 255 bytes: "${name}"`);
  return labels;
}

function writeRecord(w: Writer, rr: ResourceRecord): void {
  w.name(rr.name);
  w.u16(rr.type);
  w.u16(CLASS_IN);
  w.u32(rr.ttl);
  const lengthAt = w.length;
  w.u16(0);
  const start = w.length;
  switch (rr.type) {
    case TYPE.A: {
      const parts = rr.data.split(".").map(Number);
      if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new RangeError(`invalid IPv4 address "${rr.data}"`);
      for (const p of parts) w.u8(p);
      break;
    }
    case TYPE.CNAME:
      w.name(rr.data);
      break;
    case TYPE.MX:
      w.u16(rr.data.preference);
      w.name(rr.data.exchange);
      break;
    case TYPE.TXT:
      for (const s of rr.data.length ? rr.data : [""]) {
        for (const chunk of splitCharacterStrings(s)) {
          w.u8(chunk.length);
          w.raw(chunk);
        }
      }
      break;
  }
  w.set16(lengthAt, w.length - start);
}

export interface ResponseOptions {
  id: number;
  opcode?: number;
  recursionDesired?: boolean;
  authoritative?: boolean;
  rcode: number;
  question?: DnsQuestion;
  answers?: ResourceRecord[];
  /** Echo an OPT record advertising this UDP payload size. */
  edns?: { udpPayloadSize: number };
  /** Over UDP: the largest message the client accepts; bigger answers are dropped and TC set. */
  maxBytes?: number;
}

/** Encodes a response. When it would exceed `maxBytes`, answers are left out and TC is set (the client retries over TCP). */
export function encodeResponse(options: ResponseOptions): Buffer {
  const full = encode(options, false);
  if (options.maxBytes === undefined || full.length <= options.maxBytes) return full;
  return encode(options, true);
}

function encode(o: ResponseOptions, truncated: boolean): Buffer {
  const w = new Writer();
  const answers = truncated ? [] : (o.answers ?? []);
  w.u16(o.id);
  let flags = 0x8000 | ((o.opcode ?? 0) << 11) | (o.rcode & 0x0f);
  if (o.authoritative) flags |= 0x0400;
  if (truncated) flags |= 0x0200;
  if (o.recursionDesired) flags |= 0x0100;
  w.u16(flags);
  w.u16(o.question ? 1 : 0);
  w.u16(answers.length);
  w.u16(0);
  w.u16(o.edns ? 1 : 0);
  if (o.question) {
    w.name(o.question.name);
    w.u16(o.question.type);
    w.u16(o.question.class);
  }
  for (const rr of answers) writeRecord(w, rr);
  if (o.edns) {
    w.u8(0); // root name
    w.u16(TYPE.OPT);
    w.u16(o.edns.udpPayloadSize);
    w.u32(0); // extended rcode 0, version 0, no flags
    w.u16(0);
  }
  return w.toBuffer();
}

/** Encodes a query (used by tests and diagnostics to talk to a server directly). */
export function encodeQuery(id: number, name: string, type: number, options: { recursionDesired?: boolean } = {}): Buffer {
  const w = new Writer();
  w.u16(id);
  w.u16(options.recursionDesired === false ? 0 : 0x0100);
  w.u16(1);
  w.u16(0);
  w.u16(0);
  w.u16(0);
  w.name(name);
  w.u16(type);
  w.u16(CLASS_IN);
  return w.toBuffer();
}

export interface DecodedResponse {
  id: number;
  rcode: number;
  authoritative: boolean;
  truncated: boolean;
  questionCount: number;
  answers: { name: string; type: number; ttl: number; data: Buffer; text?: string[]; target?: string }[];
}

/** Decodes a response's header and answers (for tests: checks the raw bytes a server sent). */
export function decodeResponse(msg: Buffer): DecodedResponse {
  if (msg.length < HEADER_BYTES) throw new DnsFormatError("message shorter than a header");
  const flags = msg.readUInt16BE(2);
  const qdcount = msg.readUInt16BE(4);
  const ancount = msg.readUInt16BE(6);
  let pos = HEADER_BYTES;
  for (let i = 0; i < qdcount; i++) pos = readName(msg, pos).next + 4;
  const answers: DecodedResponse["answers"] = [];
  for (let i = 0; i < ancount; i++) {
    const { name, next } = readName(msg, pos);
    const type = msg.readUInt16BE(next);
    const ttl = msg.readUInt32BE(next + 4);
    const len = msg.readUInt16BE(next + 8);
    const start = next + 10;
    const data = msg.subarray(start, start + len);
    const answer: DecodedResponse["answers"][number] = { name, type, ttl, data };
    if (type === TYPE.TXT) {
      const text: string[] = [];
      for (let p = 0; p < data.length; ) {
        const l = data[p]!;
        text.push(data.subarray(p + 1, p + 1 + l).toString("utf8"));
        p += 1 + l;
      }
      answer.text = text;
    }
    if (type === TYPE.CNAME) answer.target = readName(msg, start).name;
    answers.push(answer);
    pos = start + len;
  }
  return {
    id: msg.readUInt16BE(0),
    rcode: flags & 0x0f,
    authoritative: (flags & 0x0400) !== 0,
    truncated: (flags & 0x0200) !== 0,
    questionCount: qdcount,
    answers,
  };
}
