import type { PrismaClient } from "../../generated/prisma/client.js";
import type { CreatedByRun } from "./runner.js";
import { likeLiteral } from "../../db/sql.js";

/**
 * `--cleanup`: removes exactly what one scenario run created, in one
 * transaction, and nothing else:
 *
 * - bookings tagged with the run (Booking.runTag = `bookflow-<run id>`, from
 *   Calendly's tracking.utm_campaign), or made for an invitee the run booked;
 * - their emails (EmailMessage), audit entries (AuditLog targeting them), and
 *   webhook events: linked to them, correlated with them or their invitees
 *   (deferred / held ones), Calendly events carrying the run tag, and Stripe
 *   events whose object's metadata names one of them;
 * - users the run created (never a user given with --user-email), and only
 *   when no booking outside the run points at them.
 *
 * Afterwards no row carries the run tag; `remaining` says so (0), or why not.
 */

export interface CleanupSummary {
  runTag: string;
  bookings: number;
  webhookEvents: number;
  emails: number;
  auditEntries: number;
  users: number;
  /** Bookings with the run tag left after the cleanup (0 unless something wrote meanwhile). */
  remaining: number;
}

/** Rolls the preview's transaction back. */
class Preview extends Error {
  constructor(readonly summary: CleanupSummary) {
    super("preview");
  }
}

/**
 * Deletes the run's rows (see above). `dryRun`: the same deletes in a transaction that is rolled back, so the
 * counts are exactly what a real cleanup would remove now. `created` may be empty (a later `scenarios cleanup`):
 * the run tag finds the bookings, the run id in their emails finds the users.
 */
export async function cleanupRun(prisma: PrismaClient, run: { runId: string; runTag: string; created?: CreatedByRun }, options: { dryRun?: boolean } = {}): Promise<CleanupSummary> {
  const { runTag } = run;
  const created = run.created ?? { bookings: [], inviteeUris: [], users: [] };
  try {
    return await prisma.$transaction(
      async (tx) => {
        const bookings = await tx.booking.findMany({
          where: { OR: [{ runTag }, ...(created.inviteeUris.length ? [{ calendlyInviteeUri: { in: created.inviteeUris } }] : [])] },
          select: { id: true, calendlyInviteeUri: true },
        });
        const ids = bookings.map((b) => b.id);
        // Invitees the run booked whose booking was never created (events HELD or IGNORED) are known by their tagged events.
        const tagged = await tx.$queryRaw<{ uri: string | null }[]>`
          SELECT payload -> 'payload' ->> 'uri' AS uri FROM "WebhookEvent"
          WHERE provider = 'CALENDLY' AND payload -> 'payload' -> 'tracking' ->> 'utm_campaign' = ${runTag}`;
        const keys = [
          ...new Set([...ids, ...created.inviteeUris, ...bookings.map((b) => b.calendlyInviteeUri), ...tagged.map((r) => r.uri)].filter((u): u is string => !!u)),
        ];
        const events = await tx.$queryRaw<{ id: string }[]>`
          SELECT id FROM "WebhookEvent"
          WHERE "bookingId" = ANY(${ids}::text[])
             OR "correlationKey" = ANY(${keys}::text[])
             OR (provider = 'CALENDLY' AND payload -> 'payload' -> 'tracking' ->> 'utm_campaign' = ${runTag})
             OR (provider = 'STRIPE' AND payload -> 'data' -> 'object' -> 'metadata' ->> 'booking_id' = ANY(${ids}::text[]))
             OR (provider = 'STRIPE' AND payload -> 'data' -> 'object' -> 'metadata' ->> 'calendly_invitee_uri' = ANY(${keys}::text[]))`;
        const webhookEvents = events.length ? (await tx.webhookEvent.deleteMany({ where: { id: { in: events.map((e) => e.id) } } })).count : 0;
        const emails = ids.length ? (await tx.emailMessage.deleteMany({ where: { bookingId: { in: ids } } })).count : 0;
        const auditEntries = ids.length ? (await tx.auditLog.deleteMany({ where: { target: { in: ids } } })).count : 0;
        const deletedBookings = ids.length ? (await tx.booking.deleteMany({ where: { id: { in: ids } } })).count : 0;
        // The run's users: those it recorded, and any whose email carries the run id (scenario+<run id>.<label>@…).
        const users = (
          await tx.user.deleteMany({
            where: {
              OR: [...(created.users.length ? [{ id: { in: created.users } }] : []), { email: { startsWith: likeLiteral(`scenario+${run.runId.toLowerCase()}.`), mode: "insensitive" } }],
              bookings: { none: {} },
              builderProfile: { is: null },
            },
          })
        ).count;
        const remaining = await tx.booking.count({ where: { runTag } });
        const summary = { runTag, bookings: deletedBookings, webhookEvents, emails, auditEntries, users, remaining };
        if (options.dryRun) throw new Preview(summary);
        return summary;
      },
      { maxWait: 15_000, timeout: 60_000 },
    );
  } catch (err) {
    if (err instanceof Preview) return err.summary;
    throw err;
  }
}

export function describeCleanup(s: CleanupSummary): string {
  return `removed ${s.bookings} booking(s), ${s.webhookEvents} webhook event(s), ${s.emails} email(s), ${s.auditEntries} audit entr${s.auditEntries === 1 ? "y" : "ies"} and ${s.users} user(s) of run ${s.runTag}${s.remaining ? `; ${s.remaining} tagged booking(s) remain (written during the cleanup?)` : ""}`;
}
