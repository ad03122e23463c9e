/**
 * Vercel contract: bookflow's Vercel client and the Vercel emulator held to
 * Vercel's own published contract (test/contracts/fixtures/vercel/, from
 * Vercel's SDK, which is generated from Vercel's OpenAPI), not to each other.
 *
 * A: every call the client makes (run against the emulator through a
 *    recording proxy) is a known operation with a contract case, and its path,
 *    query and body are what the spec declares.
 * B: every answer the client reads (successes, Vercel's errors, and the
 *    answers of injected faults) is what the spec declares for its status.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createVercelClient, type VercelClient } from "../../src/providers/vercel/client.js";
import { startVercelEmulator, type EmulatedDeployment, type RunningVercelEmulator } from "../../src/sandbox/vercel/emulator.js";
import { contractGaps, contractOperations, refusedLeanestAnswers, requestViolations, responseFindings } from "./support/contract.js";
import { checkRequest, checkResponse, findOperation, loadDocument, operationsOf } from "./support/openapi.js";
import { startRecordingProxy, type Exchange, type RecordingProxy } from "./support/recording-proxy.js";

const spec = operationsOf(loadDocument(new URL("./fixtures/vercel/vercel-api-subset.json", import.meta.url)));

/** The operations bookflow calls: one contract case each. A call to anything else fails test A. */
const KNOWN_OPERATIONS = [
  "GET /v7/deployments",
  "GET /v9/projects/{idOrName}",
  "POST /v1/projects/{projectId}/rollback/{deploymentId}",
  "POST /v10/projects/{projectId}/promote/{deploymentId}",
  "GET /v10/projects/{idOrName}/env",
  "GET /v3/deployments/{idOrUrl}/events",
  "GET /v1/projects/{projectId}/deployments/{deploymentId}/runtime-logs",
] as const;

const TOKEN = "vercel_FAKE_contract_token_1a2b3c";
const TEAM = "team_contract";
const PROJECT = { id: "prj_contract", name: "contract-app" };
const HOUR = 3_600_000;
const NOW = Date.now();

const DEPLOYMENTS: EmulatedDeployment[] = [
  { uid: "dpl_blocked", state: "BLOCKED", target: "production", createdAt: NOW - 1 * HOUR, commitSha: "b".repeat(40), blockCode: "COMMIT_AUTHOR_REQUIRED" },
  { uid: "dpl_p3", state: "READY", target: "production", createdAt: NOW - 2 * HOUR, commitSha: "3".repeat(40), commitRef: "main", commitMessage: "Release 3" },
  { uid: "dpl_preview", state: "READY", target: null, createdAt: NOW - 3 * HOUR },
  { uid: "dpl_building", state: "BUILDING", target: "production", createdAt: NOW - 4 * HOUR },
  { uid: "dpl_p2", state: "READY", target: "production", createdAt: NOW - 5 * HOUR, commitSha: "2".repeat(40) },
  { uid: "dpl_error", state: "ERROR", target: "production", createdAt: NOW - 6 * HOUR },
  { uid: "dpl_p1", state: "READY", target: "production", createdAt: NOW - 7 * HOUR, commitSha: "1".repeat(40) },
];

/** One walk per client method; the compiler refuses a client method without one. */
const WALK: Record<keyof VercelClient, (client: VercelClient, emulator: RunningVercelEmulator) => Promise<unknown>> = {
  listDeployments: async (client) => {
    await client.listDeployments({ projectId: PROJECT.id, target: "production", limit: 5, pageSize: 2 });
    await client.listDeployments({ projectId: PROJECT.id, state: ["READY", "BLOCKED"] });
  },
  currentProduction: async (client, emulator) => {
    await client.currentProduction(PROJECT.id);
    // No production target: the client falls back to the newest READY production deployment.
    emulator.setDeployments(DEPLOYMENTS, "dpl_none");
    await client.currentProduction(PROJECT.id);
    emulator.setDeployments(DEPLOYMENTS);
  },
  rollback: (client) => client.rollback(PROJECT.id, "dpl_p2", "contract test"),
  promote: (client) => client.promote(PROJECT.id, "dpl_p3"),
  listEnv: (client) => client.listEnv(PROJECT.id),
  deploymentEvents: async (client, emulator) => {
    emulator.appendEvent({ deploymentId: "dpl_p3", type: "stderr", level: "error", text: "Error: connect ECONNREFUSED 127.0.0.1:5432" });
    await client.deploymentEvents("dpl_p3", { since: NOW - 3 * HOUR, until: Date.now() + 1000, limit: 100 });
    await client.deploymentEvents("dpl_error");
  },
  runtimeLogs: async (client, emulator) => {
    emulator.appendRuntimeLog({ deploymentId: "dpl_p3", level: "error", message: "TypeError: booking is undefined" });
    emulator.appendRuntimeLog({ deploymentId: "dpl_p3", requestMethod: "POST", requestPath: "/api/webhooks/stripe", responseStatusCode: 500 });
    emulator.appendRuntimeLog({ deploymentId: "dpl_p3", message: "x".repeat(5000) });
    await client.runtimeLogs(PROJECT.id, "dpl_p3", { since: NOW - 3 * HOUR, maxReadMs: 2000 });
    await client.runtimeLogs(PROJECT.id, "dpl_p2", { maxReadMs: 2000 }); // no lines: an empty stream
  },
};

