/**
 * Scheduled events kept sorted by (start time, uri), so listing a time window
 * in either order is a binary search plus a scan of the page, and paging uses
 * cursors (the last item's key) that stay valid while events are added.
 * Built for the 100k-event reconcile benchmark: no O(n²) anywhere.
 */

export interface SortKey {
  startMs: number;
  uri: string;
}

export type Cursor = SortKey & { direction: "next" | "prev" };

export interface PageQuery<T> {
  /** Inclusive lower bound on start time. */
  minStartMs?: number | undefined;
  /** Exclusive upper bound on start time. */
  maxStartMs?: number | undefined;
  descending: boolean;
  filter: (item: T) => boolean;
  count: number;
  cursor?: Cursor | undefined;
}

export interface Page<T> {
  items: T[];
  hasNext: boolean;
  hasPrev: boolean;
}

export function compareKeys(a: SortKey, b: SortKey): number {
  if (a.startMs !== b.startMs) return a.startMs - b.startMs;
  return a.uri < b.uri ? -1 : a.uri > b.uri ? 1 : 0;
}

export class SortedEvents<T extends SortKey> {
  private items: T[] = [];

  get size(): number {
    return this.items.length;
  }

  /** First index whose item satisfies `before(item) === false` (items are partitioned by `before`). */
  private partition(before: (item: T) => boolean): number {
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (before(this.items[mid]!)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private lowerBound(key: SortKey): number {
    return this.partition((item) => compareKeys(item, key) < 0);
  }

  private upperBound(key: SortKey): number {
    return this.partition((item) => compareKeys(item, key) <= 0);
  }

  private firstAtOrAfter(ms: number): number {
    return this.partition((item) => item.startMs < ms);
  }

  insert(item: T): void {
    this.items.splice(this.upperBound(item), 0, item);
  }

  /** Adds many at once: one sort, O((n + m) log(n + m)). */
  insertMany(items: T[]): void {
    for (const item of items) this.items.push(item);
    this.items.sort(compareKeys);
  }

  page(q: PageQuery<T>): Page<T> {
    const lo = q.minStartMs === undefined ? 0 : this.firstAtOrAfter(q.minStartMs);
    const hi = Math.max(lo, q.maxStartMs === undefined ? this.items.length : this.firstAtOrAfter(q.maxStartMs));
    const total = hi - lo;
    // Position p (0 ≤ p < total) in listing order ↦ array index.
    const at = (p: number): T => this.items[q.descending ? hi - 1 - p : lo + p]!;
    const clamp = (p: number) => Math.min(total, Math.max(0, p));
    const matchBefore = (end: number): boolean => {
      for (let p = end - 1; p >= 0; p--) if (q.filter(at(p))) return true;
      return false;
    };
    const matchFrom = (start: number): boolean => {
      for (let p = start; p < total; p++) if (q.filter(at(p))) return true;
      return false;
    };

    if (q.cursor?.direction === "prev") {
      // Items strictly before the cursor item in listing order, the nearest `count` of them.
      const end = clamp(q.descending ? hi - this.upperBound(q.cursor) : this.lowerBound(q.cursor) - lo);
      const items: T[] = [];
      let first = end;
      for (let p = end - 1; p >= 0 && items.length < q.count; p--) {
        const item = at(p);
        if (q.filter(item)) {
          items.push(item);
          first = p;
        }
      }
      items.reverse();
      return { items, hasPrev: matchBefore(first), hasNext: matchFrom(end) };
    }

    const start = q.cursor ? clamp(q.descending ? hi - this.lowerBound(q.cursor) : this.upperBound(q.cursor) - lo) : 0;
    const items: T[] = [];
    let last = start - 1;
    for (let p = start; p < total && items.length < q.count; p++) {
      const item = at(p);
      if (q.filter(item)) {
        items.push(item);
        last = p;
      }
    }
    const hasNext = items.length === q.count && matchFrom(last + 1);
    return { items, hasNext, hasPrev: matchBefore(start) };
  }
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.direction === "next" ? "n" : "p", c.startMs, c.uri]), "utf8").toString("base64url");
}

export function decodeCursor(token: string): Cursor | undefined {
  try {
    const v: unknown = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
    if (!Array.isArray(v) || v.length !== 3) return undefined;
    const [d, ms, uri] = v as unknown[];
    if ((d !== "n" && d !== "p") || typeof ms !== "number" || !Number.isFinite(ms) || typeof uri !== "string") return undefined;
    return { direction: d === "n" ? "next" : "prev", startMs: ms, uri };
  } catch {
    return undefined;
  }
}
