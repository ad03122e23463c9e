import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ProviderError } from "../../../src/errors.js";
import { createVercelClient, retryDelayMs } from "../../../src/providers/vercel/client.js";
import { defaultDeployments, startVercelEmulator, type EmulatedDeployment, type RunningVercelEmulator } from "../../../src/sandbox/vercel/emulator.js";

const TOKEN = "vercel_test_token_5f3a9c";
const PROJECT = { id: "prj_bookflow", name: "bookflow-app" };
const HOUR = 3_600_000;

function deployments(now: number): EmulatedDeployment[] {
  // Newest first after sorting: a building one, four READY production ones, a preview, an errored production one.
  return [
    { uid: "dpl_building", state: "BUILDING", target: "production", createdAt: now - 1 * HOUR, commitSha: "a".repeat(40) },
    { uid: "dpl_p4", state: "READY", target: "production", createdAt: now - 2 * HOUR, commitSha: "4".repeat(40) },
    { uid: "dpl_preview", state: "READY", target: null, createdAt: now - 3 * HOUR, commitSha: "9".repeat(40) },
    { uid: "dpl_p3", state: "READY", target: "production", createdAt: now - 4 * HOUR, commitSha: "3".repeat(40) },
    { uid: "dpl_error", state: "ERROR", target: "production", createdAt: now - 5 * HOUR },
    { uid: "dpl_p2", state: "READY", target: "production", createdAt: now - 6 * HOUR, commitSha: "2".repeat(40) },
    { uid: "dpl_p1", state: "READY", target: "production", createdAt: now - 7 * HOUR, commitSha: "1".repeat(40) },
  ];
}

