// Esc closes the innermost open dialog only: each one registers while it
// is open, and one listener (capturing, so the inbox's shortcuts never see
// the key) closes the last registered.
import { useEffect, useRef } from "preact/hooks";

const open: { close: () => void }[] = [];

function onKey(e: KeyboardEvent): void {
  const top = open[open.length - 1];
  if (e.key !== "Escape" || !top) return;
  e.preventDefault();
  e.stopImmediatePropagation();
  top.close();
}

/** useEscape makes Esc call close while the component is shown (and active). */
export function useEscape(close: () => void, active = true): void {
  const ref = useRef(close);
  ref.current = close;
  useEffect(() => {
    if (!active) return;
    const entry = { close: () => ref.current() };
    open.push(entry);
    if (open.length === 1) window.addEventListener("keydown", onKey, true);
    return () => {
      open.splice(open.indexOf(entry), 1);
      if (open.length === 0) window.removeEventListener("keydown", onKey, true);
    };
  }, [active]);
}
