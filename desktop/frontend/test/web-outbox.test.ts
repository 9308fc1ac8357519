// The web host's outbox (src/web/outbox*.ts) keeps the desktop's promises
// (internal/outbox): stored before "queued", sent in compose order, each
// exactly once with its client id, refused items failed and kept, the
// network waited out, never sent under another identity, and one sender
// at a time across tabs. IndexedDB is fake-indexeddb here; the real one
// is proven in Chromium.
import "fake-indexeddb/auto";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import type { OutboxItem } from "../src/bridge";
import { appError } from "../src/web/errors";
import { tabLocks, type Locks } from "../src/web/locks";
import { Outbox, type Channel, type Deliver } from "../src/web/outbox";
import { OutboxDB } from "../src/web/outboxdb";
import { judge, keep, next, queued, refusal, released, retried, shape, waitingForSignIn, type Draft, type Identity } from "../src/web/outboxitem";

const me: Identity = { server: "https://t.example", user_id: "u1" };
const other: Identity = { server: "https://t.example", user_id: "u2" };
const draft = (body: string, over: Partial<Draft> = {}): Omit<Draft, "files"> => ({ identity: me, workspace_id: "w", conversation_id: "c1", kind: "reply", body, ...over });

describe("outbox rules", () => {
  it("refuses what Go's Draft.validate refuses", () => {
    const d = { ...draft("hi"), files: [] };
    expect(refusal(d)).toBe("");
    expect(refusal({ ...d, identity: { server: "", user_id: "u" } })).toContain("identity");
    expect(refusal({ ...d, conversation_id: "" })).toContain("conversation");
    expect(refusal({ ...d, body: "  " })).toBe("outbox: empty message");
    expect(refusal({ ...d, body: "", files: [{ client_id: "f", name: "a", size: 1 }] })).toBe("");
    expect(refusal({ ...d, kind: "note", files: [{ client_id: "f", name: "a", size: 1 }] })).toBe("outbox: notes carry no files");
    expect(refusal({ ...d, body: "é".repeat(8193) })).toContain("longer than 16384 bytes");
    expect(refusal({ ...d, body: "bad \ud800" })).toBe("outbox: message is not valid text");
  });

  it("shapes items as Go's JSON does (omitempty)", () => {
    const it = queued({ ...draft("hi"), mentions: [], whisper: false, files: [] }, "id1", 3, 1000);
    expect(it).toEqual({
      server: me.server, user_id: "u1", workspace_id: "w", conversation_id: "c1", kind: "reply", body: "hi",
      client_id: "id1", state: "queued", order: 3, create_time_ms: 1000, update_time_ms: 1000,
    });
    const note = queued({ ...draft("n", { kind: "note", mentions: ["u9"], whisper: true }), files: null }, "id2", 4, 1);
    expect(note.mentions).toEqual(["u9"]);
    expect(note.whisper).toBe(true);
    expect(shape({ ...it, reason: "", message_id: "" })).not.toHaveProperty("reason");
  });

  it("picks the identity's first queued item and moves states as Go does", () => {
    const a = queued({ ...draft("a"), files: [] }, "a", 2, 0);
    const b = queued({ ...draft("b"), files: [] }, "b", 1, 0);
    const theirs = queued({ ...draft("x", { identity: other }), files: [] }, "x", 0, 0);
    expect(next([a, b, theirs], me)?.client_id).toBe("b");
    expect(next([theirs], me)).toBeUndefined();
    const failed: OutboxItem = { ...a, state: "failed", reason: "Closed." };
    expect(retried(failed, 9, 5)).toMatchObject({ state: "queued", order: 9, update_time_ms: 5 });
    expect(retried(failed, 9, 5)).not.toHaveProperty("reason");
    expect(retried(a, 9, 5)).toBe(a);
    expect(released(a, "")).toBeNull();
    expect(released(a, "offline")?.reason).toBe("offline");
    expect(keep(undefined, false)).toBe("not_found");
    expect(keep(a, true)).toBe("in_flight");
    expect(keep({ ...a, state: "delivered" }, false)).toBe("final");
    expect(keep(failed, false)).toBeNull();
  });

  it("judges failures as outbox.Run does", () => {
    expect(judge("signed_out", 0)).toBe("signed_out");
    for (const k of ["offline", "timeout", "canceled"] as const) expect(judge(k, 0)).toBe("wait");
    expect(judge("internal", 4)).toBe("wait");
    expect(judge("internal", 5)).toBe("fail");
    for (const k of ["invalid", "forbidden", "not_found", "conflict"] as const) expect(judge(k, 0)).toBe("fail");
  });
});

