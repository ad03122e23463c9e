/**
 * A minimal HTTP/1.1 keep-alive connection for the webhook load generator: it
 * writes a request that is already serialised (request line, headers and body
 * in one string, so one write per request) and reads the answers in order,
 * keeping each answer's status and, up to a bound, its body.
 *
 * Why not a general HTTP client: under load the generator's cost per request
 * is what limits the rate it can offer, and a general client spends most of
 * its time on what a load generator does not need (header objects and their
 * validation, a timer per request, deferred writes, request objects). This one
 * does what autocannon does: one socket write per request and an incremental
 * parser for the answer, which handles `content-length`, `transfer-encoding:
 * chunked`, bodies that end with the connection, 1xx interim answers, and
 * `connection: close`.
 *
 * Up to `pipelining` requests may be in flight on one connection (HTTP/1.1
 * pipelining; answers come back in order). When the connection fails or is
 * closed, every request in flight on it fails with the error's code and the
 * next request opens a new connection: nothing is retried, since a POST is not
 * idempotent.
 */
import net from "node:net";
import tls from "node:tls";

export interface Http1Answer {
  statusCode: number;
  /** The body when it is at most the connection's `maxKeptBody` bytes, else null (read and dropped). */
  body: Buffer | null;
}

/** An error with a `code`, as the report counts network failures by code. */
export class Http1LoadError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "Http1LoadError";
  }
}

interface Pending {
  resolve: (answer: Http1Answer) => void;
  reject: (err: unknown) => void;
  /** performance.now() after which the request has timed out. */
  deadline: number;
}

const CRLF = Buffer.from("\r\n");
const CRLFCRLF = Buffer.from("\r\n\r\n");
const MAX_HEAD_BYTES = 64 * 1024;
const MAX_CHUNK_LINE_BYTES = 1024;

type Phase = "head" | "fixed" | "chunk-size" | "chunk-data" | "chunk-end" | "trailers" | "until-close";

/**
 * Parses a stream of HTTP/1.1 answers incrementally. `feed` calls `onAnswer` for every complete answer
 * (with whether the server asked to close the connection after it) and throws on a malformed one.
 */
export class Http1ResponseParser {
  private buf: Buffer | null = null;
  private phase: Phase = "head";
  private remaining = 0;
  private statusCode = 0;
  private closeAfter = false;
  private kept: Buffer[] | null = null;
  private size = 0;

  constructor(
    private readonly maxKeptBody: number,
    private readonly onAnswer: (answer: Http1Answer, closeAfter: boolean) => void,
  ) {}

  /** True while an answer has started arriving but is not complete. */
  get midAnswer(): boolean {
    return this.phase !== "head" || (this.buf !== null && this.buf.length > 0);
  }

