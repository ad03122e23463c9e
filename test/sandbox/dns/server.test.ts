import { createSocket } from "node:dgram";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDnsServer, type RunningDnsServer } from "../../../src/sandbox/dns/server.js";
import { decodeResponse, encodeQuery, RCODE, TYPE } from "../../../src/sandbox/dns/wire.js";

/** Sends raw bytes over UDP and returns the raw answer (or undefined after `waitMs`). */
function udpExchange(port: number, message: Buffer, waitMs = 1000): Promise<Buffer | undefined> {
  const socket = createSocket("udp4");
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      socket.close();
      resolve(undefined);
    }, waitMs);
    socket.on("message", (msg) => {
      clearTimeout(timer);
      socket.close();
      resolve(msg);
    });
    socket.send(message, port, "127.0.0.1");
  });
}

async function ask(port: number, name: string, type: number) {
  const reply = await udpExchange(port, encodeQuery(0x1234, name, type));
  if (!reply) throw new Error("no answer");
  return decodeResponse(reply);
}

function tcpExchange(port: number, message: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let data = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      if (data.length >= 2 && data.length >= 2 + data.readUInt16BE(0)) {
        socket.end();
        resolve(data.subarray(2, 2 + data.readUInt16BE(0)));
      }
    });
    socket.on("error", reject);
    const prefix = Buffer.alloc(2);
    prefix.writeUInt16BE(message.length);
    socket.write(Buffer.concat([prefix, message]));
  });
}

const LONG_TXT = `v=DKIM1; k=rsa; p=${"A".repeat(300)}${"B".repeat(300)}`;

