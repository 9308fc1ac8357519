import { signal } from "@preact/signals";
import { shortcuts } from "../logic/keys";

export const sheetOpen = signal(false);

export function ShortcutSheet() {
  if (!sheetOpen.value) return null;
  return (
    <div class="modal" role="dialog" aria-label="Keyboard shortcuts" onClick={() => (sheetOpen.value = false)}>
      <div class="modal-box" onClick={(e) => e.stopPropagation()}>
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
