import { describe, expect, it } from "vitest";
import { AuthorKind, MessageKind } from "../src/api";
import { activityText, kindOf, merge, noteLabel } from "../src/logic/history";
import { msg } from "./fixtures";

describe("history", () => {
  it("merges pages and stream items once each, in log order", () => {
    const page = [msg({ id: "a", seq: 1n }), msg({ id: "b", seq: 3n })];
    const merged = merge(page, [msg({ id: "c", seq: 2n }), msg({ id: "b", seq: 3n, body: "again" })]);
    expect(merged.map((m) => m.id)).toEqual(["a", "c", "b"]);
    expect(merged[2]!.body).toBe("again");
  });

  it("labels a whisper with whom it is addressed to (issue 15 item 13)", () => {
    const names = new Map([["u1", "Ada"]]);
    expect(noteLabel(msg({ kind: MessageKind.NOTE }), names, "me")).toBe("Internal note");
    expect(noteLabel(msg({ kind: MessageKind.NOTE, activityData: { whisper_to: "u1" } }), names, "me")).toBe("Whisper to Ada");
    expect(noteLabel(msg({ kind: MessageKind.NOTE, activityData: { whisper_to: "u1" } }), names, "u1")).toBe("Whisper to you");
    expect(noteLabel(msg({ kind: MessageKind.NOTE, activityData: { whisper_to: "u9" } }), names, "me")).toBe("Whisper to the owner");
  });

  it("tells items apart", () => {
    expect(kindOf(msg({ kind: MessageKind.TEXT, authorKind: AuthorKind.CUSTOMER }))).toBe("customer");
    expect(kindOf(msg({ kind: MessageKind.TEXT, authorKind: AuthorKind.BOT }))).toBe("bot");
    expect(kindOf(msg({ kind: MessageKind.TEXT, authorKind: AuthorKind.AGENT }))).toBe("agent");
    expect(kindOf(msg({ kind: MessageKind.NOTE }))).toBe("note");
    expect(kindOf(msg({ kind: MessageKind.NOTE, activityData: { whisper_to: "u1" } }))).toBe("whisper");
    expect(kindOf(msg({ kind: MessageKind.ACTIVITY }))).toBe("activity");
  });

  it("says what happened in plain words", () => {
    const names = new Map([["g1", "Billing"]]);
    const a = (activity: string, activityData: Record<string, string>) => activityText(msg({ authorName: "Alex", activity, activityData }), names);
    expect(a("agent_joined", { how: "takeover", from: "bot" })).toBe("Alex took over from the AI agent");
    expect(a("agent_joined", { how: "claim" })).toBe("Alex claimed the conversation");
    expect(a("agent_joined", { how: "transfer", assignee_name: "Vera" })).toBe("Alex transferred it to Vera");
    expect(a("transferred", { group_id: "g1" })).toBe("Alex transferred it to Billing");
    expect(a("state_changed", { from: "active", to: "closed" })).toBe("Alex closed the conversation");
    expect(a("state_changed", { from: "bot", to: "pending" })).toBe("The AI agent handed the conversation to the team");
    expect(a("tagged", { tag_name: "vip" })).toBe("Alex tagged it vip");
    expect(a("priority_changed", { to: "urgent" })).toBe("Alex set the priority to urgent");
    expect(a("handoff", { reason: "customer_request", detail: "the customer asked for a person" })).toBe(
      "The AI agent handed the conversation to the team: the customer asked for a person",
    );
    expect(a("handoff", { reason: "low_confidence" })).toBe("The AI agent handed the conversation to the team: low confidence");
    expect(a("handoff", { reason: "escalation_intent", detail: "intent: human" })).toBe(
      "The AI agent handed the conversation to the team: Escalation: asked for a person",
    );
    expect(a("handoff", { reason: "escalation_intent", detail: "intent: refund" })).toBe(
      "The AI agent handed the conversation to the team: Escalation: refund",
    );
    expect(a("handoff", { reason: "escalation_intent", detail: "intent: model" })).toBe(
      "The AI agent handed the conversation to the team: Escalation: the AI model judged a person must handle it",
    );
    expect(a("handoff", { reason: "ai_budget", detail: "the conversation's AI token budget (50000 tokens) is spent" })).toBe(
      "The AI agent handed the conversation to the team without asking the model: the conversation's AI token budget (50000 tokens) is spent",
    );
    expect(a("handoff", { reason: "ai_budget" })).toBe(
      "The AI agent handed the conversation to the team without asking the model: its AI token budget is spent",
    );
    expect(a("something_new", {})).toBe("Alex: something new");
  });
});