/** Answers Vercel gives that the walk does not reach on a healthy project. */
async function walkErrors(proxy: RecordingProxy, emulator: RunningVercelEmulator): Promise<void> {
  const settle = (p: Promise<unknown>) => p.then(() => undefined, () => undefined);
  const team = createVercelClient({ token: TOKEN, teamId: TEAM, baseUrl: proxy.url, maxRetries: 0 });
  await settle(createVercelClient({ token: "vercel_wrong_token", teamId: TEAM, baseUrl: proxy.url }).listDeployments({ projectId: PROJECT.id })); // 403 invalidToken
  await settle(createVercelClient({ token: TOKEN, baseUrl: proxy.url }).currentProduction(PROJECT.id)); // 404: team project without teamId
  await settle(createVercelClient({ token: TOKEN, teamId: "team_other", baseUrl: proxy.url }).listEnv(PROJECT.id)); // 403 scope
  await settle(team.rollback(PROJECT.id, "dpl_building")); // 400 not ready
  await settle(team.rollback(PROJECT.id, "dpl_missing")); // 404
  await settle(team.promote(PROJECT.id, emulator.state().currentProductionId ?? "dpl_p3")); // 409 already serving
  emulator.rateLimitNext(1, 0);
  await settle(team.listEnv(PROJECT.id)); // 429, Vercel's own
  await settle(team.deploymentEvents("dpl_missing")); // 404
  await settle(createVercelClient({ token: TOKEN, teamId: "team_other", baseUrl: proxy.url }).runtimeLogs(PROJECT.id, "dpl_p3", { maxReadMs: 2000 })); // 403 scope
  await settle(team.runtimeLogs(PROJECT.id, "dpl_missing", { maxReadMs: 2000 })); // 404
  for (const faults of [{ rate429: 1 }, { rate5xx: 1 }]) {
    emulator.setFaults(faults);
    for (const walk of Object.values(WALK)) await settle(walk(team, emulator));
    emulator.setFaults({});
  }
}

const operationOf = contractOperations(KNOWN_OPERATIONS, spec);

