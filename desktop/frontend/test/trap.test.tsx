// @vitest-environment happy-dom
// Modal dialogs keep the keyboard in (ui/trap.ts): which controls Tab
// reaches; focus moves in on open; Tab and Shift+Tab cycle and wrap, from
// wherever focus was lost too; only the innermost dialog traps; on close
// focus goes back to the opener, or to a fallback when the opener is gone.
// The link confirmation and the shortcut sheet use it.
import { render } from "preact";
import { useRef, useState } from "preact/hooks";
import { act } from "preact/test-utils";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ShortcutSheet, sheetOpen } from "../src/ui/ShortcutSheet";
import { ConfirmLink, pendingLink } from "../src/ui/Text";
import { tabbable, useFocusTrap } from "../src/ui/trap";

let root: HTMLElement;

beforeEach(() => {
  root = document.createElement("div");
  document.body.append(root);
});

afterEach(() => {
  act(() => {
    sheetOpen.value = false;
    pendingLink.value = null;
  });
  render(null, root);
  root.remove();
});

const active = () => document.activeElement as HTMLElement | null;
const name = (el: Element | null) => el?.getAttribute("aria-label") ?? el?.textContent?.trim() ?? el?.tagName;
const key = (k: string, shift = false) =>
  act(() => void (active() ?? document.body).dispatchEvent(new KeyboardEvent("keydown", { key: k, shiftKey: shift, bubbles: true, cancelable: true })));
const tab = (shift = false) => key("Tab", shift);
/** tabs presses Tab n times and names where focus went each time. */
function tabs(n: number, shift = false): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    tab(shift);
    out.push(name(active()) ?? "");
  }
  return out;
}
const button = (label: string) => [...root.querySelectorAll("button")].find((b) => name(b) === label)!;

describe("what Tab reaches", () => {
  it("is the enabled controls in order, out of hidden, inert and closed parts, one radio a group", () => {
    root.innerHTML = `
      <button>one</button>
      <button disabled>disabled</button>
      <button tabindex="-1">untabbable</button>
      <a>no address</a><a href="#x">link</a>
      <input type="hidden" name="h"><input aria-label="text">
      <div hidden><button>in hidden</button></div>
      <div inert><button>in inert</button></div>
      <fieldset disabled><input aria-label="in disabled fieldset"></fieldset>
      <details><summary>closed</summary><button>in closed</button></details>
      <details open><summary>open</summary><button>in open</button></details>
      <input type="radio" name="p" aria-label="7 days"><input type="radio" name="p" aria-label="30 days" checked>
      <input type="radio" name="q" aria-label="first"><input type="radio" name="q" aria-label="second">
      <div tabindex="0" aria-label="focusable div"></div>
      <textarea aria-label="area"></textarea><select aria-label="choice"></select>`;
    expect(tabbable(root).map(name)).toEqual(["one", "link", "text", "closed", "open", "in open", "30 days", "first", "focusable div", "area", "choice"]);
  });
});

/** Dialog is a modal dialog that the page's Open button opens. */
function Dialog({ onClose, children, first }: { onClose: () => void; children?: preact.ComponentChildren; first?: boolean }) {
  const box = useRef<HTMLDivElement>(null);
  useFocusTrap(box);
  return (
    <div role="dialog" aria-modal="true" ref={box}>
      <button onClick={onClose}>Close</button>
      <input aria-label="Field" autoFocus={first} />
      {children}
      <button>Last</button>
    </div>
  );
}

function Page({ inner = false }: { inner?: boolean }) {
  const [open, setOpen] = useState(false);
  const [nested, setNested] = useState(false);
  return (
    <>
      <button onClick={() => setOpen(true)}>Open</button>
      <button>Behind</button>
      {open && (
        <Dialog onClose={() => setOpen(false)} first>
          {inner && <button onClick={() => setNested(true)}>More</button>}
          {nested && (
            <Dialog onClose={() => setNested(false)}>
              <button>Inner</button>
            </Dialog>
          )}
        </Dialog>
      )}
    </>
  );
}