describe("sandbox DNS server", () => {
  let server: RunningDnsServer;

  beforeAll(async () => {
    server = await startDnsServer({
      zone: [
        { name: "Example.TEST", type: "TXT", value: "v=spf1 include:sendgrid.net ~all" },
        { name: "example.test", type: "A", value: "192.0.2.1" },
        { name: "example.test", type: "MX", value: "10 mx.example.test" },
        { name: "long.example.test", type: "TXT", value: LONG_TXT },
        { name: "parts.example.test", type: "TXT", value: ["first part ", "second part"] },
        { name: "alias.example.test", type: "CNAME", value: "target.example.test." },
        { name: "target.example.test", type: "TXT", value: "hello from the target" },
        { name: "dangling.example.test", type: "CNAME", value: "nowhere.elsewhere.test" },
        { name: "s1._domainkey.example.test", type: "TXT", value: "v=DKIM1; p=" },
      ],
    });
  });
  afterAll(async () => {
    await server.close();
  });

  it("listens on loopback with an ephemeral port", () => {
    expect(server.host).toBe("127.0.0.1");
    expect(server.port).toBeGreaterThan(0);
    expect(server.address).toBe(`127.0.0.1:${server.port}`);
  });

  it("answers authoritatively, echoing the id and the question, matching names case-insensitively", async () => {
    const r = await ask(server.port, "EXAMPLE.test", TYPE.TXT);
    expect(r.id).toBe(0x1234);
    expect(r.rcode).toBe(RCODE.NOERROR);
    expect(r.authoritative).toBe(true);
    expect(r.questionCount).toBe(1);
    expect(r.answers).toHaveLength(1);
    expect(r.answers[0]!.text).toEqual(["v=spf1 include:sendgrid.net ~all"]);
    expect(r.answers[0]!.ttl).toBe(300);
  });

  it("encodes A and MX records", async () => {
    const a = await ask(server.port, "example.test", TYPE.A);
    expect([...a.answers[0]!.data]).toEqual([192, 0, 2, 1]);
    const mx = await ask(server.port, "example.test", TYPE.MX);
    expect(mx.answers[0]!.data.readUInt16BE(0)).toBe(10);
  });

  it("splits TXT values longer than 255 bytes into several character-strings", async () => {
    // Over plain UDP (512 bytes) this answer still fits: 600+ bytes of text do not, so ask over TCP too.
    const reply = await tcpExchange(server.port, encodeQuery(7, "long.example.test", TYPE.TXT));
    const r = decodeResponse(reply);
    const chunks = r.answers[0]!.text!;
    expect(chunks.length).toBe(3);
    expect(chunks.every((c) => Buffer.byteLength(c) <= 255)).toBe(true);
    expect(chunks.join("")).toBe(LONG_TXT);
  });

  it("sets TC over UDP when the answer does not fit in 512 bytes", async () => {
    const r = await ask(server.port, "long.example.test", TYPE.TXT);
    expect(r.truncated).toBe(true);
    expect(r.answers).toHaveLength(0);
  });

  it("honours an EDNS0 payload size: the same answer fits over UDP, with an OPT record echoed", async () => {
    const query = encodeQuery(11, "long.example.test", TYPE.TXT);
    query.writeUInt16BE(1, 10); // ARCOUNT
    const opt = Buffer.from([0, 0, TYPE.OPT, 0x04, 0xd0, 0, 0, 0, 0, 0, 0]); // root, OPT, 1232 bytes, no options
    const reply = (await udpExchange(server.port, Buffer.concat([query, opt])))!;
    const r = decodeResponse(reply);
    expect(r.truncated).toBe(false);
    expect(r.answers[0]!.text!.join("")).toBe(LONG_TXT);
    expect(reply.readUInt16BE(10)).toBe(1);
  });

  it("keeps a list value's character-strings as given", async () => {
    const r = await ask(server.port, "parts.example.test", TYPE.TXT);
    expect(r.answers[0]!.text).toEqual(["first part ", "second part"]);
  });

  it("answers a CNAME query with the CNAME, and other types with the CNAME plus the target's records", async () => {
    const cname = await ask(server.port, "alias.example.test", TYPE.CNAME);
    expect(cname.answers.map((a) => a.target)).toEqual(["target.example.test"]);
    const txt = await ask(server.port, "alias.example.test", TYPE.TXT);
    expect(txt.rcode).toBe(RCODE.NOERROR);
    expect(txt.answers.map((a) => a.type)).toEqual([TYPE.CNAME, TYPE.TXT]);
    expect(txt.answers[1]!.name).toBe("target.example.test");
    expect(txt.answers[1]!.text).toEqual(["hello from the target"]);
  });

  it("compresses names: the CNAME owner points back at the question", async () => {
    const reply = await udpExchange(server.port, encodeQuery(1, "alias.example.test", TYPE.CNAME));
    const questionEnd = 12 + "alias.example.test".length + 2 + 4;
    // The answer's owner name is a two-byte pointer to offset 12.
    expect(reply!.readUInt16BE(questionEnd)).toBe(0xc000 | 12);
  });

  it("answers a CNAME to a name it does not hold with just the CNAME", async () => {
    const r = await ask(server.port, "dangling.example.test", TYPE.TXT);
    expect(r.rcode).toBe(RCODE.NOERROR);
    expect(r.answers.map((a) => a.type)).toEqual([TYPE.CNAME]);
  });

  it("answers NXDOMAIN for a name that does not exist", async () => {
    const r = await ask(server.port, "missing.example.test", TYPE.TXT);
    expect(r.rcode).toBe(RCODE.NXDOMAIN);
    expect(r.answers).toHaveLength(0);
  });

  it("answers NOERROR with no answers for a name with other types, or only names below it", async () => {
    const other = await ask(server.port, "target.example.test", TYPE.A);
    expect(other.rcode).toBe(RCODE.NOERROR);
    expect(other.answers).toHaveLength(0);
    const emptyNonTerminal = await ask(server.port, "_domainkey.example.test", TYPE.TXT);
    expect(emptyNonTerminal.rcode).toBe(RCODE.NOERROR);
    expect(emptyNonTerminal.answers).toHaveLength(0);
  });

  it("answers ANY with every record at the name", async () => {
    const r = await ask(server.port, "example.test", TYPE.ANY);
    expect(r.answers.map((a) => a.type).sort()).toEqual([TYPE.A, TYPE.MX, TYPE.TXT].sort());
  });

  it("answers FORMERR to garbage that has an id, and nothing to a single byte", async () => {
    const garbage = Buffer.from([0xbe, 0xef, 0x01, 0x00, 0x00, 0x01, 0xff, 0xff, 0x00]);
    const reply = await udpExchange(server.port, garbage);
    const r = decodeResponse(reply!);
    expect(r.id).toBe(0xbeef);
    expect(r.rcode).toBe(RCODE.FORMERR);
    // A header claiming a question whose label runs off the end.
    const truncated = Buffer.concat([encodeQuery(9, "example.test", TYPE.TXT).subarray(0, 12), Buffer.from([40, 0x61])]);
    expect(decodeResponse((await udpExchange(server.port, truncated))!).rcode).toBe(RCODE.FORMERR);
    expect(await udpExchange(server.port, Buffer.from([1]), 300)).toBeUndefined();
  });

  it("answers over TCP too", async () => {
    const r = decodeResponse(await tcpExchange(server.port, encodeQuery(5, "example.test", TYPE.A)));
    expect(r.id).toBe(5);
    expect(r.answers).toHaveLength(1);
    expect(server.queryLog.some((q) => q.transport === "tcp" && q.name === "example.test")).toBe(true);
  });

  it("changes its zone while running", async () => {
    server.addRecord({ name: "new.example.test", type: "TXT", value: "added" });
    expect((await ask(server.port, "new.example.test", TYPE.TXT)).answers[0]!.text).toEqual(["added"]);
    expect(server.removeRecords("NEW.example.test", "TXT")).toBe(1);
    expect((await ask(server.port, "new.example.test", TYPE.TXT)).rcode).toBe(RCODE.NXDOMAIN);
    expect(server.removeRecords("example.test", "MX")).toBe(1);
    expect((await ask(server.port, "example.test", TYPE.MX)).answers).toHaveLength(0);
    expect((await ask(server.port, "example.test", TYPE.A)).answers).toHaveLength(1);
  });

  it("rejects invalid records when they are added, not when queried", async () => {
    expect(() => server.addRecord({ name: "bad.example.test", type: "A", value: "300.1.1.1" })).toThrow(RangeError);
    expect(() => server.addRecord({ name: "bad.example.test", type: "MX", value: "mx.example.test" })).toThrow(RangeError);
    expect(() => server.addRecord({ name: `${"x".repeat(64)}.example.test`, type: "TXT", value: "v" })).toThrow(RangeError);
  });

  it("replaces its zone with setZone", async () => {
    const other = await startDnsServer({ zone: [{ name: "a.test", type: "TXT", value: "one" }] });
    try {
      other.setZone([{ name: "b.test", type: "TXT", value: "two" }]);
      expect((await ask(other.port, "a.test", TYPE.TXT)).rcode).toBe(RCODE.NXDOMAIN);
      expect((await ask(other.port, "b.test", TYPE.TXT)).answers[0]!.text).toEqual(["two"]);
      expect(other.records()).toEqual([{ name: "b.test", type: "TXT", value: "two" }]);
    } finally {
      await other.close();
    }
  });
});
