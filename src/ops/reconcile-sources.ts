/**
 * `bookings reconcile`: the streaming side. Reads the window from the three
 * sources page by page and hands each page to the pure classifiers
 * (src/core/reconcile.ts); what stays in memory is one page per source plus
 * the disagreements found, never the window.
 *
 * How the sources are joined: each provider page (Calendly scheduled events,
 * Stripe payment intents, Stripe refunds) is matched to the database with ONE
 * indexed query (`calendlyEventUri = ANY($1)`, `id / calendlyInviteeUri /
 * stripePaymentIntentId = ANY(…)`): an index nested-loop join, a page at a time.
 * Chosen over
 * - a TEMP table: `db.sql` is a connection pool and temp tables live in one
 *   session, and loading 100k+ provider rows into scratch tables is write load
 *   on the production database for what is a read;
 * - a sort-merge: Stripe lists are ordered by creation, not by booking, and
 *   Calendly does not document its order among events with the same start.
 * The database's own pass (stuck_pending) is a keyset scan over
 * (startTime, id) of the window's PENDING/UNPAID bookings.
 *
 * Rate limits: Calendly's client retries 429s after the Retry-After /
 * X-RateLimit-Reset it is given (src/providers/calendly/client.ts); the Stripe
 * SDK does not retry 429s, so every Stripe call here goes through
 * `withStripeRetry` (src/providers/stripe-retry.ts), which waits for
 * Retry-After (else backs off exponentially). Requests to one provider are
 * sequential (one page at a time).
 */
import type Stripe from "stripe";
import { apiBaseFromEnv } from "../config/api-base.js";
import { toSqlTimestamp, type SqlClient } from "../db/sql.js";
import { ConfigError, ProviderError } from "../errors.js";
import type { CalendlyClient } from "../providers/calendly/client.js";
import {
  stripeCheckoutSessionItemSchema,
  stripeDisputeItemSchema,
  stripePages,
  stripePaymentIntentItemSchema,
  stripeRefundItemSchema,
  withStripeRetry,
  type RetryOptions,
  type Sleep,
} from "../providers/stripe-retry.js";
import {
  bookingForPayment,
  calendlyEventNeedsInvitees,
  classifyCalendlyEvent,
  classifyDispute,
  classifyExpiredCheckout,
  classifyPayment,
  classifyRefund,
  classifyStuck,
  Findings,
  OPEN_DISPUTE_STATUSES,
  paymentLookupKeys,
  refundPaymentIntentId,
  type BookingRecord,
  type CalendlyEventRecord,
  type CheckoutSessionRecord,
  type DisputeRecord,
  type PaymentRecord,
  type RefundRecord,
  type ReconcileWindow,
} from "../core/reconcile.js";

// ---------------------------------------------------------------- provider clients

/**
 * A Calendly client for a long read: the same client as every command, with a
 * larger retry budget (a window of 100k events is 1,000+ pages) and the given
 * sleep (tests record the waits asked by Retry-After).
 */
export async function calendlyForReconcile(env: Record<string, string | undefined>, options: { sleep?: Sleep; maxRetries?: number } = {}): Promise<CalendlyClient> {
  const token = env.CALENDLY_API_TOKEN?.trim();
  if (!token) throw new ConfigError("CALENDLY_API_TOKEN is not set; it is needed to read Calendly's scheduled events.", "Set CALENDLY_API_TOKEN in the environment or in a file passed with --env-file.", "ENV_MISSING");
  const { createCalendlyClient } = await import("../providers/calendly/client.js");
  return createCalendlyClient({
    token,
    baseUrl: apiBaseFromEnv(env, "CALENDLY_API_BASE"),
    timeoutMs: 20_000,
    maxRetries: options.maxRetries ?? 8,
    ...(options.sleep ? { sleep: options.sleep } : {}),
  });
}

// ---------------------------------------------------------------- the database

const BOOKING_COLUMNS = `id, status::text AS status, "paymentStatus"::text AS "paymentStatus", "startTime", "createdAt", "amountCents", currency,
  "inviteeEmail", "calendlyEventUri", "calendlyInviteeUri", "stripeCheckoutSessionId", "stripePaymentIntentId", "refundedCents", "cancelledBy"`;

