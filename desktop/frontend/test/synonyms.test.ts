// The workspace's synonyms as typed: the server's rules (backend/internal/bot/settings.go)
// said before sending, naming the line as the admin sees it; what a save sends; the
// server's refusal worded for next to the field.
import { describe, expect, it } from "vitest";
import { change, formOf } from "../src/logic/agent";
import { parseSynonyms, synonymsProblem, synonymsRefusal, tidySynonyms } from "../src/logic/synonyms";
import { demoBot } from "./fixtures";

describe("reading synonyms", () => {
  it("takes one group a line, spaces collapsed, empty entries and blank lines skipped", () => {
    expect(parseSynonyms("refund,  money\tback ,reimburse,\n\n  \nparcel, package")).toEqual({
      groups: [
        ["refund", "money back", "reimburse"],
        ["parcel", "package"],
      ],
    });
    expect(parseSynonyms("")).toEqual({ groups: [] });
    expect(parseSynonyms(" \n\u00a0\n")).toEqual({ groups: [] });
    // Go's spaces, not JavaScript's: U+0085 is one, U+FEFF is not.
    expect(parseSynonyms("a\u0085b, c")).toEqual({ groups: [["a b", "c"]] });
    expect(parseSynonyms("\ufeffa, b")).toEqual({ groups: [["\ufeffa", "b"]] });
  });

  it("names the line of a group with one entry, blank lines counted as typed", () => {
    expect(synonymsProblem("refund, money back\n\nparcel")).toBe("Line 3: a group needs 2 words or phrases or more, separated by commas.");
    expect(synonymsProblem("parcel, , \nok, fine")).toContain("Line 1:");
    expect(synonymsProblem("a, b\nc d")).toContain("Line 2: a group needs 2");
  });

  it("names the line and the entry longer than 50 characters", () => {
    expect(synonymsProblem(`a, ${"é".repeat(50)}`)).toBeNull();
    const long = "é".repeat(51);
    expect(synonymsProblem(`a, b\nx, ${long}, y`)).toBe(`Line 2: “${long}” is longer than 50 characters.`);
  });

  it("holds 20 entries a group and 100 groups, and says which line is one too many", () => {
    const entries = (n: number) => Array.from({ length: n }, (_, i) => `w${i}`).join(", ");
    expect(synonymsProblem(entries(20))).toBeNull();
    expect(synonymsProblem(`a, b\n${entries(21)}`)).toBe("Line 2: a group holds at most 20 words or phrases (this one has 21).");
    const lines = Array.from({ length: 100 }, (_, i) => `a${i}, b${i}`);
    expect(synonymsProblem(lines.join("\n"))).toBeNull();
    expect(synonymsProblem(["", ...lines, "x, y"].join("\n"))).toBe("Line 102: at most 100 groups; this is the 101st.");
  });

  it("refuses a text over the API's 20,000 characters", () => {
    expect(synonymsProblem(`a, b${" ".repeat(19_996)}`)).toBeNull();
    expect(synonymsProblem(`a, b${" ".repeat(19_997)}`)).toContain("at most 20000 characters");
  });

  it("tidies as the server keeps them, and not when wrong", () => {
    expect(tidySynonyms(" refund ,money back\n\n parcel,package ,\n")).toBe("refund, money back\nparcel, package");
    expect(tidySynonyms("")).toBe("");
    expect(tidySynonyms("lonely")).toBeNull();
  });
});

describe("what a save sends of the synonyms", () => {
  const base = formOf(demoBot());

  it("is nothing when they read the same once tidied", () => {
    expect(base.synonyms).toBe("voucher, gift card");
    expect(change(base, { ...base, synonyms: "  voucher ,gift   card\n\n" })).toBeNull();
  });

  it("is the text as typed when they differ, so that the server's line numbers are the admin's", () => {
    const typed = "voucher, gift card\n\nparcel , package";
    expect(change(base, { ...base, synonyms: typed })).toEqual({ synonyms: typed });
    expect(change(base, { ...base, synonyms: "lonely" })).toEqual({ synonyms: "lonely" });
  });

  it("is a blank when they were all removed", () => {
    expect(change(base, { ...base, synonyms: " \n" })).toEqual({ synonyms: " \n" });
    expect(change(base, { ...base, synonyms: "" })).toEqual({ synonyms: "" });
  });
});

describe("the server's refusal of the synonyms", () => {
  it("is its message without the field's name, for next to the field", () => {
    expect(synonymsRefusal({ kind: "invalid", message: "Synonyms: line 3: a group needs two entries or more, separated by commas." })).toBe(
      "Line 3: a group needs two entries or more, separated by commas.",
    );
    expect(synonymsRefusal({ kind: "invalid", message: "synonyms: value length must be at most 20000 characters" })).toBe("Value length must be at most 20000 characters");
  });

  it("is not another field's refusal, nor another kind of error", () => {
    expect(synonymsRefusal({ kind: "invalid", message: "Name: must be 1 to 100 characters." })).toBeNull();
    expect(synonymsRefusal({ kind: "offline", message: "Synonyms: can't reach the server." })).toBeNull();
    expect(synonymsRefusal(new Error("Synonyms: x"))).toBeNull();
  });
});
