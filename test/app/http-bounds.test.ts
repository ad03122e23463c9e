/**
 * The app's HTTP surface holds its resources before a signature is known to be good: a missing or misshapen
 * signature header is refused before the body is read, the body bytes held at once across requests are bounded,
 * connections are capped, and the header and request timeouts are the configured ones. Raw sockets, so the test
 * decides exactly what is sent when.
 */
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/db.js";
import { startTestApp, type TestApp } from "../support/app.js";
import type { AppLimits } from "../../src/app/server.js";

let t: TestDatabase;

beforeAll(async () => {
  t = await createTestDatabase({ seed: true });
});
afterAll(async () => {
  await t?.drop();
});

const MiB = 1024 * 1024;
const WELL_FORMED_CALENDLY = "t=1700000000,v1=" + "ab".repeat(32);

/** A raw HTTP/1.1 client connection: what the server sent, and whether it closed. */
interface Raw {
  socket: Socket;
  received(): string;
  closed: Promise<void>;
  /** Resolves once the server has sent a whole status line. */
  status: Promise<number>;
}

function open(url: string): Promise<Raw> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    let text = "";
    let onStatus: (s: number) => void = () => {};
    const status = new Promise<number>((r) => (onStatus = r));
    const closed = new Promise<void>((r) => socket.once("close", () => r()));
    socket.on("data", (d: Buffer) => {
      text += d.toString("latin1");
      const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
      if (m) onStatus(Number(m[1]));
    });
    // The server may close while a body is still being written (that is the point): not an error of the test.
    socket.on("error", () => {});
    socket.once("connect", () => resolve({ socket, received: () => text, closed, status }));
    socket.once("error", reject);
  });
}

function head(path: string, headers: Record<string, string>): string {
  return `POST ${path} HTTP/1.1\r\nHost: app.example.test\r\nContent-Type: application/json\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join("")}\r\n`;
}

/** The test's connections all come from 127.0.0.1: trusted as a proxy, X-Forwarded-For tells clients apart. */
const LOOPBACK_PROXY = [{ address: "127.0.0.1", prefix: 32, family: 4 as const }];

async function withApp<T>(limits: Partial<AppLimits>, run: (app: TestApp) => Promise<T>): Promise<T> {
  const app = await startTestApp(t.db, { limits, trustedProxies: LOOPBACK_PROXY });
  try {
    return await run(app);
  } finally {
    await app.close();
  }
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
}

describe("the signature header is checked before the body is read", () => {
  it.each([
    ["calendly", {}, "missing_header"],
    ["calendly", { "Calendly-Webhook-Signature": "garbage" }, "malformed_header"],
    ["stripe", {}, "missing_header"],
    ["stripe", { "Stripe-Signature": "v1=abc" }, "malformed_header"],
  ] as const)("%s %j: 401 (%s) with only the headers sent, the body never admitted", async (provider, headers, reason) => {
    await withApp({}, async (app) => {
      const c = await open(app.url);
      c.socket.write(head(`/api/webhooks/${provider}`, { "Content-Length": String(MiB), ...headers }));
      expect(await c.status).toBe(401);
      await c.closed;
      expect(c.received()).toContain(`"reason":"${reason}"`);
      expect(c.received().toLowerCase()).toContain("connection: close");
      expect(app.bodyBytes.peak).toBe(0);
    });
  });

  it("500 concurrent unsigned 1 MiB uploads are answered 401 and none is buffered", async () => {
    await withApp({ maxConnections: 2_000 }, async (app) => {
      const body = Buffer.alloc(MiB, 0x20);
      const rssBefore = process.memoryUsage().rss;
      const clients = await Promise.all(Array.from({ length: 500 }, () => open(app.url)));
      for (const c of clients) {
        c.socket.write(head("/api/webhooks/calendly", { "Content-Length": String(MiB) }));
        c.socket.write(body);
      }
      const statuses = await Promise.all(clients.map((c) => c.status));
      await Promise.all(clients.map((c) => c.closed));
      expect(statuses.every((s) => s === 401)).toBe(true);
      expect(app.logs.filter((l) => l.outcome === "signature_missing_header")).toHaveLength(500);
      expect(app.bodyBytes.peak).toBe(0);
      // For the record only (client and server share this process): the RSS growth, in MiB.
      console.log(`500 unsigned 1 MiB uploads: RSS +${Math.round((process.memoryUsage().rss - rssBefore) / MiB)} MiB, body bytes held at most ${app.bodyBytes.peak}`);
    });
  });
});