/** The Calendly event types linked to a session type: only their events are bookflow's bookings. */
export async function linkedEventTypes(sql: SqlClient): Promise<Set<string>> {
  const rows = await sql.query<{ uri: string }>(`SELECT "calendlyEventTypeUri" AS uri FROM "SessionType" WHERE "calendlyEventTypeUri" IS NOT NULL`);
  return new Set(rows.map((r) => r.uri));
}

export async function bookingsByEventUris(sql: SqlClient, uris: readonly string[]): Promise<BookingRecord[]> {
  if (uris.length === 0) return [];
  return sql.query<BookingRecord>(`SELECT ${BOOKING_COLUMNS} FROM "Booking" WHERE "calendlyEventUri" = ANY($1::text[])`, [uris]);
}

export async function bookingsForPayments(sql: SqlClient, keys: { ids: string[]; inviteeUris: string[]; paymentIntentIds: string[] }): Promise<BookingRecord[]> {
  if (!keys.ids.length && !keys.inviteeUris.length && !keys.paymentIntentIds.length) return [];
  return sql.query<BookingRecord>(
    `SELECT ${BOOKING_COLUMNS} FROM "Booking"
      WHERE id = ANY($1::text[]) OR "calendlyInviteeUri" = ANY($2::text[]) OR "stripePaymentIntentId" = ANY($3::text[])`,
    [keys.ids, keys.inviteeUris, keys.paymentIntentIds],
  );
}

/** How many bookings start in the window: one count over the startTime index, the total a progress line works towards. */
export async function countWindowBookings(sql: SqlClient, window: ReconcileWindow): Promise<number> {
  const rows = await sql.query<{ n: number | string }>(
    `SELECT count(*) AS n FROM "Booking" WHERE "startTime" >= $1::timestamp AND ($2::timestamp IS NULL OR "startTime" < $2::timestamp)`,
    [toSqlTimestamp(window.since), toSqlTimestamp(window.until)],
  );
  return Number(rows[0]?.n ?? 0);
}

/** The window's PENDING/UNPAID bookings created before `createdBefore`, one keyset page on (startTime, id) at a time. */
export async function* pendingBookingPages(sql: SqlClient, window: ReconcileWindow, createdBefore: Date, pageSize: number, signal?: AbortSignal): AsyncGenerator<BookingRecord[]> {
  let after: { start: Date; id: string } | null = null;
  for (;;) {
    if (signal?.aborted) return;
    const rows: BookingRecord[] = await sql.query<BookingRecord>(
      `SELECT ${BOOKING_COLUMNS} FROM "Booking"
        WHERE status = 'PENDING' AND "paymentStatus" = 'UNPAID' AND "createdAt" <= $1::timestamp
          AND "startTime" >= $2::timestamp AND ($3::timestamp IS NULL OR "startTime" < $3::timestamp)
          AND ($4::timestamp IS NULL OR ("startTime", id) > ($4::timestamp, $5::text))
        ORDER BY "startTime", id
        LIMIT $6`,
      [toSqlTimestamp(createdBefore), toSqlTimestamp(window.since), toSqlTimestamp(window.until), after ? toSqlTimestamp(after.start) : null, after?.id ?? null, pageSize],
    );
    if (rows.length) yield rows;
    if (rows.length < pageSize) return;
    const last = rows[rows.length - 1]!;
    after = { start: last.startTime, id: last.id };
  }
}

// ---------------------------------------------------------------- the scan

export interface ScanSources {
  sql: SqlClient;
  calendly: CalendlyClient;
  stripe: Stripe;
  sleep: Sleep;
}

export interface ScanOptions {
  window: ReconcileWindow;
  now: Date;
  stuckAfterMs: number;
  /** Records per page, every source (1..100). */
  pageSize: number;
  /** Unix seconds: Stripe objects created from here on are read (since − lookback). */
  stripeCreatedFrom: number;
  /** Called after every page of every source (a progress line); with it, the window's bookings are counted first. */
  onProgress?: (progress: ScanProgress) => void;
}

