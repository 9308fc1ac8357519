// What the web app keeps of the last inbox it saw (src/web/seen.ts): per
// person and workspace, bounded, and gone for that person (only) on
// sign-out.
import "fake-indexeddb/auto";
import { create } from "@bufbuild/protobuf";
import { MembershipSchema } from "@api/auth_pb.js";
import { ConversationSchema } from "@api/conversation_pb.js";
import { describe, expect, it } from "vitest";
import { keptConversations, keptViews, Seen } from "../src/web/seen";

let n = 0;
const shot = (ws: string, convs: number) => ({
  membership: create(MembershipSchema, { workspaceId: ws, workspaceName: ws.toUpperCase() }),
  memberships: [create(MembershipSchema, { workspaceId: ws })],
  members: [],
  groups: [],
  tags: [],
  conversations: Array.from({ length: convs }, (_, i) => create(ConversationSchema, { id: `${ws}-c${i}`, lastSeq: BigInt(i) })),
});
const view = (id: string) => ({ conversation: { id }, history: [], more: "" });

describe("seen", () => {
  it("keeps each person's workspaces apart, the hinted one or the latest, and at most keptConversations", async () => {
    const s = await Seen.open(`seen-unit-${++n}`);
    await s.putInbox("u1", shot("w1", 3));
    await new Promise((r) => setTimeout(r, 5));
    await s.putInbox("u1", shot("w2", keptConversations + 7));
    await s.putInbox("u2", shot("w9", 1));
    expect((await s.inbox("u1", "w1"))?.conversations.map((c) => c.id)).toEqual(["w1-c0", "w1-c1", "w1-c2"]);
    const latest = await s.inbox("u1", "gone");
    expect(latest?.membership.workspaceName).toBe("W2");
    expect(latest?.conversations.length).toBe(keptConversations);
    expect(latest?.conversations[1]?.lastSeq).toBe(1n);
    expect(await s.inbox("u3", "w1")).toBeNull();
    expect(await s.inbox("", "w1")).toBeNull();
  });

  it("keeps the last keptViews conversations opened, and forgets one person's everything", async () => {
    const s = await Seen.open(`seen-unit-${++n}`);
    for (let i = 0; i < keptViews + 5; i++) {
      await s.putView("u1", `c${i}`, view(`c${i}`));
      await new Promise((r) => setTimeout(r, 1));
    }
    await s.putView("u2", "c0", view("theirs"));
    expect(await s.view("u1", "c0")).toBeNull(); // the oldest went
    expect(await s.view("u1", `c${keptViews + 4}`)).toEqual(view(`c${keptViews + 4}`));
    expect(await s.view("u1", "c5")).toEqual(view("c5"));
    await s.putInbox("u1", shot("w1", 1));
    await s.forget("u1");
    expect(await s.view("u1", "c5")).toBeNull();
    expect(await s.inbox("u1", "w1")).toBeNull();
    expect(await s.view("u2", "c0")).toEqual(view("theirs"));
  });
});
