import { useState } from "preact/hooks";
import type { EmailDelivery, EmailMessage, EmailThread } from "../api";
import { addressList, deliveryLine, senderLine } from "../logic/customer";
import { setThread } from "../state";

/** MailInfo is what a customer's mail carried besides its words: whether its sender is verified, its CC, and its original text on demand. */
export function MailInfo({ mail }: { mail: EmailMessage }) {
  const [original, setOriginal] = useState(false);
  const s = senderLine(mail);
  return (
    <div class="mail-info">
      <span class={`sender ${s.tone}`} title={s.detail}>
        {s.tone === "verified" ? "✓ " : "⚠ "}
        {s.label}
      </span>
      <span class="hint"> · {s.detail}</span>
      {mail.cc.length > 0 && <div class="cc">Cc: {mail.cc.join(", ")}</div>}
      {mail.originalText && (
        <button class="link" aria-expanded={original} onClick={() => setOriginal(!original)}>
          {original ? "Hide the original" : "Show the original"}
        </button>
      )}
      {original && <pre class="original">{mail.originalText}</pre>}
    </div>
  );
}

/** ReplyTo says where an email conversation's replies go, and lets the agent change the CC and the subject. */
export function ReplyTo({ conversationId, thread }: { conversationId: string; thread: EmailThread }) {
  const [editing, setEditing] = useState(false);
  const [cc, setCc] = useState("");
  const [subject, setSubject] = useState("");
  if (!editing) {
    return (
      <p class="reply-to hint">
        Replies go to {thread.customerAddress}
        {thread.cc.length > 0 && `, copying ${thread.cc.join(", ")}`}
        {thread.subject && ` · subject “${thread.subject}”`}{" "}
        <button
          class="link"
          onClick={() => {
            setCc(thread.cc.join(", "));
            setSubject(thread.subject);
            setEditing(true);
          }}
        >
          Change
        </button>
      </p>
    );
  }
  return (
    <form
      class="reply-to edit"
      onSubmit={(e) => {
        e.preventDefault();
        void setThread(conversationId, addressList(cc), subject.trim()).then((ok) => ok && setEditing(false));
      }}
    >
      <label>
        Cc <input name="cc" value={cc} placeholder="name@example.com, …" onInput={(e) => setCc(e.currentTarget.value)} />
      </label>
      <label>
        Subject <input name="subject" value={subject} maxLength={998} placeholder="Re: and the conversation's subject" onInput={(e) => setSubject(e.currentTarget.value)} />
      </label>
      <button type="submit">Save</button>
      <button type="button" onClick={() => setEditing(false)}>
        Cancel
      </button>
    </form>
  );
}

/** Delivery says under a reply whether it was mailed. */
export function Delivery({ d }: { d: EmailDelivery }) {
  const line = deliveryLine(d);
  return <div class={`delivery ${line.tone}`}>{line.text}</div>;
}
