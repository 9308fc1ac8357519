import { create } from "@bufbuild/protobuf";
import { ContactSchema, ConversationOutcome, ConversationState } from "@api/conversation_pb.js";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { customerName, localTime, outcomeLabel, pageLabel, preview, replyHint } from "../src/logic/customer";
import { debounce, touchesMine } from "../src/logic/presence";
import { conv } from "./fixtures";

describe("customer names", () => {
  it("uses the server's display name for anonymous visitors", () => {
    expect(customerName(create(ContactSchema, { displayName: "Teal Otter" }))).toBe("Teal Otter");
    expect(customerName(create(ContactSchema, { name: "Ada", displayName: "Ada" }))).toBe("Ada");
    expect(customerName(create(ContactSchema, { email: "a@b.test" }))).toBe("a@b.test");
    expect(customerName(undefined)).toBe("Customer");
  });
});

describe("row preview", () => {
  it("shows the customer's last words, not the AI's last line", () => {
    expect(preview(conv({ lastMessagePreview: "Our team is offline right now...", lastCustomerMessagePreview: "Where is my parcel?" }))).toBe(
      "Where is my parcel?",
    );
    expect(preview(conv({ lastMessagePreview: "Hello" }))).toBe("Hello");
  });
});

describe("profile details", () => {
  it("labels pages, outcomes and local time", () => {
    expect(pageLabel("https://shop.example/cart?x=1")).toBe("shop.example/cart");
    expect(pageLabel("https://shop.example/")).toBe("shop.example");
    expect(pageLabel("not a url")).toBe("not a url");
    expect(outcomeLabel(ConversationOutcome.RESOLVED_BY_AI)).toBe("resolved by AI");
    expect(outcomeLabel(ConversationOutcome.ABANDONED)).toBe("abandoned");
    const at = new Date(Date.UTC(2026, 0, 5, 12, 30));
    expect(localTime("Asia/Tokyo", at)).toBe("Mon 21:30 (Asia/Tokyo)");
    expect(localTime("", at)).toBe("");
    expect(localTime("Not/AZone", at)).toBe("");
  });
});

describe("presence count refresh", () => {
  const me = "u1";
  it("refreshes on my presence and on conversations I take, lose or close", () => {
    expect(touchesMine("presence.changed", { user_id: me }, undefined, undefined, me)).toBe(true);
    expect(touchesMine("presence.changed", { user_id: "u2" }, undefined, undefined, me)).toBe(false);
    expect(touchesMine("agent.settings_changed", { user_id: me }, undefined, undefined, me)).toBe(true);
    const queued = conv({ id: "c", state: 2 });
    const taken = conv({ id: "c", state: 3, assigneeUserId: me });
    expect(touchesMine("conversation.assigned", {}, queued, taken, me)).toBe(true);
    expect(touchesMine("conversation.assigned", {}, undefined, taken, me)).toBe(true);
    expect(touchesMine("conversation.transferred", {}, taken, conv({ id: "c", state: 3, assigneeUserId: "u2" }), me)).toBe(true);
    expect(touchesMine("conversation.state_changed", {}, taken, conv({ id: "c", state: 5, assigneeUserId: me }), me)).toBe(true);
    expect(touchesMine("message.created", {}, taken, taken, me)).toBe(false);
    expect(touchesMine("message.created", {}, queued, queued, me)).toBe(false);
  });
});

describe("debounce", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());
  it("runs once, 250 ms after the last keystroke", () => {
    const f = vi.fn();
    const d = debounce(f, 250);
    d("m");
    vi.advanceTimersByTime(200);
    d("ma");
    vi.advanceTimersByTime(200);
    d("mar");
    expect(f).not.toHaveBeenCalled();
    vi.advanceTimersByTime(250);
    expect(f).toHaveBeenCalledTimes(1);
    expect(f).toHaveBeenCalledWith("mar");
    d("x");
    d.cancel();
    vi.advanceTimersByTime(500);
    expect(f).toHaveBeenCalledTimes(1);
  });
});

describe("the reply hint", () => {
  it("says a chat held as spam takes a release before a reply", () => {
    expect(replyHint(conv({ id: "a", state: ConversationState.PENDING }), null)).toContain("Reply to the customer");
    expect(replyHint(conv({ id: "b", state: ConversationState.SPAM }), null)).toContain("Not spam");
  });
});