let n = 0;
const opened: OutboxDB[] = [];
afterEach(() => {
  for (const db of opened.splice(0)) db.close();
});

async function setup(opts: { locks?: Locks; name?: string; channel?: Channel } = {}) {
  const name = opts.name ?? `outbox-test-${++n}`;
  const db = await OutboxDB.open(name);
  opened.push(db);
  const changes: OutboxItem[] = [];
  const ob = new Outbox({
    db, locks: opts.locks ?? tabLocks(), viewer: () => me, onChange: (it) => changes.push(it), channel: opts.channel ?? null,
    backoff: { min: 5, max: 20 },
  });
  return { db, ob, changes, name };
}

/** runUntil runs a sender until every item of me is final, then stops it. */
async function runUntil(ob: Outbox, db: OutboxDB, deliver: Deliver, valid = () => true) {
  const ctl = new AbortController();
  const run = ob.run(me, deliver, valid, ctl.signal);
  for (let i = 0; i < 400; i++) {
    const items = await db.list(me);
    if (items.every((x) => x.state !== "queued")) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  ctl.abort();
  return run;
}

describe("outbox", () => {
  it("stores an item before it says queued, and sends items in order, once each", async () => {
    const { db, ob, changes } = await setup();
    const a = await ob.enqueue(draft("first"), []);
    expect(await db.get(a.client_id)).toMatchObject({ state: "queued", body: "first" });
    const b = await ob.enqueue(draft("second", { kind: "note", mentions: ["u7"], whisper: true }), []);
    expect(b.order).toBe(a.order + 1);
    const sent: OutboxItem[] = [];
    expect(await runUntil(ob, db, async (it) => (sent.push(it), `m-${it.client_id}`))).toBe("stopped");
    expect(sent.map((s) => s.body)).toEqual(["first", "second"]);
    expect(sent[1]).toMatchObject({ kind: "note", mentions: ["u7"], whisper: true });
    const items = await ob.items(me);
    expect(items.map((i) => [i.state, i.message_id])).toEqual([
      ["delivered", `m-${a.client_id}`],
      ["delivered", `m-${b.client_id}`],
    ]);
    expect(changes.map((c) => c.state)).toEqual(["queued", "queued", "delivered", "delivered"]);
  });

  it("keeps files with the item until it is delivered", async () => {
    const { db, ob } = await setup();
    const it = await ob.enqueue(draft(""), [{ name: "../report.pdf", blob: new Blob(["%PDF"]) }]);
    expect(it.files).toEqual([{ client_id: it.files![0]!.client_id, name: "report.pdf", size: 4 }]);
    const fileId = it.files![0]!.client_id;
    expect(await (await db.blob(fileId))?.text()).toBe("%PDF");
    await runUntil(ob, db, async (x) => {
      expect(await db.blob(x.files![0]!.client_id)).toBeDefined();
      return "m1";
    });
    expect(await db.blob(fileId)).toBeUndefined();
    await expect(ob.enqueue(draft("big"), [{ name: "big.bin", blob: new Blob([new Uint8Array((10 << 20) + 1)]) }])).rejects.toMatchObject({
      kind: "invalid",
      message: "Files can be at most 10 MB each.",
    });
  });

  it("waits out the network with the same client id, and fails what the server refuses", async () => {
    const { db, ob } = await setup();
    const a = await ob.enqueue(draft("a"), []);
    const b = await ob.enqueue(draft("b"), []);
    const tries = new Map<string, number>();
    const ids: string[] = [];
    await runUntil(ob, db, async (it) => {
      ids.push(it.client_id);
      const t = (tries.get(it.body) ?? 0) + 1;
      tries.set(it.body, t);
      if (it.body === "a" && t < 3) throw new ConnectError("Failed to fetch", Code.Unknown, undefined, undefined, new TypeError("Failed to fetch"));
      if (it.body === "b") throw new ConnectError("this conversation is closed", Code.FailedPrecondition);
      return "m";
    });
    expect(ids.slice(0, 3)).toEqual([a.client_id, a.client_id, a.client_id]);
    expect(await db.get(a.client_id)).toMatchObject({ state: "delivered" });
    expect(await db.get(a.client_id)).not.toHaveProperty("reason");
    expect(await db.get(b.client_id)).toMatchObject({ state: "failed", reason: "This conversation is closed." });
    expect(tries.get("b")).toBe(1);

    // Retry queues it after everything; Discard takes it out.
    const c = await ob.enqueue(draft("c"), []);
    const again = await ob.retry(b.client_id, me);
    expect(again.order).toBeGreaterThan(c.order);
    expect(again).not.toHaveProperty("reason");
    await expect(ob.retry("nope", me)).rejects.toMatchObject({ kind: "not_found", message: "That message is no longer in the outbox." });
    await expect(ob.retry(b.client_id, other)).rejects.toMatchObject({ kind: "not_found" });
    const gone = await ob.discard(b.client_id, me);
    expect(gone).toMatchObject({ state: "discarded", body: "b" });
    expect(await db.get(b.client_id)).toBeUndefined();
    await expect(ob.discard(a.client_id, me)).rejects.toMatchObject({ kind: "conflict", message: "That message was already delivered." });
  });

  it("fails an item after five faults of the server", async () => {
    const { db, ob } = await setup();
    const a = await ob.enqueue(draft("a"), []);
    let tries = 0;
    await runUntil(ob, db, async () => {
      tries++;
      throw new ConnectError("internal error", Code.Internal);
    });
    expect(tries).toBe(5);
    expect(await db.get(a.client_id)).toMatchObject({ state: "failed", reason: "Something went wrong on the server. Try again in a moment." });
  });

  it("stops on a dead session and keeps the items for the same person", async () => {
    const { db, ob } = await setup();
    const a = await ob.enqueue(draft("a"), []);
    const end = await ob.run(me, async () => {
      throw new ConnectError("invalid or expired token", Code.Unauthenticated);
    }, () => true, new AbortController().signal);
    expect(end).toBe("signed_out");
    expect(await db.get(a.client_id)).toMatchObject({ state: "queued", reason: waitingForSignIn });
    // A refusal after another tab changed the cookie is not the item's fault either.
    const end2 = await ob.run(me, async () => {
      throw appError("forbidden", "A signed-in browser must send its session's CSRF token.");
    }, () => false, new AbortController().signal);
    expect(end2).toBe("signed_out");
    expect(await db.get(a.client_id)).toMatchObject({ state: "queued" });
  });

  it("never sends or shows another identity's items", async () => {
    const { db, ob, changes } = await setup();
    const theirs = await ob.enqueue(draft("theirs", { identity: other }), []);
    const mine = await ob.enqueue(draft("mine"), []);
    const sent: string[] = [];
    await runUntil(ob, db, async (it) => (sent.push(it.body), "m"));
    expect(sent).toEqual(["mine"]);
    expect((await ob.items(me)).map((i) => i.body)).toEqual(["mine"]);
    expect(await db.get(theirs.client_id)).toMatchObject({ state: "queued" });
    expect(changes.every((c) => c.user_id === me.user_id)).toBe(true);
    await expect(ob.discard(theirs.client_id, me)).rejects.toMatchObject({ kind: "not_found" });
    expect(mine.user_id).toBe("u1");
  });

  it("refuses to discard an item being sent", async () => {
    const { db, ob } = await setup();
    const a = await ob.enqueue(draft("a"), []);
    let release!: () => void;
    const inFlight = new Promise<void>((r) => (release = r));
    let started!: () => void;
    const sending = new Promise<void>((r) => (started = r));
    const ctl = new AbortController();
    const run = ob.run(me, async () => {
      started();
      await inFlight;
      return "m";
    }, () => true, ctl.signal);
    await sending;
    await expect(ob.discard(a.client_id, me)).rejects.toMatchObject({ kind: "conflict", message: "That message is being sent right now." });
    release();
    for (let i = 0; i < 100 && (await db.get(a.client_id))?.state === "queued"; i++) await new Promise((r) => setTimeout(r, 5));
    ctl.abort();
    await run;
    expect(await db.get(a.client_id)).toMatchObject({ state: "delivered" });
  });

  it("sends each item once with two tabs running, and tells each tab of the other's changes", async () => {
    const locks = tabLocks();
    const bc1 = new BroadcastChannel("outbox-test-tabs");
    const bc2 = new BroadcastChannel("outbox-test-tabs");
    const t1 = await setup({ locks, channel: bc1 as unknown as Channel });
    const t2 = await setup({ locks, name: t1.name, channel: bc2 as unknown as Channel });
    for (let i = 0; i < 6; i++) await (i % 2 ? t1 : t2).ob.enqueue(draft(`m${i}`), []);
    const sent: string[] = [];
    const deliver: Deliver = async (it) => {
      sent.push(it.body);
      await new Promise((r) => setTimeout(r, 2));
      return "m";
    };
    const ctl = new AbortController();
    const runs = [t1.ob.run(me, deliver, () => true, ctl.signal), t2.ob.run(me, deliver, () => true, ctl.signal)];
    for (let i = 0; i < 400 && (await t1.db.list(me)).some((x) => x.state === "queued"); i++) await new Promise((r) => setTimeout(r, 5));
    ctl.abort();
    expect(await Promise.all(runs)).toEqual(["stopped", "stopped"]);
    expect(sent).toEqual(["m0", "m1", "m2", "m3", "m4", "m5"]);
    await new Promise((r) => setTimeout(r, 20));
    // Each tab saw every item delivered, its own sends or the other's.
    for (const t of [t1, t2]) expect(new Set(t.changes.filter((c) => c.state === "delivered").map((c) => c.body)).size).toBe(6);
    bc1.close();
    bc2.close();
  });

  it("survives a reload, and sweeps what no waiting item needs", async () => {
    const { db, ob, name } = await setup();
    const b = await ob.enqueue(draft("b"), []);
    const a = await ob.enqueue(draft("", {}), [{ name: "a.txt", blob: new Blob(["A"]) }]);
    const ctl = new AbortController();
    const run = ob.run(me, async (it) => {
      if (it.client_id === b.client_id) return "m";
      throw new ConnectError("Failed to fetch", Code.Unavailable);
    }, () => true, ctl.signal);
    for (let i = 0; i < 100 && (await db.get(a.client_id))?.reason === undefined; i++) await new Promise((r) => setTimeout(r, 5));
    ctl.abort();
    expect(await run).toBe("stopped");
    db.close();
    const again = await OutboxDB.open(name);
    opened.push(again);
    expect((await again.list(me)).map((i) => [i.client_id, i.state])).toEqual([
      [b.client_id, "delivered"],
      [a.client_id, "queued"],
    ]);
    await again.sweep(Date.now() + 1);
    expect((await again.list(me)).map((i) => i.client_id)).toEqual([a.client_id]);
    expect(await (await again.blob(a.files![0]!.client_id))?.text()).toBe("A");
  });
});
