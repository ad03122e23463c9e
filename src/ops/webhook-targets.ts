import { resolve } from "node:path";
import type { Context } from "../context.js";
import { readDatabaseEnv } from "../config/app-env.js";
import type { WebhookUrls } from "../core/webhook-snapshots.js";
import type { WebhookProviderId } from "../providers/webhook-providers.js";
import { expectedRegistration } from "../providers/webhook-registrations.js";
import type { WebhookProviders } from "./webhook-switch.js";

/**
 * Where the webhook use cases (disable, restore, rollback) act: the data
 * directory, the webhook URLs of the environment, and the provider clients.
 */

/** BOOKFLOW_DATA_DIR (default .bookflow), resolved against the context's working directory. */
export function dataDirOf(ctx: Pick<Context, "env" | "cwd">): string {
  return resolve(ctx.cwd, readDatabaseEnv(ctx.env).BOOKFLOW_DATA_DIR);
}

/** CALENDLY_WEBHOOK_URL / STRIPE_WEBHOOK_URL for the providers (ConfigError naming the variable when unset). */
export function webhookUrlsFrom(env: Record<string, string | undefined>, providers: readonly WebhookProviderId[]): WebhookUrls {
  const urls: WebhookUrls = {};
  for (const p of providers) urls[p] = expectedRegistration(p, env, []).url;
  return urls;
}

/** The clients of the providers named (a missing token is a ConfigError before any request). */
export async function connectWebhookProviders(ctx: Pick<Context, "clients">, providers: readonly WebhookProviderId[]): Promise<WebhookProviders> {
  const out: WebhookProviders = {};
  if (providers.includes("calendly")) out.calendly = { client: await ctx.clients.calendly() };
  if (providers.includes("stripe")) out.stripe = await ctx.clients.stripe();
  return out;
}
