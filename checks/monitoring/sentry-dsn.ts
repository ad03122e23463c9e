import { defineCheck, fail, pass } from "../../src/engine/check.js";
import { parseSentryDsn } from "../../src/engine/facts/monitoring.js";

export default defineCheck({
  id: "monitoring.sentry-dsn",
  section: "monitoring",
  title: "SENTRY_DSN is set and well-formed",
  severity: "warn",
  severityByTarget: { production: "error" },
  needs: [],
  facts: ["env"],
  docs: {
    why: "Without a working DSN, errors in production (a webhook that throws, a failed payment update) are never reported: the first sign of trouble is a customer's email.",
    fix: "Copy the DSN from Sentry (Project Settings → Client Keys) into SENTRY_DSN: https://<public key>@<host>/<project id>. Run verify with --send-test-events to prove Sentry accepts events.",
  },
  messages: {
    notSet: "SENTRY_DSN is not set: errors are not reported. Set it to the DSN from Sentry (Project Settings → Client Keys)",
    malformed: "SENTRY_DSN {{problem}}",
    wellFormed: "Sentry project {{projectId}} on {{host}}{{pathPrefix}}",
  },
  run({ env }) {
    const value = env.vars.SENTRY_DSN;
    // The DSN's key is not secret, but printed only as far as needed: host and project id.
    if (value === undefined) return fail("notSet");
    const parsed = parseSentryDsn(value);
    if (!parsed.ok) return fail("malformed", { problem: parsed.problem }, { expected: "https://<public key>@<host>/<project id>" });
    return pass("wellFormed", { projectId: parsed.dsn.projectId, host: parsed.dsn.host, pathPrefix: parsed.dsn.pathPrefix });
  },
});
