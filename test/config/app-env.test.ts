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

  it("refuse a request timeout shorter than the headers timeout", () => {
    expect(refusal({ BOOKFLOW_HEADERS_TIMEOUT_MS: "20000", BOOKFLOW_REQUEST_TIMEOUT_MS: "10000" })).toMatch(/BOOKFLOW_REQUEST_TIMEOUT_MS.*BOOKFLOW_HEADERS_TIMEOUT_MS/);
  });
});
