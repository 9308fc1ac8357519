import { describe, expect, test } from "vitest";
import { Outbox, type KV } from "./outbox";

function memory(): KV & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return { data, getItem: (k) => data.get(k) ?? null, setItem: (k, v) => void data.set(k, v), removeItem: (k) => void data.delete(k) };
}

const item = (id: string, body = id) => ({ clientId: id, conversationId: "c1", body, createdAt: 1 });

describe("Outbox", () => {
  test("keeps items across instances (page loads) and ignores repeats", () => {
    const kv = memory();
    const a = new Outbox(kv, "k");
    a.add(item("1"));
    a.add(item("1", "other"));
    a.add(item("2"));
    expect(new Outbox(kv, "k").items().map((i) => i.body)).toEqual(["1", "2"]);
  });

  test("sends in order with the same client ids; a retryable error stops and keeps the rest", async () => {
    const kv = memory();
    const box = new Outbox(kv, "k");
    box.add(item("1"));
    box.add(item("2"));
    box.add(item("3"));
    const sent: string[] = [];
    let fail = true;
    const send = async (i: { clientId: string }) => {
      if (i.clientId === "2" && fail) throw new Error("offline");
      sent.push(i.clientId);
    };
    const first = await box.flush(send, () => "retry");
    expect(first).toEqual({ sent: ["1"], dropped: [], blocked: true });
    expect(box.items().map((i) => i.clientId)).toEqual(["2", "3"]);
    fail = false;
    const second = await box.flush(send, () => "retry");
    expect(second.sent).toEqual(["2", "3"]);
    expect(sent).toEqual(["1", "2", "3"]);
    expect(kv.data.size).toBe(0);
  });

  test("a permanent error drops only that item", async () => {
    const box = new Outbox(memory(), "k");
    box.add(item("1"));
    box.add(item("2"));
    const res = await box.flush(async (i) => {
      if (i.clientId === "1") throw new Error("invalid");
    }, () => "drop");
    expect(res.sent).toEqual(["2"]);
    expect(res.dropped.map((d) => d.clientId)).toEqual(["1"]);
    expect(box.items()).toEqual([]);
  });

  test("concurrent flushes send each item once", async () => {
    const box = new Outbox(memory(), "k");
    box.add(item("1"));
    box.add(item("2"));
    let calls = 0;
    const send = async () => {
      calls++;
      await new Promise((r) => setTimeout(r, 5));
    };
    await Promise.all([box.flush(send, () => "retry"), box.flush(send, () => "retry")]);
    expect(calls).toBe(2);
  });

  test("setConversation fills in items that started the conversation", () => {
    const box = new Outbox(memory(), "k");
    box.add({ clientId: "1", conversationId: "", body: "hi", createdAt: 1, starts: true });
    box.setConversation("c9");
    expect(box.items()[0]).toMatchObject({ conversationId: "c9", starts: true });
  });

  test("survives garbage in storage", () => {
    const kv = memory();
    kv.setItem("k", "{not json");
    expect(new Outbox(kv, "k").items()).toEqual([]);
  });
});
