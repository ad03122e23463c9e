import { defineCheck, fail, pass, warn } from "../../src/engine/check.js";
import { answerSummary, certificateExpiry, isSlow } from "../support/probe-answers.js";

export default defineCheck({
  id: "endpoints.base-url-https",
  section: "endpoints",
  title: "Base URL answers over https with a valid certificate",
  severity: "error",
  needs: ["env.urls-well-formed"],
  retryable: true,
  facts: ["env", "config", "endpointProbes"],
  docs: {
    why: "Browsers refuse a site whose certificate is expired, self-signed or for another name, and Calendly and Stripe refuse to deliver webhooks to it: nobody can book and no booking is recorded. A certificate about to expire is the same outage a few days later.",
    fix: "Make NEXT_PUBLIC_BASE_URL an https URL served by the deployment (on Vercel: add the domain to the project and wait for its certificate), and renew or replace the certificate named in the failure. A warning means the certificate expires within thresholds.certificateExpiryDays (bookflow.config.json, default 14): check that automatic renewal works (on Vercel: the domain's DNS still points at Vercel) or renew it now; or the base URL answered slower than thresholds.httpLatencyMs (default 2000 ms). A private CA (staging) is trusted with BOOKFLOW_EXTRA_CA_FILE=<PEM file>.",
  },
  messages: {
    notProbed: "The base URL was not probed: {{reason}}",
    invalidCertificate: "{{url}} presents an invalid certificate: {{error}}",
    noAnswer: "No answer from {{url}}: {{error}}",
    deploymentFailing: "{{url}} answered {{status}}: the deployment is failing",
    plainHttp: "{{url}} is plain http; {{target}} needs https",
    certificateExpiring: "{{url}} answered {{status}} in {{latencyMs}} ms, but its certificate expires {{expiresIn}} ({{validTo}}), within thresholds.certificateExpiryDays ({{expiryDays}})",
    slowAnswer: "{{url}} answered {{status}} in {{latencyMs}} ms, but that is longer than thresholds.httpLatencyMs ({{limitMs}} ms)",
    certificateExpiringAndSlow: "{{url}} answered {{status}} in {{latencyMs}} ms, but its certificate expires {{expiresIn}} ({{validTo}}), within thresholds.certificateExpiryDays ({{expiryDays}}), and that is longer than thresholds.httpLatencyMs ({{limitMs}} ms)",
    plainHttpSandbox: "{{url}} answered {{status}} in {{latencyMs}} ms (plain http, allowed for --target sandbox)",
    https: "{{url}} answered {{status}} over https in {{latencyMs}} ms",
    httpsCertificateDaysLeft: "{{url}} answered {{status}} over https in {{latencyMs}} ms; certificate valid until {{validTo}} ({{daysLeft}} days)",
    httpsCertificateValidTo: "{{url}} answered {{status}} over https in {{latencyMs}} ms; certificate valid until {{validTo}}",
  },
  run({ env, config, endpointProbes }) {
    const probe = endpointProbes.base;
    if (!probe.probed) return fail("notProbed", { reason: probe.reason });
    const r = probe.result;
    const url = probe.url;
    const https = new URL(url).protocol === "https:";
    if (r.tls && !r.tls.valid) {
      return fail("invalidCertificate", { url, error: r.tls.error ?? "not trusted" }, { expected: "a certificate that is trusted, current and for this host", actual: { tls: r.tls } });
    }
    if (r.status === null) return fail("noAnswer", { url, error: r.error ?? "unknown error" }, { expected: "an HTTP answer", actual: answerSummary(r) });
    if (r.status >= 500) return fail("deploymentFailing", { url, status: r.status }, { expected: "a status below 500", actual: answerSummary(r) });
    if (!https) {
      if (env.target !== "sandbox") return fail("plainHttp", { url, target: env.target }, { expected: "https://…", actual: url });
    }
    const answered = { url, status: r.status, latencyMs: Math.round(r.latencyMs) };
    const expiry = https ? certificateExpiry(r.tls, config) : undefined;
    const expiring = expiry?.soon
      ? { expiresIn: expiry.daysLeft <= 0 ? "within a day" : `in ${expiry.daysLeft} day${expiry.daysLeft === 1 ? "" : "s"}`, validTo: expiry.validTo.slice(0, 10), expiryDays: config.thresholds.certificateExpiryDays }
      : undefined;
    const slow = isSlow(r, config) ? { limitMs: config.thresholds.httpLatencyMs } : undefined;
    if (expiring || slow) {
      const extra = {
        expected: { certificateValidForDays: `at least ${config.thresholds.certificateExpiryDays}`, latencyMs: `at most ${config.thresholds.httpLatencyMs}` },
        actual: { ...(expiry ? { certificateValidTo: expiry.validTo, daysLeft: expiry.daysLeft } : {}), latencyMs: answered.latencyMs },
      };
      if (expiring && slow) return warn("certificateExpiringAndSlow", { ...answered, ...expiring, ...slow }, extra);
      if (expiring) return warn("certificateExpiring", { ...answered, ...expiring }, extra);
      return warn("slowAnswer", { ...answered, ...slow }, extra);
    }
    if (!https) return pass("plainHttpSandbox", answered);
    if (expiry) return pass("httpsCertificateDaysLeft", { ...answered, validTo: expiry.validTo.slice(0, 10), daysLeft: expiry.daysLeft });
    if (r.tls?.validTo) return pass("httpsCertificateValidTo", { ...answered, validTo: r.tls.validTo.slice(0, 10) });
    return pass("https", answered);
  },
});
