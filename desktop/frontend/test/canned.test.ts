import { describe, expect, it } from "vitest";
import { insert, rank, slashQuery } from "../src/logic/canned";
import { canned } from "./fixtures";

describe("slash trigger", () => {
  it("opens at the start of the text or after a space", () => {
    expect(slashQuery("/ref", 4)).toEqual({ start: 0, end: 4, query: "ref" });
    expect(slashQuery("Hi! /Ship", 9)).toEqual({ start: 4, end: 9, query: "ship" });
    expect(slashQuery("/", 1)).toEqual({ start: 0, end: 1, query: "" });
  });
  it("stays shut inside words, URLs and after a space in the query", () => {
    expect(slashQuery("and/or", 6)).toBeNull();
    expect(slashQuery("see https://x.y/ref", 19)).toBeNull();
    expect(slashQuery("/ref und", 8)).toBeNull();
    expect(slashQuery("/refund", 3)).toEqual({ start: 0, end: 3, query: "re" });
  });
});

describe("ranking", () => {
  const list = [
    canned({ shortcut: "shipping", title: "Shipping times", body: "Orders ship within a day" }),
    canned({ shortcut: "refund", title: "Refund policy", body: "Return within 30 days" }),
    canned({ shortcut: "returns-label", title: "Free label", body: "We pay the return shipping" }),
  ];
  it("puts shortcut matches first, then title, then body", () => {
    expect(rank(list, "re").map((c) => c.shortcut)).toEqual(["refund", "returns-label"]);
    expect(rank(list, "ship").map((c) => c.shortcut)).toEqual(["shipping", "returns-label"]);
    expect(rank(list, "policy").map((c) => c.shortcut)).toEqual(["refund"]);
    expect(rank(list, "zzz")).toEqual([]);
  });
  it("lists all by shortcut for an empty query", () => {
    expect(rank(list, "").map((c) => c.shortcut)).toEqual(["refund", "returns-label", "shipping"]);
  });
});

describe("insertion", () => {
  it("replaces the slash query with the rendered reply", () => {
    const text = "Hello /ref and bye";
    const q = slashQuery(text, 10)!;
    expect(insert(text, q, "Hi Sam, refunds take 3 days.")).toEqual({ text: "Hello Hi Sam, refunds take 3 days. and bye", caret: 34 });
  });
});
