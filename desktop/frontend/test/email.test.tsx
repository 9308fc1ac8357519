// @vitest-environment happy-dom
// An email conversation in the conversation view: its subject under the
// customer's name, marked as email, and a composer that says the reply is
// mailed and to whom; a web chat shows none of that.
import { create } from "@bufbuild/protobuf";
import { ContactSchema, MessageSchema } from "@api/conversation_pb.js";
import { EmailDeliverySchema, EmailMessageSchema, EmailThreadSchema } from "@api/email_pb.js";
import { render } from "preact";
import { act } from "preact/test-utils";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AuthorKind, Channel, ConversationState, MessageKind } from "../src/api";
import { byEmail, replyHint } from "../src/logic/customer";
import { opened, session } from "../src/state";
import { ConversationView } from "../src/ui/ConversationView";
import { conv } from "./fixtures";

let root: HTMLElement;

beforeEach(() => {
  root = document.createElement("div");
  document.body.append(root);
  session.value = { role: "agent", user_id: "u1" } as typeof session.value;
});

afterEach(() => {
  render(null, root);
  root.remove();
  opened.value = null;
});

const ann = create(ContactSchema, { id: "k1", name: "Ann", email: "ann@example.test" });

function show(c: ReturnType<typeof conv>) {
  opened.value = { conversation: c, history: [], more: "", contact: ann, past: [] };
  act(() => render(<ConversationView />, root));
}

describe("an email conversation", () => {
  it("shows its subject, marked as email, and a composer that mails the reply", () => {
    show(conv({ id: "c1", state: ConversationState.PENDING, channel: Channel.EMAIL, subject: "Order 1234 never came", contact: ann }));
    const subject = root.querySelector("header .subject");
    expect(subject?.textContent).toBe("Email Order 1234 never came");
    const box = root.querySelector("textarea");
    expect(box?.getAttribute("placeholder")).toBe("Reply by email to ann@example.test. Type / for canned responses.");
  });

  it("names a missing subject", () => {
    show(conv({ id: "c2", state: ConversationState.ACTIVE, channel: Channel.EMAIL, contact: ann }));
    expect(root.querySelector("header .subject")?.textContent).toBe("Email (no subject)");
  });

  it("is not how a web chat looks", () => {
    show(conv({ id: "c3", state: ConversationState.ACTIVE, channel: Channel.WEB, contact: ann }));
    expect(root.querySelector("header .subject")).toBeNull();
    expect(root.querySelector("textarea")?.getAttribute("placeholder")).toBe("Reply to the customer. Type / for canned responses.");
  });
});

describe("reply hints", () => {
  it("say where the reply goes", () => {
    expect(byEmail(conv({ channel: Channel.EMAIL }))).toBe(true);
    expect(byEmail(conv({ channel: Channel.WEB }))).toBe(false);
    expect(replyHint(conv({ channel: Channel.EMAIL }), null)).toBe("Reply by email. Type / for canned responses.");
    expect(replyHint(conv({ channel: Channel.EMAIL, contact: ann }), null)).toBe("Reply by email to ann@example.test. Type / for canned responses.");
  });
});

describe("the mails of an email conversation", () => {
  function showMails(verified: boolean) {
    const c = conv({ id: "c9", state: ConversationState.ACTIVE, channel: Channel.EMAIL, subject: "Wire the money", contact: ann });
    const m = create(MessageSchema, { id: "m1", conversationId: "c9", kind: MessageKind.TEXT, authorKind: AuthorKind.CUSTOMER, body: "Please wire it today." });
    const mail = create(EmailMessageSchema, {
      messageId: "m1", fromAddress: "ceo@shop.example", cc: ["boss@shop.example", "ann@shop.example"], subject: "Wire the money",
      senderVerified: verified, senderCheck: verified ? "DKIM signature of shop.example" : "no DKIM signature",
      originalText: "Please wire it today.\n\nOn Sat, Ada wrote:\n> earlier",
    });
    opened.value = { conversation: c, history: [m], more: "", contact: ann, past: [], mails: new Map([["m1", mail]]) };
    act(() => render(<ConversationView />, root));
  }

  it("marks a verified sender, lists the CC and shows the original on demand", () => {
    showMails(true);
    const info = root.querySelector(".msg .mail-info");
    expect(info?.querySelector(".sender.verified")?.textContent).toContain("Verified sender");
    expect(info?.textContent).toContain("DKIM signature of shop.example");
    expect(info?.querySelector(".cc")?.textContent).toBe("Cc: boss@shop.example, ann@shop.example");
    expect(info?.querySelector(".original")).toBeNull();
    act(() => (info?.querySelector("button.link") as HTMLButtonElement).click());
    expect(root.querySelector(".mail-info .original")?.textContent).toContain("> earlier");
  });

  it("warns of an unverified sender", () => {
    showMails(false);
    const sender = root.querySelector(".mail-info .sender");
    expect(sender?.className).toContain("unverified");
    expect(sender?.textContent).toContain("Unverified sender");
    expect(root.querySelector(".mail-info")?.textContent).toContain("anyone may have sent this");
  });
});

