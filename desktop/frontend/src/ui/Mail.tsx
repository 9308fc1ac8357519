import { useState } from "preact/hooks";
import type { EmailMessage } from "../api";
import { senderLine } from "../logic/customer";

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
