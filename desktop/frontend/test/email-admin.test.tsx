// @vitest-environment happy-dom
// The email inboxes screen: the form's checks and the change it sends
// (only what changed, passwords only when typed), the list with each
// inbox's forwarding address and IMAP status, and saving an edit.
import { create } from "@bufbuild/protobuf";
import { EmailInboxSchema, ImapTlsMode, SmtpTlsMode } from "@api/email_pb.js";
import { render } from "preact";
import { act } from "preact/test-utils";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { SessionView } from "../src/bridge";
import { changeOf, formOf, imapStatus } from "../src/logic/inboxes";
import { session } from "../src/state";
import { EmailAdmin, emailOpen } from "../src/ui/EmailAdmin";

const inbox = create(EmailInboxSchema, {
  id: "i1", name: "Support", supportAddress: "help@shop.example", receivingAddress: "in-abc@mail.tandem.example",
  smtpHost: "smtp.shop.example", smtpPort: 587, smtpTlsMode: SmtpTlsMode.STARTTLS, smtpUsername: "help", smtpPasswordSet: true,
  imapHost: "imap.shop.example", imapTlsMode: ImapTlsMode.IMPLICIT, imapUsername: "help", imapPasswordSet: true, imapError: "sign in: bad password",
});

describe("the inbox form", () => {
  it("says what to fix first", () => {
    const f = formOf();
    expect(changeOf({ ...f, supportAddress: "nope" })).toMatch(/support address/);
    expect(changeOf({ ...f, supportAddress: "a@b.example", smtpHost: "smtp.b.example", smtpPort: "99999" })).toMatch(/SMTP port/);
    expect(changeOf({ ...f, supportAddress: "a@b.example", smtpHost: "smtp.b.example", imap: true })).toMatch(/IMAP server/);
  });

  it("sends everything for a new inbox, only the changes for an existing one", () => {
    const made = changeOf({ ...formOf(), supportAddress: " a@b.example ", smtpHost: "smtp.b.example", smtpPassword: "pw" });
    expect(made).toMatchObject({ support_address: "a@b.example", smtp_host: "smtp.b.example", smtp_port: 587, smtp_tls_mode: "starttls", smtp_password: "pw", imap_host: "" });
    expect(changeOf(formOf(inbox), inbox)).toEqual({ id: "i1" });
    expect(changeOf({ ...formOf(inbox), name: "Billing", imapPassword: "new" }, inbox)).toEqual({ id: "i1", name: "Billing", imap_password: "new" });
    expect(changeOf({ ...formOf(inbox), imap: false }, inbox)).toEqual({ id: "i1", imap_host: "", imap_username: "" });
  });

  it("says how reading the mailbox went", () => {
    expect(imapStatus(inbox, 0)).toBe("Reading imap.shop.example failed: sign in: bad password");
    const ok = { ...inbox, imapError: "", imapCheckedTimeMs: BigInt(1_000_000) };
    expect(imapStatus(ok, 1_000_000 + 180_000)).toBe("Read from imap.shop.example 3 min ago.");
    expect(imapStatus({ ...inbox, imapHost: "" }, 0)).toBe("");
  });
});

describe("the email inboxes screen", () => {
  let root: HTMLElement;
  let calls: unknown[][];
  beforeEach(() => {
    calls = [];
    root = document.createElement("div");
    document.body.append(root);
    session.value = { signed_in: true, ready: true, role: "admin", user_id: "u1", workspace_id: "w1" } as SessionView;
    const json = { id: "i1", name: "Support", supportAddress: "help@shop.example", receivingAddress: "in-abc@mail.tandem.example",
      smtpHost: "smtp.shop.example", smtpPort: 587, smtpTlsMode: "SMTP_TLS_MODE_STARTTLS", imapHost: "imap.shop.example",
      imapTlsMode: "IMAP_TLS_MODE_IMPLICIT", imapUsername: "help", imapError: "sign in: bad password" };
    (globalThis as unknown as { go: unknown }).go = {
      app: {
        App: {
          EmailInboxes: () => Promise.resolve([json]),
          SaveEmailInbox: (ch: unknown) => {
            calls.push(["SaveEmailInbox", ch]);
            return Promise.resolve(json);
          },
        },
      },
    };
  });
  afterEach(() => {
    act(() => {
      emailOpen.value = false;
    });
    render(null, root);
    root.remove();
  });

  it("lists the inboxes and saves an edit", async () => {
    await act(async () => {
      emailOpen.value = true;
      render(<EmailAdmin />, root);
    });
    for (let i = 0; i < 20 && !root.querySelector(".inboxes li"); i++) {
      await act(() => new Promise((r) => setTimeout(r, 5)));
    }
    const item = root.querySelector(".inboxes li");
    expect(item?.textContent).toContain("Forward its mail to in-abc@mail.tandem.example");
    expect(item?.querySelector(".error")?.textContent).toBe("Reading imap.shop.example failed: sign in: bad password");
    act(() => (Array.from(root.querySelectorAll("button")).find((b) => b.textContent === "Edit") as HTMLButtonElement).click());
    const name = root.querySelector<HTMLInputElement>("input[name=name]")!;
    act(() => {
      name.value = "Billing";
      name.dispatchEvent(new Event("input", { bubbles: true }));
    });
    await act(async () => {
      root.querySelector<HTMLFormElement>(".inbox-form")!.requestSubmit();
      await new Promise((r) => setTimeout(r, 0));
    });
    expect(calls).toEqual([["SaveEmailInbox", { id: "i1", name: "Billing" }]]);
    expect(root.querySelector(".inbox-form")).toBeNull(); // back to the list
  });
});
