import { describe, expect, it } from "vitest";
import { APP_LIMIT_DEFAULTS, readAppEnv } from "../../src/config/app-env.js";
import { ConfigError } from "../../src/errors.js";

const base = {
  CALENDLY_WEBHOOK_SIGNING_KEY: "calendly_key_FAKE_for_env_test",
  STRIPE_WEBHOOK_SECRET: "whsec_FAKE_env_test",
  STRIPE_SECRET_KEY: "sk_test_FAKE_env_test_key",
};

function refusal(env: Record<string, string>): string {
  try {
    readAppEnv({ ...base, ...env });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error("expected the environment to be refused");
}

describe("the app's HTTP bounds in its environment", () => {
  it("default to APP_LIMIT_DEFAULTS", () => {
    const env = readAppEnv(base);
    expect([env.BOOKFLOW_MAX_CONNECTIONS, env.BOOKFLOW_MAX_BODY_BYTES_IN_FLIGHT, env.BOOKFLOW_HEADERS_TIMEOUT_MS, env.BOOKFLOW_REQUEST_TIMEOUT_MS]).toEqual([
      APP_LIMIT_DEFAULTS.maxConnections,
      APP_LIMIT_DEFAULTS.bodyBytesInFlight,
      APP_LIMIT_DEFAULTS.headersTimeoutMs,
      APP_LIMIT_DEFAULTS.requestTimeoutMs,
    ]);
  });

  it("read BOOKFLOW_TRUSTED_PROXIES as addresses and ranges (none by default)", () => {
    expect(readAppEnv(base).BOOKFLOW_TRUSTED_PROXIES).toEqual([]);
    expect(readAppEnv({ ...base, BOOKFLOW_TRUSTED_PROXIES: "10.0.0.0/8,2001:db8::1" }).BOOKFLOW_TRUSTED_PROXIES).toEqual([
      { address: "10.0.0.0", prefix: 8, family: 4 },
      { address: "2001:db8::1", prefix: 128, family: 6 },
    ]);
  });

  it("read whole numbers", () => {
    const env = readAppEnv({ ...base, BOOKFLOW_MAX_CONNECTIONS: "2000", BOOKFLOW_MAX_BODY_BYTES_IN_FLIGHT: "16777216", BOOKFLOW_HEADERS_TIMEOUT_MS: "5000", BOOKFLOW_REQUEST_TIMEOUT_MS: "5000" });
    expect([env.BOOKFLOW_MAX_CONNECTIONS, env.BOOKFLOW_MAX_BODY_BYTES_IN_FLIGHT, env.BOOKFLOW_HEADERS_TIMEOUT_MS, env.BOOKFLOW_REQUEST_TIMEOUT_MS]).toEqual([2000, 16777216, 5000, 5000]);
  });

  it.each([
    ["BOOKFLOW_MAX_CONNECTIONS", "0"],
    ["BOOKFLOW_MAX_CONNECTIONS", "many"],
    ["BOOKFLOW_MAX_CONNECTIONS", "1.5"],
    ["BOOKFLOW_MAX_BODY_BYTES_IN_FLIGHT", "1000"],
    ["BOOKFLOW_HEADERS_TIMEOUT_MS", "-1"],
    ["BOOKFLOW_REQUEST_TIMEOUT_MS", "50"],
    ["BOOKFLOW_TRUSTED_PROXIES", "10.0.0.0/8, proxy.internal"],
  ])("refuse %s=%s, naming the variable", (name, value) => {
    expect(refusal({ [name]: value })).toContain(name);
  });

  it("read the sweep, lease and retry timings in seconds (defaults 5, 120 and 30)", () => {
    const d = readAppEnv(base);
    expect([d.BOOKFLOW_SWEEP_SECONDS, d.BOOKFLOW_EFFECT_LEASE_SECONDS, d.BOOKFLOW_EFFECT_RETRY_SECONDS]).toEqual([5, 120, 30]);
    const e = readAppEnv({ ...base, BOOKFLOW_SWEEP_SECONDS: "0.3", BOOKFLOW_EFFECT_LEASE_SECONDS: "3", BOOKFLOW_EFFECT_RETRY_SECONDS: "0.5" });
    expect([e.BOOKFLOW_SWEEP_SECONDS, e.BOOKFLOW_EFFECT_LEASE_SECONDS, e.BOOKFLOW_EFFECT_RETRY_SECONDS]).toEqual([0.3, 3, 0.5]);
  });

  it.each([
    ["BOOKFLOW_SWEEP_SECONDS", "abc", /BOOKFLOW_SWEEP_SECONDS: must be a number of seconds, from 0.05 to 3600/],
    ["BOOKFLOW_SWEEP_SECONDS", "0", /BOOKFLOW_SWEEP_SECONDS: must be at least 0.05 \(seconds\)/],
    ["BOOKFLOW_EFFECT_LEASE_SECONDS", "0", /BOOKFLOW_EFFECT_LEASE_SECONDS: must be at least 1 \(seconds\)/],
    ["BOOKFLOW_EFFECT_RETRY_SECONDS", "7200", /BOOKFLOW_EFFECT_RETRY_SECONDS: must be at most 3600 \(seconds\)/],
    ["BOOKFLOW_MAX_CONNECTIONS", "many", /BOOKFLOW_MAX_CONNECTIONS: must be a whole number \(at least 1\)/],
  ])("refuse %s=%s with a readable reason (never NaN)", (name, value, reason) => {
    const text = refusal({ [name]: value });
    expect(text).toMatch(reason);
    expect(text).not.toMatch(/NaN/);
  });

  it("refuse a request timeout shorter than the headers timeout", () => {
    expect(refusal({ BOOKFLOW_HEADERS_TIMEOUT_MS: "20000", BOOKFLOW_REQUEST_TIMEOUT_MS: "10000" })).toMatch(/BOOKFLOW_REQUEST_TIMEOUT_MS.*BOOKFLOW_HEADERS_TIMEOUT_MS/);
  });
});
