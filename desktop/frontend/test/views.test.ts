import { describe, expect, it } from "vitest";
import { ConversationState as S, Priority as P } from "../src/api";
import { compare, counts, inView, list, neighbour, type ViewId } from "../src/logic/views";
import { overview } from "../src/logic/overview";
import { conv } from "./fixtures";

const me = "me";
const all = [
  conv({ id: "mine", state: S.ACTIVE, assigneeUserId: me, lastActivityTimeMs: 50n, unread: true }),
  conv({ id: "joined", state: S.ACTIVE, assigneeUserId: "mate", participantUserIds: [me], lastActivityTimeMs: 40n }),
  conv({ id: "mate", state: S.ACTIVE, assigneeUserId: "mate", lastActivityTimeMs: 60n }),
  conv({ id: "q-old", state: S.PENDING, lastMessageTimeMs: 10n, priority: P.NONE, groupId: "support", lastActivityTimeMs: 10n }),
  conv({ id: "q-new", state: S.PENDING, lastMessageTimeMs: 30n, priority: P.NONE, tagIds: ["vip"], lastActivityTimeMs: 30n, unread: true }),
  conv({ id: "q-urgent", state: S.PENDING, lastMessageTimeMs: 35n, priority: P.URGENT, lastActivityTimeMs: 35n }),
  conv({ id: "snoozed", state: S.SNOOZED, lastActivityTimeMs: 5n }),
  conv({ id: "bot", state: S.BOT, lastActivityTimeMs: 70n, tagIds: ["vip"] }),
  conv({ id: "done", state: S.CLOSED, assigneeUserId: me, closeTimeMs: 90n, groupId: "support", tagIds: ["vip"] }),
  conv({ id: "spam", state: S.SPAM, lastActivityTimeMs: 95n, groupId: "support", tagIds: ["vip"], unread: true }),
];
const ids = (v: ViewId) => list(all, v, me).map((c) => c.id);

describe("views", () => {
  it("selects each view's conversations", () => {
    expect(ids("mine")).toEqual(["mine", "joined"]);
    expect(ids("unassigned").sort()).toEqual(["q-new", "q-old", "q-urgent", "snoozed"]);
    expect(ids("bot")).toEqual(["bot"]);
    expect(ids("closed")).toEqual(["done"]);
    expect(ids("spam")).toEqual(["spam"]);
    // Held as spam: in no other view, queue or count.
    for (const v of ["mine", "unassigned", "pending", "bot", "all", "closed", "group:support", "tag:vip"] as ViewId[]) expect(ids(v)).not.toContain("spam");
    expect(ids("all")).not.toContain("done");
    expect(ids("all")).toHaveLength(8);
    expect(ids("group:support")).toEqual(["q-old"]);
    expect(ids("tag:vip").sort()).toEqual(["bot", "q-new"]);
  });

  it("serves queues by priority, then longest wait", () => {
    expect(ids("pending")).toEqual(["q-urgent", "q-old", "q-new"]);
  });

  it("orders other views by latest activity", () => {
    expect(ids("all").slice(0, 3)).toEqual(["bot", "mate", "mine"]);
    const [a, b] = [all[0]!, all[1]!];
    expect(compare("mine")(a, b)).toBeLessThan(0);
  });

  it("counts every view in one pass, with unread", () => {
    const n = counts(all, ["mine", "pending", "closed", "tag:vip", "spam"], me);
    expect(n.get("spam")).toEqual({ total: 1, unread: 1 });
    expect(n.get("mine")).toEqual({ total: 2, unread: 1 });
    expect(n.get("pending")).toEqual({ total: 3, unread: 1 });
    expect(n.get("closed")).toEqual({ total: 1, unread: 0 });
    expect(n.get("tag:vip")).toEqual({ total: 2, unread: 1 });
  });

  it("moves through a list without falling off either end", () => {
    const l = ["a", "b", "c"];
    expect(neighbour(l, null, 1)).toBe("a");
    expect(neighbour(l, null, -1)).toBe("c");
    expect(neighbour(l, "a", 1)).toBe("b");
    expect(neighbour(l, "c", 1)).toBe("c");
    expect(neighbour(l, "a", -1)).toBe("a");
    expect(neighbour(l, "gone", 1)).toBe("a");
    expect(neighbour([], "a", 1)).toBeNull();
  });

  it("a closed conversation leaves the open views", () => {
    const c = conv({ id: "x", state: S.CLOSED, assigneeUserId: me, groupId: "g", tagIds: ["t"] });
    for (const v of ["mine", "all", "group:g", "tag:t", "pending", "unassigned"] as ViewId[]) expect(inView(c, v, me)).toBe(false);
  });
});

describe("overview strip", () => {
  it("counts what the live inbox holds", () => {
    expect(overview(all, me, 100)).toEqual({ active: 3, waiting: 3, mine: 2, longestWaitMs: 90 });
  });
});
