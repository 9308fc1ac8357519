import { describe, expect, test } from "vitest";
import { QueueWait } from "@api/widget_pb.js";
import { ConversationState } from "@api/conversation_pb.js";
import { queueBanner, queueView } from "./queue";

describe("queue banner", () => {
  test("with the team online: place with plural rules, and the measured range", () => {
    expect(queueView({ position: 2, agentsOnline: true, wait: QueueWait.QUEUE_WAIT_10_TO_20_MINUTES, emailKnown: false, askEmail: false })).toEqual({
      lines: ["There is 1 person ahead of you.", "Expected wait: about 10-20 minutes."],
      askEmail: false,
    });
    expect(queueView({ position: 6, agentsOnline: true, wait: QueueWait.QUEUE_WAIT_FEW_MINUTES, emailKnown: false, askEmail: false }).lines).toEqual([
      "There are 5 people ahead of you.",
      "Expected wait: a few minutes.",
    ]);
    // No measured pick-ups yet: no estimate rather than a made-up one.
    expect(queueView({ position: 1, agentsOnline: true, wait: QueueWait.QUEUE_WAIT_UNSPECIFIED, emailKnown: false, askEmail: false }).lines).toEqual([
      "You're next in line.",
    ]);
  });

  test("after the workspace's wait (the server says so): ask for an email too, unless one is known", () => {
    const long = { position: 9, agentsOnline: true, wait: QueueWait.QUEUE_WAIT_5_TO_10_MINUTES, emailKnown: false, askEmail: true };
    expect(queueView(long).askEmail).toBe(true);
    expect(queueView({ ...long, askEmail: false }).askEmail).toBe(false);
    expect(queueView({ ...long, emailKnown: true }).askEmail).toBe(false);
    expect(queueView(long, true).askEmail).toBe(false);
  });

  test("with nobody online: no wait estimate, say how they will reply, ask for an email when none is known", () => {
    const away = queueView({ position: 6, agentsOnline: false, wait: QueueWait.QUEUE_WAIT_OVER_HOUR, emailKnown: false, askEmail: false });
    expect(away.askEmail).toBe(true);
    expect(away.lines.join(" ")).toMatch(/away/);
    expect(away.lines.join(" ")).toMatch(/in this chat/);
    expect(away.lines.join(" ")).not.toMatch(/wait|line|ahead|minutes/i);
    const known = queueView({ position: 6, agentsOnline: false, wait: QueueWait.QUEUE_WAIT_UNSPECIFIED, emailKnown: true, askEmail: false });
    expect(known.askEmail).toBe(false);
    expect(known.lines.join(" ")).toMatch(/by email/);
    // An address given in this page counts too.
    expect(queueView({ position: 1, agentsOnline: false, wait: 0, emailKnown: false, askEmail: false }, true).askEmail).toBe(false);
  });
});

describe("queueBanner", () => {
  const q = { position: 1, agentsOnline: false, wait: QueueWait.QUEUE_WAIT_UNSPECIFIED, emailKnown: false } as Parameters<typeof queueBanner>[0];
  test("only while the conversation waits for a person; an address given in the page counts as known", () => {
    expect(queueBanner(q, { state: ConversationState.PENDING }, "")).toEqual(queueView(q!));
    expect(queueBanner(q, { state: ConversationState.PENDING }, "a@x.test")?.askEmail).toBe(false);
    expect(queueBanner(q, { state: ConversationState.ACTIVE }, "")).toBeNull();
    expect(queueBanner(q, null, "")).toBeNull();
    expect(queueBanner(undefined, { state: ConversationState.PENDING }, "")).toBeNull();
  });
});
