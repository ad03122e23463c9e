import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultConfig } from "../../src/config/bookflow-config.js";
import { FactStore, gatherers } from "../../src/engine/facts/index.js";
import { startVercelEmulator, type RunningVercelEmulator } from "../../src/sandbox/vercel/emulator.js";

const TOKEN = "vercel_FAKE_token_0123456789";
const PROJECT = { id: "prj_facts", name: "facts-app" };

describe("fact vercelEnvVars (against the Vercel emulator)", () => {
  let emulator: RunningVercelEmulator;
  beforeAll(async () => {
    emulator = await startVercelEmulator({
      token: TOKEN,
      project: PROJECT,
      env: [
        { key: "STRIPE_SECRET_KEY", type: "encrypted", target: ["production"], value: "sk_live_FAKE" },
        { key: "NEXT_PUBLIC_BASE_URL", type: "plain", target: ["production", "preview"], value: "https://www.example.com" },
      ],
    });
  });
  afterAll(async () => emulator?.close());

  const store = (env: Record<string, string | undefined>) => new FactStore({ env, target: "production", config: defaultConfig(), signal: new AbortController().signal }, gatherers);

  it("lists the project's variables (keys, types, targets; no values)", async () => {
    const vars = await store({ VERCEL_TOKEN: TOKEN, VERCEL_PROJECT_ID: PROJECT.id, VERCEL_API_BASE: emulator.url }).get("vercelEnvVars");
    expect(vars?.map((v) => [v.key, v.type, v.target])).toEqual(
      expect.arrayContaining([
        ["STRIPE_SECRET_KEY", "encrypted", ["production"]],
        ["NEXT_PUBLIC_BASE_URL", "plain", ["production", "preview"]],
      ]),
    );
    expect(JSON.stringify(vars)).not.toContain("sk_live_FAKE");
  });

  it("is null when Vercel is not configured", async () => {
    expect(await store({ VERCEL_PROJECT_ID: PROJECT.id }).get("vercelEnvVars")).toBeNull();
  });

  it("fails, naming the fact and Vercel's answer, when the token is refused", async () => {
    await expect(store({ VERCEL_TOKEN: "wrong_FAKE_token_0123456789", VERCEL_PROJECT_ID: PROJECT.id, VERCEL_API_BASE: emulator.url }).get("vercelEnvVars")).rejects.toThrow(/fact "vercelEnvVars" could not be gathered: .*403/);
  });
});

describe("fact deploymentLogs (against the Vercel emulator)", () => {
  const HOUR = 3_600_000;
  const store = (env: Record<string, string | undefined>) => new FactStore({ env, target: "production", config: defaultConfig(), signal: new AbortController().signal }, gatherers);
  const SECRET = "sk_live_FAKE0123456789abcdef";

  async function withEmulator(createdHoursAgo: number, run: (emulator: RunningVercelEmulator, env: Record<string, string>) => Promise<void>): Promise<void> {
    const now = Date.now();
    const emulator = await startVercelEmulator({
      token: TOKEN,
      project: PROJECT,
      deployments: [
        { uid: "dpl_old", state: "READY", target: "production", createdAt: now - (createdHoursAgo + 5) * HOUR },
        { uid: "dpl_live", state: "READY", target: "production", createdAt: now - createdHoursAgo * HOUR },
      ],
    });
    try {
      await run(emulator, { VERCEL_TOKEN: TOKEN, VERCEL_PROJECT_ID: PROJECT.id, VERCEL_API_BASE: emulator.url, STRIPE_SECRET_KEY: SECRET, STRIPE_WEBHOOK_URL: "https://app.example.com/api/webhooks/stripe" });
    } finally {
      await emulator.close();
    }
  }

  it("reads both sources since the deployment went live, secrets masked, with the configured webhook paths", async () => {
    await withEmulator(2, async (emulator, env) => {
      emulator.appendRuntimeLog({ level: "error", message: "from before it went live", timestampInMs: Date.now() - 2 * HOUR });
      emulator.appendRuntimeLog({ level: "error", message: `Stripe refused ${SECRET}` });
      emulator.appendEvent({ type: "stderr", text: "Unhandled rejection" });
      const logs = await store(env).get("deploymentLogs");
      if (!logs?.read) throw new Error("expected the logs to be read");
      expect(logs.deployment.uid).toBe("dpl_live");
      expect(logs.sinceFrom).toBe("ready");
      expect(logs.since).toBe(emulator.state().deployments.find((d) => d.uid === "dpl_live")!.createdAt + 60_000);
      // The build events before the ready time, and the early runtime line, are outside the window.
      expect(logs.lines.map((l) => [l.source, l.type, l.level]).sort()).toEqual([
        ["events", "deployment-state", null],
        ["events", "stderr", null],
        ["runtime", "serverless", "error"],
      ]);
      expect(logs.lines.map((l) => l.at)).toEqual([...logs.lines.map((l) => l.at)].sort((a, b) => a - b));
      expect(JSON.stringify(logs)).not.toContain(SECRET);
      expect(logs.lines.find((l) => l.source === "runtime")!.text).toMatch(/^Stripe refused sk_live_\*\*\*\*/);
      expect(logs.webhookPaths).toEqual(["/api/webhooks/stripe"]);
      expect(logs.unavailable).toEqual([]);
      expect(logs.truncated).toEqual({ events: false, runtime: false });
    });
  });

  it("caps the window at 24 hours for a deployment live longer", async () => {
    await withEmulator(30, async (_emulator, env) => {
      const logs = await store(env).get("deploymentLogs");
      if (!logs?.read) throw new Error("expected the logs to be read");
      expect(logs.sinceFrom).toBe("cap");
      expect(logs.until - logs.since).toBe(24 * HOUR);
      expect(logs.lines).toEqual([]);
    });
  });

  it("records a source Vercel refuses (403) as unavailable, with its status, message and hint, and still reads the other", async () => {
    await withEmulator(2, async (emulator, env) => {
      // The next API answer after the production lookups (one of the two sources) is refused.
      const client = store(env);
      await client.get("vercelDeployments");
      emulator.overrideNext({ status: 403, body: { error: { code: "forbidden", message: "Not authorized" } } });
      const logs = await client.get("deploymentLogs");
      if (!logs?.read) throw new Error("expected the logs to be read");
      expect(logs.unavailable).toHaveLength(1);
      expect(logs.unavailable[0]).toMatchObject({ status: 403, message: expect.stringMatching(/403: Not authorized/), hint: expect.stringMatching(/scope/) });
      expect(JSON.stringify(logs)).not.toContain(TOKEN);
    });
  });

  it("is null when Vercel is not configured, and says so when nothing serves production", async () => {
    expect(await store({}).get("deploymentLogs")).toBeNull();
    const emulator = await startVercelEmulator({ token: TOKEN, project: PROJECT, deployments: [] });
    try {
      expect(await store({ VERCEL_TOKEN: TOKEN, VERCEL_PROJECT_ID: PROJECT.id, VERCEL_API_BASE: emulator.url }).get("deploymentLogs")).toEqual({ read: false, reason: "noDeployment" });
    } finally {
      await emulator.close();
    }
  });
});
