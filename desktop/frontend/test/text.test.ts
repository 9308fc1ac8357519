import { describe, expect, it } from "vitest";
import { safeHref, segments } from "../src/logic/links";
import { mentionQuery, mentioned, suggest } from "../src/logic/mentions";
import { create } from "@bufbuild/protobuf";
import { ConversationSlaSchema } from "@api/conversation_pb.js";
import { nextDue, slaState } from "../src/logic/sla";
import { applyTyping, typingLine } from "../src/logic/typing";
import { plain, isTransient } from "../src/logic/errors";
import { ago, duration, initials, size } from "../src/logic/format";
import { member } from "./fixtures";

describe("links", () => {
  it("links http(s) addresses only, without trailing punctuation", () => {
    expect(segments("See https://shop.example/orders/1042. Thanks")).toEqual([
      { text: "See " },
      { text: "https://shop.example/orders/1042", href: "https://shop.example/orders/1042" },
      { text: ". Thanks" },
    ]);
    expect(segments("javascript:alert(1) and data:text/html,<b>")).toEqual([{ text: "javascript:alert(1) and data:text/html,<b>" }]);
    expect(segments("<img src=x onerror=alert(1)>")).toEqual([{ text: "<img src=x onerror=alert(1)>" }]);
  });
  it("accepts only absolute http(s) URLs", () => {
    expect(safeHref("https://a.example")).toBe(true);
    expect(safeHref("http://127.0.0.1:8080/x")).toBe(true);
    expect(safeHref("javascript:alert(1)")).toBe(false);
    expect(safeHref("file:///etc/passwd")).toBe(false);
    expect(safeHref("//evil.example")).toBe(false);
  });
});

describe("mentions", () => {
  const members = [
    member({ userId: "u1", displayName: "Alex Agent", email: "agent@demo.tandem" }),
    member({ userId: "u2", displayName: "Alex", email: "alex@x" }),
    member({ userId: "u3", displayName: "Olivia Owner", email: "owner@demo.tandem" }),
  ];
  it("finds the query after @", () => {
    expect(mentionQuery("ping @Ol", 8)).toEqual({ start: 5, query: "ol" });
    expect(mentionQuery("mail a@b", 8)).toBeNull();
  });
  it("suggests members, not oneself", () => {
    expect(suggest(members, "al", "u2").map((m) => m.userId)).toEqual(["u1"]);
    expect(suggest(members, "owner", "x").map((m) => m.userId)).toEqual(["u3"]);
  });
  it("resolves full names, the longest first", () => {
    expect(mentioned("@Alex Agent and @Olivia Owner, see this", members).sort()).toEqual(["u1", "u3"]);
    expect(mentioned("@Alex, look", members)).toEqual(["u2"]);
    expect(mentioned("@Alexander", members)).toEqual([]);
  });
});

describe("SLA", () => {
  it("colors time left as it runs out", () => {
    const now = 1_000_000;
    expect(slaState(now + 30 * 60_000, now)).toEqual({ tone: "ok", label: "30m left" });
    expect(slaState(now + 4 * 60_000, now)).toEqual({ tone: "soon", label: "4m left" });
    expect(slaState(now - 90 * 60_000, now)).toEqual({ tone: "breached", label: "1h 30m over" });
    expect(slaState(now + 20_000, now).label).toBe("20s left");
  });
});

describe("typing", () => {
  it("shows who is typing until they stop or it expires", () => {
    let t = applyTyping(new Map(), "c", "a", "Sam", true, 0);
    t = applyTyping(t, "c", "b", "Vera", true, 1000);
    expect(typingLine(t, "c", 2000)).toBe("Sam and Vera are typing…");
    expect(typingLine(t, "c", 6500)).toBe("Vera is typing…");
    t = applyTyping(t, "c", "b", "Vera", false, 3000);
    expect(typingLine(t, "c", 3000)).toBe("Sam is typing…");
    expect(typingLine(t, "other", 0)).toBe("");
  });
});

describe("errors", () => {
  it("shows Go's words, or a fallback for the kind", () => {
    expect(plain({ kind: "conflict", message: "Olivia has already claimed this conversation." })).toBe("Olivia has already claimed this conversation.");
    expect(plain({ kind: "offline", message: "" })).toBe("Can't reach the Tandem server right now.");
    expect(plain(new Error("boom"))).toBe("Something went wrong. Try again.");
    expect(isTransient({ kind: "timeout", message: "x" })).toBe(true);
    expect(isTransient({ kind: "forbidden", message: "x" })).toBe(false);
  });
});

describe("format", () => {
  it("says times briefly", () => {
    expect(ago(0, 10_000)).toBe("now");
    expect(ago(0, 5 * 60_000)).toBe("5m");
    expect(ago(0, 3 * 3600_000)).toBe("3h");
    expect(ago(0, 50 * 3600_000)).toBe("2d");
    expect(duration(65 * 60_000)).toBe("1h 05m");
    expect(initials("Sam  Shopper")).toBe("SS");
    expect(initials("")).toBe("?");
    expect(size(820)).toBe("820 B");
    expect(size(12_345)).toBe("12 KB");
    expect(size(3.4 * 1024 * 1024)).toBe("3.4 MB");
  });
});

describe("SLA deadlines", () => {
  it("picks the nearest target still running", () => {
    expect(nextDue(undefined)).toBeNull();
    const sla = create(ConversationSlaSchema, { firstResponseDueMs: 100n, resolutionDueMs: 500n, nextResponseDueMs: 300n });
    expect(nextDue(sla)).toEqual({ target: "first response", atMs: 100 });
    sla.firstResponse = "met";
    expect(nextDue(sla)).toEqual({ target: "next response", atMs: 300 });
    sla.nextResponse = "missed";
    sla.resolution = "met";
    expect(nextDue(sla)).toBeNull();
  });
});