describe("Vercel client against the emulator", () => {
  let emulator: RunningVercelEmulator;
  const now = Date.now();
  const client = (overrides: Partial<Parameters<typeof createVercelClient>[0]> = {}) =>
    createVercelClient({ token: TOKEN, baseUrl: emulator.url, timeoutMs: 5000, ...overrides });

  beforeAll(async () => {
    emulator = await startVercelEmulator({
      token: TOKEN,
      project: PROJECT,
      deployments: deployments(now),
      env: [
        { key: "DATABASE_URL", type: "encrypted", target: ["production", "preview"], value: "postgres://secret" },
        { key: "NEXT_PUBLIC_SITE_URL", type: "plain", target: ["production"], value: "https://bookflow.test" },
        { key: "STRIPE_SECRET_KEY", type: "sensitive", target: ["production"], value: "sk_live_secret" },
      ],
    });
  });
  afterEach(() => {
    emulator.setDeployments(deployments(now));
    emulator.setFaults({});
  });
  afterAll(async () => {
    await emulator.close();
  });

  it("lists deployments newest first, following pagination with `until`", async () => {
    const before = emulator.requestLog.length;
    const list = await client().listDeployments({ projectId: PROJECT.id, limit: 10, pageSize: 2 });
    expect(list.map((d) => d.uid)).toEqual(["dpl_building", "dpl_p4", "dpl_preview", "dpl_p3", "dpl_error", "dpl_p2", "dpl_p1"]);
    expect(emulator.requestLog.length - before).toBe(4);
    const p4 = list[1]!;
    expect(p4).toMatchObject({ state: "READY", target: "production", commitSha: "4".repeat(40), createdAt: now - 2 * HOUR });
    expect(p4.url).toMatch(/\.vercel\.app$/);
    expect(p4.meta.githubCommitSha).toBe("4".repeat(40));
    expect(list[2]!.target).toBeNull();
  });

  it("reads a BLOCKED deployment in the list, with Vercel's reason", async () => {
    emulator.setDeployments([
      { uid: "dpl_blocked", state: "BLOCKED", target: "production", createdAt: now, commitSha: "b".repeat(40), blockCode: "COMMIT_AUTHOR_REQUIRED" },
      ...deployments(now),
    ]);
    const list = await client().listDeployments({ projectId: PROJECT.id, target: "production", limit: 3 });
    expect(list[0]).toMatchObject({ uid: "dpl_blocked", state: "BLOCKED", blockCode: "COMMIT_AUTHOR_REQUIRED" });
    expect(list[1]).toMatchObject({ uid: "dpl_building", blockCode: null });
  });

  it("calls the current API versions: /v7/deployments and /v10/projects/{id}/env", async () => {
    const before = emulator.requestLog.length;
    await client().listDeployments({ projectId: PROJECT.id, limit: 1 });
    await client().listEnv(PROJECT.id);
    expect(emulator.requestLog.slice(before).map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      "GET /v7/deployments 200",
      `GET /v10/projects/${PROJECT.id}/env 200`,
    ]);
  });

  it("reads the single-variable shape of the env list", async () => {
    emulator.overrideNext({ status: 200, body: { key: "ONLY", type: "plain", value: "x", target: "production", id: "env_1" } });
    expect(await client().listEnv(PROJECT.id)).toEqual([{ id: "env_1", key: "ONLY", type: "plain", target: ["production"], gitBranch: null }]);
  });

  it("filters by target and state, and stops at the limit", async () => {
    const ready = await client().listDeployments({ projectId: PROJECT.id, target: "production", state: "READY", limit: 3, pageSize: 2 });
    expect(ready.map((d) => d.uid)).toEqual(["dpl_p4", "dpl_p3", "dpl_p2"]);
    const failedOrBuilding = await client().listDeployments({ projectId: PROJECT.id, state: ["ERROR", "BUILDING"] });
    expect(failedOrBuilding.map((d) => d.uid)).toEqual(["dpl_building", "dpl_error"]);
  });

  it("finds the current production deployment", async () => {
    const current = await client().currentProduction(PROJECT.id);
    expect(current).toMatchObject({ uid: "dpl_p4", state: "READY", target: "production", commitSha: "4".repeat(40) });
  });

  it("rolls back: the target becomes the current production deployment", async () => {
    await client().rollback(PROJECT.id, "dpl_p2", "bad release");
    expect((await client().currentProduction(PROJECT.id))?.uid).toBe("dpl_p2");
    expect(emulator.state().changes).toEqual([expect.objectContaining({ kind: "rollback", from: "dpl_p4", to: "dpl_p2", description: "bad release" })]);
  });

  it("promotes a READY deployment, undoing a rollback", async () => {
    await client().rollback(PROJECT.id, "dpl_p3");
    await client().promote(PROJECT.id, "dpl_p4");
    expect((await client().currentProduction(PROJECT.id))?.uid).toBe("dpl_p4");
    expect(emulator.state().rolledBack).toBe(false);
  });

  it("refuses to promote a deployment that is not READY, leaving production alone", async () => {
    const err = await client().promote(PROJECT.id, "dpl_building").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).status).toBe(400);
    expect((err as ProviderError).endpoint).toBe(`POST /v10/projects/${PROJECT.id}/promote/dpl_building`);
    expect((err as ProviderError).message).toMatch(/not ready/);
    expect((await client().currentProduction(PROJECT.id))?.uid).toBe("dpl_p4");
  });

  it("reports Vercel's message for an unknown deployment", async () => {
    const err = await client().rollback(PROJECT.id, "dpl_nope").catch((e: unknown) => e);
    expect((err as ProviderError).status).toBe(404);
    expect((err as ProviderError).message).toMatch(/Deployment not found/);
  });

  it("lists env var keys, types and targets, never values", async () => {
    const env = await client().listEnv(PROJECT.id);
    expect(env.map(({ key, type, target }) => ({ key, type, target }))).toEqual([
      { key: "DATABASE_URL", type: "encrypted", target: ["production", "preview"] },
      { key: "NEXT_PUBLIC_SITE_URL", type: "plain", target: ["production"] },
      { key: "STRIPE_SECRET_KEY", type: "sensitive", target: ["production"] },
    ]);
    for (const e of env) expect(Object.keys(e).sort()).toEqual(["gitBranch", "id", "key", "target", "type"]);
    expect(JSON.stringify(env)).not.toMatch(/secret|bookflow\.test/);
  });

  it("answers 403 for a wrong token with the VERCEL_TOKEN hint, without the token in the error", async () => {
    const wrong = "vercel_wrong_token_0000";
    const err = await client({ token: wrong }).listDeployments({ projectId: PROJECT.id }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    const e = err as ProviderError;
    expect(e.status).toBe(403);
    expect(e.hint).toMatch(/VERCEL_TOKEN/);
    expect(e.hint).not.toMatch(/VERCEL_TEAM_ID/);
    expect(e.provider).toBe("vercel");
    expect(e.endpoint).toBe("GET /v7/deployments");
    expect(e.message).toMatch(/Not authorized/);
    expect(`${e.message} ${e.hint ?? ""}`).not.toContain(wrong);
    expect(`${e.message} ${e.hint ?? ""}`).not.toContain(TOKEN);
  });

  it("answers 404 for an unknown project, naming the endpoint", async () => {
    const err = await client().currentProduction("prj_unknown").catch((e: unknown) => e);
    expect((err as ProviderError).status).toBe(404);
    expect((err as ProviderError).endpoint).toBe("GET /v9/projects/prj_unknown");
  });

  it("retries a 429 after Retry-After", async () => {
    emulator.rateLimitNext(1, 1);
    const before = emulator.requestLog.length;
    const started = Date.now();
    const current = await client().currentProduction(PROJECT.id);
    expect(current?.uid).toBe("dpl_p4");
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(emulator.requestLog.slice(before).map((r) => r.status)).toEqual([429, 200]);
  });

  it("gives up on 429 after its retries, or when asked to wait too long", async () => {
    emulator.rateLimitNext(5, 0);
    const err = await client({ maxRetries: 2 }).listEnv(PROJECT.id).catch((e: unknown) => e);
    expect((err as ProviderError).status).toBe(429);
    emulator.rateLimitNext(1, 120);
    const started = Date.now();
    const tooLong = await client({ maxRetryDelayMs: 5000 }).listEnv(PROJECT.id).catch((e: unknown) => e);
    expect((tooLong as ProviderError).status).toBe(429);
    expect(Date.now() - started).toBeLessThan(2000);
    emulator.rateLimitNext(0);
  });

  it("turns a wrong-shaped response into a ProviderError naming the endpoint", async () => {
    emulator.overrideNext({ status: 200, body: { deployments: [{ id: "no uid, no created" }] } });
    const err = await client().listDeployments({ projectId: PROJECT.id }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).endpoint).toBe("GET /v7/deployments");
    expect((err as ProviderError).message).toMatch(/unexpected response shape at deployments\.0\.uid/);
  });

  it("turns a body that is not JSON into a ProviderError", async () => {
    emulator.setFaults({ rateMalformed: 1 });
    const err = await client().listEnv(PROJECT.id).catch((e: unknown) => e);
    expect((err as ProviderError).endpoint).toBe(`GET /v10/projects/${PROJECT.id}/env`);
    expect((err as ProviderError).message).toMatch(/not JSON/);
  });

  it("turns an unreachable API into a ProviderError", async () => {
    const gone = await startVercelEmulator({ token: TOKEN, project: PROJECT });
    const url = gone.url;
    await gone.close();
    const err = await createVercelClient({ token: TOKEN, baseUrl: url }).listEnv(PROJECT.id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).status).toBeUndefined();
    expect((err as ProviderError).message).not.toContain(TOKEN);
  });

  it("times out a slow API within its bound", async () => {
    emulator.setFaults({ latencyMs: 2000 });
    const started = Date.now();
    const err = await client({ timeoutMs: 200 }).listEnv(PROJECT.id).catch((e: unknown) => e);
    expect((err as ProviderError).message).toMatch(/no answer within 200 ms/);
    expect(Date.now() - started).toBeLessThan(1500);
  });
});

