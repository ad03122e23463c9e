import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultDeployments, runtimeLogOfAppEntry, startVercelEmulator, type RunningVercelEmulator } from "../../../src/sandbox/vercel/emulator.js";

const TOKEN = "emulator_token";
const PROJECT = { id: "prj_emu", name: "emu-app" };

async function call(emulator: RunningVercelEmulator, method: "GET" | "POST" | "PUT", path: string, options: { token?: string | null; body?: unknown } = {}) {
  const token = options.token === undefined ? TOKEN : options.token;
  const res = await request(`${emulator.url}${path}`, {
    method,
    headers: {
      ...(token !== null ? { authorization: `Bearer ${token}` } : {}),
      ...(options.body !== undefined ? { "content-type": "application/json" } : {}),
    },
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

describe("Vercel emulator", () => {
  let emulator: RunningVercelEmulator;

  beforeAll(async () => {
    emulator = await startVercelEmulator({ token: TOKEN, project: PROJECT, env: [{ key: "A", type: "plain", target: ["production"], value: "1" }] });
  });
  afterAll(async () => {
    await emulator.close();
  });

  it("starts with three READY production deployments with commit shas, the newest serving production", () => {
    const state = emulator.state();
    expect(state.deployments).toHaveLength(3);
    for (const d of state.deployments) {
      expect(d.state).toBe("READY");
      expect(d.target).toBe("production");
      expect(d.commitSha).toMatch(/^[0-9a-f]{40}$/);
    }
    const newest = [...state.deployments].sort((a, b) => b.createdAt - a.createdAt)[0]!;
    expect(state.currentProductionId).toBe(newest.uid);
  });

  it("answers in Vercel's shapes", async () => {
    const list = await call(emulator, "GET", `/v7/deployments?projectId=${PROJECT.id}&limit=2`);
    expect(list.status).toBe(200);
    const deployments = list.body!.deployments as Record<string, unknown>[];
    expect(deployments).toHaveLength(2);
    expect(deployments[0]).toMatchObject({ uid: expect.any(String), url: expect.stringMatching(/\.vercel\.app$/), state: "READY", target: "production", created: expect.any(Number) });
    expect((deployments[0]!.meta as Record<string, string>).githubCommitSha).toMatch(/^[0-9a-f]{40}$/);
    expect(list.body!.pagination).toEqual({ count: 2, next: deployments[1]!.created, prev: deployments[0]!.created });

    const project = await call(emulator, "GET", `/v9/projects/${PROJECT.name}`);
    expect(project.body).toMatchObject({ id: PROJECT.id, name: PROJECT.name, targets: { production: { id: emulator.state().currentProductionId, readyState: "READY" } } });

    const env = await call(emulator, "GET", `/v10/projects/${PROJECT.id}/env`);
    expect(env.body).toMatchObject({ envs: [{ key: "A", type: "plain", target: ["production"], id: expect.any(String) }] });
  });

  it("serves the versions Vercel's SDK calls, not the retired ones", async () => {
    expect((await call(emulator, "GET", `/v7/deployments?projectId=${PROJECT.id}`)).status).toBe(200);
    expect((await call(emulator, "GET", `/v10/projects/${PROJECT.id}/env`)).status).toBe(200);
    expect((await call(emulator, "GET", `/v6/deployments?projectId=${PROJECT.id}`)).status).toBe(404);
    expect((await call(emulator, "GET", `/v9/projects/${PROJECT.id}/env`)).status).toBe(404);
  });

  it("serves every env var with a value (Vercel's schema requires one), never a non-plain var's own", async () => {
    emulator.setEnv([
      { key: "A", type: "plain", target: ["production"], value: "1" },
      { key: "S", type: "sensitive", target: ["production"], value: "sk_live_FAKE_secret" },
    ]);
    const env = await call(emulator, "GET", `/v10/projects/${PROJECT.id}/env`);
    const envs = env.body!.envs as { key: string; value: string }[];
    expect(envs.map((e) => typeof e.value)).toEqual(["string", "string"]);
    expect(envs[0]!.value).toBe("1");
    expect(JSON.stringify(env.body)).not.toContain("sk_live_FAKE_secret");
    expect(env.body!.pagination).toEqual({ count: 2, next: null, prev: null });
    emulator.setEnv([{ key: "A", type: "plain", target: ["production"], value: "1" }]);
  });

  it("lists a BLOCKED deployment with Vercel's seatBlock reason", async () => {
    const now = Date.now();
    emulator.setDeployments([
      { uid: "dpl_blocked", state: "BLOCKED", target: "production", createdAt: now, blockCode: "TEAM_ACCESS_REQUIRED" },
      { uid: "dpl_ready", state: "READY", target: "production", createdAt: now - 1000 },
    ]);
    const list = await call(emulator, "GET", `/v7/deployments?projectId=${PROJECT.id}&state=BLOCKED`);
    expect(list.body!.deployments).toEqual([expect.objectContaining({ uid: "dpl_blocked", state: "BLOCKED", readyState: "BLOCKED", seatBlock: { blockCode: "TEAM_ACCESS_REQUIRED" } })]);
    expect(emulator.state().currentProductionId).toBe("dpl_ready");
    expect((await call(emulator, "POST", `/v10/projects/${PROJECT.id}/promote/dpl_blocked`)).status).toBe(400);
    emulator.setDeployments(defaultDeployments(PROJECT.name));
  });

  it("refuses missing and wrong tokens with 403 forbidden, as Vercel does", async () => {
    const missing = await call(emulator, "GET", "/v7/deployments", { token: null });
    expect(missing.status).toBe(403);
    expect(missing.body).toEqual({ error: { code: "forbidden", message: expect.any(String), missingToken: true } });
    const wrong = await call(emulator, "GET", "/v7/deployments", { token: "nope" });
    expect(wrong.status).toBe(403);
    expect(wrong.body).toMatchObject({ error: { code: "forbidden", message: "Not authorized", invalidToken: true } });
  });

  it("answers 403 for another team and 404 for unknown projects, deployments and paths", async () => {
    expect((await call(emulator, "GET", `/v9/projects/${PROJECT.id}?teamId=team_other`)).status).toBe(403);
    const project = await call(emulator, "GET", "/v9/projects/prj_other");
    expect(project.status).toBe(404);
    expect(project.body).toEqual({ error: { code: "not_found", message: "Project not found" } });
    expect((await call(emulator, "POST", `/v1/projects/${PROJECT.id}/rollback/dpl_missing`)).status).toBe(404);
    expect((await call(emulator, "GET", "/v2/unknown")).body).toMatchObject({ error: { code: "not_found" } });
  });

  it("rejects a bad limit", async () => {
    const res = await call(emulator, "GET", "/v7/deployments?limit=500");
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: { code: "bad_request" } });
  });

  it("rolls back and promotes, refusing non-READY, preview and already-current targets", async () => {
    const now = Date.now();
    emulator.setDeployments([
      { uid: "dpl_1", state: "READY", target: "production", createdAt: now - 3000 },
      { uid: "dpl_2", state: "READY", target: "production", createdAt: now - 2000 },
      { uid: "dpl_prev", state: "READY", target: null, createdAt: now - 1500 },
      { uid: "dpl_3", state: "ERROR", target: "production", createdAt: now - 1000 },
      { uid: "dpl_4", state: "QUEUED", target: "production", createdAt: now },
    ]);
    expect(emulator.state().currentProductionId).toBe("dpl_2");
    expect((await call(emulator, "POST", `/v1/projects/${PROJECT.id}/rollback/dpl_2`)).status).toBe(409);
    expect((await call(emulator, "POST", `/v1/projects/${PROJECT.id}/rollback/dpl_3`)).status).toBe(400);
    expect((await call(emulator, "POST", `/v1/projects/${PROJECT.id}/rollback/dpl_prev`)).status).toBe(400);
    const rollback = await call(emulator, "POST", `/v1/projects/${PROJECT.id}/rollback/dpl_1?description=oops`);
    expect(rollback.status).toBe(201);
    expect(emulator.state()).toMatchObject({ currentProductionId: "dpl_1", rolledBack: true });
    expect((await call(emulator, "GET", `/v9/projects/${PROJECT.id}`)).body).toMatchObject({ lastRollbackTarget: { fromDeploymentId: "dpl_2", toDeploymentId: "dpl_1" } });
    const refused = await call(emulator, "POST", `/v10/projects/${PROJECT.id}/promote/dpl_4`);
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ error: { code: "bad_request", message: expect.stringContaining("QUEUED") } });
    expect((await call(emulator, "POST", `/v10/projects/${PROJECT.id}/promote/dpl_2`)).status).toBe(201);
    expect(emulator.state()).toMatchObject({ currentProductionId: "dpl_2", rolledBack: false });
    expect(emulator.state().changes.map((c) => `${c.kind}:${c.from}->${c.to}`)).toEqual(["rollback:dpl_2->dpl_1", "promote:dpl_1->dpl_2"]);
  });

  it("on the Hobby plan, rolls back only to the previous production deployment", async () => {
    const hobby = await startVercelEmulator({ token: TOKEN, project: PROJECT, plan: "hobby" });
    try {
      const [oldest, previous] = hobby.state().deployments;
      const tooFar = await call(hobby, "POST", `/v1/projects/${PROJECT.id}/rollback/${oldest!.uid}`);
      expect(tooFar.status).toBe(402);
      expect((await call(hobby, "POST", `/v1/projects/${PROJECT.id}/rollback/${previous!.uid}`)).status).toBe(201);
    } finally {
      await hobby.close();
    }
  });

  it("is controlled over HTTP under /_control without a token", async () => {
    const deployments = defaultDeployments("other", 1_700_000_000_000);
    const set = await call(emulator, "PUT", "/_control/deployments", { token: null, body: { deployments, currentProductionId: deployments[0]!.uid } });
    expect(set.status).toBe(200);
    expect(emulator.state().currentProductionId).toBe(deployments[0]!.uid);
    await call(emulator, "PUT", "/_control/env", { token: null, body: { env: [{ key: "B", type: "sensitive", target: ["preview"] }] } });
    const state = await call(emulator, "GET", "/_control/state", { token: null });
    expect(state.body).toMatchObject({ env: [{ key: "B", type: "sensitive" }], currentProductionId: deployments[0]!.uid });
    expect((await call(emulator, "PUT", "/_control/env", { token: null, body: { nope: 1 } })).status).toBe(400);
  });

  it("injects Vercel-shaped 429s with rate-limit headers", async () => {
    emulator.rateLimitNext(1, 3);
    const limited = await call(emulator, "GET", "/v7/deployments");
    expect(limited.status).toBe(429);
    expect(limited.headers["retry-after"]).toBe("3");
    expect(limited.headers["x-ratelimit-remaining"]).toBe("0");
    expect(limited.body).toMatchObject({ error: { code: "rate_limited" } });
    expect((await call(emulator, "GET", "/v7/deployments")).status).toBe(200);
  });

  it("answers injected faults in Vercel's error shape", async () => {
    emulator.setFaults({ rate429: 1 });
    const limited = await call(emulator, "GET", "/v7/deployments");
    emulator.setFaults({ rate5xx: 1 });
    const down = await call(emulator, "GET", "/v7/deployments");
    emulator.setFaults({});
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({ error: { code: "rate_limited", message: expect.any(String) } });
    expect(down.status).toBeGreaterThanOrEqual(500);
    expect(down.body).toEqual({ error: { code: "internal_server_error", message: expect.any(String) } });
  });
});

