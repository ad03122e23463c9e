import type { BookflowConfig } from "../../config/bookflow-config.js";
import type { ProbeClient, ProbeResult, TlsInfo } from "../../providers/http-probe.js";
import { fail, pass, skip, warn, type CheckOutcome } from "../check.js";
import { defineFact } from "./define.js";
import type { FactContext } from "./types.js";

/**
 * `endpointProbes`: the explicit, named actions the endpoints checks decide
 * from. For NEXT_PUBLIC_BASE_URL: one GET (reachability, TLS) and one GET of
 * /api/health. For each webhook URL: four POSTs: unsigned, wrongly signed,
 * correctly signed harmless test event (an event type the app records and
 * ignores: no booking is ever created), and correctly signed malformed JSON.
 */

export type WebhookProvider = "calendly" | "stripe";
export const WEBHOOK_PROVIDERS: readonly WebhookProvider[] = ["calendly", "stripe"];

/** Where each provider's webhook URL and signing secret come from. */
export const WEBHOOK_ENV: Record<WebhookProvider, { url: string; secret: string }> = {
  calendly: { url: "CALENDLY_WEBHOOK_URL", secret: "CALENDLY_WEBHOOK_SIGNING_KEY" },
  stripe: { url: "STRIPE_WEBHOOK_URL", secret: "STRIPE_WEBHOOK_SECRET" },
};

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
  webhooks: Record<WebhookProvider, WebhookProbes | Unprobed>;
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

