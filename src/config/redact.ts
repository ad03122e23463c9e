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
  "DATADOG_APP_KEY",
] as const;

/** Variables that are URLs which may embed a password. */
const URL_ENV_NAMES = ["DATABASE_URL", "DIRECT_URL", "SENTRY_DSN"];

export function mask(value: string): string {
  if (value.length <= 8) return "****";
  const prefix = /^(sk|rk|pk)_(live|test)_|^whsec_|^SG\.|^d-/.exec(value)?.[0] ?? "";
  return `${prefix}****${value.slice(-4)}`;
}

/**
 * The redactor of an environment knows every secret in it: the values of
 * SECRET_ENV_NAMES, the passwords embedded in URL variables, and any value
 * shaped like a secret or under a secret-sounding name (`secretLikeValues`).
 */
export class Redactor {
  private readonly secrets: string[] = [];

  constructor(env: Record<string, string | undefined> = {}) {
    for (const name of SECRET_ENV_NAMES) this.add(env[name]);
    for (const value of secretLikeValues(env)) this.add(value);
    for (const name of URL_ENV_NAMES) {
      const v = env[name];
      if (!v) continue;
      try {
        const u = new URL(v);
        if (u.password) this.add(decodeURIComponent(u.password));
        if (u.password) this.add(u.password);
        for (const [key, value] of u.searchParams) if (isSecretUrlParam(key)) this.add(value);
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

function parseUrl(value: string | undefined): URL | undefined {
  if (!value) return undefined;
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

/** Query parameters that carry a credential (libpq's `password` and `sslpassword`, tokens and keys). */
function isSecretUrlParam(name: string): boolean {
  return /^(?:ssl)?password$|^pass(?:wd)?$|^pwd$|secret|token|^(?:api[-_]?)?key$/i.test(name);
}

/**
 * A URL safe to print (the one URL masker): credentials replaced (user,
 * password, and query parameters such as `?password=`), or a neutral
 * description when it does not parse.
 */
export function displayUrl(value: string | undefined): string {
  const url = parseUrl(value);
  if (!url) return "(not a URL)";
  if (url.username) url.username = "****";
  if (url.password) url.password = "****";
  for (const key of new Set(url.searchParams.keys())) if (isSecretUrlParam(key)) url.searchParams.set(key, "****");
  return url.toString();
}

const SECRET_PATTERNS = [/^(?:sk|rk)_(?:live|test)_/, /^whsec_/, /^SG\.[^.]+\.[^.]+/, /^postgres(?:ql)?:\/\/[^/@]*:[^/@]+@/i];

/** True when a value has the shape of a server-side secret (Stripe secret key, webhook secret, SendGrid key, DB URL with password). */
export function looksLikeSecret(value: string | undefined): boolean {
  return !!value && SECRET_PATTERNS.some((re) => re.test(value));
}

/**
 * Names that say "secret" (a publishable key is public by design; browser API
 * keys such as NEXT_PUBLIC_FIREBASE_API_KEY are public too, so *_API_KEY alone does not count).
 */
export function isSecretName(name: string): boolean {
  if (/PUBLISHABLE/i.test(name)) return false;
  return /SECRET|TOKEN|PASSWORD|PRIVATE|SIGNING|DATABASE_URL|DIRECT_URL/i.test(name);
}

/**
 * Values the Redactor should mask beyond SECRET_ENV_NAMES: anything shaped like a
 * secret under any name (a Stripe secret key pasted into NEXT_PUBLIC_…, say).
 */
export function secretLikeValues(env: Record<string, string | undefined>): string[] {
  const out: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (!value) continue;
    // Name-based only for values long enough not to collide with ordinary words in reports.
    if (looksLikeSecret(value) || (isSecretName(name) && value.length >= 12 && !parseUrl(value))) out.push(value);
  }
  return out;
}


/** Secret-shaped substrings anywhere in a text: provider keys, webhook secrets, bearer tokens, passwords in connection strings. */
const SECRET_IN_TEXT = [
  /\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{6,}/g,
  /\bwhsec_[A-Za-z0-9+/=]{6,}/g,
  /\bSG\.[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]{6,}/g,
  /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi,
  /\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{6,}/g,
];

/**
 * Text from outside (a provider's error message, which may echo the credential it was sent) with every
 * secret-shaped substring masked, and any password in a connection string replaced: applied before such text
 * is stored (EmailMessage.error, WebhookEvent.error, EffectIntent.lastError, AuditLog) or printed.
 */
export function redactText(text: string): string {
  let out = text.replace(/\b(postgres(?:ql)?:\/\/[^\s/@:]*):[^\s/@]+@/gi, "$1:****@");
  for (const re of SECRET_IN_TEXT) out = out.replace(re, (m, scheme?: string) => (typeof scheme === "string" && /^(Bearer|Basic)$/i.test(scheme) ? `${scheme} ****` : mask(m)));
  return out;
}
