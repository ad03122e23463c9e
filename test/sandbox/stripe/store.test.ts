import { describe, expect, it } from "vitest";
import { OrderedStore, randomToken, stripeId } from "../../../src/sandbox/stripe/store.js";

interface Item {
  id: string;
  created: number;
}

function storeOf(createds: number[]): OrderedStore<Item> {
  const store = new OrderedStore<Item>();
  createds.forEach((created, i) => store.add({ id: `it_${i}`, created }));
  return store;
}

const ids = (result: ReturnType<OrderedStore<Item>["list"]>) => ("data" in result ? result.data.map((x) => x.id) : result);

describe("OrderedStore (Stripe list semantics)", () => {
  it("lists newest first, ties in reverse insertion order, with has_more", () => {
    const store = storeOf([10, 20, 20, 30]);
    expect(store.list({ limit: 3 })).toEqual({ data: [{ id: "it_3", created: 30 }, { id: "it_2", created: 20 }, { id: "it_1", created: 20 }], hasMore: true });
    expect(ids(store.list({ limit: 3, startingAfter: "it_1" }))).toEqual(["it_0"]);
    expect(store.list({ limit: 3, startingAfter: "it_1" })).toMatchObject({ hasMore: false });
  });

  it("keeps order when objects arrive out of order (a clock moved back) and after deletes", () => {
    const store = storeOf([10, 30]);
    store.add({ id: "late", created: 20 });
    store.addMany([{ id: "bulk_a", created: 5 }, { id: "bulk_b", created: 40 }]);
    expect(ids(store.list({ limit: 10 }))).toEqual(["bulk_b", "it_1", "late", "it_0", "bulk_a"]);
    expect(store.delete("late")?.id).toBe("late");
    expect(ids(store.list({ limit: 10, startingAfter: "it_1" }))).toEqual(["it_0", "bulk_a"]);
    expect(store.get("bulk_a")).toEqual({ id: "bulk_a", created: 5 });
    expect(store.size).toBe(4);
  });

  it("applies inclusive created bounds, filters, and ending_before (the page just newer than the cursor)", () => {
    const store = storeOf([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(ids(store.list({ limit: 10, createdFrom: 3, createdTo: 6 }))).toEqual(["it_5", "it_4", "it_3", "it_2"]);
    expect(ids(store.list({ limit: 10, filter: (x) => x.created % 2 === 0 }))).toEqual(["it_7", "it_5", "it_3", "it_1"]);
    expect(store.list({ limit: 2, endingBefore: "it_2" })).toEqual({ data: [{ id: "it_4", created: 5 }, { id: "it_3", created: 4 }], hasMore: true });
    expect(store.list({ limit: 2, endingBefore: "it_6" })).toEqual({ data: [{ id: "it_7", created: 8 }], hasMore: false });
    expect(store.list({ limit: 2, startingAfter: "nope" })).toEqual({ missingCursor: "starting_after", id: "nope" });
  });

  it("makes Stripe-style ids", () => {
    expect(stripeId("cs", false)).toMatch(/^cs_test_[0-9A-Za-z]{24}$/);
    expect(stripeId("cs", true)).toMatch(/^cs_live_/);
    expect(stripeId("pi", false)).toMatch(/^pi_[0-9A-Za-z]{24}$/);
    const many = new Set(Array.from({ length: 2_000 }, () => randomToken(12)));
    expect(many.size).toBe(2_000);
  });
});
