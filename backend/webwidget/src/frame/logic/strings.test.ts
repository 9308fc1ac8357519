import { describe, expect, test } from "vitest";
import { strings } from "./strings";

describe("strings", () => {
  test("sizes read as people expect", () => {
    expect(strings.bytes(10 * 1024 * 1024)).toBe("10 MB");
    expect(strings.bytes(2048)).toBe("2 KB");
    expect(strings.bytes(12)).toBe("12 B");
  });

  test("plurals and names", () => {
    expect(strings.unread(1)).toBe("1 unread message");
    expect(strings.unread(3)).toBe("3 unread messages");
    expect(strings.queuePosition(1)).toBe("You're next in line.");
    expect(strings.queuePosition(2)).toBe("There is 1 person ahead of you.");
    expect(strings.queuePosition(6)).toBe("There are 5 people ahead of you.");
    expect(strings.personJoined("Alex Agent")).toBe("Alex Agent joined the chat");
    expect(strings.personJoined("")).toBe("A person joined the chat");
  });

  test("every string is plain text (no markup to inject)", () => {
    const walk = (v: unknown): string[] =>
      typeof v === "string" ? [v] : typeof v === "function" ? [String((v as (...a: unknown[]) => unknown)(1, "x"))] : typeof v === "object" && v ? Object.values(v).flatMap(walk) : [];
    for (const s of walk(strings)) expect(s).not.toMatch(/<[a-z/]/i);
  });
});
