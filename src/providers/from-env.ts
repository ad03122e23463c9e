/**
 * Provider clients built from the environment, for commands: each names the
 * variable that is missing (ConfigError, exit 2) instead of failing later.
 * `*_API_BASE` points a client at another API (the sandbox's emulators).
 * SDKs are imported lazily, only by the command that uses them.
 */
import type Stripe from "stripe";
import { apiBaseFromEnv } from "../config/api-base.js";
import { ConfigError } from "../errors.js";
import type { CalendlyClient } from "./calendly/client.js";
import type { SendGridClient } from "./sendgrid/client.js";
import type { VercelClient } from "./vercel/client.js";

type Env = Record<string, string | undefined>;

function required(env: Env, name: string, purpose: string): string {
  const value = env[name]?.trim();
  if (!value) throw new ConfigError(`${name} is not set; it is needed ${purpose}.`, `Set ${name} in the environment or in a file passed with --env-file.`, "ENV_MISSING");
  return value;
}

export async function calendlyFromEnv(env: Env, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<CalendlyClient> {
  const token = required(env, "CALENDLY_API_TOKEN", "to call the Calendly API");
  const { createCalendlyClient } = await import("./calendly/client.js");
  return createCalendlyClient({
    token,
    baseUrl: apiBaseFromEnv(env, "CALENDLY_API_BASE"),
    timeoutMs: options.timeoutMs ?? 10_000,
    maxRetries: 2,
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

export async function stripeFromEnv(env: Env, options: { timeoutMs?: number } = {}): Promise<Stripe> {
  const secretKey = required(env, "STRIPE_SECRET_KEY", "to call the Stripe API");
  const { createStripeClient } = await import("./stripe-client.js");
  return createStripeClient({ secretKey, apiBase: apiBaseFromEnv(env, "STRIPE_API_BASE"), timeoutMs: options.timeoutMs ?? 10_000, maxNetworkRetries: 2 });
}

/** A Stripe client authenticated with STRIPE_PUBLISHABLE_KEY (it may only create tokens), on STRIPE_API_BASE like the secret one. */
export async function stripePublishableFromEnv(env: Env, options: { timeoutMs?: number } = {}): Promise<Stripe> {
  const publishableKey = required(env, "STRIPE_PUBLISHABLE_KEY", "to create a token with the publishable key");
  const { createStripeClient } = await import("./stripe-client.js");
  return createStripeClient({ secretKey: publishableKey, apiBase: apiBaseFromEnv(env, "STRIPE_API_BASE"), timeoutMs: options.timeoutMs ?? 10_000, maxNetworkRetries: 2 });
}

export async function vercelFromEnv(env: Env): Promise<{ client: VercelClient; projectId: string }> {
  const token = required(env, "VERCEL_TOKEN", "to read and promote Vercel deployments");
  const projectId = required(env, "VERCEL_PROJECT_ID", "to name the Vercel project");
  const { createVercelClient } = await import("./vercel/client.js");
  return { client: createVercelClient({ token, baseUrl: apiBaseFromEnv(env, "VERCEL_API_BASE"), teamId: env.VERCEL_TEAM_ID?.trim() || undefined }), projectId };
}

export async function sendgridFromEnv(env: Env, options: { timeoutMs?: number } = {}): Promise<SendGridClient> {
  const apiKey = required(env, "SENDGRID_API_KEY", "to call the SendGrid API");
  const { createSendGridClient } = await import("./sendgrid/client.js");
  return createSendGridClient({ apiKey, baseUrl: apiBaseFromEnv(env, "SENDGRID_API_BASE"), timeoutMs: options.timeoutMs ?? 10_000 });
}
