import { describe, expect, it } from "vitest";
import { NotificationType } from "@api/notification_pb.js";
import { notificationLabel } from "../src/logic/notifications";

describe("notification labels", () => {
  it("name whispers in plain words (issue 15 item 13)", () => {
    expect(notificationLabel("whisper")).toBe("Whispers to me from supervisors");
  });

  it("name every type the server has, none by its identifier", () => {
    for (const [name, value] of Object.entries(NotificationType)) {
      if (typeof value !== "number" || value === NotificationType.UNSPECIFIED) continue;
      const label = notificationLabel(name.toLowerCase());
      expect(label, name).not.toContain("_");
      expect(label.toLowerCase(), name).not.toBe(name.toLowerCase().replaceAll("_", " "));
    }
  });
});
