/**
 * Which kind of Calendly token CALENDLY_API_TOKEN is, told from its shape (no request, no verification):
 * Calendly's tokens are JWTs, and a personal access token's JWT header says `"typ": "PAT"`. A JWT with
 * any other `typ` is an OAuth access token (issued to an OAuth application). Anything that is not a JWT
 * cannot be told apart (`unknown`): bookflow then assumes nothing.
 *
 * It matters for webhooks: subscriptions created with an OAuth token are signed by Calendly with the
 * OAuth application's webhook signing key (set in Calendly's developer portal), not with the
 * `signing_key` passed on create, so the deployment must verify with that key.
 */
export type CalendlyTokenKind = "personal" | "oauth" | "unknown";

export function calendlyTokenKind(token: string | undefined): CalendlyTokenKind {
  const parts = (token ?? "").trim().split(".");
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]+$/.test(p))) return "unknown";
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(parts[0]!, "base64url").toString("utf8"));
  } catch {
    return "unknown";
  }
  if (typeof header !== "object" || header === null || typeof (header as { alg?: unknown }).alg !== "string") return "unknown";
  return (header as { typ?: unknown }).typ === "PAT" ? "personal" : "oauth";
}
