import type { ProbeClient, ProbeResult } from "../../providers/http-probe.js";
import { WEBHOOK_PROVIDERS, type WebhookProviderId } from "../../providers/webhook-providers.js";
import { defineFact } from "./define.js";
import type { FactContext } from "./types.js";

/**
 * `endpointProbes`: the explicit, named actions the endpoints checks decide
 * from. For NEXT_PUBLIC_BASE_URL: one GET (reachability, TLS) and one GET of
 * /api/health. For each webhook URL: four POSTs: unsigned, wrongly signed,
 * correctly signed harmless test event (an event type the app records and
 * ignores: no booking is ever created), and correctly signed malformed JSON.
 */


export const HEALTH_PATH = "/api/health";

/** A probe that was not sent, and why (the URL is unset or not a URL). */
export interface Unprobed {
  probed: false;
  reason: string;
}

export interface UrlProbe {
  probed: true;
  url: string;
  result: ProbeResult;
}

export interface WebhookProbes {
  probed: true;
  url: string;
  unsigned: ProbeResult;
  badSignature: ProbeResult;
  /** null when the signing secret is not set (see `notSigned`). */
  signed: ProbeResult | null;
  malformed: ProbeResult | null;
  /** Why the signed probes were not sent. */
  notSigned?: string;
}

export interface EndpointProbes {
  base: UrlProbe | Unprobed;
  health: UrlProbe | Unprobed;
  webhooks: Record<WebhookProviderId, WebhookProbes | Unprobed>;
}

/** Test events the reference app records as "ignored" (never a booking); fixed ids, so repeated runs are duplicates, not new rows. */
export const CALENDLY_TEST_EVENT = JSON.stringify({ event: "bookflow.verify.test", payload: { uri: "bookflow:verify:test-event" } });
export const STRIPE_TEST_EVENT = JSON.stringify({ id: "evt_bookflow_verify_test", object: "event", type: "bookflow.verify.test", created: 1577836800, livemode: false, data: { object: {} } });
export const MALFORMED_JSON = '{"event": "bookflow.verify.test", "payload": ';
const WRONG_CALENDLY_KEY = "bookflow-verify-wrong-signing-key";
const WRONG_STRIPE_SECRET = "whsec_bookflowVerifyWrongSecret0000";

/** An env value, blank counting as unset. */
export function envValue(ctx: Pick<FactContext, "env">, name: string): string | undefined {
  const v = ctx.env[name];
  return v === undefined || v.trim() === "" ? undefined : v.trim();
}

/** The URL in `name`, or why it cannot be probed. */
export function urlFromEnv(ctx: FactContext, name: string): URL | Unprobed {
  const value = envValue(ctx, name);
  if (!value) return { probed: false, reason: `${name} is not set` };
  try {
    const url = new URL(value);
    if (url.protocol !== "https:" && url.protocol !== "http:") return { probed: false, reason: `${name} is not an http(s) URL` };
    return url;
  } catch {
    return { probed: false, reason: `${name} is not an absolute URL` };
  }
}

/** Names a PEM file of CA certificates the probes trust besides Node's bundled roots (a private CA in front of staging, a test's own CA). */
export const EXTRA_CA_FILE_ENV = "BOOKFLOW_EXTRA_CA_FILE";

/** The probe client for a run: trusts BOOKFLOW_EXTRA_CA_FILE's certificates as well as the usual roots. */
export async function createFactProbeClient(ctx: Pick<FactContext, "env">): Promise<ProbeClient> {
  const { createProbeClient } = await import("../../providers/http-probe.js");
  const file = envValue(ctx, EXTRA_CA_FILE_ENV);
  return file ? createProbeClient({ ca: await readCaFile(file) }) : createProbeClient();
}

/** The certificates in a PEM file; throws (the probe facts then error with this reason) when it is unreadable or holds none. */
export async function readCaFile(file: string): Promise<string[]> {
  const { readFile } = await import("node:fs/promises");
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`${EXTRA_CA_FILE_ENV} names ${file}, which cannot be read (${code === "ENOENT" ? "no such file" : (code ?? String(err))}): point it at a PEM file of CA certificates, or unset it`);
  }
  const certs = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (!certs.length) throw new Error(`${EXTRA_CA_FILE_ENV} names ${file}, which holds no PEM certificate ("-----BEGIN CERTIFICATE-----"): point it at a PEM file of CA certificates, or unset it`);
  return certs;
}

/** `endpointProbes`; the rate-limit burst waits for it (declared in its needs), so it never sees its own 429s. */
export const endpointProbesFact = defineFact({
  name: "endpointProbes",
  gather: (ctx) => sendEndpointProbes(ctx),
});

async function sendEndpointProbes(ctx: FactContext): Promise<EndpointProbes> {
  const client = await createFactProbeClient(ctx);
  try {
    const base = urlFromEnv(ctx, "NEXT_PUBLIC_BASE_URL");
    const get = async (url: URL | Unprobed): Promise<UrlProbe | Unprobed> =>
      url instanceof URL ? { probed: true, url: url.toString(), result: await client.probe(url.toString(), { signal: ctx.signal }) } : url;
    const [baseProbe, health, calendly, stripe] = await Promise.all([
      get(base),
      get(base instanceof URL ? new URL(HEALTH_PATH, base) : base),
      probeWebhook(ctx, client, "calendly"),
      probeWebhook(ctx, client, "stripe"),
    ]);
    return { base: baseProbe, health, webhooks: { calendly, stripe } };
  } finally {
    await client.close();
  }
}

async function probeWebhook(ctx: FactContext, client: ProbeClient, provider: WebhookProviderId): Promise<WebhookProbes | Unprobed> {
  const entry = WEBHOOK_PROVIDERS[provider];
  const names = entry.env;
  const url = urlFromEnv(ctx, names.url);
  if (!(url instanceof URL)) return url;
  const secret = envValue(ctx, names.secret);
  const body = provider === "calendly" ? CALENDLY_TEST_EVENT : STRIPE_TEST_EVENT;
  const post = (payload: string, signature?: string) =>
    client.probe(url.toString(), {
      method: "POST",
      headers: { "content-type": "application/json", ...(signature ? { [entry.signatureHeader]: signature } : {}) },
      body: payload,
      signal: ctx.signal,
    });
  const sign = (payload: string, key: string) => entry.sign(payload, key);

  // The unsigned request first: when it gets no answer, the route is unreachable and the
  // other requests would only wait out their own timeouts (they repeat its result instead).
  const unsigned = await post(body);
  const [wrongSignature, signature, malformedSignature] = await Promise.all([
    sign(body, provider === "calendly" ? WRONG_CALENDLY_KEY : WRONG_STRIPE_SECRET),
    secret ? sign(body, secret) : undefined,
    secret ? sign(MALFORMED_JSON, secret) : undefined,
  ]);
  const send = (payload: string, sig: string | undefined) => (unsigned.status === null ? Promise.resolve(unsigned) : post(payload, sig));
  const [badSignature, signed, malformed] = await Promise.all([
    send(body, wrongSignature),
    signature ? send(body, signature) : null,
    malformedSignature ? send(MALFORMED_JSON, malformedSignature) : null,
  ]);
  if (!signed || !malformed) return { probed: true, url: url.toString(), unsigned, badSignature, signed: null, malformed: null, notSigned: `${names.secret} is not set` };
  return { probed: true, url: url.toString(), unsigned, badSignature, signed, malformed };
}
