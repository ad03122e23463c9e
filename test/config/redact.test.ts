import { describe, expect, it } from "vitest";
import { displayUrl, redactText, Redactor } from "../../src/config/redact.js";

describe("displayUrl and the redactor on connection strings", () => {
  it("masks the user, the password and credential query parameters, and keeps the rest", () => {
    expect(displayUrl("postgresql://app:pw-in-url@db.example.com:5432/app?sslmode=require&password=pw-in-query&sslpassword=key-pass")).toBe(
      "postgresql://****:****@db.example.com:5432/app?sslmode=require&password=****&sslpassword=****",
    );
    expect(displayUrl("postgresql://db.example.com/app?application_name=bookflow")).toBe("postgresql://db.example.com/app?application_name=bookflow");
    expect(displayUrl("not a url")).toBe("(not a URL)");
  });

  it("the redactor knows a password given as ?password= in DATABASE_URL", () => {
    const r = new Redactor({ DATABASE_URL: "postgresql://app@db.example.com/app?password=onlyInTheQuery" });
    expect(r.redact("connecting with onlyInTheQuery")).not.toContain("onlyInTheQuery");
  });

  it("the monitoring credentials are secrets: the Sentry auth token and the Datadog keys", () => {
    const env = { SENTRY_AUTH_TOKEN: "sntryu_FAKEtoken0123456789", DATADOG_API_KEY: "FAKEddapikey0123456789", DATADOG_APP_KEY: "FAKEddappkey0123456789" };
    const r = new Redactor(env);
    const shown = r.redact(`token ${env.SENTRY_AUTH_TOKEN}, keys ${env.DATADOG_API_KEY} and ${env.DATADOG_APP_KEY}`);
    for (const secret of Object.values(env)) expect(shown).not.toContain(secret);
  });
});

describe("redactText: provider text before it is stored or printed", () => {
  it.each([
    ["Stripe secret key", "Invalid API Key provided: sk_live_51FAKEabcdefghijklm", "sk_live_51FAKEabcdefghijklm"],
    ["restricted key", "key rk_test_FAKEabcdefghij has no access", "rk_test_FAKEabcdefghij"],
    ["webhook secret", "signed with whsec_FAKEabcdefghijklmnop", "whsec_FAKEabcdefghijklmnop"],
    ["SendGrid key", "The provided authorization grant is invalid: SG.FAKEaaaaaaaa.FAKEbbbbbbbbbbbbbbbb", "SG.FAKEaaaaaaaa.FAKEbbbbbbbbbbbbbbbb"],
    ["bearer token", "sent Authorization: Bearer eyJGQUtFIjoiRkFLRSJ9FAKE.eyJGQUtFIjoiRkFLRSJ9FAKEpayload.FAKEsignature0123", "eyJGQUtFIjoiRkFLRSJ9FAKE"],
    ["connection string password", "connect failed: postgresql://app:s3cret-pw@db.internal:5432/app", "s3cret-pw"],
  ])("masks a %s", (_what, text, secret) => {
    const out = redactText(text);
    expect(out).not.toContain(secret);
    expect(out.length).toBeGreaterThan(10);
  });

  it("leaves ordinary text alone", () => {
    const text = "Charge ch_3Mabc has already been refunded; booking 5b9c-…";
    expect(redactText(text)).toBe(text);
  });
});
