import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, test } from "vitest";
import { Outbox, type OutboxItem } from "./outbox";
import { maxBodyBytes, retryAfterMs, Sender, tooLong } from "./send";
import { strings } from "./strings";
import { memory } from "./testing";
import { Timeline } from "./timeline";

/** rig is a Sender over a scripted deliver that confirms what it is given, as the server would. */
function rig(opts: { online?: boolean } = {}) {
  const kv = memory();
  const outbox = new Outbox(kv, "box");
  const timeline = new Timeline();
  const delivered: OutboxItem[] = [];
  const later: { ms: number; fn: () => void }[] = [];
  let fail: Code | null = null;
  let ids = 0;
  let seq = 0;
  let changed = 0;
  const sender = new Sender(outbox, timeline, {
    deliver: async (item) => {
      delivered.push(item);
      if (fail !== null) throw new ConnectError("scripted", fail);
      timeline.confirm(item.clientId, {
        id: `m${++seq}`, clientId: item.clientId, seq, activity: "", author: "customer", authorName: "", body: item.body,
        createdAt: item.createdAt, attachments: [], citations: [],
      });
    },
    changed: () => changed++,
    later: (fn, ms) => later.push({ fn, ms }),
    online: () => opts.online ?? true,
    newId: () => `cid${++ids}`,
    now: () => 1000 + ids,
  });
  const states = () => timeline.list().map((r) => `${r.clientId}:${r.delivery}${r.error ? ` (${r.error})` : ""}`);
  return {
    kv, outbox, timeline, sender, delivered, later, states,
    failWith: (c: Code | null) => (fail = c),
    changes: () => changed,
  };
}

describe("Sender", () => {
  test("the first message without a conversation starts one; each gets its own client id; blank ones are ignored", () => {
    const { sender, outbox, states } = rig();
    expect(sender.queue("   ", "")).toBeNull();
    const a = sender.queue(" hello ", "");
    const b = sender.queue("more", "");
    expect(a).toMatchObject({ clientId: "cid1", conversationId: "", body: "hello", starts: true });
    expect(b).toMatchObject({ clientId: "cid2", conversationId: "", starts: false });
    expect(sender.queue("in a chat", "c1")).toMatchObject({ conversationId: "c1", starts: false });
    expect(outbox.items().map((i) => i.clientId)).toEqual(["cid1", "cid2", "cid3"]);
    expect(states()).toEqual(["cid1:sending", "cid2:sending", "cid3:sending"]);
  });

  test("offline, messages show as queued", () => {
    const { sender, states } = rig({ online: false });
    sender.queue("hi", "");
    expect(states()).toEqual(["cid1:queued"]);
  });

  test("flush delivers in order and the rows turn sent; the outbox empties", async () => {
    const { sender, delivered, states, kv, changes } = rig();
    sender.queue("one", "");
    sender.queue("two", "");
    await sender.flush();
    expect(delivered.map((i) => i.clientId)).toEqual(["cid1", "cid2"]);
    expect(states()).toEqual(["cid1:sent", "cid2:sent"]);
    expect(kv.data.size).toBe(0);
    expect(changes()).toBe(3); // each delivery, then the end
  });

  test("a retryable failure keeps the rest queued and tries again later with the same client ids", async () => {
    const { sender, delivered, later, states, failWith, outbox } = rig();
    sender.queue("one", "c1");
    sender.queue("two", "c1");
    failWith(Code.Unavailable);
    await sender.flush();
    expect(states()).toEqual(["cid1:queued", "cid2:queued"]);
    expect(outbox.items()).toHaveLength(2);
    expect(later.map((l) => l.ms)).toEqual([retryAfterMs]);
    failWith(null);
    later[0].fn();
    await sender.flush(); // a flush already running: this one does nothing, the outbox's shared flush finishes
    await new Promise<void>((r) => setTimeout(r, 0));
    expect(delivered.map((i) => i.clientId)).toEqual(["cid1", "cid1", "cid2"]);
    expect(states()).toEqual(["cid1:sent", "cid2:sent"]);
    expect(outbox.items()).toEqual([]);
  });

  test("a permanent failure marks that message failed with the reason; retry sends it again with its client id", async () => {
    const { sender, delivered, later, states, failWith, timeline } = rig();
    sender.queue("bad", "c1");
    failWith(Code.InvalidArgument);
    await sender.flush();
    expect(states()).toEqual([`cid1:failed (${strings.error.invalid})`]);
    expect(later).toEqual([]);
    failWith(null);
    sender.retry(timeline.list()[0], "c1");
    await new Promise<void>((r) => setTimeout(r, 0));
    expect(delivered.map((i) => i.clientId)).toEqual(["cid1", "cid1"]);
    expect(states()).toEqual(["cid1:sent"]);
  });

  test("messages queued on an earlier page load show as waiting, and get the conversation the first one started", () => {
    const first = rig();
    first.sender.queue("typed offline", "");
    const kv = first.kv;
    const outbox = new Outbox(kv, "box");
    const timeline = new Timeline();
    const sender = new Sender(outbox, timeline, { deliver: async () => {}, changed: () => {} });
    sender.restore();
    expect(timeline.list().map((r) => [r.body, r.delivery])).toEqual([["typed offline", "queued"]]);
    sender.setConversation("c9");
    expect(outbox.items()[0]).toMatchObject({ conversationId: "c9", starts: true });
  });
});

describe("tooLong", () => {
  test("counts UTF-8 bytes, as the server does, not the composer's UTF-16 units", () => {
    expect(tooLong("a".repeat(maxBodyBytes))).toBe(false);
    expect(tooLong("a".repeat(maxBodyBytes + 1))).toBe(true);
    // 5,461 Chinese characters are 16,383 bytes; one more is over.
    expect(tooLong("好".repeat(5461))).toBe(false);
    expect(tooLong("好".repeat(5462))).toBe(true);
    // 4,096 emoji are 16,384 bytes (and 8,192 UTF-16 units, far under the composer's 16,000).
    expect(tooLong("😀".repeat(4096))).toBe(false);
    expect(tooLong("😀".repeat(4097))).toBe(true);
    // What is trimmed off is not sent, so it does not count.
    expect(tooLong(` ${"a".repeat(maxBodyBytes)}\n`)).toBe(false);
  });
});
