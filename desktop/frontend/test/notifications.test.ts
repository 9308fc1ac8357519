import { describe, expect, it } from "vitest";
import { notificationLabel } from "../src/logic/notifications";

describe("notification labels", () => {
  it("name whispers in plain words (issue 15 item 13)", () => {
    expect(notificationLabel("whisper")).toBe("Whispers to me from supervisors");
  });
});
