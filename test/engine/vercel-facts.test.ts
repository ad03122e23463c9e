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
