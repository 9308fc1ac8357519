import { describe, expect, it } from "vitest";
import { NotificationType } from "@api/notification_pb.js";
import { ConversationState as S } from "../src/api";
import { notificationLabel, notificationLabels } from "../src/logic/notifications";
import { attention } from "../src/logic/views";
import { conv } from "./fixtures";

describe("the needs-attention flag on inbox rows", () => {
  it("shows while routing has given up on a waiting conversation", () => {
    expect(attention(conv({ id: "a", state: S.PENDING, needsAttention: true }))).toBe("Needs attention");
  });
  it("is gone once someone has it, once closed, and when not flagged", () => {
    expect(attention(conv({ id: "b", state: S.ACTIVE, assigneeUserId: "ann", needsAttention: true }))).toBe("");
    expect(attention(conv({ id: "c", state: S.CLOSED, needsAttention: true }))).toBe("");
    expect(attention(conv({ id: "d", state: S.PENDING }))).toBe("");
  });
});

describe("notification types in settings", () => {
  it("gives every type the server has a friendly label", () => {
    for (const [name, value] of Object.entries(NotificationType)) {
      if (typeof value !== "number" || value === NotificationType.UNSPECIFIED) continue;
      expect(notificationLabels[name.toLowerCase()], name).toBeTruthy();
    }
    expect(notificationLabel("needs_attention")).toBe("Conversations nobody picked up in time (supervisors)");
  });
  it("spells a type it does not know yet", () => {
    expect(notificationLabel("fax_received")).toBe("fax received");
  });
});
