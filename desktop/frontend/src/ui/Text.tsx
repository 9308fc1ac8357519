// User content is always rendered as text. Web links in it open in the
// system browser, only after the agent confirms the exact address.
import { signal } from "@preact/signals";
import { useRef } from "preact/hooks";
import { go } from "../bridge";
import { segments } from "../logic/links";
import { act } from "../state";
import { useFocusTrap } from "./trap";

/** The link waiting for the agent's confirmation. */
export const pendingLink = signal<string | null>(null);

export function Text({ text }: { text: string }) {
  return (
    <>
      {segments(text).map((s, i) =>
        "href" in s ? (
          <a
            key={i}
            href={s.href}
            rel="noopener noreferrer"
            onClick={(e) => {
              e.preventDefault();
              pendingLink.value = s.href;
            }}
          >
            {s.text}
          </a>
        ) : (
          <span key={i}>{s.text}</span>
        ),
      )}
    </>
  );
}

/** ConfirmLink asks before a link from a conversation opens; Tab stays in it, Open has focus first. */
export function ConfirmLink() {
  const href = pendingLink.value;
  const box = useRef<HTMLDivElement>(null);
  useFocusTrap(box, !!href);
  if (!href) return null;
  const close = () => (pendingLink.value = null);
  return (
    <div class="modal" onKeyDown={(e) => e.key === "Escape" && close()}>
      <div class="modal-box" role="dialog" aria-modal="true" aria-label="Open link" ref={box}>
        <h2>Open this link in your browser?</h2>
        <p class="link-address">{href}</p>
        <p class="hint">It came from a conversation. Open it only if you trust where it goes.</p>
        <div class="row end">
          <button onClick={close}>Cancel</button>
          <button
            class="primary"
            autoFocus
            onClick={() => {
              close();
              void act(() => go("OpenLink", href));
            }}
          >
            Open
          </button>
        </div>
      </div>
    </div>
  );
}
