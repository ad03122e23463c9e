/**
 * The one redactor: every secret value bookflow knows of is masked before
 * anything is printed, written to a report or logged.
 */

/** Environment variables whose values are secrets. */
export const SECRET_ENV_NAMES = [
  "CALENDLY_API_TOKEN",
  "CALENDLY_WEBHOOK_SIGNING_KEY",
  "STRIPE_SECRET_KEY",
  "STRIPE_WEBHOOK_SECRET",
  "SENDGRID_API_KEY",
  "VERCEL_TOKEN",
  "DATADOG_API_KEY",
  "SENTRY_AUTH_TOKEN",
] as const;

/** Variables that are URLs which may embed a password. */
const URL_ENV_NAMES = ["DATABASE_URL", "DIRECT_URL", "SENTRY_DSN"];

export function mask(value: string): string {
  if (value.length <= 8) return "****";
  const prefix = /^(sk|rk|pk)_(live|test)_|^whsec_|^SG\.|^d-/.exec(value)?.[0] ?? "";
  return `${prefix}****${value.slice(-4)}`;
}

export class Redactor {
  private readonly secrets: string[] = [];

  constructor(env: Record<string, string | undefined> = {}) {
    for (const name of SECRET_ENV_NAMES) this.add(env[name]);
    for (const name of URL_ENV_NAMES) {
      const v = env[name];
      if (!v) continue;
      try {
        const u = new URL(v);
        if (u.password) this.add(decodeURIComponent(u.password));
        if (u.password) this.add(u.password);
      } catch {
        /* not a URL: nothing embedded to mask */
      }
    }
  }

  add(secret: string | undefined | null): this {
    if (secret && secret.length >= 4 && !this.secrets.includes(secret)) {
      this.secrets.push(secret);
      this.secrets.sort((a, b) => b.length - a.length);
    }
    return this;
  }

  redact(text: string): string {
    let out = text;
    for (const s of this.secrets) if (out.includes(s)) out = out.split(s).join(mask(s));
    return out;
  }

  /** Deep copy of a JSON-like value with every secret masked in its strings. */
  redactValue<T>(value: T): T {
    return JSON.parse(this.redact(JSON.stringify(value ?? null))) as T;
  }
}
