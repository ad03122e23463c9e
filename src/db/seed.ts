import type { PrismaClient } from "../generated/prisma/client.js";
import { DEFAULT_SEED, type SeedData } from "./seed-data.js";

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
