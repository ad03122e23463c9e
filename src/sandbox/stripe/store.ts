/**
 * In-memory stores for the Stripe emulator: ids in Stripe's style, and an
 * ordered collection with Stripe's list semantics (newest first, `limit`,
 * `starting_after`, `ending_before`, `created[gte|gt|lte|lt]`).
 *
 * Objects are kept sorted by `created` (ties in insertion order) with an
 * id → position index, so a page costs O(log n + page size) even with 100k
 * objects; only filters that reject most objects make a page scan further.
 */
import { randomBytes } from "node:crypto";

const ALPHABET = Buffer.from("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", "latin1");
let pool = Buffer.alloc(0);
let poolAt = 0;
const scratch = Buffer.alloc(256);

/** `length` (at most 256) random base62 characters, from a pooled random buffer: cheap enough for bulk seeding. */
export function randomToken(length: number): string {
  let n = 0;
  while (n < length) {
    if (poolAt >= pool.length) {
      pool = randomBytes(8192);
      poolAt = 0;
    }
    const byte = pool[poolAt++]!;
    // 248 = 62 * 4: reject the tail so every character is equally likely.
    if (byte < 248) scratch[n++] = ALPHABET[byte % 62]!;
  }
  // One flat string (not a rope of one-character concatenations): ids are hashed as Map keys.
  return scratch.toString("latin1", 0, length);
}

/** A Stripe-style id: `cs_test_a1B2…` for test-mode checkout sessions, `pi_3Q…` for the rest. */
export function stripeId(prefix: string, livemode: boolean, length = 24): string {
  const mode = prefix === "cs" ? (livemode ? "live_" : "test_") : "";
  return `${prefix}_${mode}${randomToken(length)}`;
}

export interface Listable {
  id: string;
  created: number;
}

export interface ListQuery<T> {
  limit: number;
  startingAfter?: string | undefined;
  endingBefore?: string | undefined;
  /** Inclusive bounds on `created` (unix seconds). */
  createdFrom?: number | undefined;
  createdTo?: number | undefined;
  filter?: ((item: T) => boolean) | undefined;
}

export type ListResult<T> = { data: T[]; hasMore: boolean } | { missingCursor: "starting_after" | "ending_before"; id: string };

export class OrderedStore<T extends Listable> {
  private items: T[] = [];
  private positions = new Map<string, number>();

  get size(): number {
    return this.items.length;
  }

  get(id: string): T | undefined {
    const at = this.positions.get(id);
    return at === undefined ? undefined : this.items[at];
  }

  has(id: string): boolean {
    return this.positions.has(id);
  }

  /** Oldest first. */
  values(): readonly T[] {
    return this.items;
  }

  add(item: T): T {
    if (this.positions.has(item.id)) throw new Error(`duplicate id ${item.id}`);
    const last = this.items[this.items.length - 1];
    if (!last || last.created <= item.created) {
      this.positions.set(item.id, this.items.length);
      this.items.push(item);
      return item;
    }
    // Out of order (a clock moved back): insert after every object created at or before it.
    const at = this.upperBound(item.created);
    this.items.splice(at, 0, item);
    this.reindexFrom(at);
    return item;
  }

  /** Adds many at once: one sort and re-index when they do not simply extend the order (bulk seeding). */
  addMany(items: readonly T[]): void {
    if (items.length === 0) return;
    for (const item of items) if (this.positions.has(item.id)) throw new Error(`duplicate id ${item.id}`);
    let ordered = true;
    let previous = this.items[this.items.length - 1]?.created ?? -Infinity;
    for (const item of items) {
      if (item.created < previous) {
        ordered = false;
        break;
      }
      previous = item.created;
    }
    const from = this.items.length;
    for (const item of items) this.items.push(item);
    if (ordered) {
      this.reindexFrom(from);
      return;
    }
    // Array.prototype.sort is stable: ties keep insertion order.
    this.items.sort((a, b) => a.created - b.created);
    this.reindexFrom(0);
  }

  delete(id: string): T | undefined {
    const at = this.positions.get(id);
    if (at === undefined) return undefined;
    const [removed] = this.items.splice(at, 1);
    this.positions.delete(id);
    this.reindexFrom(at);
    return removed;
  }

  /** Stripe's list semantics; data is newest first. */
  list(query: ListQuery<T>): ListResult<T> {
    const lo = query.createdFrom === undefined ? 0 : this.lowerBound(query.createdFrom);
    const hi = query.createdTo === undefined ? this.items.length : this.upperBound(query.createdTo);
    const matches = query.filter ?? (() => true);
    const data: T[] = [];

    if (query.endingBefore !== undefined) {
      const cursor = this.positions.get(query.endingBefore);
      if (cursor === undefined) return { missingCursor: "ending_before", id: query.endingBefore };
      // The `limit` objects just newer than the cursor, returned newest first.
      let i = Math.max(cursor + 1, lo);
      for (; i < hi && data.length < query.limit; i++) if (matches(this.items[i]!)) data.push(this.items[i]!);
      let hasMore = false;
      for (; i < hi; i++) {
        if (matches(this.items[i]!)) {
          hasMore = true;
          break;
        }
      }
      return { data: data.reverse(), hasMore };
    }

    let start = hi - 1;
    if (query.startingAfter !== undefined) {
      const cursor = this.positions.get(query.startingAfter);
      if (cursor === undefined) return { missingCursor: "starting_after", id: query.startingAfter };
      start = Math.min(start, cursor - 1);
    }
    let i = start;
    for (; i >= lo && data.length < query.limit; i--) if (matches(this.items[i]!)) data.push(this.items[i]!);
    let hasMore = false;
    for (; i >= lo; i--) {
      if (matches(this.items[i]!)) {
        hasMore = true;
        break;
      }
    }
    return { data, hasMore };
  }

  /** First position whose created >= t. */
  private lowerBound(t: number): number {
    let a = 0;
    let b = this.items.length;
    while (a < b) {
      const m = (a + b) >>> 1;
      if (this.items[m]!.created < t) a = m + 1;
      else b = m;
    }
    return a;
  }

  /** First position whose created > t. */
  private upperBound(t: number): number {
    let a = 0;
    let b = this.items.length;
    while (a < b) {
      const m = (a + b) >>> 1;
      if (this.items[m]!.created <= t) a = m + 1;
      else b = m;
    }
    return a;
  }

  private reindexFrom(at: number): void {
    for (let i = at; i < this.items.length; i++) this.positions.set(this.items[i]!.id, i);
  }
}
