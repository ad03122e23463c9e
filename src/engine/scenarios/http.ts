import { request } from "undici";
import type { z } from "zod";
import { StepFailure } from "./scenario.js";

/**
 * Small HTTP helpers for the scenarios: the app's public routes, the sandbox
 * emulators' control routes, and signed webhook posts. Every answer is read in
 * full and checked with a zod schema before anything uses it.
 */

export interface HttpAnswer {
  url: string;
  status: number;
  text: string;
  json: unknown;
}

export interface HttpOptions {
  method?: "GET" | "POST" | "DELETE";
  headers?: Record<string, string>;
  /** A string is sent as is; anything else as JSON. */
  body?: unknown;
  timeoutMs?: number;
}

/** One request; network failures throw (a plain Error naming the URL), any HTTP status is an answer. */
export async function http(url: string, options: HttpOptions = {}): Promise<HttpAnswer> {
  const body = options.body === undefined ? undefined : typeof options.body === "string" ? options.body : JSON.stringify(options.body);
  const headers: Record<string, string> = { accept: "application/json", ...(body !== undefined ? { "content-type": "application/json" } : {}), ...options.headers };
  let res;
  try {
    res = await request(url, { method: options.method ?? (body === undefined ? "GET" : "POST"), headers, body, signal: AbortSignal.timeout(options.timeoutMs ?? 10_000) });
  } catch (err) {
    const e = err as { code?: string; name?: string; message?: string };
    throw new Error(`${options.method ?? (body === undefined ? "GET" : "POST")} ${url} failed: ${e.code ?? e.name ?? "error"}${e.message ? ` (${e.message})` : ""}`);
  }
  const text = await res.body.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { url, status: res.statusCode, text, json };
}

/** The answer's JSON checked against `schema`; a wrong status or shape is a StepFailure naming `what`. */
export function expectJson<S extends z.ZodType>(answer: HttpAnswer, schema: S, what: string, okStatuses: readonly number[] = [200]): z.infer<S> {
  if (!okStatuses.includes(answer.status)) {
    throw new StepFailure(`${what}: ${answer.url} answered ${answer.status}${excerpt(answer.text) ? `: ${excerpt(answer.text)}` : ""}`, {
      expected: `HTTP ${okStatuses.join(" or ")}`,
      actual: `HTTP ${answer.status}`,
    });
  }
  const parsed = schema.safeParse(answer.json);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 3).map((i) => `${i.path.map(String).join(".") || "(body)"}: ${i.message}`);
    throw new StepFailure(`${what}: ${answer.url} answered an unexpected body (${issues.join("; ")})`);
  }
  return parsed.data;
}

/** The first 200 characters of a body, on one line. */
export function excerpt(text: string, max = 200): string {
  const one = text.replace(/\s+/g, " ").trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

/** `base` + `path`, tolerating a trailing slash on the base. */
export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, "")}${path}`;
}
