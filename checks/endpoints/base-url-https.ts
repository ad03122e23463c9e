import { defineCheck, fail, pass, warn } from "../../src/engine/check.js";
import { answerSummary, certificateExpiry, isSlow } from "../../src/engine/facts/endpoints.js";

export default defineCheck({
  id: "endpoints.base-url-https",
  section: "endpoints",
  title: "Base URL answers over https with a valid certificate",
  severity: "error",
  needs: ["env.urls-well-formed"],
  facts: ["env", "config", "endpointProbes"],
  docs: {
    why: "Browsers refuse a site whose certificate is expired, self-signed or for another name, and Calendly and Stripe refuse to deliver webhooks to it: nobody can book and no booking is recorded. A certificate about to expire is the same outage a few days later.",
    fix: "Make NEXT_PUBLIC_BASE_URL an https URL served by the deployment (on Vercel: add the domain to the project and wait for its certificate), and renew or replace the certificate named in the failure. A warning means the certificate expires within thresholds.certificateExpiryDays (bookflow.config.json, default 14): check that automatic renewal works (on Vercel: the domain's DNS still points at Vercel) or renew it now; or the base URL answered slower than thresholds.httpLatencyMs (default 2000 ms). A private CA (staging) is trusted with BOOKFLOW_EXTRA_CA_FILE=<PEM file>.",
  },
  run({ env, config, endpointProbes }) {
    const probe = endpointProbes.base;
    if (!probe.probed) return fail(`The base URL was not probed: ${probe.reason}`);
    const r = probe.result;
    const https = new URL(probe.url).protocol === "https:";
    if (r.tls && !r.tls.valid) {
      return fail(`${probe.url} presents an invalid certificate: ${r.tls.error ?? "not trusted"}`, { expected: "a certificate that is trusted, current and for this host", actual: { tls: r.tls } });
    }
    if (r.status === null) return fail(`No answer from ${probe.url}: ${r.error ?? "unknown error"}`, { expected: "an HTTP answer", actual: answerSummary(r) });
    if (r.status >= 500) return fail(`${probe.url} answered ${r.status}: the deployment is failing`, { expected: "a status below 500", actual: answerSummary(r) });
    if (!https) {
      if (env.target !== "sandbox") return fail(`${probe.url} is plain http; ${env.target} needs https`, { expected: "https://…", actual: probe.url });
    }
    const expiry = https ? certificateExpiry(r.tls, config) : undefined;
    const warnings = [
      ...(expiry?.soon ? [`its certificate expires ${expiry.daysLeft <= 0 ? "within a day" : `in ${expiry.daysLeft} day${expiry.daysLeft === 1 ? "" : "s"}`} (${expiry.validTo.slice(0, 10)}), within thresholds.certificateExpiryDays (${config.thresholds.certificateExpiryDays})`] : []),
      ...(isSlow(r, config) ? [`that is longer than thresholds.httpLatencyMs (${config.thresholds.httpLatencyMs} ms)`] : []),
    ];
    if (warnings.length) {
      return warn(`${probe.url} answered ${r.status} in ${Math.round(r.latencyMs)} ms, but ${warnings.join(", and ")}`, {
        expected: { certificateValidForDays: `at least ${config.thresholds.certificateExpiryDays}`, latencyMs: `at most ${config.thresholds.httpLatencyMs}` },
        actual: { ...(expiry ? { certificateValidTo: expiry.validTo, daysLeft: expiry.daysLeft } : {}), latencyMs: Math.round(r.latencyMs) },
      });
    }
    if (!https) return pass(`${probe.url} answered ${r.status} in ${Math.round(r.latencyMs)} ms (plain http, allowed for --target sandbox)`);
    const until = expiry ? `; certificate valid until ${expiry.validTo.slice(0, 10)} (${expiry.daysLeft} days)` : r.tls?.validTo ? `; certificate valid until ${r.tls.validTo.slice(0, 10)}` : "";
    return pass(`${probe.url} answered ${r.status} over https in ${Math.round(r.latencyMs)} ms${until}`);
  },
});