describe("Vercel client options", () => {
  it("sends teamId on every request for team projects", async () => {
    const emulator = await startVercelEmulator({ token: TOKEN, teamId: "team_abc", project: PROJECT });
    try {
      const withTeam = createVercelClient({ token: TOKEN, baseUrl: emulator.url, teamId: "team_abc" });
      expect((await withTeam.currentProduction(PROJECT.id))?.uid).toBe(emulator.state().currentProductionId);
      const without = createVercelClient({ token: TOKEN, baseUrl: emulator.url });
      const missingTeam = (await without.currentProduction(PROJECT.id).catch((e: unknown) => e)) as ProviderError;
      expect(missingTeam.status).toBe(404);
      expect(missingTeam.hint).toMatch(/VERCEL_TEAM_ID/);
      const otherTeam = (await createVercelClient({ token: TOKEN, baseUrl: emulator.url, teamId: "team_other" }).listEnv(PROJECT.id).catch((e: unknown) => e)) as ProviderError;
      expect(otherTeam.status).toBe(403);
      expect(otherTeam.hint).toMatch(/VERCEL_TEAM_ID/);
      expect(otherTeam.hint).not.toMatch(/did not accept/);
    } finally {
      await emulator.close();
    }
  });

  it("falls back to the newest READY production deployment when the project has no production target", async () => {
    const emulator = await startVercelEmulator({ token: TOKEN, project: PROJECT, deployments: defaultDeployments(PROJECT.name) });
    try {
      emulator.overrideNext({ status: 200, body: { id: PROJECT.id, name: PROJECT.name, targets: {} } });
      const current = await createVercelClient({ token: TOKEN, baseUrl: emulator.url }).currentProduction(PROJECT.id);
      expect(current?.uid).toBe(emulator.state().deployments[2]!.uid);
    } finally {
      await emulator.close();
    }
  });

  it("reads Retry-After as seconds or a date, else X-RateLimit-Reset", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(retryDelayMs({ "retry-after": "2" }, 0, now)).toBe(2000);
    expect(retryDelayMs({ "retry-after": "Thu, 01 Jan 2026 00:00:03 GMT" }, 0, now)).toBe(3000);
    expect(retryDelayMs({ "x-ratelimit-reset": String(now / 1000 + 4) }, 0, now)).toBe(4000);
    expect(retryDelayMs({}, 2, now)).toBe(4000);
  });
});

