import type { PrismaClient } from "../generated/prisma/client.js";
import { DEFAULT_SEED, type SeedData } from "./seed-data.js";
import type { SqlTx } from "./sql.js";

export interface SeedReport {
  created: { users: number; builders: number; sessionTypes: number };
  unchanged: { users: number; builders: number; sessionTypes: number };
}

/**
 * Idempotent seed: creates what is missing, never updates or deletes what is
 * there (a second run changes nothing, and edits made by people survive).
 */
export async function seed(prisma: PrismaClient, data: SeedData = DEFAULT_SEED): Promise<SeedReport> {
  const report: SeedReport = {
    created: { users: 0, builders: 0, sessionTypes: 0 },
    unchanged: { users: 0, builders: 0, sessionTypes: 0 },
  };
  const ensureUser = async (email: string, name: string) => {
    const existing = await prisma.user.findUnique({ where: { email } });
    if (existing) {
      report.unchanged.users++;
      return existing;
    }
    report.created.users++;
    return prisma.user.create({ data: { email, name } });
  };

  for (const c of data.customers) await ensureUser(c.email, c.name);
  for (const b of data.builders) {
    const user = await ensureUser(b.email, b.name);
    let builder = await prisma.builderProfile.findUnique({ where: { slug: b.slug } });
    if (builder) report.unchanged.builders++;
    else {
      builder = await prisma.builderProfile.create({
        data: { userId: user.id, slug: b.slug, displayName: b.displayName, headline: b.headline, visible: b.visible },
      });
      report.created.builders++;
    }
    for (const s of b.sessionTypes) {
      const existing = await prisma.sessionType.findUnique({ where: { builderId_slug: { builderId: builder.id, slug: s.slug } } });
      if (existing) {
        report.unchanged.sessionTypes++;
        continue;
      }
      await prisma.sessionType.create({ data: { ...s, builderId: builder.id, active: true } });
      report.created.sessionTypes++;
    }
  }
  return report;
}

/**
 * Whether every row `seed` would create is there already (users by email, builder profiles by slug, session types
 * by builder and slug), in one SQL statement: a start that finds them skips `seed`, and with it Prisma's first query
 * (its query compiler's start is most of a seed that changes nothing).
 */
export async function seedIsPresent(sql: SqlTx, data: SeedData = DEFAULT_SEED): Promise<boolean> {
  const emails = [...data.customers.map((c) => c.email), ...data.builders.map((b) => b.email)];
  const builders = data.builders.map((b) => b.slug);
  const types = data.builders.flatMap((b) => b.sessionTypes.map((s) => `${b.slug}/${s.slug}`));
  const [row] = await sql.query<{ users: number; builders: number; types: number }>(
    `SELECT (SELECT count(DISTINCT email)::int FROM "User" WHERE email = ANY($1::text[])) AS users,
            (SELECT count(*)::int FROM "BuilderProfile" WHERE slug = ANY($2::text[])) AS builders,
            (SELECT count(*)::int FROM "SessionType" s JOIN "BuilderProfile" b ON b.id = s."builderId"
              WHERE b.slug || '/' || s.slug = ANY($3::text[])) AS types`,
    [emails, builders, types],
  );
  return row !== undefined && row.users === new Set(emails).size && row.builders === new Set(builders).size && row.types === new Set(types).size;
}
