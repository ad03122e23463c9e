import { defineCheck, fail, pass, skip } from "../../src/engine/check.js";

export default defineCheck({
  id: "env.calendly-well-formed",
  section: "env",
  title: "Calendly token, username and signing key have the right shape",
  severity: "error",
  needs: [],
  vars: ["CALENDLY_API_TOKEN", "CALENDLY_USERNAME", "CALENDLY_WEBHOOK_SIGNING_KEY"],
  facts: ["env"],
  docs: {
    why: "A token with stray whitespace or quotes is rejected by Calendly, a username that is a URL matches no user, and a short signing key makes webhook signatures guessable.",
    fix: "Paste CALENDLY_API_TOKEN without quotes or spaces (Integrations → API & Webhooks → Personal access tokens); CALENDLY_USERNAME is the slug in calendly.com/<username>; CALENDLY_WEBHOOK_SIGNING_KEY is the key given when the webhook subscription was created (at least 8 characters).",
  },
  messages: {
    malformed: "{{problems}}",
    notSet: "Not set: {{names}} (see env.required-present)",
    wellFormed: 'Token, signing key and username "{{username}}" are well-formed',
  },
  run({ env }) {
    const { CALENDLY_API_TOKEN: token, CALENDLY_USERNAME: username, CALENDLY_WEBHOOK_SIGNING_KEY: signingKey } = env.vars;
    const problems: string[] = [];
    if (token !== undefined && (/[\s"']/.test(token) || token.length < 16)) problems.push("CALENDLY_API_TOKEN must be at least 16 characters with no spaces or quotes");
    if (username !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(username))
      problems.push(`CALENDLY_USERNAME must be the slug from calendly.com/<username>, not "${username}"`);
    if (signingKey !== undefined && (signingKey.length < 8 || /\s/.test(signingKey))) problems.push("CALENDLY_WEBHOOK_SIGNING_KEY must be at least 8 characters with no spaces");
    if (problems.length) return fail("malformed", { problems: problems.join("; ") }, { actual: problems });
    const unset = [["CALENDLY_API_TOKEN", token], ["CALENDLY_USERNAME", username], ["CALENDLY_WEBHOOK_SIGNING_KEY", signingKey]].filter(([, v]) => v === undefined).map(([n]) => n);
    if (unset.length) return skip("notSet", { names: unset.join(", ") });
    return pass("wellFormed", { username: username! });
  },
});
