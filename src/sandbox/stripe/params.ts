/**
 * Request parameters and errors for the Stripe emulator, in Stripe's terms:
 * form fields parsed into nested objects, checked one by one, and failures as
 * StripeApiError (status plus Stripe's `error` fields: type, code, param).
 */
import type { Metadata } from "./objects.js";

/** A Stripe API error (status and Stripe's `error` fields); control methods throw it too, e.g. for an unknown session. */
export class StripeApiError extends Error {
  override name = "StripeApiError";
  constructor(
    readonly status: number,
    message: string,
    readonly extra: { type?: string; code?: string; param?: string } = {},
  ) {
    super(message);
  }
}

export const missing = (param: string) => new StripeApiError(400, `Missing required param: ${param}.`, { code: "parameter_missing", param });
export const invalid = (param: string, message: string, code = "parameter_invalid") => new StripeApiError(400, message, { code, param });
export const noSuch = (object: string, id: string, param = "id") => new StripeApiError(404, `No such ${object}: '${id}'`, { code: "resource_missing", param });

export type Params = Record<string, unknown>;

export function allowOnly(params: Params, allowed: readonly string[]): void {
  for (const key of Object.keys(params)) {
    if (!allowed.includes(key)) throw new StripeApiError(400, `Received unknown parameter: ${key}`, { code: "parameter_unknown", param: key });
  }
}

export function str(params: Params, name: string, param = name): string | undefined {
  const v = params[name];
  if (v === undefined) return undefined;
  if (typeof v !== "string") throw invalid(param, `Invalid string: ${param} must be a string`);
  return v;
}

export function int(params: Params, name: string, param = name, options: { min?: number; max?: number } = {}): number | undefined {
  const v = params[name];
  if (v === undefined || v === "") return undefined;
  const n = typeof v === "number" ? v : typeof v === "string" && /^-?\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n)) throw invalid(param, `Invalid integer: ${typeof v === "string" ? v : JSON.stringify(v)}`, "parameter_invalid_integer");
  if (options.min !== undefined && n < options.min) throw invalid(param, `This value must be greater than or equal to ${options.min}.`, "parameter_invalid_integer");
  if (options.max !== undefined && n > options.max) throw invalid(param, `This value must be less than or equal to ${options.max}.`, "parameter_invalid_integer");
  return n;
}

export function bool(params: Params, name: string): boolean | undefined {
  const v = params[name];
  if (v === undefined) return undefined;
  if (v === true || v === "true") return true;
  if (v === false || v === "false") return false;
  throw invalid(name, `Invalid boolean: ${String(v)}`, "parameter_invalid_boolean");
}

export function obj(params: Params, name: string, param = name): Params | undefined {
  const v = params[name];
  if (v === undefined) return undefined;
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw invalid(param, `Invalid object: ${param} must be a hash`);
  return v as Params;
}

export function list(params: Params, name: string): unknown[] | undefined {
  const v = params[name];
  if (v === undefined) return undefined;
  if (Array.isArray(v)) return v;
  // `a[0]=x&a[1]=y` parse as a list; a hash with numeric keys is the same thing.
  if (typeof v === "object" && v !== null && Object.keys(v).every((k) => /^\d+$/.test(k))) return Object.values(v as Params);
  if (typeof v === "string") return [v];
  throw invalid(name, `Invalid array: ${name} must be an array`);
}

export function expandList(params: Params): string[] {
  return (list(params, "expand") ?? []).filter((x): x is string => typeof x === "string");
}

/** Metadata as given: `undefined` (not given), `null` (emptied with `metadata=`), or a validated hash; "" values unset keys on update. */
export function metadataParam(params: Params, name = "metadata"): Record<string, string> | null | undefined {
  const v = params[name];
  if (v === undefined) return undefined;
  if (v === "") return null;
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw invalid(name, `Invalid hash: ${name} must be a hash of strings`);
  const entries = Object.entries(v as Params);
  if (entries.length > 50) throw invalid(name, "Metadata can have at most 50 keys.");
  for (const [key, value] of entries) {
    if (typeof value !== "string") throw invalid(`${name}[${key}]`, `Invalid string: ${name}[${key}] must be a string`);
    if (key.length > 40) throw invalid(`${name}[${key}]`, `Metadata keys can be at most 40 characters long; "${key}" has ${key.length}.`);
    if (value.length > 500) throw invalid(`${name}[${key}]`, `Metadata values can be at most 500 characters long; ${name}[${key}] has ${value.length}.`);
  }
  return Object.fromEntries(entries) as Record<string, string>;
}

export function applyMetadata(current: Metadata, update: Record<string, string> | null | undefined): Metadata {
  if (update === undefined) return current;
  if (update === null) return {};
  const next = { ...current };
  for (const [k, v] of Object.entries(update)) {
    if (v === "") delete next[k];
    else next[k] = v;
  }
  return next;
}

export function urlParam(params: Params, name: string): string | undefined {
  const v = str(params, name);
  if (v === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    throw invalid(name, `Invalid URL: ${v}. An explicit scheme (such as https) must be provided.`, "url_invalid");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw invalid(name, `Invalid URL: ${v}. The scheme must be http or https.`, "url_invalid");
  return v;
}

export const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
export const REFUND_REASONS = ["duplicate", "fraudulent", "requested_by_customer"] as const;

export function money(cents: number, currency: string): string {
  const amount = (cents / 100).toFixed(2);
  return currency === "usd" ? `$${amount}` : `${amount} ${currency}`;
}

export function redactKey(key: string): string {
  const prefix = /^(sk|rk|pk)_(test|live)_/.exec(key)?.[0] ?? "";
  const rest = key.slice(prefix.length);
  if (rest.length <= 4) return `${prefix}${"*".repeat(rest.length)}`;
  return `${prefix}${"*".repeat(rest.length - 4)}${rest.slice(-4)}`;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

export const clone = <T>(value: T): T => structuredClone(value);

