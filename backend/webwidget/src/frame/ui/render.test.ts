import { describe, expect, test } from "vitest";
import { safeHref } from "./render";

describe("source links", () => {
  test("only absolute http(s) URLs become links", () => {
    expect(safeHref("https://example.com/help/shipping")).toBe("https://example.com/help/shipping");
    expect(safeHref("http://example.com")).toBe("http://example.com/");
    for (const bad of ["", "javascript:alert(1)", "JAVASCRIPT:alert(1)", "data:text/html,x", "/help", "example.com", "ftp://example.com"]) {
      expect(safeHref(bad)).toBe("");
    }
  });
});