describe("where an email conversation's replies go", () => {
  it("shows the customer, the CC and the subject, and changes them", async () => {
    const calls: unknown[][] = [];
    const saved = { conversationId: "c8", customerAddress: "ann@example.test", cc: ["ops@example.test"], subject: "Your refund" };
    (globalThis as unknown as { go: unknown }).go = {
      app: {
        App: {
          SetEmailThread: (...a: unknown[]) => {
            calls.push(a);
            return Promise.resolve(saved);
          },
        },
      },
    };
    const c = conv({ id: "c8", state: ConversationState.ACTIVE, channel: Channel.EMAIL, subject: "Refund", contact: ann });
    const thread = create(EmailThreadSchema, { conversationId: "c8", customerAddress: "ann@example.test", cc: ["boss@example.test"] });
    opened.value = { conversation: c, history: [], more: "", contact: ann, past: [], thread };
    act(() => render(<ConversationView />, root));
    expect(root.querySelector(".reply-to")?.textContent).toContain("Replies go to ann@example.test, copying boss@example.test");
    act(() => (root.querySelector(".reply-to button.link") as HTMLButtonElement).click());
    const cc = root.querySelector<HTMLInputElement>(".reply-to input[name=cc]")!;
    const subject = root.querySelector<HTMLInputElement>(".reply-to input[name=subject]")!;
    expect(cc.value).toBe("boss@example.test");
    act(() => {
      cc.value = "ops@example.test;  ";
      cc.dispatchEvent(new Event("input", { bubbles: true }));
      subject.value = " Your refund ";
      subject.dispatchEvent(new Event("input", { bubbles: true }));
    });
    await act(async () => {
      root.querySelector<HTMLFormElement>(".reply-to.edit")!.requestSubmit();
      await new Promise((r) => setTimeout(r, 0));
    });
    expect(calls).toEqual([["c8", ["ops@example.test"], "Your refund"]]);
    expect(root.querySelector(".reply-to")?.textContent).toContain("copying ops@example.test · subject “Your refund”");
  });
});

describe("whether replies were mailed", () => {
  it("says under each reply whether it went out, is on its way or failed", () => {
    const c = conv({ id: "c7", state: ConversationState.ACTIVE, channel: Channel.EMAIL, subject: "Refund", contact: ann });
    const reply = (id: string) => create(MessageSchema, { id, conversationId: "c7", kind: MessageKind.TEXT, authorKind: AuthorKind.AGENT, authorName: "Alex", body: id });
    const deliveries = new Map(
      [
        create(EmailDeliverySchema, { messageId: "r1", status: "sent", attempts: 1 }),
        create(EmailDeliverySchema, { messageId: "r2", status: "pending", attempts: 2, lastError: "connect to smtp.shop.example:587: refused" }),
        create(EmailDeliverySchema, { messageId: "r3", status: "failed", attempts: 8, lastError: "550 mailbox unavailable" }),
      ].map((d) => [d.messageId, d]),
    );
    opened.value = { conversation: c, history: [reply("r1"), reply("r2"), reply("r3")], more: "", contact: ann, past: [], deliveries };
    act(() => render(<ConversationView />, root));
    const lines = Array.from(root.querySelectorAll(".delivery")).map((d) => [d.className, d.textContent]);
    expect(lines).toEqual([
      ["delivery sent", "✓ Emailed"],
      ["delivery pending", "Not emailed yet (connect to smtp.shop.example:587: refused): trying again"],
      ["delivery failed", "✗ Could not be emailed: 550 mailbox unavailable"],
    ]);
  });
});
