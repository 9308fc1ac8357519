import { describe, expect, it } from "vitest";
import { canManageAgent, change, formOf, intentLabel, phraseProblem, problem, withIntent, withoutPhrase, withPhrase } from "../src/logic/agent";
import { demoBot } from "./fixtures";

describe("who tunes the AI agent", () => {
  it("is admins and owners only", () => {
    expect(["agent", "supervisor", "admin", "owner", ""].map(canManageAgent)).toEqual([false, false, true, true, false]);
  });
});

describe("what a save sends", () => {
  const base = formOf(demoBot());

  it("is nothing when nothing changed, or when a change was undone", () => {
    expect(change(base, base)).toBeNull();
    const there = withIntent({ ...base, name: "Aria" }, "refund", (i) => ({ ...i, enabled: false }));
    const back = withIntent({ ...there, name: "Ava " }, "refund", (i) => ({ ...i, enabled: true }));
    expect(change(base, back)).toBeNull();
  });

  it("is the changed plain fields alone, trimmed", () => {
    expect(change(base, { ...base, name: "  Aria ", threshold: 0.55 })).toEqual({ name: "Aria", confidence_threshold: 0.55 });
    expect(change(base, { ...base, enabled: false, answerWhileWaiting: false })).toEqual({ enabled: false, answer_while_waiting: false });
    expect(change(base, { ...base, handoffMessage: "Hold on." })).toEqual({ handoff_message: "Hold on." });
  });

  it("is the changed intents alone: a switch, the phrases whole, [] when all are removed", () => {
    let f = withIntent(base, "refund", (i) => ({ ...i, enabled: false }));
    expect(change(base, f)).toEqual({ intents: [{ name: "refund", enabled: false }] });
    f = withIntent(base, "refund", (i) => withPhrase(i, "  money back now "));
    expect(change(base, f)).toEqual({ intents: [{ name: "refund", phrases: ["money back now"] }] });
    f = withIntent(base, "human", (i) => withoutPhrase(i, "real person"));
    expect(change(base, f)).toEqual({ intents: [{ name: "human", phrases: [] }] });
    f = withIntent(withIntent(base, "human", (i) => withPhrase({ ...i, enabled: false }, "a manager")), "refund", (i) => i);
    expect(change(base, f)).toEqual({ intents: [{ name: "human", enabled: false, phrases: ["real person", "a manager"] }] });
  });

  it("keeps the loaded settings untouched", () => {
    const f = withIntent(base, "human", (i) => withPhrase(i, "agent please"));
    expect(base.intents[0]!.phrases).toEqual(["real person"]);
    expect(f.intents[0]!.phrases).toEqual(["real person", "agent please"]);
  });
});

describe("the form's limits", () => {
  const base = formOf(demoBot());
  const human = base.intents[0]!;

  it("needs a name, a threshold from 0 to 1 and a handoff message", () => {
    expect(problem(base)).toBeNull();
    expect(problem({ ...base, name: "  " })).toContain("name");
    expect(problem({ ...base, name: "x".repeat(101) })).toContain("1 to 100");
    expect(problem({ ...base, threshold: 1.2 })).toContain("between 0 and 1");
    expect(problem({ ...base, threshold: Number.NaN })).toContain("between 0 and 1");
    expect(problem({ ...base, handoffMessage: "" })).toContain("handoff message");
  });

  it("takes phrases of 2 to 100 characters, once each, 50 at most", () => {
    expect(phraseProblem("speak to a manager", human)).toBeNull();
    expect(phraseProblem(" x ", human)).toContain("2 to 100");
    expect(phraseProblem("é".repeat(100), human)).toBeNull();
    expect(phraseProblem("é".repeat(101), human)).toContain("2 to 100");
    expect(phraseProblem("Real Person", human)).toContain("already there");
    expect(phraseProblem("TALK TO A HUMAN", human)).toContain("built-in");
    const full = { ...human, phrases: Array.from({ length: 50 }, (_, i) => `phrase ${i}`) };
    expect(phraseProblem("one more", full)).toContain("at most 50");
  });

  it("names intents for people, and a newer server's unknown one by its name", () => {
    expect(intentLabel("human")).toBe("Asks for a person");
    expect(intentLabel("legal")).toBe("Legal threat");
    expect(intentLabel("spam")).toBe("Spam");
  });
});
