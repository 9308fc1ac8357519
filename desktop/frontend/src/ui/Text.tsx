// User content is always rendered as text. Web links in it open in the
// system browser, only after the agent confirms the exact address.
import { signal } from "@preact/signals";
import { go } from "../bridge";
import { segments } from "../logic/links";
import { act } from "../state";

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

export function ConfirmLink() {
  const href = pendingLink.value;
  if (!href) return null;
  const close = () => (pendingLink.value = null);
  return (
    <div class="modal" role="dialog" aria-label="Open link" onKeyDown={(e) => e.key === "Escape" && close()}>
      <div class="modal-box">
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
