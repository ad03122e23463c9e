/**
 * A recording HTTP proxy for contract tests: a client is pointed at it
 * instead of the emulator; it forwards every request unchanged, answers with
 * the emulator's answer unchanged, and keeps both (method, path, query,
 * request body, status, response body). It sees the wire, so it records any
 * client (undici, axios under @sendgrid/client) the same way.
 */
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { request } from "undici";

export interface Exchange {
  method: string;
  path: string;
  query: URLSearchParams;
  /** Parsed JSON, the raw text when it is not JSON, undefined when empty. */
  requestBody: unknown;
  status: number;
  /** Parsed JSON, the raw text when it is not JSON, undefined when empty. */
  responseBody: unknown;
}

export interface RecordingProxy {
  url: string;
  exchanges: Exchange[];
  close(): Promise<void>;
}

/** Hop-by-hop and length headers are the proxy's own business; everything else passes through. */
const SKIP = new Set(["host", "connection", "keep-alive", "transfer-encoding", "content-length"]);

function forwardable(headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined || SKIP.has(k.toLowerCase())) continue;
    out[k] = Array.isArray(v) ? v.join(", ") : v;
  }
  return out;
}

function parse(text: string): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const exchanges: Exchange[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      void (async () => {
        const raw = Buffer.concat(chunks);
        const url = new URL(req.url ?? "/", target);
        try {
          const upstream = await request(url, {
            method: (req.method ?? "GET") as "GET",
            headers: forwardable(req.headers),
            ...(raw.length ? { body: raw } : {}),
          });
          const text = await upstream.body.text();
          exchanges.push({
            method: req.method ?? "GET",
            path: url.pathname,
            query: url.searchParams,
            requestBody: parse(raw.toString("utf8")),
            status: upstream.statusCode,
            responseBody: parse(text),
          });
          res.writeHead(upstream.statusCode, forwardable(upstream.headers));
          res.end(text);
        } catch {
          // The emulator dropped the connection (an injected fault): drop ours too.
          req.socket.destroy();
        }
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    exchanges,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
