import { defaultConfig, type BookflowConfig } from "../../../src/config/bookflow-config.js";
import type { Target } from "../../../src/config/verify-env.js";
import type { EndpointProbes, Unprobed, WebhookProbes } from "../../../src/engine/facts/endpoints.js";
import type { CorsProbe, RateLimitProbe, SecurityProbes } from "../../../src/engine/facts/security.js";
import type { ProbeResult } from "../../../src/providers/http-probe.js";
import type { WebhookProviderId } from "../../../src/providers/webhook-providers.js";
import { envWorld } from "../../support/env-worlds.js";
import type { World } from "../../support/check-tester.js";

/** Worlds for the endpoints and security checks: probe facts as the reference app answers them, with overrides. */

export const BASE = "https://www.example.com/";
export const SECURITY_HEADERS: Record<string, string> = {
  "strict-transport-security": "max-age=63072000; includeSubDomains; preload",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
};

export function answer(status: number, overrides: Partial<ProbeResult> = {}): ProbeResult {
  const url = overrides.url ?? BASE;
  const https = url.startsWith("https:");
  return {
    url,
    method: "GET",
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...SECURITY_HEADERS },
    bodyText: "{}",
    latencyMs: 12,
    ...(https ? { tls: { valid: true, validTo: "2030-01-01T00:00:00.000Z" } } : {}),
    ...overrides,
  };
}

export function noAnswer(error = "connect ECONNREFUSED 127.0.0.1:9", overrides: Partial<ProbeResult> = {}): ProbeResult {
  return { url: BASE, method: "GET", status: null, headers: {}, bodyText: "", latencyMs: 1, error, errorCode: "ECONNREFUSED", ...overrides };
}

export function webhook(provider: WebhookProviderId, overrides: Partial<Omit<WebhookProbes, "probed" | "url">> = {}): WebhookProbes {
  const url = `https://www.example.com/api/webhooks/${provider}`;
  const post = (status: number, body: unknown) => answer(status, { url, method: "POST", bodyText: JSON.stringify(body) });
  return {
    probed: true,
    url,
    unsigned: post(401, { error: "invalid_signature", reason: "missing_header" }),
    badSignature: post(401, { error: "invalid_signature", reason: "bad_signature" }),
    signed: post(200, { outcome: "ignored", event: "bookflow.verify.test" }),
    malformed: post(400, { error: "malformed_json" }),
    ...overrides,
  };
}

export const healthy = (): ProbeResult =>
  answer(200, { url: `${BASE}api/health`, bodyText: JSON.stringify({ status: "ok", database: { up: true, latencyMs: 1.5 }, version: "1.0.0", commit: null }) });

export function endpointProbes(overrides: Partial<EndpointProbes> & { calendly?: WebhookProbes | Unprobed; stripe?: WebhookProbes | Unprobed } = {}): EndpointProbes {
  const { calendly, stripe, ...rest } = overrides;
  return {
    base: { probed: true, url: BASE, result: answer(404, { bodyText: '{"error":"not_found"}' }) },
    health: { probed: true, url: `${BASE}api/health`, result: healthy() },
    webhooks: { calendly: calendly ?? webhook("calendly"), stripe: stripe ?? webhook("stripe") },
    ...rest,
  };
}

/** A world with the env fact (production unless told), the config (defaults unless given) and the endpoint probes. */
export function endpointsWorld(probes: EndpointProbes = endpointProbes(), target: Target = "production", config: BookflowConfig = defaultConfig()): World {
  return { ...envWorld({}, target), config, endpointProbes: probes };
}

/** The default config with some thresholds changed. */
export function withThresholds(thresholds: Partial<BookflowConfig["thresholds"]>): BookflowConfig {
  const config = defaultConfig();
  return { ...config, thresholds: { ...config.thresholds, ...thresholds } };
}

export function cors(provider: WebhookProviderId, headers: Record<string, string> = {}, preflightHeaders: Record<string, string> = {}): CorsProbe {
  const url = `https://www.example.com/api/webhooks/${provider}`;
  return {
    probed: true,
    url,
    origin: "https://bookflow-verify.invalid",
    preflight: answer(405, { url, method: "OPTIONS", headers: { ...SECURITY_HEADERS, allow: "POST", ...preflightHeaders } }),
    post: answer(401, { url, method: "POST", headers: { ...SECURITY_HEADERS, ...headers } }),
  };
}

export function securityProbes(overrides: Partial<SecurityProbes> = {}): SecurityProbes {
  return {
    cors: { calendly: cors("calendly"), stripe: cors("stripe") },
    headers: { probed: true, url: BASE, result: answer(404) },
    ...overrides,
  };
}

export function burst(overrides: Partial<Extract<RateLimitProbe, { ran: true }>> = {}): RateLimitProbe {
  return {
    ran: true,
    url: "https://www.example.com/api/webhooks/calendly",
    sent: 640,
    maxRequests: 700,
    maxDurationMs: 8000,
    firstLimitedAt: 609,
    statuses: { "401": 608, "429": 32 },
    durationMs: 1500,
    ...overrides,
  };
}
