// Notifications in the browser: only for notification.created events, only
// while the page is hidden and allowed to notify.
import { create } from "@bufbuild/protobuf";
import { EventSchema } from "@api/conversation_pb.js";
import { NotificationType } from "@api/notification_pb.js";
import { describe, expect, it } from "vitest";
import { clip, kindOf, noteOf, notify, typeOf, type Note, type Page } from "../src/web/notifications";

const ev = (data: Record<string, string>, type = "notification.created") => create(EventSchema, { type, data });
const full = { notification_id: "n1", type: "handoff", conversation_id: "c1", title: "  Handoff\nfrom   the AI ", body: "Please  take\nover" };

describe("web notifications", () => {
  it("reads the notification an event carries", () => {
    expect(noteOf(ev(full))).toEqual({ id: "n1", kind: "handoff", conversationId: "c1", title: "Handoff from the AI", body: "Please take over" });
    expect(noteOf(ev({ ...full, notification_id: "" }))).toBeNull();
    expect(noteOf(ev({ ...full, title: " " }))).toBeNull();
    expect(noteOf(ev(full, "message.created"))).toBeNull();
    const long = clip("x".repeat(200));
    expect([...long].length).toBe(160);
    expect(long.endsWith("…")).toBe(true);
  });

  it("names kinds as the server does", () => {
    expect(kindOf(NotificationType.SLA_BREACH)).toBe("sla_breach");
    expect(kindOf(NotificationType.NEW_CONVERSATION)).toBe("new_conversation");
    expect(typeOf("handoff")).toBe(NotificationType.HANDOFF);
    expect(typeOf("nonsense")).toBe(NotificationType.UNSPECIFIED);
  });

  it("shows one only while the page is hidden and allowed", () => {
    const shown: Note[] = [];
    const clicks: Note[] = [];
    let hidden = false;
    let permitted = true;
    const page: Page = { hidden: () => hidden, permitted: () => permitted, show: (n, click) => (shown.push(n), click()) };
    expect(notify(ev(full), page, (n) => clicks.push(n))).toBe(false);
    hidden = true;
    permitted = false;
    expect(notify(ev(full), page, (n) => clicks.push(n))).toBe(false);
    permitted = true;
    expect(notify(ev(full), page, (n) => clicks.push(n))).toBe(true);
    expect(shown).toHaveLength(1);
    expect(clicks[0]?.conversationId).toBe("c1");
    expect(notify(ev({}, "typing"), page, () => undefined)).toBe(false);
  });
});