/** Where a scan is: reading the providers (Calendly and Stripe side by side), then the database's pending pass. */
export interface ScanProgress {
  phase: "providers" | "pending";
  /** The window's bookings in the database (countWindowBookings): what the Calendly pass checks. */
  bookingsInWindow: number;
  /** Bookings of the window matched to Calendly's events so far. */
  bookingsChecked: number;
  /** The scan's counts so far (pages, events, payments, refunds, pending bookings scanned). */
  stats: Readonly<ScanStats>;
}

export interface ScanStats {
  calendly: {
    /** "organization" or "user": whose scheduled events were listed. */
    scope: string;
    events: number;
    /** Events of event types no session type links to (not bookflow bookings): skipped. */
    otherEventTypes: number;
    pages: number;
    inviteeLookups: number;
    /** Cancelled invitees that never had a booking: nothing to do. */
    cancelledWithoutBooking: number;
  };
  stripe: {
    paymentIntents: number;
    refunds: number;
    disputes: number;
    /** Checkout sessions of stuck bookings read, to tell an expired one from a slow payment. */
    checkoutLookups: number;
    pages: number;
    /** Succeeded payments / refunds whose booking is not in the database (not bookflow's, or deleted). */
    unmatched: number;
    /** The first few unmatched ids, to look at. */
    unmatchedSample: string[];
    /** Payments / refunds of bookings outside the window. */
    outsideWindow: number;
    paymentIntentLookups: number;
    /** 429s waited out. */
    rateLimitedRetries: number;
  };
  database: { pendingScanned: number; pages: number; lookups: number };
  /** Wall time of each pass, ms (Calendly and the Stripe passes run side by side, then the database's). */
  passMs: { calendly: number; stripePayments: number; stripeRefunds: number; stripeDisputes: number; stuck: number };
}

export interface ScanResult {
  findings: Findings;
  stats: ScanStats;
}

/** Yields arrays of up to `size` items from an async iterable (the Calendly client pages internally with the same size). */
async function* batches<T>(items: AsyncIterable<T>, size: number): AsyncGenerator<T[]> {
  let batch: T[] = [];
  for await (const item of items) {
    batch.push(item);
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length) yield batch;
}

/** Whose events to list: the organization's when the token may, else the user's. */
export async function calendlyOwner(client: Pick<CalendlyClient, "getCurrentUser" | "listScheduledEvents">): Promise<{ scope: "organization" | "user"; params: { organization?: string; user?: string } }> {
  const me = await client.getCurrentUser();
  try {
    // A cheap probe: one event of the organization.
    const it = client.listScheduledEvents({ organization: me.current_organization, count: 1 })[Symbol.asyncIterator]();
    await it.next();
    await it.return?.();
    return { scope: "organization", params: { organization: me.current_organization } };
  } catch (err) {
    if (err instanceof ProviderError && err.status === 403) return { scope: "user", params: { user: me.uri } };
    throw err;
  }
}

/**
 * Reads the window from the three sources and returns the disagreements
 * (before finalizeFindings). Calendly and Stripe are read side by side; the
 * database's stuck pass runs last, skipping bookings that already disagree.
 */
