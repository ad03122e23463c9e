import { ConfigError } from "../errors.js";

/** The APIs a `*_API_BASE` variable can point elsewhere (the sandbox's emulators), and their real address. */
export const API_BASE_DEFAULTS = {
  CALENDLY_API_BASE: "https://api.calendly.com",
  STRIPE_API_BASE: "https://api.stripe.com",
  SENDGRID_API_BASE: "https://api.sendgrid.com",
  VERCEL_API_BASE: "https://api.vercel.com",
  SENTRY_API_BASE: "https://sentry.io",
} as const;

export type ApiBaseName = keyof typeof API_BASE_DEFAULTS;

/**
 * The value of a `*_API_BASE` variable: undefined when unset or blank (the
 * client uses the real API), else an http(s) URL; anything else is a
 * ConfigError naming the variable and a valid value (exit 2), not a TypeError
 * from the first request.
 */
export function apiBaseFromEnv(env: Record<string, string | undefined>, name: ApiBaseName): string | undefined {
  const value = env[name]?.trim();
  if (!value) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) {
    const shown = value.length > 80 ? `${value.slice(0, 80)}…` : value;
    throw new ConfigError(
      `${name} must be an http or https URL, got ${JSON.stringify(shown)}.`,
      `Set ${name} to a full URL such as ${API_BASE_DEFAULTS[name]} or http://127.0.0.1:12111 (an emulator), or unset it to use ${API_BASE_DEFAULTS[name]}.`,
      "CONFIG_INVALID",
    );
  }
  return value;
}
