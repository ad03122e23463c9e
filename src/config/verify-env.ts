import { SECRET_ENV_NAMES } from "./redact.js";

/**
 * What `bookflow verify` reads from the environment: the release checklist's
 * variables, the deployment targets, and the shapes those values must have.
 * Pure functions only; the env checks (checks/env/*) decide with them.
 */

export const TARGETS = ["production", "staging", "sandbox"] as const;
export type Target = (typeof TARGETS)[number];

/** Every variable the booking platform needs, per the release checklist. */
export const REQUIRED_ENV = [
  "CALENDLY_API_TOKEN",
  "CALENDLY_USERNAME",
  "CALENDLY_WEBHOOK_SIGNING_KEY",
  "CALENDLY_WEBHOOK_URL",
  "STRIPE_SECRET_KEY",
  "STRIPE_PUBLISHABLE_KEY",
  "STRIPE_WEBHOOK_SECRET",
  "STRIPE_WEBHOOK_URL",
  "SENDGRID_API_KEY",
  "SENDGRID_FROM_EMAIL",
  "DATABASE_URL",
  "DIRECT_URL",
  "NEXT_PUBLIC_BASE_URL",
  "NODE_ENV",
  "VERCEL_ENV",
] as const;

export const OPTIONAL_ENV = ["SENDGRID_BOOKING_TEMPLATE_ID"] as const;

export type RequiredEnvName = (typeof REQUIRED_ENV)[number];

/** The paths the reference app serves its webhooks at. */
export const WEBHOOK_PATHS = {
  CALENDLY_WEBHOOK_URL: "/api/webhooks/calendly",
  STRIPE_WEBHOOK_URL: "/api/webhooks/stripe",
} as const;

/** The `env` fact: the variables (blank counts as unset) and the target being verified. */
export interface EnvFact {
  target: Target;
  vars: Readonly<Record<string, string | undefined>>;
}

export function envFact(env: Record<string, string | undefined>, target: Target): EnvFact {
  const vars: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(env)) vars[k] = v === undefined || v.trim() === "" ? undefined : v;
  return { target, vars };
}

export type KeyMode = "live" | "test";

/** sk_live_…, rk_test_…, pk_live_…: the mode, or undefined when the value is not a Stripe key of that kind. */
export function stripeKeyMode(value: string | undefined, kind: "secret" | "publishable"): KeyMode | undefined {
  if (!value) return undefined;
  const re = kind === "secret" ? /^(?:sk|rk)_(live|test)_[A-Za-z0-9]{8,}$/ : /^pk_(live|test)_[A-Za-z0-9]{8,}$/;
  return re.exec(value)?.[1] as KeyMode | undefined;
}

export function isStripeWebhookSecret(value: string): boolean {
  return /^whsec_[A-Za-z0-9+/=]{8,}$/.test(value);
}

export function isSendgridApiKey(value: string): boolean {
  return /^SG\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}$/.test(value);
}

export function isSendgridTemplateId(value: string): boolean {
  return /^d-[0-9a-f]{32}$/i.test(value);
}

export function isEmail(value: string): boolean {
  return /^[^\s@<>()",;:]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/.test(value);
}

/** Parses an absolute URL, or undefined. */
export function parseUrl(value: string | undefined): URL | undefined {
  if (!value) return undefined;
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

/** Why `value` is not an acceptable web URL for the target, or undefined when it is. */
export function webUrlProblem(value: string, target: Target): string | undefined {
  const url = parseUrl(value);
  if (!url) return "is not an absolute URL";
  if (url.protocol === "https:") return url.username || url.password ? "must not carry credentials" : undefined;
  if (url.protocol === "http:") return target === "sandbox" ? undefined : `must use https (http is allowed only for --target sandbox, not ${target})`;
  return `must be an https URL, not ${url.protocol.replace(/:$/, "")}`;
}

/** Why `value` is not a usable PostgreSQL connection URL, or undefined when it is. */
export function postgresUrlProblem(value: string): string | undefined {
  if (!/^postgres(?:ql)?:\/\//i.test(value)) return "must be a postgres:// or postgresql:// URL";
  const url = parseUrl(value);
  if (!url) return "is not a valid URL";
  if (!url.hostname) return "has no host";
  if (url.pathname.replace(/^\//, "") === "") return "names no database (…/<database>)";
  return undefined;
}

export { displayUrl, isSecretName, looksLikeSecret, secretLikeValues } from "./redact.js";

export { SECRET_ENV_NAMES };
