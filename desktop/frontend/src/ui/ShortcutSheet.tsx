import { signal } from "@preact/signals";
import { useRef } from "preact/hooks";
import { shortcuts } from "../logic/keys";
import { useFocusTrap } from "./trap";

export const sheetOpen = signal(false);

/** ShortcutSheet lists the shortcuts; ? or Esc closes it (App), focus stays in it meanwhile. */
export function ShortcutSheet() {
  const box = useRef<HTMLDivElement>(null);
  useFocusTrap(box, sheetOpen.value);
  if (!sheetOpen.value) return null;
  return (
    <div class="modal" onClick={() => (sheetOpen.value = false)}>
      <div class="modal-box" role="dialog" aria-modal="true" aria-label="Keyboard shortcuts" tabIndex={-1} ref={box} onClick={(e) => e.stopPropagation()}>
        <h2>Keyboard shortcuts</h2>
        <table class="keys">
          <tbody>
            {shortcuts.map((s) => (
              <tr key={s.action}>
                <td>
                  {s.keys.split(" ").map((k, i) => (
                    <kbd key={i}>{k}</kbd>
                  ))}
                </td>
                <td>{s.label}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <p class="hint">Single keys work when no text field has focus. Press Esc to close.</p>
      </div>
    </div>
  );
}