async function probeWebhook(ctx: FactContext, client: ProbeClient, provider: WebhookProvider): Promise<WebhookProbes | Unprobed> {
  const names = WEBHOOK_ENV[provider];
  const url = urlFromEnv(ctx, names.url);
  if (!(url instanceof URL)) return url;
  const secret = envValue(ctx, names.secret);
  const body = provider === "calendly" ? CALENDLY_TEST_EVENT : STRIPE_TEST_EVENT;
  const post = (payload: string, signature?: string) =>
    client.probe(url.toString(), {
      method: "POST",
      headers: { "content-type": "application/json", ...(signature ? { [signatureHeader(provider)]: signature } : {}) },
      body: payload,
      signal: ctx.signal,
    });
  const sign = (payload: string, key: string) => signatureFor(provider, payload, key);

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

function signatureHeader(provider: WebhookProvider): string {
  return provider === "calendly" ? "calendly-webhook-signature" : "stripe-signature";
}

async function signatureFor(provider: WebhookProvider, payload: string, key: string): Promise<string> {
  if (provider === "calendly") {
    const { signCalendlyPayload } = await import("../../providers/calendly-signature.js");
    return signCalendlyPayload(payload, key);
  }
  const { signStripePayload } = await import("../../providers/stripe-signature.js");
  return signStripePayload(payload, key);
}

// ---------------------------------------------------------------- shared by the endpoints and security checks

/** "401", or "no answer (ECONNREFUSED …)". */
export function describeAnswer(r: ProbeResult): string {
  return r.status === null ? `no answer (${r.error ?? "unknown error"})` : String(r.status);
}

/** What a probe result looks like in a report's `actual`: status and a short body, or the error. */
export function answerSummary(r: ProbeResult): Record<string, unknown> {
  if (r.status === null) return { method: r.method, error: r.error };
  const body = r.bodyText.length > 300 ? `${r.bodyText.slice(0, 300)}…` : r.bodyText;
  return { method: r.method, status: r.status, body };
}

export function is2xx(r: ProbeResult): boolean {
  return r.status !== null && r.status >= 200 && r.status < 300;
}

export function is4xx(r: ProbeResult): boolean {
  return r.status !== null && r.status >= 400 && r.status < 500;
}

/** thresholds.httpLatencyMs: whether an answer came slower than it (no answer is never "slow": it is a failure of its own). */
export function isSlow(r: ProbeResult, config: Pick<BookflowConfig, "thresholds">): boolean {
  return r.status !== null && r.latencyMs > config.thresholds.httpLatencyMs;
}

/**
 * The pass of a check whose probe answered as it should: "<head> in 12 ms<tail>",
 * or a warning when the answer took longer than thresholds.httpLatencyMs.
 */
export function passUnlessSlow(r: ProbeResult, config: Pick<BookflowConfig, "thresholds">, head: string, tail = ""): CheckOutcome {
  const message = `${head} in ${Math.round(r.latencyMs)} ms${tail}`;
  if (!isSlow(r, config)) return pass(message);
  const limit = config.thresholds.httpLatencyMs;
  return warn(`${message}, longer than thresholds.httpLatencyMs (${limit} ms)`, { expected: `an answer within ${limit} ms`, actual: { latencyMs: Math.round(r.latencyMs) } });
}

const DAY_MS = 86_400_000;

/**
 * thresholds.certificateExpiryDays: how long a valid certificate has left, and
 * whether that is within the threshold. Undefined when the expiry is unknown.
 */
export function certificateExpiry(tls: TlsInfo | undefined, config: Pick<BookflowConfig, "thresholds">, now = Date.now()): { validTo: string; daysLeft: number; soon: boolean } | undefined {
  if (!tls?.valid || !tls.validTo) return undefined;
  const expires = Date.parse(tls.validTo);
  if (!Number.isFinite(expires)) return undefined;
  const daysLeft = Math.floor((expires - now) / DAY_MS);
  return { validTo: tls.validTo, daysLeft, soon: expires - now < config.thresholds.certificateExpiryDays * DAY_MS };
}

// ---------------------------------------------------------------- decisions of the per-provider webhook checks

const LABEL: Record<WebhookProvider, string> = { calendly: "Calendly", stripe: "Stripe" };

/** endpoints.<provider>-webhook-reachable: the route exists and answers an unsigned POST without a server error. */
export function decideWebhookReachable(probes: EndpointProbes, provider: WebhookProvider, config: Pick<BookflowConfig, "thresholds">): CheckOutcome {
  const p = probes.webhooks[provider];
  if (!p.probed) return fail(`The ${LABEL[provider]} webhook was not probed: ${p.reason}`);
  const r = p.unsigned;
  const expected = "an answer from the webhook route (a 4xx for an unsigned request)";
  if (r.status === null) return fail(`No answer from ${p.url}: ${r.error ?? "unknown error"}`, { expected, actual: answerSummary(r) });
  if (r.status === 404 || r.status === 405)
    return fail(`${p.url} answered ${r.status}: no webhook route is deployed at this path`, { expected, actual: answerSummary(r) });
  if (r.status === 429) return fail(`${p.url} answered 429 (rate limited): wait a minute (a recent --include-load burst?) and run again`, { expected, actual: answerSummary(r) });
  if (r.status >= 500) return fail(`${p.url} answered ${r.status} to an unsigned request: the route is failing`, { expected, actual: answerSummary(r) });
  return passUnlessSlow(r, config, `${p.url} answered ${r.status}`);
}

/** endpoints.<provider>-webhook-accepts-signed-event: a correctly signed harmless test event is accepted (2xx). */
export function decideWebhookAcceptsSigned(probes: EndpointProbes, provider: WebhookProvider, config: Pick<BookflowConfig, "thresholds">): CheckOutcome {
  const p = probes.webhooks[provider];
  if (!p.probed) return fail(`The ${LABEL[provider]} webhook was not probed: ${p.reason}`);
  const secretName = WEBHOOK_ENV[provider].secret;
  if (!p.signed) return skip(`${p.notSigned ?? `${secretName} is not set`}: no signed test event was sent (see env.required-present)`);
  const r = p.signed;
  const expected = "2xx for a test event signed with " + secretName;
  if (is2xx(r)) return passUnlessSlow(r, config, `${p.url} accepted a test event signed with ${secretName} (${r.status})`);
  if (r.status === null) return fail(`No answer from ${p.url} to the signed test event: ${r.error ?? "unknown error"}`, { expected, actual: answerSummary(r) });
  if (r.status === 401 || r.status === 403 || r.status === 400)
    return fail(`${p.url} rejected a test event signed with ${secretName} (${r.status}): the deployment verifies with another secret than ${secretName}, so real ${LABEL[provider]} deliveries are rejected too`, {
      expected,
      actual: answerSummary(r),
    });
  return fail(`${p.url} answered ${r.status} to a correctly signed test event`, { expected, actual: answerSummary(r) });
}

/** endpoints.<provider>-webhook-rejects-malformed-json: correctly signed, unparseable body → 4xx, never 5xx or 2xx. */
export function decideWebhookRejectsMalformed(probes: EndpointProbes, provider: WebhookProvider): CheckOutcome {
  const p = probes.webhooks[provider];
  if (!p.probed) return fail(`The ${LABEL[provider]} webhook was not probed: ${p.reason}`);
  if (!p.malformed) return skip(`${p.notSigned ?? `${WEBHOOK_ENV[provider].secret} is not set`}: no signed malformed body was sent`);
  const r = p.malformed;
  const expected = "4xx (400) for a signed body that is not JSON";
  if (is4xx(r)) return pass(`${p.url} answered malformed JSON with ${r.status}`);
  if (r.status === null) return fail(`No answer from ${p.url} to a malformed body: ${r.error ?? "unknown error"}`, { expected, actual: answerSummary(r) });
  if (r.status >= 500)
    return fail(`${p.url} answered malformed JSON with ${r.status}: a server error makes ${LABEL[provider]} retry a delivery that can never succeed`, { expected, actual: answerSummary(r) });
  return fail(`${p.url} accepted a body that is not JSON (${r.status})`, { expected, actual: answerSummary(r) });
}