  feed(chunk: Buffer): void {
    let buf = this.buf === null ? chunk : Buffer.concat([this.buf, chunk]);
    this.buf = null;
    while (buf.length) {
      switch (this.phase) {
        case "head": {
          const end = this.find(buf, CRLFCRLF, MAX_HEAD_BYTES, "HPE_HEADER_OVERFLOW", "the answer's headers are larger than 64 KiB");
          if (end < 0) return;
          const interim = this.head(buf.toString("latin1", 0, end));
          buf = buf.subarray(end + 4);
          if (interim) continue;
          if (this.phase === "head") this.finish();
          break;
        }
        case "fixed":
        case "chunk-data": {
          const n = Math.min(this.remaining, buf.length);
          this.keep(n === buf.length ? buf : buf.subarray(0, n));
          this.remaining -= n;
          buf = buf.subarray(n);
          if (this.remaining === 0) {
            if (this.phase === "fixed") this.finish();
            else this.phase = "chunk-end";
          }
          break;
        }
        case "chunk-size": {
          const end = this.find(buf, CRLF, MAX_CHUNK_LINE_BYTES, "HPE_INVALID_CHUNK_SIZE", "a chunk size line is too long");
          if (end < 0) return;
          const line = buf.toString("latin1", 0, end);
          const hex = (line.includes(";") ? line.slice(0, line.indexOf(";")) : line).trim();
          if (!/^[0-9a-fA-F]{1,12}$/.test(hex)) throw new Http1LoadError("HPE_INVALID_CHUNK_SIZE", "a chunk size is not hexadecimal");
          this.remaining = parseInt(hex, 16);
          this.phase = this.remaining === 0 ? "trailers" : "chunk-data";
          buf = buf.subarray(end + 2);
          break;
        }
        case "chunk-end": {
          if (buf.length < 2) {
            this.buf = buf;
            return;
          }
          if (buf[0] !== 0x0d || buf[1] !== 0x0a) throw new Http1LoadError("HPE_INVALID_CHUNK_SIZE", "a chunk does not end with CRLF");
          this.phase = "chunk-size";
          buf = buf.subarray(2);
          break;
        }
        case "trailers": {
          const end = this.find(buf, CRLF, MAX_HEAD_BYTES, "HPE_HEADER_OVERFLOW", "the answer's trailers are larger than 64 KiB");
          if (end < 0) return;
          buf = buf.subarray(end + 2);
          if (end === 0) this.finish();
          break;
        }
        case "until-close":
          this.keep(buf);
          return;
      }
    }
  }

  /** The connection ended: completes an answer whose body ends with the connection; false if one was cut short. */
  end(): boolean {
    if (this.phase === "until-close") {
      this.closeAfter = true;
      this.finish();
      return true;
    }
    return !this.midAnswer;
  }

  /**
   * Where `delimiter` starts in `buf`; -1 when it has not arrived yet (`buf` is kept for the next chunk). Throws
   * when more than `limit` bytes came without it.
   */
  private find(buf: Buffer, delimiter: Buffer, limit: number, code: string, message: string): number {
    const at = buf.indexOf(delimiter);
    if (at >= 0) return at;
    if (buf.length > limit) throw new Http1LoadError(code, message);
    this.buf = buf;
    return -1;
  }

  /** Reads a head; returns true for a 1xx interim answer (skipped: the final one follows). */
  private head(text: string): boolean {
    const lines = text.split("\r\n");
    const m = /^HTTP\/1\.([01]) (\d{3})(?: |$)/.exec(lines[0]!);
    if (!m) throw new Http1LoadError("HPE_INVALID_CONSTANT", "the answer does not start with an HTTP/1.x status line");
    const status = Number(m[2]);
    if (status >= 100 && status < 200 && status !== 101) return true;
    let contentLength = -1;
    let chunked = false;
    let connection = "";
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(":");
      if (colon <= 0) throw new Http1LoadError("HPE_INVALID_HEADER_TOKEN", "an answer header has no name");
      const name = line.slice(0, colon).trim().toLowerCase();
      if (name === "content-length") {
        const value = line.slice(colon + 1).trim();
        if (!/^\d{1,15}$/.test(value)) throw new Http1LoadError("HPE_INVALID_CONTENT_LENGTH", "the answer's content-length is not a number");
        contentLength = Number(value);
      } else if (name === "transfer-encoding") {
        chunked = /(?:^|,)\s*chunked\s*$/i.test(line.slice(colon + 1));
      } else if (name === "connection") {
        connection = line.slice(colon + 1).toLowerCase();
      }
    }
    this.statusCode = status;
    this.closeAfter = connection.includes("close") || (m[1] === "0" && !connection.includes("keep-alive"));
    this.kept = null;
    this.size = 0;
    if (status === 204 || status === 304) this.phase = "head";
    else if (chunked) this.phase = "chunk-size";
    else if (contentLength >= 0) {
      this.remaining = contentLength;
      this.phase = contentLength === 0 ? "head" : "fixed";
    } else {
      this.phase = "until-close";
      this.closeAfter = true;
    }
    return false;
  }

  private keep(part: Buffer): void {
    this.size += part.length;
    if (this.size <= this.maxKeptBody) (this.kept ??= []).push(part);
  }

  private finish(): void {
    const kept = this.kept;
    const body = kept === null ? (this.size === 0 ? Buffer.alloc(0) : null) : this.size > this.maxKeptBody ? null : kept.length === 1 ? kept[0]! : Buffer.concat(kept);
    this.phase = "head";
    this.kept = null;
    this.size = 0;
    this.onAnswer({ statusCode: this.statusCode, body }, this.closeAfter);
  }
}

