import { createServer as createHttpServer } from "node:http";
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { verifyCalendlySignature } from "../../src/providers/calendly-signature.js";
import { Http1Connection, Http1LoadError } from "../../src/providers/http1-load-connection.js";
import { runWebhookLoad } from "../../src/providers/webhook-load.js";

/**
 * The load generator's HTTP/1.1 connection, against a raw TCP server that
 * writes answers byte for byte as each test tells it: framing by
 * content-length, chunked and end of connection, interim answers, pipelined
 * answers in order, `connection: close`, and the time limit.
 */

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** A TCP server that calls `onRequest(socket, n)` for every complete request it reads (n counts from 1 per server). */
async function rawServer(onRequest: (socket: Socket, n: number) => void): Promise<{ url: URL; connections: () => number }> {
  let n = 0;
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    let buf = "";
    socket.on("data", (chunk: Buffer) => {
      buf += chunk.toString("latin1");
      for (;;) {
        const end = buf.indexOf("\r\n\r\n");
        if (end < 0) return;
        const length = Number(/content-length: (\d+)/i.exec(buf.slice(0, end))?.[1] ?? 0);
        if (buf.length < end + 4 + length) return;
        buf = buf.slice(end + 4 + length);
        onRequest(socket, ++n);
      }
    });
    socket.on("error", () => {});
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`), connections: () => connections };
}

/** Writes `text` one byte at a time, so the parser sees every possible split. */
function trickle(socket: Socket, text: string): void {
  for (const ch of text) socket.write(ch);
}

const request = (url: URL, body: string) => `POST ${url.pathname} HTTP/1.1\r\nhost: ${url.host}\r\ncontent-length: ${body.length}\r\n\r\n${body}`;

describe("Http1Connection", () => {
  it("reads pipelined answers in order, whatever the split, framed by content-length and chunks, skipping interim answers", async () => {
    const { url, connections } = await rawServer((socket, n) => {
      if (n === 1) trickle(socket, 'HTTP/1.1 200 OK\r\ncontent-length: 23\r\n\r\n{"outcome":"processed"}');
      if (n === 2) trickle(socket, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n\r\n5;x=1\r\nhello\r\n6\r\n world\r\n0\r\nx-trailer: 1\r\n\r\n");
      if (n === 3) socket.write("HTTP/1.1 204 No Content\r\n\r\n");
    });
    const c = new Http1Connection({ url, maxKeptBody: 8192 });
    const answers = await Promise.all([c.send(request(url, "a"), 5000), c.send(request(url, "b"), 5000), c.send(request(url, "c"), 5000)]);
    expect(answers.map((a) => a.statusCode)).toEqual([200, 202, 204]);
    expect(answers[0]!.body!.toString()).toBe('{"outcome":"processed"}');
    expect(answers[1]!.body!.toString()).toBe("hello world");
    expect(answers[2]!.body!.length).toBe(0);
    expect(connections()).toBe(1);
    c.close();
  });

  it("keeps no body above the bound, but still reads it", async () => {
    const big = "x".repeat(10_000);
    const { url } = await rawServer((socket) => socket.write(`HTTP/1.1 200 OK\r\ncontent-length: ${big.length}\r\n\r\n${big}`));
    const c = new Http1Connection({ url, maxKeptBody: 100 });
    expect(await c.send(request(url, "a"), 5000)).toEqual({ statusCode: 200, body: null });
    expect((await c.send(request(url, "b"), 5000)).statusCode).toBe(200);
    c.close();
  });

  it("takes a body that ends with the connection, and opens a new connection for the next request", async () => {
    const { url, connections } = await rawServer((socket) => {
      socket.write('HTTP/1.1 200 OK\r\n\r\n{"outcome":');
      socket.end('"ignored"}');
    });
    const c = new Http1Connection({ url, maxKeptBody: 8192 });
    expect((await c.send(request(url, "a"), 5000)).body!.toString()).toBe('{"outcome":"ignored"}');
    expect((await c.send(request(url, "b"), 5000)).statusCode).toBe(200);
    expect(connections()).toBe(2);
  });

  it("after `connection: close`, fails the requests pipelined behind the answer and carries on on a new connection", async () => {
    const { url, connections } = await rawServer((socket, n) => {
      if (n === 1) socket.end("HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
      else socket.write("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n");
    });
    const c = new Http1Connection({ url, maxKeptBody: 8192 });
    const [first, second] = await Promise.allSettled([c.send(request(url, "a"), 5000), c.send(request(url, "b"), 5000)]);
    expect(first).toMatchObject({ status: "fulfilled", value: { statusCode: 200 } });
    expect(second).toMatchObject({ status: "rejected", reason: { code: "ECONNRESET" } });
    expect((await c.send(request(url, "c"), 5000)).statusCode).toBe(200);
    expect(connections()).toBe(2);
    c.close();
  });

  it("fails a request with no complete answer in its time, and one cut short by the server", async () => {
    const { url } = await rawServer((socket, n) => {
      if (n === 1) socket.write("HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc");
      else socket.end("HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc");
    });
    const c = new Http1Connection({ url, maxKeptBody: 8192 });
    const late = c.send(request(url, "a"), 50);
    const timer = setInterval(() => c.checkTimeout(performance.now()), 10);
    await expect(late).rejects.toMatchObject({ code: "TIMEOUT" });
    clearInterval(timer);
    await expect(c.send(request(url, "b"), 5000)).rejects.toMatchObject({ code: "ECONNRESET" });
  });

  it("refuses an answer that is not HTTP", async () => {
    const { url } = await rawServer((socket) => socket.write("SSH-2.0-OpenSSH\r\n\r\n"));
    const c = new Http1Connection({ url, maxKeptBody: 8192 });
    const err = await c.send(request(url, "a"), 5000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Http1LoadError);
    expect(err).toMatchObject({ code: "HPE_INVALID_CONSTANT" });
  });
});

describe("runWebhookLoad with pipelining", () => {
  it("sends every request once, each a new correctly signed event, several in flight per connection", async () => {
    const key = "pipelining_test_signing_key_FAKE";
    const bodies = new Set<string>();
    const sockets = new Set<unknown>();
    let bad = 0;
    const server = createHttpServer((req, res) => {
      sockets.add(req.socket);
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const raw = Buffer.concat(chunks);
        bodies.add(raw.toString());
        if (!verifyCalendlySignature(raw, req.headers["calendly-webhook-signature"] as string, key).ok) bad++;
        res.writeHead(200, { "content-type": "application/json" }).end('{"outcome":"processed"}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const r = await runWebhookLoad({
        provider: "calendly",
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/webhooks/calendly`,
        secret: key,
        count: 400,
        concurrency: 8,
        pipelining: 4,
        mix: { eventTypeUris: ["https://api.calendly.com/event_types/x"], payment: { amountCents: 100, currency: "usd" }, runTag: "bookflow-bench-p" },
        prebuild: 100,
      });
      expect(r).toMatchObject({ sent: 400, answered: 400, failed: 0, statusCodes: { "200": 400 }, outcomes: { processed: 400 } });
      expect(bodies.size).toBe(400);
      expect(bad).toBe(0);
      expect(sockets.size).toBe(2);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("a counted run sends exactly the deliveries it built: the mix's event types in their shares, every time", async () => {
    const secret = "whsec_counted_run_FAKE";
    const types: Record<string, number> = {};
    const server = createHttpServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const type = (JSON.parse(Buffer.concat(chunks).toString()) as { type: string }).type;
        types[type] = (types[type] ?? 0) + 1;
        // A little later than at once: the generator refills what it keeps ready while answers are awaited.
        setTimeout(() => res.writeHead(200, { "content-type": "application/json" }).end('{"outcome":"deferred"}'), 3);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      for (const [round, [count, concurrency]] of [[10, 4], [11, 3], [13, 5], [9, 2], [15, 4], [7, 3]].entries()) {
        for (const k of Object.keys(types)) delete types[k];
        const shares = { "checkout.session.completed": Math.ceil(count! / 2), "payment_intent.succeeded": Math.floor(count! / 2) };
        const r = await runWebhookLoad({
          provider: "stripe",
          url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/webhooks/stripe`,
          secret,
          count: count!,
          concurrency: concurrency!,
          mix: { eventTypeUris: [], payment: { amountCents: 9900, currency: "usd" }, runTag: "bookflow-bench-counted" },
        });
        expect(r.eventTypes, `round ${round}`).toEqual(shares);
        expect(types, `round ${round}`).toEqual(shares);
      }
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
