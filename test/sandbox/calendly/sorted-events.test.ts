import { describe, expect, it } from "vitest";
import { SortedEvents, decodeCursor, encodeCursor, type Cursor, type PageQuery } from "../../../src/sandbox/calendly/sorted-events.js";

interface Item {
  startMs: number;
  uri: string;
  status: "active" | "canceled";
}

const HOUR = 3_600_000;

function make(n: number, opts: { cancelEvery?: number; shuffle?: boolean } = {}): Item[] {
  const items = Array.from({ length: n }, (_, i) => ({
    startMs: i * HOUR,
    uri: `e${String(i).padStart(6, "0")}`,
    status: opts.cancelEvery && (i + 1) % opts.cancelEvery === 0 ? ("canceled" as const) : ("active" as const),
  }));
  if (opts.shuffle) items.reverse();
  return items;
}

/** Walks every page forward; returns the items and the cursors it used. */
function walk(store: SortedEvents<Item>, q: Omit<PageQuery<Item>, "cursor">) {
  const out: Item[] = [];
  let cursor: Cursor | undefined;
  let pages = 0;
  for (;;) {
    const page = store.page({ ...q, cursor });
    pages++;
    out.push(...page.items);
    const last = page.items[page.items.length - 1];
    if (!page.hasNext || !last) return { items: out, pages };
    cursor = { direction: "next", startMs: last.startMs, uri: last.uri };
  }
}

const all = () => true;

describe("SortedEvents", () => {
  it("lists in start order whatever the insertion order", () => {
    const store = new SortedEvents<Item>();
    for (const item of make(50, { shuffle: true })) store.insert(item);
    const { items, pages } = walk(store, { descending: false, filter: all, count: 20 });
    expect(pages).toBe(3);
    expect(items.map((i) => i.uri)).toEqual(make(50).map((i) => i.uri));
  });

  it("lists descending, with a window (min inclusive, max exclusive) and a filter", () => {
    const store = new SortedEvents<Item>();
    store.insertMany(make(100, { cancelEvery: 5 }));
    const { items } = walk(store, { descending: true, minStartMs: 10 * HOUR, maxStartMs: 30 * HOUR, filter: (i) => i.status === "active", count: 3 });
    const expected = make(100, { cancelEvery: 5 })
      .filter((i) => i.startMs >= 10 * HOUR && i.startMs < 30 * HOUR && i.status === "active")
      .reverse();
    expect(items.map((i) => i.uri)).toEqual(expected.map((i) => i.uri));
  });

  it("orders events at the same start time by uri, so no page repeats or skips one", () => {
    const store = new SortedEvents<Item>();
    store.insertMany(Array.from({ length: 25 }, (_, i) => ({ startMs: 0, uri: `same-${String(i).padStart(2, "0")}`, status: "active" as const })));
    const { items } = walk(store, { descending: false, filter: all, count: 4 });
    expect(new Set(items.map((i) => i.uri)).size).toBe(25);
    expect(items).toHaveLength(25);
  });

  it("goes back with a prev cursor to exactly the previous page, both ways", () => {
    for (const descending of [false, true]) {
      const store = new SortedEvents<Item>();
      store.insertMany(make(30));
      const first = store.page({ descending, filter: all, count: 10 });
      expect(first.hasPrev).toBe(false);
      const lastOfFirst = first.items[9]!;
      const second = store.page({ descending, filter: all, count: 10, cursor: { direction: "next", ...lastOfFirst } });
      expect(second.hasPrev).toBe(true);
      const back = store.page({ descending, filter: all, count: 10, cursor: { direction: "prev", ...second.items[0]! } });
      expect(back.items).toEqual(first.items);
      expect(back.hasPrev).toBe(false);
      expect(back.hasNext).toBe(true);
    }
  });

  it("keeps a cursor valid while events are added before it", () => {
    const store = new SortedEvents<Item>();
    store.insertMany(make(20));
    const first = store.page({ descending: false, filter: all, count: 10 });
    store.insert({ startMs: -HOUR, uri: "earlier", status: "active" });
    const second = store.page({ descending: false, filter: all, count: 10, cursor: { direction: "next", ...first.items[9]! } });
    expect(second.items.map((i) => i.uri)).toEqual(make(20).slice(10).map((i) => i.uri));
    expect(second.hasNext).toBe(false);
  });

  it("reports no next page when the filter matches nothing further", () => {
    const store = new SortedEvents<Item>();
    store.insertMany(make(30, { cancelEvery: 10 }));
    const page = store.page({ descending: false, filter: (i) => i.status === "canceled", count: 3 });
    expect(page.items.map((i) => i.uri)).toEqual(["e000009", "e000019", "e000029"]);
    expect(page.hasNext).toBe(false);
  });

  it("pages through 100k events with a sparse filter, every item exactly once", () => {
    const store = new SortedEvents<Item>();
    store.insertMany(make(100_000, { cancelEvery: 7 }));
    const active = walk(store, { descending: false, filter: (i) => i.status === "active", count: 100 });
    const canceled = walk(store, { descending: true, filter: (i) => i.status === "canceled", count: 100 });
    expect(active.items.length + canceled.items.length).toBe(100_000);
    expect(canceled.items).toHaveLength(Math.floor(100_000 / 7));
    expect(active.pages).toBe(Math.ceil(active.items.length / 100));
  });
});

describe("page cursors", () => {
  it("round-trip, and refuse anything else", () => {
    const c: Cursor = { direction: "prev", startMs: 1_900_000_000_000, uri: "https://api.calendly.com/scheduled_events/x" };
    expect(decodeCursor(encodeCursor(c))).toEqual(c);
    expect(decodeCursor("not-a-token")).toBeUndefined();
    expect(decodeCursor(Buffer.from('["x",1,"u"]').toString("base64url"))).toBeUndefined();
    expect(decodeCursor(Buffer.from('{"a":1}').toString("base64url"))).toBeUndefined();
  });
});