export interface Http1ConnectionOptions {
  /** The origin's URL (http: or https:). */
  url: URL;
  /** Bodies larger than this are read and dropped. */
  maxKeptBody: number;
}

function codeOf(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : "ERROR";
}

/** One keep-alive connection to an origin; connects when the first request is sent, and again after a failure. */
export class Http1Connection {
  private socket: net.Socket | null = null;
  private readonly inFlight: Pending[] = [];

  constructor(private readonly options: Http1ConnectionOptions) {}

  /** Requests sent and not yet answered. */
  get pending(): number {
    return this.inFlight.length;
  }

  /** Writes one serialised request; resolves with its answer, rejects with an error carrying a `code`. */
  send(request: string, timeoutMs: number): Promise<Http1Answer> {
    return new Promise((resolve, reject) => {
      const socket = this.socket ?? this.open();
      this.inFlight.push({ resolve, reject, deadline: performance.now() + timeoutMs });
      socket.write(request);
    });
  }

  /** Fails the oldest request in flight if its time is up (and so every one behind it: the connection is dropped). */
  checkTimeout(now: number): void {
    const head = this.inFlight[0];
    if (head && now > head.deadline) this.fail(new Http1LoadError("TIMEOUT", "no complete answer within the time limit"));
  }

  close(): void {
    this.fail(new Http1LoadError("CLOSED", "the load run ended"));
  }

  private open(): net.Socket {
    const { url } = this.options;
    const port = Number(url.port) || (url.protocol === "https:" ? 443 : 80);
    const host = url.hostname.replace(/^\[|\]$/g, "");
    const socket =
      url.protocol === "https:"
        ? tls.connect({ host, port, ...(net.isIP(host) ? {} : { servername: host }), ALPNProtocols: ["http/1.1"] })
        : net.connect({ host, port });
    socket.setNoDelay(true);
    const parser = new Http1ResponseParser(this.options.maxKeptBody, (answer, closeAfter) => {
      const p = this.inFlight.shift();
      if (closeAfter) this.fail(new Http1LoadError("ECONNRESET", "the server closed the connection after an earlier answer"));
      p?.resolve(answer);
    });
    socket.on("data", (chunk: Buffer) => {
      if (this.socket !== socket) return;
      if (!this.inFlight.length) {
        this.fail(new Http1LoadError("HPE_UNEXPECTED_DATA", "data arrived with no request in flight"));
        return;
      }
      try {
        parser.feed(chunk);
      } catch (err) {
        this.fail(err);
      }
    });
    socket.on("end", () => {
      if (this.socket !== socket) return;
      parser.end();
      this.fail(new Http1LoadError("ECONNRESET", "the server closed the connection"));
    });
    socket.on("error", (err) => {
      if (this.socket === socket) this.fail(new Http1LoadError(codeOf(err), err.message));
    });
    socket.on("close", () => {
      if (this.socket === socket) this.fail(new Http1LoadError("ECONNRESET", "the connection closed"));
    });
    this.socket = socket;
    return socket;
  }

  /** Drops the connection: every request in flight on it fails with `err`. */
  private fail(err: unknown): void {
    const socket = this.socket;
    this.socket = null;
    socket?.destroy();
    const failed = this.inFlight.splice(0);
    for (const p of failed) p.reject(err);
  }
}
