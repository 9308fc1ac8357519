import { describe, expect, test } from "vitest";
import { linkify, safeHref } from "./linkify";

describe("linkify", () => {
  test.each([
    ["plain text", [{ kind: "text", text: "plain text" }]],
    [
      "see https://example.com/a?b=1.",
      [{ kind: "text", text: "see " }, { kind: "link", text: "https://example.com/a?b=1", href: "https://example.com/a?b=1" }, { kind: "text", text: "." }],
    ],
    [
      "(http://x.test/wiki/A_(b)) ok",
      [{ kind: "text", text: "(" }, { kind: "link", text: "http://x.test/wiki/A_(b)", href: "http://x.test/wiki/A_(b)" }, { kind: "text", text: ") ok" }],
    ],
    ["javascript:alert(1)", [{ kind: "text", text: "javascript:alert(1)" }]],
    ["data:text/html,<script>", [{ kind: "text", text: "data:text/html,<script>" }]],
    ['<a href="https://evil.test">x</a>', [{ kind: "text", text: '<a href="' }, { kind: "link", text: "https://evil.test", href: "https://evil.test/" }, { kind: "text", text: '">x</a>' }]],
  ])("%s", (input, want) => {
    expect(linkify(input)).toEqual(want);
  });

  test("text is never lost", () => {
    const s = "a https://b.test/c, d http://e.test! <img src=x onerror=alert(1)>";
    expect(linkify(s).map((p) => p.text).join("")).toBe(s);
  });
});

describe("safeHref", () => {
  test.each([
    ["https://example.com", "https://example.com/"],
    ["http://example.com/x", "http://example.com/x"],
    ["javascript:alert(1)", null],
    ["JAVASCRIPT:alert(1)", null],
    ["ftp://example.com", null],
    ["https://user:pw@example.com", null],
    ["not a url", null],
  ])("%s", (input, want) => {
    expect(safeHref(input)).toBe(want);
  });
});
