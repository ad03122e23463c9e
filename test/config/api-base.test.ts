import { describe, expect, it } from "vitest";
import { apiBaseFromEnv } from "../../src/config/api-base.js";
import { ConfigError } from "../../src/errors.js";

describe("apiBaseFromEnv", () => {
  it("unset or blank: the real API (undefined); an http(s) URL: as given", () => {
    expect(apiBaseFromEnv({}, "STRIPE_API_BASE")).toBeUndefined();
    expect(apiBaseFromEnv({ SENDGRID_API_BASE: "  " }, "SENDGRID_API_BASE")).toBeUndefined();
    expect(apiBaseFromEnv({ CALENDLY_API_BASE: " http://127.0.0.1:4010 " }, "CALENDLY_API_BASE")).toBe("http://127.0.0.1:4010");
  });

  it.each([["not a url"], ["api.vercel.com"], ["ftp://api.vercel.com"]])("%j is a ConfigError naming the variable", (value) => {
    expect(() => apiBaseFromEnv({ VERCEL_API_BASE: value }, "VERCEL_API_BASE")).toThrow(ConfigError);
    expect(() => apiBaseFromEnv({ VERCEL_API_BASE: value }, "VERCEL_API_BASE")).toThrow(/^VERCEL_API_BASE must be an http or https URL/);
  });
});
