import { afterAll, beforeAll, describe, expect, it } from "vitest";
import check from "../../../checks/monitoring/datadog-api-key.js";
import { defaultConfig } from "../../../src/config/bookflow-config.js";
import { datadogApiBase, gatherDatadogApiKey } from "../../../src/engine/facts/monitoring.js";
import type { FactContext } from "../../../src/engine/facts/types.js";
import { checkTester } from "../../support/check-tester.js";
import { closedPort, localServer, type LocalServer } from "./local-server.js";

const endpoint = "https://api.datadoghq.com/api/v1/validate";

checkTester(check, {
  pass: [{ name: "valid key", facts: { datadogApiKey: { endpoint, status: 200, valid: true } } }],
  fail: [
    { name: "not configured: a failure saying how (an error for production, a warning elsewhere)", facts: { datadogApiKey: null }, expect: { status: "fail", messageId: "notSet" } },
    { name: "rejected key", facts: { datadogApiKey: { endpoint, status: 403, valid: false, error: "Forbidden" } }, expect: { status: "fail", messageId: "keyRejected", data: { endpoint: endpoint, error: "Forbidden" } } },
    { name: "unreachable", facts: { datadogApiKey: { endpoint, status: null, valid: false, error: "ENOTFOUND" } }, expect: { status: "fail", messageId: "unreachable", data: { endpoint: endpoint, error: "ENOTFOUND" } } },
  ],
});

describe("datadogApiKey gatherer (a Datadog API on 127.0.0.1)", () => {
  const GOOD = "dd0123456789abcdef0123456789abcd";
  let datadog: LocalServer;
  beforeAll(async () => {
    datadog = await localServer((req) =>
      req.url === "/api/v1/validate" && req.headers["dd-api-key"] === GOOD ? { status: 200, body: { valid: true } } : { status: 403, body: { errors: ["Forbidden"] } },
    );
  });
  afterAll(() => datadog.close());

  const ctx = (env: Record<string, string | undefined>): FactContext => ({ env, target: "production", config: defaultConfig(), signal: new AbortController().signal });

  it("is null when DATADOG_API_KEY is not set (nothing is called)", async () => {
    expect(await gatherDatadogApiKey(ctx({ DATADOG_API_BASE: datadog.url }))).toBeNull();
    expect(datadog.seen).toEqual([]);
  });

  it("GETs /api/v1/validate with the DD-API-KEY header", async () => {
    expect(await gatherDatadogApiKey(ctx({ DATADOG_API_KEY: GOOD, DATADOG_API_BASE: `${datadog.url}/` }))).toEqual({ endpoint: `${datadog.url}/api/v1/validate`, status: 200, valid: true });
    expect(datadog.seen.at(-1)).toMatchObject({ method: "GET", url: "/api/v1/validate" });
  });

  it("reports a rejected key with Datadog's errors", async () => {
    expect(await gatherDatadogApiKey(ctx({ DATADOG_API_KEY: "wrong", DATADOG_API_BASE: datadog.url }))).toMatchObject({ status: 403, valid: false, error: "Forbidden" });
  });

  it("reports an unreachable API as a value", async () => {
    const port = await closedPort();
    expect(await gatherDatadogApiKey(ctx({ DATADOG_API_KEY: GOOD, DATADOG_API_BASE: `http://127.0.0.1:${port}` }))).toMatchObject({ status: null, valid: false, error: expect.stringMatching(/ECONNREFUSED/) });
  });

  it("defaults to api.datadoghq.com, or the DD_SITE's API", () => {
    expect(datadogApiBase({})).toBe("https://api.datadoghq.com");
    expect(datadogApiBase({ DD_SITE: "datadoghq.eu" })).toBe("https://api.datadoghq.eu");
  });
});