function open(label = "Open") {
  const b = button(label);
  act(() => {
    b.focus();
    b.click();
  });
}

describe("a trapped dialog", () => {
  it("takes focus on open (its autofocus control), keeps Tab and Shift+Tab inside, and gives focus back on close", () => {
    act(() => render(<Page />, root));
    open();
    expect(name(active())).toBe("Field");
    expect(tabs(3)).toEqual(["Last", "Close", "Field"]);
    expect(tabs(3, true)).toEqual(["Close", "Last", "Field"]);
    act(() => button("Close").click());
    expect(root.querySelector('[role="dialog"]')).toBeNull();
    expect(name(active())).toBe("Open");
  });

  it("brings focus lost to the page back in: Tab to the first control, Shift+Tab to the last", () => {
    act(() => render(<Page />, root));
    open();
    act(() => active()!.blur());
    expect(active()).toBe(document.body);
    tab();
    expect(name(active())).toBe("Close");
    act(() => button("Behind").focus()); // say, by a click behind the overlay
    tab(true);
    expect(name(active())).toBe("Last");
  });

  it("traps in the innermost of nested dialogs only, then in the outer one again", () => {
    act(() => render(<Page inner />, root));
    open();
    open("More");
    expect(name(active())).toBe("Close"); // no autofocus: the first control
    const inner = root.querySelectorAll('[role="dialog"]')[1]!;
    const seen = [...tabs(4), ...tabs(4, true)];
    expect(seen).toEqual(["Field", "Inner", "Last", "Close", "Last", "Inner", "Field", "Close"]);
    expect(inner.contains(active())).toBe(true);
    act(() => (active() as HTMLButtonElement).click()); // the inner Close
    expect(name(active())).toBe("More");
    expect(tabs(4)).toEqual(["Last", "Close", "Field", "More"]);
  });

  it("leaves Tab with a modifier, and a Tab an inner control took, to the page", () => {
    act(() => render(<Page />, root));
    open();
    const ev = new KeyboardEvent("keydown", { key: "Tab", ctrlKey: true, bubbles: true, cancelable: true });
    act(() => void active()!.dispatchEvent(ev));
    expect(ev.defaultPrevented).toBe(false);
    const field = active()!;
    field.addEventListener("keydown", (e) => e.preventDefault(), { once: true });
    tab();
    expect(active()).toBe(field);
  });
});

describe("the app's small dialogs", () => {
  it("the link confirmation: Open first, Tab between its two buttons, Esc closes and focus goes back to the link", () => {
    act(() =>
      render(
        <>
          <a href="https://example.com">example.com</a>
          <ConfirmLink />
        </>,
        root,
      ),
    );
    const link = root.querySelector("a")!;
    act(() => {
      link.focus();
      pendingLink.value = "https://example.com";
    });
    const dialog = root.querySelector('[role="dialog"][aria-modal="true"]')!;
    expect(dialog.getAttribute("aria-label")).toBe("Open link");
    expect(name(active())).toBe("Open");
    expect(tabs(3)).toEqual(["Cancel", "Open", "Cancel"]);
    key("Escape");
    expect(pendingLink.value).toBeNull();
    expect(active()).toBe(link);
  });

  it("the shortcut sheet: focus on the sheet, Tab stays there, and goes back on close", () => {
    act(() =>
      render(
        <>
          <input aria-label="Search" />
          <ShortcutSheet />
        </>,
        root,
      ),
    );
    const search = root.querySelector("input")!;
    act(() => {
      search.focus();
      sheetOpen.value = true;
    });
    const sheet = root.querySelector('[role="dialog"][aria-label="Keyboard shortcuts"]')!;
    expect(active()).toBe(sheet);
    tab();
    tab(true);
    expect(active()).toBe(sheet);
    act(() => {
      sheetOpen.value = false;
    });
    expect(active()).toBe(search);
  });
});
