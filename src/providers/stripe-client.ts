/**
 * The Stripe SDK client, imported lazily (CLI start-up must not load it).
 * `apiBase` points it at another server, e.g. the sandbox's Stripe emulator.
 */
import type Stripe from "stripe";
import { ConfigError } from "../errors.js";

export interface StripeClientOptions {
  secretKey: string;
  /** e.g. `http://127.0.0.1:12111`; default Stripe's own API. */
  apiBase?: string | undefined;
  /** Request timeout in milliseconds (SDK default 80000). */
  timeoutMs?: number | undefined;
  /** Automatic retries of failed requests (SDK default 1); retried POSTs carry an idempotency key. */
  maxNetworkRetries?: number | undefined;
}

export async function createStripeClient(options: StripeClientOptions): Promise<Stripe> {
  const { default: StripeSdk } = await import("stripe");
  // No apiVersion: the SDK pins the version its types describe when none is given.
  const config: Stripe.StripeConfig = { appInfo: { name: "bookflow" } };
  if (options.timeoutMs !== undefined) config.timeout = options.timeoutMs;
  if (options.maxNetworkRetries !== undefined) config.maxNetworkRetries = options.maxNetworkRetries;
  if (options.apiBase) Object.assign(config, hostConfig(options.apiBase));
  return new StripeSdk(options.secretKey, config);
}

function hostConfig(apiBase: string): Pick<Stripe.StripeConfig, "host" | "port" | "protocol"> {
  let url: URL;
  try {
    url = new URL(apiBase);
  } catch {
    throw new ConfigError(`STRIPE_API_BASE is not a URL: ${apiBase}`, "Give a full URL such as http://127.0.0.1:12111.");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ConfigError(`STRIPE_API_BASE must be an http or https URL, not ${url.protocol}`, "Give a full URL such as http://127.0.0.1:12111.");
  }
  if (url.pathname !== "/" && url.pathname !== "") {
    throw new ConfigError(`STRIPE_API_BASE cannot have a path (${url.pathname}): the SDK only takes a host and port.`, "Give only scheme, host and port, e.g. http://127.0.0.1:12111.");
  }
  const protocol = url.protocol === "http:" ? "http" : "https";
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: url.port ? Number(url.port) : protocol === "http" ? 80 : 443,
    protocol,
  };
}