describe("the body bytes held at once are bounded", () => {
  it("40 concurrent 1 MiB uploads from 40 clients with a well-formed header, budget 8 MiB: 8 admitted, 32 answered 503 with Retry-After before sending a byte", async () => {
    await withApp({ maxConnections: 1_000, bodyBytesInFlight: 8 * MiB }, async (app) => {
      const clients = await Promise.all(Array.from({ length: 40 }, () => open(app.url)));
      clients.forEach((c, i) =>
        c.socket.write(head("/api/webhooks/calendly", { "Content-Length": String(MiB), "Calendly-Webhook-Signature": WELL_FORMED_CALENDLY, "X-Forwarded-For": `203.0.113.${i + 1}` })),
      );
      await until(() => app.logs.filter((l) => l.outcome === "busy").length === 32, "32 refusals");
      expect(app.bodyBytes.inFlight).toBe(8 * MiB);
      const refused = clients.filter((c) => /^HTTP\/1\.1 503/.test(c.received()));
      expect(refused).toHaveLength(32);
      for (const c of refused) expect(c.received().toLowerCase()).toContain("retry-after: 1");
      // The admitted ones send their bodies and are checked: a forged signature, 401.
      const admitted = clients.filter((c) => !refused.includes(c));
      for (const c of admitted) c.socket.write(Buffer.alloc(MiB, 0x20));
      expect(await Promise.all(admitted.map((c) => c.status))).toEqual(Array(8).fill(401));
      for (const c of clients) c.socket.destroy();
      expect(app.bodyBytes.peak).toBe(8 * MiB);
      await until(() => app.bodyBytes.inFlight === 0, "the budget to be given back");
    });
  });

  it("one client holds at most a quarter of the budget: its third 1 MiB upload is refused, another client's is admitted", async () => {
    await withApp({ bodyBytesInFlight: 8 * MiB }, async (app) => {
      const upload = async (client: string) => {
        const c = await open(app.url);
        c.socket.write(head("/api/webhooks/calendly", { "Content-Length": String(MiB), "Calendly-Webhook-Signature": WELL_FORMED_CALENDLY, "X-Forwarded-For": client }));
        return c;
      };
      const held = [await upload("198.51.100.1"), await upload("198.51.100.1")];
      await until(() => app.bodyBytes.inFlight === 2 * MiB, "two bodies to be admitted");
      const third = await upload("198.51.100.1");
      expect(await third.status).toBe(503);
      const other = await upload("198.51.100.2");
      await until(() => app.bodyBytes.inFlight === 3 * MiB, "the other client's body to be admitted");
      for (const c of [...held, third, other]) c.socket.destroy();
      await until(() => app.bodyBytes.inFlight === 0, "the budget to be given back");
    });
  });

  it("a chunked body is admitted chunk by chunk: past the budget, 503", async () => {
    await withApp({ bodyBytesInFlight: MiB }, async (app) => {
      const holder = await open(app.url);
      holder.socket.write(head("/api/webhooks/calendly", { "Content-Length": String(MiB), "Calendly-Webhook-Signature": WELL_FORMED_CALENDLY }));
      await until(() => app.bodyBytes.inFlight === MiB, "the first body to be admitted");
      const chunked = await open(app.url);
      chunked.socket.write(head("/api/webhooks/calendly", { "Transfer-Encoding": "chunked", "Calendly-Webhook-Signature": WELL_FORMED_CALENDLY }));
      chunked.socket.write("10\r\n{\"event\":\"test\",\r\n");
      expect(await chunked.status).toBe(503);
      holder.socket.destroy();
      await until(() => app.bodyBytes.inFlight === 0, "the budget to be given back");
      chunked.socket.destroy();
    });
  });
});

describe("connections and timeouts", () => {
  it("past maxConnections, new connections are closed as they arrive; the others are served", async () => {
    await withApp({ maxConnections: 5 }, async (app) => {
      const clients = await Promise.all(Array.from({ length: 8 }, () => open(app.url)));
      let closedCount = 0;
      for (const c of clients) void c.closed.then(() => closedCount++);
      await until(() => closedCount === 3, "three connections to be refused");
      const kept = clients.filter((c) => !c.socket.destroyed && c.socket.readyState === "open");
      expect(kept).toHaveLength(5);
      kept[0]!.socket.write("GET /api/health HTTP/1.1\r\nHost: app.example.test\r\n\r\n");
      expect(await kept[0]!.status).toBe(200);
      for (const c of kept) c.socket.destroy();
    });
  });

  it("headers not finished within the headers timeout: 408 and the connection closed", async () => {
    await withApp({ headersTimeoutMs: 300, requestTimeoutMs: 300 }, async (app) => {
      const c = await open(app.url);
      c.socket.write("POST /api/webhooks/calendly HTTP/1.1\r\nHost: app.example.test\r\n");
      await c.closed;
      expect(await c.status).toBe(408);
    });
  });

  it("a body not finished within the request timeout: 408, and its bytes given back", async () => {
    await withApp({ headersTimeoutMs: 300, requestTimeoutMs: 600 }, async (app) => {
      const c = await open(app.url);
      c.socket.write(head("/api/webhooks/calendly", { "Content-Length": "100", "Calendly-Webhook-Signature": WELL_FORMED_CALENDLY }));
      c.socket.write('{"event":');
      await c.closed;
      expect(await c.status).toBe(408);
      expect(app.bodyBytes.peak).toBe(100);
      await until(() => app.bodyBytes.inFlight === 0, "the budget to be given back");
    });
  });
});
