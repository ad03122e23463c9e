import type { BookflowConfig } from "../../src/config/bookflow-config.js";
import { fail, pass, skip, type Verdict } from "../../src/engine/check.js";
import type { EndpointProbes } from "../../src/engine/facts/endpoints.js";
import { WEBHOOK_PROVIDERS, type WebhookProviderId } from "../../src/providers/webhook-providers.js";
import { answerSummary, is2xx, is4xx, passUnlessSlow } from "./probe-answers.js";

/**
 * The decisions of the per-provider webhook checks (endpoints.<provider>-webhook-*):
 * one decision and one set of messages per kind of check, shared by the
 * Calendly and the Stripe check, which differ only in the provider they read.
 * A check declares the messages and runs the decision for its provider.
 */

const NOT_PROBED = "The {{label}} webhook was not probed: {{reason}}";

/** endpoints.<provider>-webhook-reachable. */
export const REACHABLE_MESSAGES = {
  notProbed: NOT_PROBED,
  noAnswer: "No answer from {{url}}: {{error}}",
  routeMissing: "{{url}} answered {{status}}: no webhook route is deployed at this path",
  rateLimited: "{{url}} answered 429 (rate limited): wait a minute (a recent --include-load burst?) and run again",
  routeFailing: "{{url}} answered {{status}} to an unsigned request: the route is failing",
  answered: "{{url}} answered {{status}} in {{latencyMs}} ms",
  answeredSlowly: "{{url}} answered {{status}} in {{latencyMs}} ms, longer than thresholds.httpLatencyMs ({{limitMs}} ms)",
};

/** endpoints.<provider>-webhook-reachable: the route exists and answers an unsigned POST without a server error. */
export function decideWebhookReachable(probes: EndpointProbes, provider: WebhookProviderId, config: Pick<BookflowConfig, "thresholds">): Verdict<keyof typeof REACHABLE_MESSAGES> {
  const p = probes.webhooks[provider];
  if (!p.probed) return fail("notProbed", { label: WEBHOOK_PROVIDERS[provider].label, reason: p.reason });
  const r = p.unsigned;
  const extra = { expected: "an answer from the webhook route (a 4xx for an unsigned request)", actual: answerSummary(r) };
  if (r.status === null) return fail("noAnswer", { url: p.url, error: r.error ?? "unknown error" }, extra);
  if (r.status === 404 || r.status === 405) return fail("routeMissing", { url: p.url, status: r.status }, extra);
  if (r.status === 429) return fail("rateLimited", { url: p.url }, extra);
  if (r.status >= 500) return fail("routeFailing", { url: p.url, status: r.status }, extra);
  return passUnlessSlow(r, config, { pass: "answered", slow: "answeredSlowly" }, { url: p.url, status: r.status });
}

/** endpoints.<provider>-webhook-accepts-signed-event. */
export const ACCEPTS_SIGNED_MESSAGES = {
  notProbed: NOT_PROBED,
  notSigned: "{{reason}}: no signed test event was sent (see env.required-present)",
  accepted: "{{url}} accepted a test event signed with {{secret}} ({{status}}) in {{latencyMs}} ms",
  acceptedSlowly: "{{url}} accepted a test event signed with {{secret}} ({{status}}) in {{latencyMs}} ms, longer than thresholds.httpLatencyMs ({{limitMs}} ms)",
  noAnswer: "No answer from {{url}} to the signed test event: {{error}}",
  signatureRejected: "{{url}} rejected a test event signed with {{secret}} ({{status}}): the deployment verifies with another secret than {{secret}}, so real {{label}} deliveries are rejected too",
  unexpectedStatus: "{{url}} answered {{status}} to a correctly signed test event",
};

/** endpoints.<provider>-webhook-accepts-signed-event: a correctly signed harmless test event is accepted (2xx). */
export function decideWebhookAcceptsSigned(probes: EndpointProbes, provider: WebhookProviderId, config: Pick<BookflowConfig, "thresholds">): Verdict<keyof typeof ACCEPTS_SIGNED_MESSAGES> {
  const { label, env } = WEBHOOK_PROVIDERS[provider];
  const p = probes.webhooks[provider];
  if (!p.probed) return fail("notProbed", { label, reason: p.reason });
  if (!p.signed) return skip("notSigned", { reason: p.notSigned ?? `${env.secret} is not set` });
  const r = p.signed;
  if (is2xx(r)) return passUnlessSlow(r, config, { pass: "accepted", slow: "acceptedSlowly" }, { url: p.url, secret: env.secret, status: r.status });
  const extra = { expected: `2xx for a test event signed with ${env.secret}`, actual: answerSummary(r) };
  if (r.status === null) return fail("noAnswer", { url: p.url, error: r.error ?? "unknown error" }, extra);
  if (r.status === 401 || r.status === 403 || r.status === 400) return fail("signatureRejected", { url: p.url, secret: env.secret, status: r.status, label }, extra);
  return fail("unexpectedStatus", { url: p.url, status: r.status }, extra);
}

/** endpoints.<provider>-webhook-rejects-malformed-json. */
export const REJECTS_MALFORMED_MESSAGES = {
  notProbed: NOT_PROBED,
  notSigned: "{{reason}}: no signed malformed body was sent",
  rejected: "{{url}} answered malformed JSON with {{status}}",
  noAnswer: "No answer from {{url}} to a malformed body: {{error}}",
  serverError: "{{url}} answered malformed JSON with {{status}}: a server error makes {{label}} retry a delivery that can never succeed",
  malformedAccepted: "{{url}} accepted a body that is not JSON ({{status}})",
};

/** endpoints.<provider>-webhook-rejects-malformed-json: correctly signed, unparseable body → 4xx, never 5xx or 2xx. */
export function decideWebhookRejectsMalformed(probes: EndpointProbes, provider: WebhookProviderId): Verdict<keyof typeof REJECTS_MALFORMED_MESSAGES> {
  const { label, env } = WEBHOOK_PROVIDERS[provider];
  const p = probes.webhooks[provider];
  if (!p.probed) return fail("notProbed", { label, reason: p.reason });
  if (!p.malformed) return skip("notSigned", { reason: p.notSigned ?? `${env.secret} is not set` });
  const r = p.malformed;
  if (is4xx(r)) return pass("rejected", { url: p.url, status: r.status });
  const extra = { expected: "4xx (400) for a signed body that is not JSON", actual: answerSummary(r) };
  if (r.status === null) return fail("noAnswer", { url: p.url, error: r.error ?? "unknown error" }, extra);
  if (r.status >= 500) return fail("serverError", { url: p.url, status: r.status, label }, extra);
  return fail("malformedAccepted", { url: p.url, status: r.status }, extra);
}
