/**
 * An HTTP probe over undici: one request, its answer (status, headers, body
 * text, latency) and, for https, whether the server's certificate is valid.
 * Never throws for what the network does: a refused connection, a timeout or
 * an invalid certificate is a result with `error`, so checks decide what it
 * means. Redirects are not followed (a probe reports what the URL answers).
 */
import { createSecureContext, rootCertificates, type ConnectionOptions, type TLSSocket } from "node:tls";
import { Agent, buildConnector, request, type Dispatcher } from "undici";

export interface ProbeOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Per request, connect to last body byte (default 5000). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface TlsInfo {
  /** The certificate chain verified and the name matched. */
  valid: boolean;
  /** Why not: the TLS error code (CERT_HAS_EXPIRED, DEPTH_ZERO_SELF_SIGNED_CERT, ERR_TLS_CERT_ALTNAME_INVALID, …). */
  error?: string;
  /** The leaf certificate's expiry, ISO 8601, when a certificate was seen. */
  validTo?: string;
}

export interface ProbeResult {
  url: string;
  method: string;
  /** The HTTP status, or null when no answer arrived (see `error`). */
  status: number | null;
  /** Response headers, lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** At most 64 KiB of the body. */
  bodyText: string;
  latencyMs: number;
  /** Present for https URLs. */
  tls?: TlsInfo;
  /** Why there is no answer: "ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:9", "timeout after 5000 ms", … */
  error?: string;
  /** The error code alone (ECONNREFUSED, UND_ERR_CONNECT_TIMEOUT, CERT_HAS_EXPIRED, …). */
  errorCode?: string;
}

export interface ProbeClient {
  probe(url: string, options?: ProbeOptions): Promise<ProbeResult>;
  close(): Promise<void>;
}

export interface ProbeClientOptions {
  /** Extra trusted CA certificates (PEM), e.g. a private CA: trusted in addition to Node's bundled roots, not instead of them. */
  ca?: string | string[];
  /** Connections kept per origin (default 32: enough for a short burst). */
  connections?: number;
}

export const DEFAULT_PROBE_TIMEOUT_MS = 5_000;
const MAX_BODY_CHARS = 64 * 1024;

/** TLS error codes that mean "the certificate is not acceptable" (as opposed to a network fault). */
const CERT_ERROR = /CERT|SELF_SIGNED|UNABLE_TO_(?:GET|VERIFY)|^ERR_TLS_|^ERR_SSL_|HOSTNAME|ALTNAME/i;

/** One request with a throwaway connection pool. Prefer createProbeClient() for several. */
export async function probe(url: string, options: ProbeOptions = {}): Promise<ProbeResult> {
  const client = createProbeClient();
  try {
    return await client.probe(url, options);
  } finally {
    await client.close();
  }
}

/** A probe client: one connection pool per origin, certificate details remembered per origin. */
export function createProbeClient(options: ProbeClientOptions = {}): ProbeClient {
  const certs = new Map<string, TlsInfo>();
  const extra = options.ca === undefined ? [] : Array.isArray(options.ca) ? options.ca : [options.ca];
  // One secure context for every connection: Node's roots plus the extra CAs (a bare `ca` would replace the roots).
  const connectOptions: ConnectionOptions = extra.length ? { secureContext: createSecureContext({ ca: [...rootCertificates, ...extra] }) } : {};
  const connector = buildConnector(connectOptions as buildConnector.BuildOptions);
  const agent = new Agent({
    connections: options.connections ?? 32,
    connect: (opts, callback) => {
      connector(opts, (...args) => {
        const [err, socket] = args;
        if (!err && opts.protocol === "https:") certs.set(originKey(opts.hostname, opts.port, "https:"), tlsInfoOf(socket as TLSSocket));
        callback(...args);
      });
    },
  });
  return {
    probe: (url, probeOptions = {}) => probeWith(agent, certs, url, probeOptions),
    close: () => agent.close(),
  };
}

function originKey(hostname: string, port: string, protocol: string): string {
  return `${hostname.replace(/^\[|\]$/g, "")}:${port || (protocol === "https:" ? "443" : "80")}`;
}

function tlsInfoOf(socket: TLSSocket): TlsInfo {
  const cert = socket.getPeerCertificate?.();
  const validTo = cert && cert.valid_to ? new Date(cert.valid_to).toISOString() : undefined;
  if (socket.authorized) return validTo ? { valid: true, validTo } : { valid: true };
  const error = socket.authorizationError ? String((socket.authorizationError as Error & { code?: string }).code ?? socket.authorizationError) : "certificate not verified";
  return validTo ? { valid: false, error, validTo } : { valid: false, error };
}

async function probeWith(agent: Dispatcher, certs: Map<string, TlsInfo>, url: string, options: ProbeOptions): Promise<ProbeResult> {
  const method = (options.method ?? "GET").toUpperCase();
  const timeoutMs = options.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  const started = performance.now();
  const elapsed = () => Math.round((performance.now() - started) * 100) / 100;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { url, method, status: null, headers: {}, bodyText: "", latencyMs: 0, error: "not an absolute URL", errorCode: "ERR_INVALID_URL" };
  }
  const isHttps = parsed.protocol === "https:";
  const key = originKey(parsed.hostname, parsed.port, parsed.protocol);
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  try {
    const res = await request(parsed, {
      method: method as Dispatcher.HttpMethod,
      headers: options.headers ?? {},
      body: options.body,
      dispatcher: agent,
      signal,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    const bodyText = await readText(res.body);
    const result: ProbeResult = { url, method, status: res.statusCode, headers: flattenHeaders(res.headers), bodyText, latencyMs: elapsed() };
    if (isHttps) result.tls = certs.get(key) ?? { valid: true };
    return result;
  } catch (err) {
    const code = errorCode(err);
    const timedOut = timeout.aborted && !options.signal?.aborted;
    const message = timedOut ? `no answer within ${timeoutMs} ms` : describeError(err, code);
    const result: ProbeResult = { url, method, status: null, headers: {}, bodyText: "", latencyMs: elapsed(), error: message, errorCode: timedOut ? "TIMEOUT" : code };
    if (isHttps) {
      if (code && CERT_ERROR.test(code)) result.tls = { valid: false, error: code };
      else if (certs.has(key)) result.tls = certs.get(key)!;
    }
    return result;
  }
}

async function readText(body: Dispatcher.ResponseData["body"]): Promise<string> {
  let text = "";
  for await (const chunk of body as AsyncIterable<Buffer>) {
    if (text.length < MAX_BODY_CHARS) text += chunk.toString("utf8");
  }
  return text.length > MAX_BODY_CHARS ? text.slice(0, MAX_BODY_CHARS) : text;
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

function errorCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && typeof e === "object" && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && code !== "UND_ERR_SOCKET") return code;
  }
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

function describeError(err: unknown, code: string | undefined): string {
  let message = err instanceof Error ? err.message : String(err);
  const cause = (err as { cause?: unknown } | null)?.cause;
  if (cause instanceof Error && cause.message && !message.includes(cause.message)) message = `${message}: ${cause.message}`;
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}
