/**
 * Telling a pooled PostgreSQL URL from a direct one, from the URL alone: Prisma's `pgbouncer=true` parameter,
 * Supabase's pooler (`*.pooler.supabase.com`, port 6543 for transaction mode) and Neon's `-pooler` host names.
 * A pooler in transaction mode hands each transaction to any server connection, so nothing may rely on a session
 * there (named prepared statements, session advisory locks, SET); migrations need a session, so DIRECT_URL must
 * not be pooled.
 */
export function poolerSignOf(url: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.searchParams.get("pgbouncer") === "true") return "its pgbouncer=true parameter";
  if (/(^|[.-])pooler([.-]|$)/i.test(u.hostname)) return `its pooler host (${u.hostname})`;
  if (u.port === "6543") return "port 6543 (Supabase's transaction pooler)";
  return null;
}

export function isPooledUrl(url: string): boolean {
  return poolerSignOf(url) !== null;
}

/** host:port of a URL (default port 5432), to compare two URLs without printing either. */
export function endpointOf(url: string): string | null {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || "5432"}`;
  } catch {
    return null;
  }
}