describe("Vercel contract (Vercel's SDK, generated from its OpenAPI)", () => {
  let emulator: RunningVercelEmulator;
  let proxy: RecordingProxy;
  let walked: Exchange[];
  let all: Exchange[];
  /** What the client threw on the healthy walk: it must read every answer the spec allows. */
  const refused: string[] = [];

  beforeAll(async () => {
    emulator = await startVercelEmulator({ token: TOKEN, teamId: TEAM, project: PROJECT, deployments: DEPLOYMENTS, env: [
      { key: "DATABASE_URL", type: "encrypted", target: ["production", "preview"], value: "postgres://secret" },
      { key: "NEXT_PUBLIC_SITE_URL", type: "plain", target: ["production"], value: "https://contract.test" },
      { key: "STRIPE_SECRET_KEY", type: "sensitive", target: ["production"] },
      { key: "FEATURE_BRANCH_FLAG", type: "plain", target: ["preview"], value: "on", gitBranch: "feature-x" },
    ] });
    proxy = await startRecordingProxy(emulator.url);
    const client = createVercelClient({ token: TOKEN, teamId: TEAM, baseUrl: proxy.url });
    for (const [name, walk] of Object.entries(WALK)) await walk(client, emulator).catch((err: unknown) => refused.push(`${name}: ${err instanceof Error ? err.message : String(err)}`));
    walked = [...proxy.exchanges];
    await walkErrors(proxy, emulator);
    all = [...proxy.exchanges];
  });
  afterAll(async () => {
    await proxy?.close();
    await emulator?.close();
  });

  it("walks every method of the client", () => {
    const client = createVercelClient({ token: TOKEN });
    expect(Object.keys(client).sort()).toEqual(Object.keys(WALK).sort());
  });

  it("every known operation is in the spec fixture and is exercised by the walk", () => {
    expect(contractGaps(KNOWN_OPERATIONS, spec, walked, operationOf)).toEqual([]);
  });

  it("the client reads every answer of a healthy project (no stricter than the spec)", () => {
    expect(refused).toEqual([]);
  });

  it("the client reads the leanest answer the spec allows for every operation it reads (no stricter than the spec)", async () => {
    const readers: Record<string, (client: VercelClient) => Promise<unknown>> = {
      "GET /v7/deployments": (client) => client.listDeployments({ projectId: PROJECT.id }),
      "GET /v9/projects/{idOrName}": (client) => client.currentProduction(PROJECT.id),
      "GET /v10/projects/{idOrName}/env": (client) => client.listEnv(PROJECT.id),
      "GET /v3/deployments/{idOrUrl}/events": (client) => client.deploymentEvents("dpl_p3"),
      "GET /v1/projects/{projectId}/deployments/{deploymentId}/runtime-logs": (client) => client.runtimeLogs(PROJECT.id, "dpl_p3", { maxReadMs: 2000 }),
    };
    expect(await refusedLeanestAnswers(spec, (baseUrl) => createVercelClient({ token: TOKEN, baseUrl }), readers)).toEqual([]);
  });

  it("A: every call is a known operation whose path, query and body the spec allows", () => {
    expect(requestViolations(walked, operationOf)).toEqual([]);
  });

  it("B: every answer, errors and injected faults included, is what the spec declares for its status", () => {
    const statuses = new Set(all.map((e) => e.status));
    for (const s of [200, 201, 400, 403, 404, 409, 429]) expect(statuses, `an answer with status ${s} was checked`).toContain(s);
    expect([...statuses].some((s) => s >= 500)).toBe(true);
    expect(responseFindings(all, operationOf).violations).toEqual([]);
  });

  it("refuses, by its own rules, a call outside the contract and an answer outside the spec", () => {
    expect(operationOf({ method: "GET", path: "/v6/deployments" })).toBeUndefined();
    const deployments = findOperation(spec, "GET", "/v7/deployments")!;
    expect(checkRequest(deployments.operation, deployments.params, { method: "GET", path: "/v7/deployments", query: new URLSearchParams("limit=ten&state=PAUSED&page=2"), body: undefined })).toHaveLength(3);
    const unknownState = { pagination: { count: 1, next: null, prev: null }, deployments: [{ uid: "d", name: "n", projectId: "p", url: "u", created: 1, createdAt: 1, readyState: "PAUSED", type: "LAMBDAS", creator: { uid: "u" }, inspectorUrl: null }] };
    expect(checkResponse(deployments.operation, 200, unknownState).violations).toEqual([expect.stringContaining(".deployments[0].readyState")]);
    expect(checkResponse(deployments.operation, 403, { title: "Too Many Requests" }).violations).not.toEqual([]);
    // A runtime log stream is checked line by line.
    const logs = findOperation(spec, "GET", "/v1/projects/p/deployments/d/runtime-logs")!;
    const good = { level: "error", message: "m", rowId: "r", source: "serverless", timestampInMs: 1, domain: "d", messageTruncated: false, requestMethod: "", requestPath: "", responseStatusCode: 0 };
    expect(checkResponse(logs.operation, 200, `${JSON.stringify(good)}\n${JSON.stringify(good)}\n`).violations).toEqual([]);
    expect(checkResponse(logs.operation, 200, `${JSON.stringify(good)}\n${JSON.stringify({ ...good, level: "critical" })}\n`).violations).toEqual([expect.stringContaining("line 2: .level")]);
  });
});