describe("Vercel client: deployment events and runtime logs", () => {
  const LINE = { level: "info", message: "ok", rowId: "r1", source: "serverless", timestampInMs: 1_000, domain: "app.vercel.app", messageTruncated: false, requestMethod: "", requestPath: "", responseStatusCode: 0 };

  /** A server answering the runtime logs path with `write(res)` (which may leave the stream open). */
  async function streamServer(write: (res: import("node:http").ServerResponse) => void): Promise<{ url: string; close(): Promise<void> }> {
    const { createServer } = await import("node:http");
    const server = createServer((_req, res) => write(res));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address() as import("node:net").AddressInfo;
    return { url: `http://127.0.0.1:${port}`, close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }) };
  }

  it("reads the events of a deployment, oldest first, from its build on, in Vercel's flat shape", async () => {
    const emulator = await startVercelEmulator({ token: TOKEN, project: PROJECT });
    try {
      const uid = emulator.state().currentProductionId!;
      emulator.appendEvent({ type: "stderr", level: "error", text: "Error: boom" });
      const events = await createVercelClient({ token: TOKEN, baseUrl: emulator.url }).deploymentEvents(uid);
      expect(events.map((e) => e.type)).toEqual(["stdout", "command", "stdout", "deployment-state", "stderr"]);
      expect(events.at(-1)).toMatchObject({ text: "Error: boom", level: "error", requestPath: null, statusCode: null });
      const since = await createVercelClient({ token: TOKEN, baseUrl: emulator.url }).deploymentEvents(uid, { since: events.at(-1)!.date });
      expect(since.map((e) => e.text)).toEqual(["Error: boom"]);
    } finally {
      await emulator.close();
    }
  });

  it("reads the payload and alias-assigned shapes, skips null items, and takes a single event for an array", async () => {
    const emulator = await startVercelEmulator({ token: TOKEN, project: PROJECT });
    try {
      const uid = emulator.state().currentProductionId!;
      const client = createVercelClient({ token: TOKEN, baseUrl: emulator.url });
      emulator.overrideNext({
        status: 200,
        body: [
          null,
          { type: "stdout", created: 5, payload: { deploymentId: uid, id: "e1", date: 5, serial: "5", text: "POST /api/webhooks/stripe", proxy: { timestamp: 5, method: "POST", host: "h", path: "/api/webhooks/stripe", statusCode: 502 } } },
          { type: "alias-assigned", deploymentId: uid, date: 6, alias: ["app.example.com"], aliasError: null, aliasWarning: null },
        ],
      });
      expect(await client.deploymentEvents(uid)).toEqual([
        { type: "stdout", date: 5, text: "POST /api/webhooks/stripe", level: null, requestPath: "/api/webhooks/stripe", statusCode: 502 },
        { type: "alias-assigned", date: 6, text: "alias assigned: app.example.com", level: null, requestPath: null, statusCode: null },
      ]);
      emulator.overrideNext({ status: 200, body: { type: "fatal", created: 7, date: 7, deploymentId: uid, id: "e2", info: { type: "output", name: "x" }, serial: "7", text: "crash" } });
      expect((await client.deploymentEvents(uid)).map((e) => e.type)).toEqual(["fatal"]);
      emulator.overrideNext({ status: 200, body: [{ type: "shout", created: 1 }] });
      await expect(client.deploymentEvents(uid)).rejects.toThrow(/unexpected response shape/);
    } finally {
      await emulator.close();
    }
  });

  it("reads runtime log lines since a time, and an empty stream as no lines", async () => {
    const emulator = await startVercelEmulator({ token: TOKEN, project: PROJECT });
    try {
      const uid = emulator.state().currentProductionId!;
      const client = createVercelClient({ token: TOKEN, baseUrl: emulator.url });
      expect(await client.runtimeLogs(PROJECT.id, uid)).toEqual({ lines: [], truncated: false });
      emulator.appendRuntimeLog({ message: "old", timestampInMs: 1_000 });
      emulator.appendRuntimeLog({ requestMethod: "POST", requestPath: "/api/webhooks/stripe", responseStatusCode: 500, timestampInMs: 5_000 });
      const { lines, truncated } = await client.runtimeLogs(PROJECT.id, uid, { since: 2_000 });
      expect(truncated).toBe(false);
      expect(lines).toEqual([expect.objectContaining({ level: "error", source: "request", requestPath: "/api/webhooks/stripe", responseStatusCode: 500, message: "POST /api/webhooks/stripe 500" })]);
    } finally {
      await emulator.close();
    }
  });

  it("stops at the line limit and says the reading was cut short", async () => {
    const server = await streamServer((res) => {
      res.writeHead(200, { "content-type": "application/stream+json" });
      for (let i = 0; i < 5; i++) res.write(`${JSON.stringify({ ...LINE, rowId: `r${i}` })}\n`);
      res.end();
    });
    try {
      const { lines, truncated } = await createVercelClient({ token: TOKEN, baseUrl: server.url }).runtimeLogs("p", "d", { limit: 3 });
      expect(lines.map((l) => l.rowId)).toEqual(["r0", "r1", "r2"]);
      expect(truncated).toBe(true);
    } finally {
      await server.close();
    }
  });

  it("stops reading a stream Vercel keeps open after the time limit, keeping what it read", async () => {
    const server = await streamServer((res) => {
      res.writeHead(200, { "content-type": "application/stream+json" });
      res.write(`${JSON.stringify(LINE)}\n${JSON.stringify({ ...LINE, rowId: "r2" }).slice(0, 20)}`); // then nothing: a live stream
    });
    try {
      const started = Date.now();
      const { lines, truncated } = await createVercelClient({ token: TOKEN, baseUrl: server.url }).runtimeLogs("p", "d", { maxReadMs: 300 });
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(lines.map((l) => l.rowId)).toEqual(["r1"]);
      expect(truncated).toBe(true);
    } finally {
      await server.close();
    }
  });

  it("refuses a line that is not JSON or not Vercel's shape, naming the line", async () => {
    for (const [body, message] of [
      [`${JSON.stringify(LINE)}\nnot json\n`, /line 2 of the stream is not JSON/],
      [`${JSON.stringify({ ...LINE, level: "critical" })}\n`, /unexpected shape of line 1 at level/],
    ] as const) {
      const server = await streamServer((res) => {
        res.writeHead(200, { "content-type": "application/stream+json" });
        res.end(body);
      });
      try {
        await expect(createVercelClient({ token: TOKEN, baseUrl: server.url }).runtimeLogs("p", "d")).rejects.toThrow(message);
      } finally {
        await server.close();
      }
    }
  });

  it("answers a 403 on the runtime logs with Vercel's message and the scope hint, never the token", async () => {
    const emulator = await startVercelEmulator({ token: TOKEN, project: PROJECT });
    try {
      emulator.overrideNext({ status: 403, body: { error: { code: "forbidden", message: "Not authorized" } } });
      const err = (await createVercelClient({ token: TOKEN, baseUrl: emulator.url }).runtimeLogs(PROJECT.id, emulator.state().currentProductionId!).catch((e: unknown) => e)) as ProviderError;
      expect(err).toBeInstanceOf(ProviderError);
      expect(err.status).toBe(403);
      expect(err.message).toMatch(/runtime-logs answered 403: Not authorized \(forbidden\)/);
      expect(err.hint).toMatch(/scope/);
      expect(`${err.message} ${err.hint}`).not.toContain(TOKEN);
    } finally {
      await emulator.close();
    }
  });
});
