/**
 * The Calendly emulator's request pipeline: the Bearer token check, Calendly's
 * error bodies (`{ title, message, details }`, the `--faults` 429s and 5xx
 * included, with Calendly's rate-limit headers), the `Refusal` a handler throws
 * to answer with one, query and body parsing helpers, and the route guard that
 * turns refusals and control-API errors into responses.
 */
import type { EmulatorRequest, EmulatorResponse, InjectedFault } from "../emulator-server.js";
import { CalendlyEmulatorError } from "./types.js";

export type ParameterError = { parameter: string; message: string };

export const json = (status: number, body: unknown): EmulatorResponse => ({ status, body });
export const notFound = (message = "The server could not find the requested resource."): EmulatorResponse => json(404, { title: "Resource Not Found", message });
export const forbidden = (message = "You do not have permission to access this resource."): EmulatorResponse => json(403, { title: "Permission Denied", message });
export const invalid = (details: ParameterError[]): EmulatorResponse => json(400, { title: "Invalid Argument", message: "The supplied parameters are invalid.", details });

/** The per-window request limit the emulator's rate-limit headers state. */
export const RATE_LIMIT_PER_WINDOW = 100;

/**
 * Calendly's answers to a `--faults` 429 or 5xx: its error body (`{ title, message }`); a 429 carries
 * `X-RateLimit-Limit`, `X-RateLimit-Remaining: 0` and `X-RateLimit-Reset` (seconds until the window
 * resets, the fault's retry-after), as Calendly sends them, and no Retry-After.
 */
export function calendlyFaultAnswer(fault: InjectedFault): EmulatorResponse {
  if (fault.kind === "rate_limited") {
    return {
      status: 429,
      body: { title: "Too Many Requests", message: "You have exceeded the rate limit. Please wait before making more requests." },
      headers: { "x-ratelimit-limit": String(RATE_LIMIT_PER_WINDOW), "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(fault.retryAfterSeconds) },
    };
  }
  return { status: fault.status, body: { title: "Internal Server Error", message: "The server encountered an unexpected condition that prevented it from fulfilling the request." } };
}

/** Thrown by a handler (or a helper it calls) to answer with `response`; the guard catches it. */
export class Refusal {
  constructor(readonly response: EmulatorResponse) {}
}

/** Refuses a request without the one accepted Bearer token. */
export function authenticate(token: string): (req: EmulatorRequest) => EmulatorResponse | undefined {
  return (req) => {
    const header = req.headers.authorization;
    if (header !== `Bearer ${token}`) return json(401, { title: "Unauthenticated", message: "The access token is invalid" });
    return undefined;
  };
}

/** Wraps a handler: a thrown `Refusal` is its response, a `CalendlyEmulatorError` a `{ title, message }` answer. */
export const guard =
  (handler: (req: EmulatorRequest) => EmulatorResponse | Promise<EmulatorResponse>) =>
  async (req: EmulatorRequest): Promise<EmulatorResponse> => {
    try {
      return await handler(req);
    } catch (err) {
      if (err instanceof Refusal) return err.response;
      if (err instanceof CalendlyEmulatorError) {
        return json(err.status, { title: err.title, message: err.message });
      }
      throw err;
    }
  };

/** The value, or a refusal with Calendly's 404. */
export function orNotFound<T>(value: T | undefined): T {
  if (value === undefined) throw new Refusal(notFound());
  return value;
}

export function parseCount(q: URLSearchParams): number {
  const raw = q.get("count");
  if (raw === null) return 20;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 100) throw new Refusal(invalid([{ parameter: "count", message: "must be an integer between 1 and 100" }]));
  return Number(raw);
}

export function parseTime(q: URLSearchParams, name: string): number | undefined {
  const raw = q.get(name);
  if (raw === null) return undefined;
  const ms = /^\d{4}-\d{2}-\d{2}T/.test(raw) ? Date.parse(raw) : NaN;
  if (Number.isNaN(ms)) throw new Refusal(invalid([{ parameter: name, message: "must be a valid ISO 8601 time, e.g. 2020-01-02T03:04:05.678123Z" }]));
  return ms;
}

export function oneOf<T extends string>(q: URLSearchParams, name: string, allowed: readonly T[]): T | undefined {
  const raw = q.get(name);
  if (raw === null) return undefined;
  if (!(allowed as readonly string[]).includes(raw)) throw new Refusal(invalid([{ parameter: name, message: `must be one of ${allowed.join(", ")}` }]));
  return raw as T;
}

/** user= / organization= filters: one is required; both must be ours (the store is the owner). */
export function checkOwner(q: URLSearchParams, owner: { user: { uri: string }; organizationUri: string }): void {
  const u = q.get("user");
  const o = q.get("organization");
  if (u === null && o === null) {
    throw new Refusal(invalid([{ parameter: "organization", message: "one of organization or user is required" }]));
  }
  if (o !== null && o !== owner.organizationUri) throw new Refusal(forbidden());
  if (u !== null && u !== owner.user.uri) throw new Refusal(forbidden());
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
