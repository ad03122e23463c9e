import { envFact, type Target } from "../../src/config/verify-env.js";
import type { World } from "./check-tester.js";

/** A complete, valid production environment (fake values). */
export const VALID_ENV: Readonly<Record<string, string>> = {
  CALENDLY_API_TOKEN: "cal_pat_FAKEtoken0123456789abcdef",
  CALENDLY_USERNAME: "acme-bookings",
  CALENDLY_WEBHOOK_SIGNING_KEY: "calsign_FAKEkey_0123456789",
  CALENDLY_WEBHOOK_URL: "https://www.example.com/api/webhooks/calendly",
  STRIPE_SECRET_KEY: "sk_live_FAKEsecret0123456789abcdefgh",
  STRIPE_PUBLISHABLE_KEY: "pk_live_FAKEpublic0123456789abcdefgh",
  STRIPE_WEBHOOK_SECRET: "whsec_FAKEwebhook0123456789abcdefgh",
  STRIPE_WEBHOOK_URL: "https://www.example.com/api/webhooks/stripe",
  SENDGRID_API_KEY: "SG.FAKEkeyid0123.FAKEsecret0123456789abcdefghij",
  SENDGRID_FROM_EMAIL: "noreply@example.com",
  SENDGRID_BOOKING_TEMPLATE_ID: "d-0123456789abcdef0123456789abcdef",
  DATABASE_URL: "postgresql://app:FAKEdbPassw0rd1@db.example.com:6543/app?pgbouncer=true",
  DIRECT_URL: "postgresql://app:FAKEdbPassw0rd1@db.example.com:5432/app",
  NEXT_PUBLIC_BASE_URL: "https://www.example.com",
  NODE_ENV: "production",
  VERCEL_ENV: "production",
};

/** The same, with test-mode Stripe keys (staging, sandbox). */
export const VALID_TEST_MODE_ENV: Readonly<Record<string, string>> = {
  ...VALID_ENV,
  STRIPE_SECRET_KEY: "sk_test_FAKEsecret0123456789abcdefgh",
  STRIPE_PUBLISHABLE_KEY: "pk_test_FAKEpublic0123456789abcdefgh",
};

/** An `env` world: VALID_ENV (or VALID_TEST_MODE_ENV off production) with overrides; undefined removes a variable. */
export function envWorld(overrides: Record<string, string | undefined> = {}, target: Target = "production"): World {
  const base = target === "production" ? VALID_ENV : VALID_TEST_MODE_ENV;
  const vars: Record<string, string | undefined> = { ...base, ...overrides };
  for (const [k, v] of Object.entries(vars)) if (v === undefined) delete vars[k];
  return { env: envFact(vars, target) };
}
