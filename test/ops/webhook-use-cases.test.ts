import { describe, expect, it } from "vitest";
import { selectProviders } from "../../commands/support/webhook-provider-arg.js";
import { WEBHOOK_PROVIDER_IDS } from "../../src/config/webhook-provider-ids.js";
import { sameWebhookUrl } from "../../src/config/webhook-urls.js";
import { newJournal } from "../../src/core/rollback-plan.js";
import { createContext } from "../../src/context.js";
import { assertSameProject } from "../../src/ops/rollback-start.js";
import { webhookUrl } from "../../src/ops/webhooks-bench.js";
import { dataDirOf, webhookUrlsFrom } from "../../src/ops/webhook-targets.js";
import { webhooksStatus } from "../../src/ops/webhooks-status.js";
import { WEBHOOK_PROVIDERS } from "../../src/providers/webhook-providers.js";

describe("webhook providers on the command line", () => {
  it("no argument or `all` means every provider, in registry order; a name means that one", () => {
    expect(selectProviders(undefined, "status")).toEqual([...WEBHOOK_PROVIDER_IDS]);
    expect(selectProviders("all", "disable")).toEqual([...WEBHOOK_PROVIDER_IDS]);
    expect(selectProviders(" Stripe ", "register")).toEqual(["stripe"]);
  });

  it("an unknown provider is a usage error naming the command", () => {
    expect(() => selectProviders("paypal", "restore")).toThrow(expect.objectContaining({ code: "BAD_PROVIDER", message: 'Unknown provider "paypal".', hint: expect.stringContaining("bookflow webhooks restore calendly") }));
  });
});

describe("webhook URLs", () => {
  it("the same URL ignores a trailing slash and the case of scheme and host, not the path", () => {
    expect(sameWebhookUrl("HTTPS://App.Example.com/api/webhooks/stripe/", "https://app.example.com/api/webhooks/stripe")).toBe(true);
    expect(sameWebhookUrl("https://app.example.com/api/webhooks/Stripe", "https://app.example.com/api/webhooks/stripe")).toBe(false);
  });

  it("each provider's URL comes from its registry variable; an unset one is a configuration error naming it", () => {
    const env = { CALENDLY_WEBHOOK_URL: "https://app.example.com/api/webhooks/calendly" };
    expect(webhookUrlsFrom(env, ["calendly"])).toEqual({ calendly: env.CALENDLY_WEBHOOK_URL });
    expect(() => webhookUrlsFrom(env, ["stripe"])).toThrow(expect.objectContaining({ code: "ENV_MISSING", message: expect.stringContaining(WEBHOOK_PROVIDERS.stripe.env.url) }));
  });

  it("a bench endpoint is http(s) without credentials", () => {
    expect(webhookUrl(" http://127.0.0.1:3000/hook ")?.toString()).toBe("http://127.0.0.1:3000/hook");
    expect(webhookUrl("ftp://example.com/hook")).toBeUndefined();
    expect(webhookUrl("https://user:pw@example.com/hook")).toBeUndefined();
    expect(webhookUrl("not a url")).toBeUndefined();
  });

  it("the data directory is resolved against the context's working directory", () => {
    const ctx = createContext({ env: { BOOKFLOW_DATA_DIR: "state" }, cwd: "/srv/ops" });
    expect(dataDirOf(ctx)).toBe("/srv/ops/state");
  });
});

describe("use cases read configuration before any provider", () => {
  it("status without the webhook URL is a configuration error, raised before a client is asked for", async () => {
    let asked = 0;
    const ctx = createContext({
      env: {},
      cwd: "/nonexistent-bookflow-dir",
      clients: {
        calendly: async () => {
          asked++;
          throw new Error("no client expected");
        },
      },
    });
    await expect(webhooksStatus(ctx, { providers: ["calendly"], strict: false })).rejects.toMatchObject({ code: "ENV_MISSING" });
    expect(asked).toBe(0);
  });
});

describe("rollback journals belong to one Vercel project", () => {
  const ref = (uid: string) => ({ uid, url: `${uid}.vercel.app`, createdAt: Date.parse("2025-06-01T12:00:00Z"), commitSha: null });
  const journal = newJournal({ id: "rb-20250601-123005-3fa9", at: new Date(), actor: "ops", reason: null, projectId: "prj_a", useVercelCli: false, providers: [...WEBHOOK_PROVIDER_IDS], bad: ref("dpl_2"), previous: ref("dpl_1") });

  it("the same project passes; another is refused with the environment to use", () => {
    expect(() => assertSameProject(journal, "prj_a")).not.toThrow();
    expect(() => assertSameProject(journal, "prj_b")).toThrow(expect.objectContaining({ code: "ROLLBACK_PROJECT_MISMATCH", message: expect.stringContaining("prj_a"), hint: expect.stringContaining("--env-file") }));
  });
});