export async function scanForDisagreements(src: ScanSources, opts: ScanOptions): Promise<ScanResult> {
  const findings = new Findings();
  const stats: ScanStats = {
    calendly: { scope: "organization", events: 0, otherEventTypes: 0, pages: 0, inviteeLookups: 0, cancelledWithoutBooking: 0 },
    stripe: { paymentIntents: 0, refunds: 0, disputes: 0, checkoutLookups: 0, pages: 0, unmatched: 0, unmatchedSample: [], outsideWindow: 0, paymentIntentLookups: 0, rateLimitedRetries: 0 },
    database: { pendingScanned: 0, pages: 0, lookups: 0 },
    passMs: { calendly: 0, stripePayments: 0, stripeRefunds: 0, stripeDisputes: 0, stuck: 0 },
  };
  const timed = async (name: keyof ScanStats["passMs"], pass: () => Promise<void>): Promise<void> => {
    const t = performance.now();
    try {
      await pass();
    } finally {
      stats.passMs[name] = Math.round(performance.now() - t);
    }
  };
  const abort = new AbortController();
  const retry: RetryOptions = { sleep: src.sleep, onRetry: () => stats.stripe.rateLimitedRetries++ };
  const eventTypes = await linkedEventTypes(src.sql);
  const onProgress = opts.onProgress;
  const bookingsInWindow = onProgress ? await countWindowBookings(src.sql, opts.window) : 0;
  let bookingsChecked = 0;
  let phase: ScanProgress["phase"] = "providers";
  const progress = onProgress ? () => onProgress({ phase, bookingsInWindow, bookingsChecked, stats }) : () => {};

  const unmatched = (id: string) => {
    stats.stripe.unmatched++;
    if (stats.stripe.unmatchedSample.length < 10) stats.stripe.unmatchedSample.push(id);
  };

  async function calendlyPass(): Promise<void> {
    const owner = await calendlyOwner(src.calendly);
    stats.calendly.scope = owner.scope;
    const events = src.calendly.listScheduledEvents({
      ...owner.params,
      minStartTime: opts.window.since,
      ...(opts.window.until ? { maxStartTime: opts.window.until } : {}),
      sort: "start_time:asc",
      count: opts.pageSize,
    });
    for await (const page of batches(events, opts.pageSize)) {
      if (abort.signal.aborted) return;
      stats.calendly.pages++;
      stats.calendly.events += page.length;
      const ours = page.filter((e) => eventTypes.has(e.event_type));
      stats.calendly.otherEventTypes += page.length - ours.length;
      if (!ours.length) {
        progress();
        continue;
      }
      stats.database.lookups++;
      const bookings = await bookingsByEventUris(src.sql, ours.map((e) => e.uri));
      bookingsChecked += bookings.length;
      const byEvent = new Map<string, BookingRecord[]>();
      for (const b of bookings) (byEvent.get(b.calendlyEventUri!) ?? byEvent.set(b.calendlyEventUri!, []).get(b.calendlyEventUri!)!).push(b);
      for (const event of ours as CalendlyEventRecord[]) {
        const own = byEvent.get(event.uri) ?? [];
        let invitees = null;
        if (calendlyEventNeedsInvitees(event, own)) {
          stats.calendly.inviteeLookups++;
          invitees = [];
          for await (const inv of src.calendly.listEventInvitees(event.uri, { count: 100 })) invitees.push(inv);
        }
        const verdict = classifyCalendlyEvent(event, own, invitees);
        stats.calendly.cancelledWithoutBooking += verdict.cancelledWithoutBooking;
        for (const d of verdict.disagreements) findings.add(d);
      }
      progress();
    }
  }

  async function paymentsPass(): Promise<void> {
    const pages = stripePages(
      "GET /v1/payment_intents",
      (params) => src.stripe.paymentIntents.list(params),
      stripePaymentIntentItemSchema,
      { ...retry, pageSize: opts.pageSize, createdFrom: opts.stripeCreatedFrom, signal: abort.signal },
    );
    for await (const page of pages) {
      stats.stripe.pages++;
      stats.stripe.paymentIntents += page.length;
      progress();
      const paid = page.filter((p) => p.status === "succeeded") as PaymentRecord[];
      if (!paid.length) continue;
      stats.database.lookups++;
      const candidates = await bookingsForPayments(src.sql, paymentLookupKeys(paid));
      for (const pi of paid) {
        const v = classifyPayment(pi, bookingForPayment(pi, candidates), opts.window);
        if (v.kind === "disagreement") findings.add(v.disagreement);
        else if (v.kind === "unmatched") unmatched(pi.id);
        else if (v.kind === "outside_window") stats.stripe.outsideWindow++;
      }
    }
  }

  async function refundsPass(): Promise<void> {
    const pages = stripePages(
      "GET /v1/refunds",
      (params) => src.stripe.refunds.list(params),
      stripeRefundItemSchema,
      { ...retry, pageSize: opts.pageSize, createdFrom: opts.stripeCreatedFrom, signal: abort.signal },
    );
    for await (const page of pages) {
      stats.stripe.pages++;
      stats.stripe.refunds += page.length;
      progress();
      const done = (page as RefundRecord[]).filter((r) => r.status === "succeeded" && refundPaymentIntentId(r));
      if (!done.length) continue;
      stats.database.lookups++;
      const piIds = [...new Set(done.map((r) => refundPaymentIntentId(r)!))];
      const candidates = await bookingsForPayments(src.sql, { ids: [], inviteeUris: [], paymentIntentIds: piIds });
      for (const refund of done) {
        const piId = refundPaymentIntentId(refund)!;
        let booking = candidates.find((b) => b.stripePaymentIntentId === piId) ?? null;
        if (!booking) {
          // The booking did not record this payment (paid_not_recorded): its payment intent's metadata names it.
          stats.stripe.paymentIntentLookups++;
          const pi = stripePaymentIntentItemSchema.safeParse(await withStripeRetry(`GET /v1/payment_intents/${piId}`, () => src.stripe.paymentIntents.retrieve(piId), retry));
          if (pi.success) {
            stats.database.lookups++;
            booking = bookingForPayment(pi.data as PaymentRecord, await bookingsForPayments(src.sql, paymentLookupKeys([pi.data as PaymentRecord])));
          }
        }
        const v = classifyRefund(refund, booking, opts.window);
        if (v.kind === "disagreement") findings.add(v.disagreement);
        else if (v.kind === "unmatched") unmatched(refund.id);
        else if (v.kind === "outside_window") stats.stripe.outsideWindow++;
      }
    }
  }

  async function disputesPass(): Promise<void> {
    const pages = stripePages(
      "GET /v1/disputes",
      (params) => src.stripe.disputes.list(params),
      stripeDisputeItemSchema,
      { ...retry, pageSize: opts.pageSize, createdFrom: opts.stripeCreatedFrom, signal: abort.signal },
    );
    for await (const page of pages) {
      stats.stripe.pages++;
      stats.stripe.disputes += page.length;
      progress();
      const open = (page as DisputeRecord[]).filter((d) => OPEN_DISPUTE_STATUSES.includes(d.status) && refundPaymentIntentId(d));
      if (!open.length) continue;
      stats.database.lookups++;
      const candidates = await bookingsForPayments(src.sql, { ids: [], inviteeUris: [], paymentIntentIds: [...new Set(open.map((d) => refundPaymentIntentId(d)!))] });
      for (const dispute of open) {
        const booking = candidates.find((b) => b.stripePaymentIntentId === refundPaymentIntentId(dispute)) ?? null;
        const v = classifyDispute(dispute, booking, opts.window);
        if (v.kind === "disagreement") findings.add(v.disagreement);
        else if (v.kind === "unmatched") unmatched(dispute.id);
        else if (v.kind === "outside_window") stats.stripe.outsideWindow++;
      }
    }
  }

  /** A stuck booking's Checkout session, when it has one: an expired session is no slow payment. */
  async function checkoutOf(b: BookingRecord): Promise<CheckoutSessionRecord | null> {
    if (!b.stripeCheckoutSessionId) return null;
    stats.stripe.checkoutLookups++;
    const id = b.stripeCheckoutSessionId;
    const raw = await withStripeRetry(`GET /v1/checkout/sessions/${id}`, () => src.stripe.checkout.sessions.retrieve(id), retry).catch(() => null);
    const parsed = stripeCheckoutSessionItemSchema.safeParse(raw);
    return parsed.success ? (parsed.data as CheckoutSessionRecord) : null;
  }

  async function stuckPass(): Promise<void> {
    const cutoff = new Date(opts.now.getTime() - opts.stuckAfterMs);
    for await (const page of pendingBookingPages(src.sql, opts.window, cutoff, opts.pageSize)) {
      stats.database.pages++;
      stats.database.pendingScanned += page.length;
      progress();
      for (const b of page) {
        if (findings.hasBooking(b.id)) continue;
        const expired = classifyExpiredCheckout(b, await checkoutOf(b), opts.window);
        const d = expired ?? classifyStuck(b, opts.now, opts.stuckAfterMs, opts.window);
        if (d) findings.add(d);
      }
    }
  }

  const passes = [timed("calendly", calendlyPass), timed("stripePayments", paymentsPass), timed("stripeRefunds", refundsPass), timed("stripeDisputes", disputesPass)];
  try {
    await Promise.all(passes);
  } catch (err) {
    abort.abort();
    await Promise.allSettled(passes);
    throw err;
  }
  phase = "pending";
  progress();
  await timed("stuck", stuckPass);
  return { findings, stats };
}