describe("Vercel emulator: deployment events and runtime logs", () => {
  let emulator: RunningVercelEmulator;
  let uid: string;

  beforeAll(async () => {
    emulator = await startVercelEmulator({ token: TOKEN, project: PROJECT, teamId: "team_emu" });
    uid = emulator.state().currentProductionId!;
  });
  afterAll(async () => {
    await emulator.close();
  });

  async function runtimeLogs(deploymentId: string, query = "?teamId=team_emu") {
    const res = await request(`${emulator.url}/v1/projects/${PROJECT.id}/deployments/${deploymentId}/runtime-logs${query}`, { headers: { authorization: `Bearer ${TOKEN}`, accept: "application/stream+json" } });
    const text = await res.body.text();
    return { status: res.statusCode, type: res.headers["content-type"], text };
  }

  it("serves a READY deployment's build as its events: flat shape, oldest first, a READY deployment-state at its ready time", async () => {
    const res = await call(emulator, "GET", `/v3/deployments/${uid}/events?teamId=team_emu&direction=forward&follow=0&limit=100`);
    expect(res.status).toBe(200);
    const events = res.body as unknown as Record<string, unknown>[];
    expect(events.map((e) => e.type)).toEqual(["stdout", "command", "stdout", "deployment-state"]);
    for (const e of events) expect(Object.keys(e)).toEqual(expect.arrayContaining(["created", "date", "deploymentId", "id", "info", "serial", "type"]));
    const deployment = ((await call(emulator, "GET", `/v7/deployments?teamId=team_emu&projectId=${PROJECT.id}&limit=1`)).body!.deployments as { ready: number }[])[0]!;
    expect(events.at(-1)!.date).toBe(deployment.ready);
  });

  it("filters events by since, until, direction and limit, and refuses bad values", async () => {
    const all = (await call(emulator, "GET", `/v3/deployments/${uid}/events?teamId=team_emu`)).body as unknown as { date: number; type: string }[];
    const since = (await call(emulator, "GET", `/v3/deployments/${uid}/events?teamId=team_emu&since=${all[2]!.date}`)).body as unknown as unknown[];
    expect(since).toHaveLength(2);
    const backward = (await call(emulator, "GET", `/v3/deployments/${uid}/events?teamId=team_emu&direction=backward&limit=1`)).body as unknown as { type: string }[];
    expect(backward.map((e) => e.type)).toEqual(["deployment-state"]);
    expect((await call(emulator, "GET", `/v3/deployments/${uid}/events?teamId=team_emu&until=${all[0]!.date}`)).body).toHaveLength(1);
    for (const bad of ["since=yesterday", "limit=-5", "direction=sideways", "follow=yes"]) {
      expect((await call(emulator, "GET", `/v3/deployments/${uid}/events?teamId=team_emu&${bad}`)).status, bad).toBe(400);
    }
    expect((await call(emulator, "GET", `/v3/deployments/dpl_nope/events?teamId=team_emu`)).status).toBe(404);
    expect((await call(emulator, "GET", `/v3/deployments/${uid}/events`)).status).toBe(404); // a team deployment without its teamId
    expect((await call(emulator, "GET", `/v3/deployments/${uid}/events?teamId=team_other`)).status).toBe(403);
  });

  it("an ERROR deployment's events carry the build's error on stderr", async () => {
    const failedBuild = await startVercelEmulator({ token: TOKEN, project: PROJECT, deployments: [...defaultDeployments(PROJECT.name), { uid: "dpl_failed", state: "ERROR", target: "production", createdAt: Date.now() - 3_600_000 }] });
    try {
      const events = (await call(failedBuild, "GET", "/v3/deployments/dpl_failed/events")).body as unknown as { type: string; level?: string; text: string }[];
      expect(events.find((e) => e.type === "stderr")).toMatchObject({ level: "error", text: expect.stringMatching(/exited with 1/) });
      expect(events.some((e) => e.type === "deployment-state")).toBe(false);
    } finally {
      await failedBuild.close();
    }
  });

  it("serves runtime logs as JSON lines in Vercel's shape, appended over /_control, with long messages truncated", async () => {
    expect(await runtimeLogs(uid)).toMatchObject({ status: 200, type: "application/stream+json", text: "" });
    const appended = await call(emulator, "POST", "/_control/runtime-logs", { token: null, body: { level: "error", message: "TypeError: x is undefined" } });
    expect(appended.status).toBe(201);
    await call(emulator, "POST", "/_control/runtime-logs", { token: null, body: { requestMethod: "POST", requestPath: "/api/webhooks/stripe", responseStatusCode: 503 } });
    emulator.appendRuntimeLog({ message: "y".repeat(5000) });
    const lines = (await runtimeLogs(uid)).text.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(3);
    for (const l of lines) expect(Object.keys(l).sort()).toEqual(["domain", "level", "message", "messageTruncated", "requestMethod", "requestPath", "responseStatusCode", "rowId", "source", "timestampInMs"]);
    expect(lines[0]).toMatchObject({ level: "error", source: "serverless", message: "TypeError: x is undefined", responseStatusCode: 0 });
    expect(lines[1]).toMatchObject({ level: "error", source: "request", requestMethod: "POST", requestPath: "/api/webhooks/stripe", responseStatusCode: 503, message: "POST /api/webhooks/stripe 503" });
    expect(lines[2]).toMatchObject({ messageTruncated: true });
    expect((lines[2]!.message as string).length).toBe(4096);
    expect(new Set(lines.map((l) => l.rowId)).size).toBe(3);
    // Another deployment's logs are its own.
    const other = emulator.state().deployments.find((d) => d.uid !== uid)!.uid;
    expect((await runtimeLogs(other)).text).toBe("");
    const cleared = await request(`${emulator.url}/_control/logs`, { method: "DELETE" });
    await cleared.body.text();
    expect(cleared.statusCode).toBe(204);
    expect((await runtimeLogs(uid)).text).toBe("");
  });

  it("appends events over /_control, and refuses bad control bodies and unknown deployments", async () => {
    expect((await call(emulator, "POST", "/_control/events", { token: null, body: { type: "fatal", text: "function crashed" } })).status).toBe(201);
    const events = (await call(emulator, "GET", `/v3/deployments/${uid}/events?teamId=team_emu`)).body as unknown as { type: string; text: string }[];
    expect(events.at(-1)).toMatchObject({ type: "fatal", text: "function crashed" });
    expect((await call(emulator, "POST", "/_control/events", { token: null, body: { type: "stderr" } })).status).toBe(400);
    expect((await call(emulator, "POST", "/_control/runtime-logs", { token: null, body: { deploymentId: "dpl_nope", message: "x" } })).status).toBe(404);
    for (const bad of [{ level: "critical" }, { responseStatusCode: 700 }, { requestPath: "api/webhooks" }, { mesage: "typo" }]) {
      const res = await call(emulator, "POST", "/_control/runtime-logs", { token: null, body: bad });
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect(JSON.stringify(res.body)).toMatch(/Expected \{ message\?/);
    }
  });

  it("runtime logs need a token and the project's team; an unknown deployment is 404", async () => {
    expect((await runtimeLogs(uid, "")).status).toBe(404);
    expect((await runtimeLogs(uid, "?teamId=team_other")).status).toBe(403);
    expect((await runtimeLogs("dpl_nope")).status).toBe(404);
    const res = await request(`${emulator.url}/v1/projects/${PROJECT.id}/deployments/${uid}/runtime-logs?teamId=team_emu`);
    expect(res.statusCode).toBe(403);
    await res.body.text();
  });

  it("records the app's log as Vercel would: a request as a request line, anything else at its level", () => {
    expect(runtimeLogOfAppEntry({ time: "t", level: "error", msg: "request", method: "POST", path: "/api/webhooks/calendly", status: 500 })).toEqual({
      source: "request", level: "error", requestMethod: "POST", requestPath: "/api/webhooks/calendly", responseStatusCode: 500, message: "POST /api/webhooks/calendly 500",
    });
    expect(runtimeLogOfAppEntry({ time: "t", level: "warn", msg: "checkout sweep: creating a Checkout session failed", error: "timeout" })).toEqual({
      source: "serverless", level: "warning", message: "checkout sweep: creating a Checkout session failed: timeout",
    });
    expect(runtimeLogOfAppEntry({ time: "t", level: "info", msg: "request", method: "GET", path: "/api/health", status: 200 }).level).toBe("info");
  });
});
