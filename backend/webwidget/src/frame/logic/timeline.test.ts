import { describe, expect, test } from "vitest";
import { Timeline, type ServerRow } from "./timeline";

const msg = (id: string, seq: number, over: Partial<ServerRow> = {}): ServerRow => ({
  id, clientId: `c-${id}`, seq, activity: "", author: "agent", authorName: "Alex", body: `body ${id}`, createdAt: seq,
  attachments: [], citations: [], ...over,
});

describe("Timeline", () => {
  test("dedupes by id: a message seen in history and again on the stream shows once", () => {
    const t = new Timeline();
    expect(t.upsert(msg("a", 1))).toBe(true);
    expect(t.upsert(msg("a", 1))).toBe(false);
    expect(t.list()).toHaveLength(1);
  });

  test("orders by seq whatever the arrival order, pending last", () => {
    const t = new Timeline();
    t.addPending("p1", "typed offline", "You", 5);
    t.upsert(msg("b", 7));
    t.upsert(msg("a", 3));
    expect(t.list().map((r) => r.key)).toEqual(["c-a", "c-b", "p1"]);
  });

  test("a pending message becomes the server's copy in place (same client id)", () => {
    const t = new Timeline();
    t.addPending("p1", "hello", "You", 1, "queued");
    expect(t.list()[0].delivery).toBe("queued");
    t.upsert(msg("m1", 4, { clientId: "p1", author: "customer", body: "hello" }));
    const rows = t.list();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ key: "p1", id: "m1", seq: 4, delivery: "sent" });
    // The stream echo changes nothing.
    expect(t.upsert(msg("m1", 4, { clientId: "p1", author: "customer", body: "hello" }))).toBe(false);
    expect(t.list()).toHaveLength(1);
  });

  test("confirm matches a server copy with another client id", () => {
    const t = new Timeline();
    t.addPending("p1", "first", "You", 1);
    t.confirm("p1", msg("m1", 2, { clientId: "derived", author: "customer", body: "first" }));
    t.upsert(msg("m1", 2, { clientId: "derived", author: "customer", body: "first" }));
    expect(t.list()).toHaveLength(1);
    expect(t.list()[0]).toMatchObject({ key: "p1", id: "m1" });
  });

  test("setDelivery marks pending rows only", () => {
    const t = new Timeline();
    t.addPending("p1", "x", "You", 1);
    t.setDelivery("p1", "failed", "nope");
    expect(t.list()[0]).toMatchObject({ delivery: "failed", error: "nope" });
    t.upsert(msg("m", 1, { clientId: "p1", author: "customer" }));
    t.setDelivery("p1", "queued");
    expect(t.list()[0].delivery).toBe("sent");
  });
});
