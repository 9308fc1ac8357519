// The web host's live inbox carries the unread marker as the desktop's
// does (internal/inbox/inbox_test.go).
import { create } from "@bufbuild/protobuf";
import { ConversationSchema, ConversationState, EventSchema, MessageSchema, type Conversation, type Event } from "@api/conversation_pb.js";
import { describe, expect, it } from "vitest";
import { Inbox } from "../src/web/inbox";

const conv = (id: string, seq: number, active: number, unread: boolean): Conversation =>
  create(ConversationSchema, { id, lastSeq: BigInt(seq), lastActivityTimeMs: BigInt(active), unread, state: ConversationState.PENDING });
type EventInit = Partial<Omit<Event, "$typeName" | "seq">> & { msg?: number };
const ev = (e: EventInit): Event => {
  const { msg, ...rest } = e;
  return create(EventSchema, { ...rest, message: msg === undefined ? undefined : create(MessageSchema, { seq: BigInt(msg) }) });
};

describe("web inbox", () => {
  it("carries the unread marker across events", () => {
    const b = new Inbox("me");
    b.reset([conv("a", 5, 100, false), conv("b", 7, 200, true)]);
    const steps: [string, Event, boolean][] = [
      ["customer writes", ev({ type: "message.created", conversationId: "a", actorId: "cust", conversation: conv("a", 6, 110, false), msg: 6 }), true],
      ["priority change keeps it", ev({ type: "conversation.priority_changed", conversationId: "a", actorId: "other", conversation: conv("a", 6, 120, false) }), true],
      ["read up to an older seq", ev({ type: "conversation.read", conversationId: "a", actorId: "me", data: { seq: "5" } }), true],
      ["read to the end", ev({ type: "conversation.read", conversationId: "a", actorId: "me", data: { seq: "6" } }), false],
      ["a teammate's note", ev({ type: "note.created", conversationId: "a", actorId: "mate", conversation: conv("a", 7, 130, false), msg: 7 }), true],
      ["my reply", ev({ type: "message.created", conversationId: "a", actorId: "me", conversation: conv("a", 8, 140, false), msg: 8 }), false],
      ["someone else's read", ev({ type: "conversation.read", conversationId: "a", actorId: "mate", data: { seq: "8" } }), false],
    ];
    for (const [name, e, unread] of steps) {
      b.apply(e);
      expect(b.get("a")?.unread, name).toBe(unread);
    }
    expect(b.get("b")?.unread).toBe(true);
  });

  it("adds new conversations and lists the newest first", () => {
    const b = new Inbox("me");
    b.reset([conv("a", 5, 100, false)]);
    const got = b.apply(ev({ type: "message.created", conversationId: "n", actorId: "cust", conversation: conv("n", 9, 300, false), msg: 9 }));
    expect(got?.unread).toBe(true);
    expect(b.list().map((c) => c.id)).toEqual(["n", "a"]);
    expect(b.apply(ev({ type: "typing", conversationId: "a" }))).toBeUndefined();
  });

  it("ignores stale copies a call returned", () => {
    const b = new Inbox("me");
    b.apply(ev({ type: "message.created", conversationId: "a", actorId: "cust", conversation: conv("a", 9, 300, false), msg: 9 }));
    const got = b.upsert(conv("a", 8, 200, false), false);
    expect(got.lastSeq).toBe(9n);
    expect(got.unread).toBe(true);
    b.markRead("a");
    expect(b.get("a")?.unread).toBe(false);
  });

  it("hands out copies", () => {
    const b = new Inbox("me");
    b.reset([conv("a", 1, 1, true)]);
    b.get("a")!.unread = false;
    b.list()[0]!.unread = false;
    expect(b.get("a")?.unread).toBe(true);
  });
});
