import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * The shared base of every provider emulator: an HTTP server on 127.0.0.1 with
 * a tiny router, JSON helpers, and fault injection (latency, a share of 429s
 * with Retry-After, 5xx, dropped connections, malformed JSON) that tests and
 * `bookflow sandbox --faults` set per emulator.
 */

export interface Faults {
  /** Added to every response, in milliseconds. */
  latencyMs?: number;
  /** Share (0..1) of requests answered 429 with Retry-After. */
  rate429?: number;
  /** Retry-After seconds on injected 429s (default 1). */
  retryAfterSeconds?: number;
  /** Share (0..1) of requests answered 500/502/503. */
  rate5xx?: number;
  /** Share (0..1) of requests whose connection is destroyed without an answer. */
  rateDrop?: number;
  /** Share (0..1) of requests answered 200 with a body that is not JSON. */
  rateMalformed?: number;
  /** Fault injection applies only to paths matching this (default: all but /_control). */
  pathPattern?: RegExp;
}

export interface EmulatorRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage["headers"];
  params: Record<string, string>;
  rawBody: Buffer;
  /** Parsed body: JSON object, or form fields (application/x-www-form-urlencoded, Stripe's style). */
  body: unknown;
}

export interface EmulatorResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type RouteHandler = (req: EmulatorRequest) => EmulatorResponse | Promise<EmulatorResponse>;

export interface Route {
  method: string;
  /** Path with `:name` segments, e.g. `/webhook_subscriptions/:uuid`. */
  path: string;
  handler: RouteHandler;
}

export interface RunningEmulator {
  name: string;
  url: string;
  port: number;
  server: Server;
  setFaults(faults: Faults): void;
  /** Every request received, newest last (method, path, status) — for tests and `sandbox` diagnostics. */
  requestLog: { method: string; path: string; status: number; at: number; headers: IncomingMessage["headers"] }[];
  close(): Promise<void>;
}

export interface EmulatorOptions {
  name: string;
  routes: Route[];
  port?: number;
  faults?: Faults;
  /** Answer for unmatched routes (each provider has its own error body shape). */
  notFound?: (req: EmulatorRequest) => EmulatorResponse;
  /** Authenticates a request; return a response to refuse it. Control routes (/_control) skip it. */
  authenticate?: (req: EmulatorRequest) => EmulatorResponse | undefined;
  /** Random source for fault injection (tests pass a seeded one). */
  random?: () => number;
  /**
   * The body and headers of an injected 429 or 5xx, in the provider's own error shape (so its SDK raises
   * the error it raises in production). Default a generic `{ title, message }` body.
   */
  faultAnswer?: (fault: InjectedFault) => EmulatorResponse;
}

/** An injected failure answer: a 429 (with its Retry-After seconds) or a 500/502/503. */
export type InjectedFault = { kind: "rate_limited"; status: 429; retryAfterSeconds: number } | { kind: "server_error"; status: 500 | 502 | 503 };

function genericFaultAnswer(fault: InjectedFault): EmulatorResponse {
  return fault.kind === "rate_limited"
    ? { status: 429, body: { title: "Too Many Requests", message: "Rate limit exceeded (injected fault)" }, headers: { "retry-after": String(fault.retryAfterSeconds) } }
    : { status: fault.status, body: { title: "Internal Server Error", message: "Injected fault" } };
}

interface CompiledRoute extends Route {
  regex: RegExp;
  keys: string[];
}

function compile(route: Route): CompiledRoute {
  const keys: string[] = [];
  const pattern = route.path.replace(/:([A-Za-z_]+)/g, (_m, k: string) => {
    keys.push(k);
    return "([^/]+)";
  });
  return { ...route, regex: new RegExp(`^${pattern}$`), keys };
}

