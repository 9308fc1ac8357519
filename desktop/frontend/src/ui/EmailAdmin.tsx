import { signal } from "@preact/signals";
import { useEffect, useRef, useState } from "preact/hooks";
import { decode, type EmailInbox } from "../api";
import { go } from "../bridge";
import { canManageAgent } from "../logic/agent";
import { changeOf, formOf, imapStatus, type InboxForm } from "../logic/inboxes";
import { act, session } from "../state";
import { settingsButtonId } from "./AgentAdmin";
import { useEscape } from "./escape";
import { useFocusTrap } from "./trap";

/** emailOpen shows the workspace's email inboxes (for admins and owners; Settings opens them). */
export const emailOpen = signal(false);

/**
 * EmailAdmin is where admins connect email: each inbox's support address,
 * the address to forward its mail to, the SMTP server replies go through,
 * the IMAP mailbox it may read (and how reading it last went), the
 * signature and whether the AI agent answers. Passwords are never shown:
 * typing one replaces it.
 */
export function EmailAdmin() {
  const s = session.value;
  const shown = emailOpen.value && !!s?.ready && canManageAgent(s.role);
  const [inboxes, setInboxes] = useState<EmailInbox[] | null>(null);
  const [editing, setEditing] = useState<EmailInbox | "new" | null>(null);
  const close = () => (emailOpen.value = false);
  useEscape(() => (editing ? setEditing(null) : close()), shown);
  const box = useRef<HTMLDivElement>(null);
  useFocusTrap(box, shown, { fallback: () => document.getElementById(settingsButtonId) });
  const load = () => void act(() => go("EmailInboxes")).then((list) => list && setInboxes(list.map(decode.emailInbox)));
  useEffect(() => {
    if (shown) load();
  }, [shown, s?.workspace_id]);
  if (!shown) return null;
  const now = Date.now();
  return (
    <div class="modal">
      <div class="modal-box admin" role="dialog" aria-modal="true" aria-labelledby="email-admin-title" tabIndex={-1} ref={box}>
        <div class="row">
          <h2 id="email-admin-title" class="grow">
            Email inboxes
          </h2>
          <button onClick={close}>Close</button>
        </div>
        {editing ? (
          <InboxEditor
            inbox={editing === "new" ? undefined : editing}
            onDone={(saved) => {
              setEditing(null);
              if (saved) load();
            }}
          />
        ) : (
          <>
            {inboxes?.length === 0 && <p class="hint">No inbox yet: customers can write only in the chat.</p>}
            <ul class="inboxes">
              {inboxes?.map((i) => (
                <li key={i.id}>
                  <strong>{i.name}</strong> · {i.supportAddress}
                  <div class="hint">Forward its mail to {i.receivingAddress}</div>
                  {imapStatus(i, now) && <div class={i.imapError ? "hint error" : "hint"}>{imapStatus(i, now)}</div>}
                  <div class="row end">
                    <button onClick={() => setEditing(i)}>Edit</button>
                    <button
                      onClick={() => {
                        if (!confirm(`Delete ${i.supportAddress}? Mail to it is refused from then on; its conversations stay.`)) return;
                        void act(() => go("DeleteEmailInbox", i.id)).then(load);
                      }}
                    >
                      Delete
                    </button>
                  </div>
                </li>
              ))}
            </ul>
            <button onClick={() => setEditing("new")}>Add an inbox</button>
          </>
        )}
      </div>
    </div>
  );
}

function InboxEditor({ inbox, onDone }: { inbox?: EmailInbox; onDone: (saved: boolean) => void }) {
  const [f, setF] = useState<InboxForm>(() => formOf(inbox));
  const [problem, setProblem] = useState("");
  const set = <K extends keyof InboxForm>(k: K, v: InboxForm[K]) => setF((was) => ({ ...was, [k]: v }));
  const text = (k: keyof InboxForm, label: string, type = "text", placeholder = "") => (
    <label class="field">
      {label}
      <input name={k} type={type} value={f[k] as string} placeholder={placeholder} onInput={(e) => set(k, e.currentTarget.value as never)} />
    </label>
  );
  const mode = (k: "smtpTlsMode" | "imapTlsMode", label: string) => (
    <label class="field">
      {label}
      <select name={k} value={f[k]} onChange={(e) => set(k, e.currentTarget.value as InboxForm[typeof k])}>
        <option value="starttls">STARTTLS</option>
        <option value="implicit">TLS</option>
        <option value="none">None (trusted network only)</option>
      </select>
    </label>
  );
  return (
    <form
      class="inbox-form"
      onSubmit={(e) => {
        e.preventDefault();
        const change = changeOf(f, inbox);
        if (typeof change === "string") {
          setProblem(change);
          return;
        }
        setProblem("");
        void act(() => go("SaveEmailInbox", change)).then((saved) => saved && onDone(true));
      }}
    >
      <fieldset>
        <legend>Inbox</legend>
        {text("name", "Name")}
        {text("supportAddress", "Support address", "email", "support@example.com")}
        <label class="field">
          Signature
          <textarea name="signature" value={f.signature} onInput={(e) => set("signature", e.currentTarget.value)} />
        </label>
        <label class="check">
          <input name="aiAnswers" type="checkbox" checked={f.aiAnswers} onChange={(e) => set("aiAnswers", e.currentTarget.checked)} />
          The AI agent answers new mail (when it is on)
        </label>
      </fieldset>
      <fieldset>
        <legend>Sending (SMTP)</legend>
        {text("smtpHost", "Server", "text", "smtp.example.com")}
        {text("smtpPort", "Port")}
        {mode("smtpTlsMode", "Security")}
        {text("smtpUsername", "User name")}
        {text("smtpPassword", "Password", "password", inbox?.smtpPasswordSet ? "stored: type to replace" : "")}
      </fieldset>
      <fieldset>
        <legend>Reading a mailbox (IMAP)</legend>
        <label class="check">
          <input name="imap" type="checkbox" checked={f.imap} onChange={(e) => set("imap", e.currentTarget.checked)} />
          Read new mail from an existing mailbox (Gmail, Microsoft 365, any IMAP server)
        </label>
        {f.imap && (
          <>
            {text("imapHost", "Server", "text", "imap.example.com")}
            {text("imapPort", "Port", "text", "usual port")}
            {mode("imapTlsMode", "Security")}
            {text("imapUsername", "User name")}
            {text("imapPassword", "Password", "password", inbox?.imapPasswordSet ? "stored: type to replace" : "an app password for Gmail and Microsoft 365")}
            {text("imapMailbox", "Folder", "text", "INBOX")}
          </>
        )}
      </fieldset>
      {problem && (
        <p class="error" role="alert">
          {problem}
        </p>
      )}
      <div class="row end">
        <button type="button" onClick={() => onDone(false)}>
          Cancel
        </button>
        <button type="submit">Save</button>
      </div>
    </form>
  );
}
