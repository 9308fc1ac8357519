// Modal dialogs keep the keyboard in. While one is open, Tab and Shift+Tab
// cycle through its controls (only the innermost open dialog's, as with Esc
// in escape.ts); focus moves into it when it opens and goes back to the
// control that opened it when it closes.
//
// Why not <dialog> with showModal(): the app's Esc closes the innermost of
// nested dialogs through app state (escape.ts), while a native modal dialog
// closes itself on Esc ("cancel", which WebKit and Chromium do not always
// let a page stop); WebKitGTK before 2.36 has no showModal at all; the
// engines let Tab leave a modal dialog for the window's own chrome; and
// neither happy-dom nor jsdom implement its inertness or focus order, so
// the behaviour could not be tested here.
import type { RefObject } from "preact";
import { useEffect, useRef } from "preact/hooks";

interface Trap {
  box: HTMLElement;
}

const traps: Trap[] = [];

const candidates = 'a[href], area[href], button, input, select, textarea, iframe, summary, [tabindex], [contenteditable]:not([contenteditable="false"])';

/**
 * tabbable lists the controls Tab reaches in box, in document order: not
 * disabled, not taken out with a negative tabindex, not under [hidden],
 * [inert] or a closed <details> (its own summary excepted), and of a group
 * of radio buttons only the checked one (the first when none is).
 */
export function tabbable(box: HTMLElement): HTMLElement[] {
  const radios = new Map<string, HTMLInputElement>();
  const out: HTMLElement[] = [];
  for (const el of box.querySelectorAll<HTMLElement>(candidates)) {
    const t = el.getAttribute("tabindex");
    if (t !== null && t.trim() !== "" && Number(t) < 0) continue;
    if ((el as HTMLButtonElement).disabled || el.closest("[hidden], [inert], fieldset[disabled]")) continue;
    if (el instanceof HTMLInputElement && el.type === "hidden") continue;
    // A <details> opens and closes with its first summary; anything else in
    // it is out of reach while it is closed.
    const summary = el.tagName === "SUMMARY" && el.parentElement?.tagName === "DETAILS" && el.parentElement.querySelector(":scope > summary") === el;
    if (el.tagName === "SUMMARY" && !summary) continue;
    const shut = el.closest("details:not([open])");
    if (shut && !(summary && el.parentElement === shut)) continue;
    if (el instanceof HTMLInputElement && el.type === "radio" && el.name) {
      const seen = radios.get(el.name);
      if (seen) {
        if (el.checked && !seen.checked) {
          out[out.indexOf(seen)] = el;
          radios.set(el.name, el);
        }
        continue;
      }
      radios.set(el.name, el);
    }
    out.push(el);
  }
  return out;
}

/** next is the control Tab (or Shift+Tab, back) moves to from `from` within box, wrapping at either end. */
export function next(box: HTMLElement, from: Element | null, back: boolean): HTMLElement | null {
  const list = tabbable(box);
  if (list.length === 0) return null;
  const i = from ? list.indexOf(from as HTMLElement) : -1;
  if (i < 0) {
    // From the box itself, from a control not in the tab order, or from
    // outside: the first control forwards, the last backwards.
    if (from && from !== box && box.contains(from)) {
      const after = list.findIndex((el) => from.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING);
      if (after >= 0) return back ? (list[after - 1] ?? list[list.length - 1]!) : list[after]!;
    }
    return back ? list[list.length - 1]! : list[0]!;
  }
  return list[(i + (back ? -1 : 1) + list.length) % list.length]!;
}

function onKey(e: KeyboardEvent): void {
  const top = traps[traps.length - 1];
  if (!top || e.key !== "Tab" || e.defaultPrevented || e.ctrlKey || e.altKey || e.metaKey) return;
  e.preventDefault();
  // Whatever the engine would pick, the next control is ours to choose; one
  // that refuses focus (hidden by a style) is passed over.
  let from: Element | null = document.activeElement;
  for (let tries = tabbable(top.box).length; tries > 0; tries--) {
    const to = next(top.box, from, e.shiftKey);
    if (!to) break;
    to.focus();
    if (document.activeElement === to) return;
    from = to;
  }
  if (!top.box.contains(document.activeElement)) top.box.focus();
}

/** firstFocus is where focus goes when a dialog opens: its [autofocus] control, else the box itself if focusable, else its first control. */
function firstFocus(box: HTMLElement): HTMLElement {
  const auto = box.querySelector<HTMLElement>("[autofocus]");
  if (auto && tabbable(box).includes(auto)) return auto;
  if (box.hasAttribute("tabindex")) return box;
  return tabbable(box)[0] ?? box;
}

export interface TrapOptions {
  /** Where focus goes on close when the control that opened the dialog is gone. */
  fallback?: () => HTMLElement | null;
}

/**
 * useFocusTrap keeps the keyboard in the dialog whose box is ref while
 * active: focus moves in (unless already there), Tab cycles, and on close
 * focus returns to the element that had it before (or options.fallback()
 * when that one left the page).
 */
export function useFocusTrap(ref: RefObject<HTMLElement>, active = true, options: TrapOptions = {}): void {
  const opts = useRef(options);
  opts.current = options;
  useEffect(() => {
    const box = ref.current;
    if (!active || !box) return;
    const opener = document.activeElement instanceof HTMLElement && !box.contains(document.activeElement) ? document.activeElement : null;
    const trap: Trap = { box };
    traps.push(trap);
    if (traps.length === 1) window.addEventListener("keydown", onKey);
    if (!box.contains(document.activeElement)) firstFocus(box).focus();
    return () => {
      traps.splice(traps.indexOf(trap), 1);
      if (traps.length === 0) window.removeEventListener("keydown", onKey);
      // Only when focus is still the dialog's (or nobody's): never take it
      // from where the person has since put it.
      const here = document.activeElement;
      if (here && here !== document.body && !box.contains(here)) return;
      const back = opener?.isConnected && opener !== document.body ? opener : opts.current.fallback?.();
      back?.focus();
    };
  }, [active]);
}
