// @vitest-environment happy-dom
// An email conversation in the conversation view: its subject under the
// customer's name, marked as email, and a composer that says the reply is
// mailed and to whom; a web chat shows none of that.
import { create } from "@bufbuild/protobuf";
import { ContactSchema } from "@api/conversation_pb.js";
import { render } from "preact";
import { act } from "preact/test-utils";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Channel, ConversationState } from "../src/api";
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
