import type { IncomingMessage, ServerResponse } from "node:http";

/** Small HTTP helpers for the reference app: bounded body reading, JSON answers, common headers. */

export const MAX_BODY_BYTES = 1024 * 1024;

export class BodyTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`Request body is larger than ${limit} bytes`);
  }
}

/** The app already holds as many body bytes as it allows at once (in all, or from this client): try again shortly. */
export class BodyBudgetExceeded extends Error {
  constructor() {
    super("Too many request bodies are being received at once; retry shortly.");
  }
}

/**
 * The request body bytes the app holds at once, across all requests: a body's bytes count from the moment it is
 * admitted (its Content-Length, or each chunk of a chunked body as it arrives) until its response is over. One
 * client (the rate limiter's key) may hold at most a quarter of it (at least one body of the largest size), so a
 * few slow uploads from one source cannot take the whole budget from everyone else.
 */
export class BodyBudget {
  #inFlight = 0;
  #peak = 0;
  readonly #byClient = new Map<string, number>();
  readonly perClientBytes: number;
  constructor(readonly maxBytes: number, perClientBytes = Math.max(MAX_BODY_BYTES, Math.floor(maxBytes / 4))) {
    this.perClientBytes = Math.min(perClientBytes, maxBytes);
  }
  /** Bytes admitted now. */
  get inFlight(): number {
    return this.#inFlight;
  }
  /** The most bytes admitted at once since start. */
  get peak(): number {
    return this.#peak;
  }
  tryReserve(bytes: number, client: string): boolean {
    const held = this.#byClient.get(client) ?? 0;
    if (this.#inFlight + bytes > this.maxBytes || held + bytes > this.perClientBytes) return false;
    this.#inFlight += bytes;
    this.#byClient.set(client, held + bytes);
    this.#peak = Math.max(this.#peak, this.#inFlight);
    return true;
  }
  release(bytes: number, client: string): void {
    this.#inFlight -= bytes;
    const left = (this.#byClient.get(client) ?? 0) - bytes;
    if (left > 0) this.#byClient.set(client, left);
    else this.#byClient.delete(client);
  }
}

export interface ReadBodyOptions {
  /** Largest body of one request (default MAX_BODY_BYTES). */
  limit?: number;
  /** The bytes held across requests, on behalf of `client`: admitted here, given back when `heldUntil` (the request's response) closes. */
  budget?: { budget: BodyBudget; client: string; heldUntil: ServerResponse };
}

/**
 * Reads the raw body, refusing (without buffering further) past `limit` bytes, or when the budget shared by all
 * requests has no room for it (BodyBudgetExceeded).
 */
export function readBody(req: IncomingMessage, options: ReadBodyOptions = {}): Promise<Buffer> {
  const limit = options.limit ?? MAX_BODY_BYTES;
  const declared = Number(req.headers["content-length"]);
  const known = req.headers["content-length"] !== undefined && Number.isFinite(declared);
  if (known && declared > limit) {
    req.resume();
    return Promise.reject(new BodyTooLarge(limit));
  }
  let reserved = 0;
  const budget = options.budget;
  const reserve = (bytes: number): boolean => {
    if (!budget) return true;
    if (!budget.budget.tryReserve(bytes, budget.client)) return false;
    if (reserved === 0) budget.heldUntil.once("close", () => budget.budget.release(reserved, budget.client));
    reserved += bytes;
    return true;
  };
  // A declared length is admitted whole before anything is read; a chunked body chunk by chunk.
  if (known && declared > 0 && !reserve(declared)) return Promise.reject(new BodyBudgetExceeded());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    const fail = (err: Error) => {
      failed = true;
      chunks.length = 0;
      reject(err);
      req.resume();
    };
    req.on("data", (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) return fail(new BodyTooLarge(limit));
      if (!known && !reserve(chunk.length)) return fail(new BodyBudgetExceeded());
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (!failed) resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    });
    req.on("error", (err) => {
      if (!failed) reject(err);
    });
  });
}

/** Headers every response carries (the platform sits behind HTTPS). */
export const SECURITY_HEADERS: Record<string, string> = {
  "strict-transport-security": "max-age=63072000; includeSubDomains; preload",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
};

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
    ...headers,
  });
  res.end(text);
}

export function clientKey(req: IncomingMessage): string {
  return req.socket.remoteAddress ?? "unknown";
}