export function parseFormBody(text: string): Record<string, unknown> {
  // Stripe-style nested form fields: a[b][c]=1, list[]=x, list[0]=x.
  const out: Record<string, unknown> = {};
  for (const [rawKey, value] of new URLSearchParams(text)) {
    const parts = rawKey.replace(/\]/g, "").split("[");
    let node: Record<string, unknown> | unknown[] = out;
    parts.forEach((part, i) => {
      const last = i === parts.length - 1;
      const container = node as Record<string, unknown>;
      if (last) {
        if (Array.isArray(node)) (node as unknown[]).push(value);
        else container[part] = value;
        return;
      }
      const nextIsList = parts[i + 1] === "" || /^\d+$/.test(parts[i + 1]!);
      const key = Array.isArray(node) && (part === "" || /^\d+$/.test(part)) ? String((node as unknown[]).length) : part;
      if (Array.isArray(node)) {
        const idx = Number(part);
        if (part !== "" && node[idx] !== undefined) {
          node = node[idx] as Record<string, unknown>;
          return;
        }
        const child = nextIsList ? [] : {};
        node.push(child);
        node = child;
        return;
      }
      container[key] ??= nextIsList ? [] : {};
      node = container[key] as Record<string, unknown>;
    });
  }
  return out;
}

export async function startEmulator(options: EmulatorOptions): Promise<RunningEmulator> {
  const routes = options.routes.map(compile);
  let faults: Faults = options.faults ?? {};
  const random = options.random ?? Math.random;
  const faultAnswer = options.faultAnswer ?? genericFaultAnswer;
  const requestLog: RunningEmulator["requestLog"] = [];

  const send = (res: ServerResponse, r: EmulatorResponse) => {
    const text = r.body === undefined ? "" : typeof r.body === "string" ? r.body : JSON.stringify(r.body);
    res.writeHead(r.status, { "content-type": "application/json", ...(r.headers ?? {}) });
    res.end(text);
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      void (async () => {
        const url = new URL(req.url ?? "/", "http://emulator");
        const rawBody = Buffer.concat(chunks);
        const text = rawBody.toString("utf8");
        const type = String(req.headers["content-type"] ?? "");
        let body: unknown = undefined;
        if (text) {
          if (type.includes("application/x-www-form-urlencoded")) body = parseFormBody(text);
          else {
            try {
              body = JSON.parse(text);
            } catch {
              body = text;
            }
          }
        }
        const er: EmulatorRequest = { method: req.method ?? "GET", path: url.pathname, query: url.searchParams, headers: req.headers, params: {}, rawBody, body };
        const log = (status: number) => requestLog.push({ method: er.method, path: er.path, status, at: Date.now(), headers: req.headers });
        const isControl = er.path.startsWith("/_control");
        const faultable = !isControl && (faults.pathPattern ? faults.pathPattern.test(er.path) : true);
        if (faultable && faults.latencyMs) await new Promise((r) => setTimeout(r, faults.latencyMs));
        if (faultable) {
          if (faults.rateDrop && random() < faults.rateDrop) {
            log(0);
            req.socket.destroy();
            return;
          }
          if (faults.rate429 && random() < faults.rate429) {
            const answer = faultAnswer({ kind: "rate_limited", status: 429, retryAfterSeconds: faults.retryAfterSeconds ?? 1 });
            log(answer.status);
            return send(res, answer);
          }
          if (faults.rate5xx && random() < faults.rate5xx) {
            const status = ([500, 502, 503] as const)[Math.floor(random() * 3)]!;
            const answer = faultAnswer({ kind: "server_error", status });
            log(answer.status);
            return send(res, answer);
          }
          if (faults.rateMalformed && random() < faults.rateMalformed) {
            log(200);
            return send(res, { status: 200, body: "{this is not json" });
          }
        }
        for (const route of routes) {
          if (route.method !== er.method) continue;
          const m = route.regex.exec(er.path);
          if (!m) continue;
          route.keys.forEach((k, i) => (er.params[k] = decodeURIComponent(m[i + 1]!)));
          if (!isControl && options.authenticate) {
            const refused = options.authenticate(er);
            if (refused) {
              log(refused.status);
              return send(res, refused);
            }
          }
          try {
            const r = await route.handler(er);
            log(r.status);
            return send(res, r);
          } catch (err) {
            log(500);
            return send(res, { status: 500, body: { title: "Emulator error", message: err instanceof Error ? err.message : String(err) } });
          }
        }
        const nf = options.notFound?.(er) ?? { status: 404, body: { title: "Resource Not Found", message: `${er.method} ${er.path} is not emulated` } };
        log(nf.status);
        send(res, nf);
      })();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    name: options.name,
    url: `http://127.0.0.1:${port}`,
    port,
    server,
    requestLog,
    setFaults(f) {
      faults = f;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
