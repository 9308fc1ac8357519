// @vitest-environment happy-dom
// The action bar in a DOM (happy-dom): popovers close on Esc and when
// another conversation opens, and no button carries a title tooltip
// (WebKitGTK leaves one floating when its button disappears).
import { render } from "preact";
import { act } from "preact/test-utils";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConversationState } from "../src/api";
import { session } from "../src/state";
import { Controls } from "../src/ui/Controls";
import { conv } from "./fixtures";

let root: HTMLElement;

beforeEach(() => {
  root = document.createElement("div");
  document.body.append(root);
  session.value = { role: "supervisor", user_id: "u1" } as typeof session.value;
});

afterEach(() => {
  render(null, root);
  root.remove();
});

const pending = (id: string) => conv({ id, state: ConversationState.PENDING });

function click(label: string) {
  const b = [...root.querySelectorAll("button")].find((x) => x.textContent?.startsWith(label));
  if (!b) throw new Error(`no button ${label} in ${root.innerHTML}`);
  act(() => b.click());
}

function openTransfer(id: string) {
  act(() => render(<Controls key={id} c={pending(id)} />, root));
  click("More");
  expect(root.querySelector('[role="menu"][aria-label="More actions"]')).not.toBeNull();
  click("Transfer");
  expect(root.querySelector('form[aria-label="Transfer"]')).not.toBeNull();
}

describe("the action bar", () => {
  it("closes the Transfer popover on Esc", () => {
    openTransfer("c1");
    act(() => {
      window.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
    });
    expect(root.querySelector('form[aria-label="Transfer"]')).toBeNull();
    expect(root.querySelector(".popover")).toBeNull();
  });

  it("keeps it open on other keys", () => {
    openTransfer("c1");
    act(() => {
      window.dispatchEvent(new KeyboardEvent("keydown", { key: "a", bubbles: true }));
    });
    expect(root.querySelector('form[aria-label="Transfer"]')).not.toBeNull();
  });

  it("closes it when another conversation opens", () => {
    openTransfer("c1");
    act(() => render(<Controls key="c2" c={pending("c2")} />, root));
    expect(root.querySelector(".popover")).toBeNull();
  });

  it("names shortcuts without title tooltips, and Close stays on the bar", () => {
    act(() => render(<Controls key="c1" c={pending("c1")} />, root));
    const buttons = [...root.querySelectorAll("button")];
    expect(buttons.map((b) => b.textContent?.trim().split(" ")[0])).toEqual(["Claim", "Take", "Close", "More"]);
    for (const b of root.querySelectorAll("[title]")) throw new Error(`tooltip on ${b.outerHTML}`);
    expect(root.querySelector('[aria-keyshortcuts="t"]')?.textContent).toContain("Take over");
  });

  it("offers Mark as spam, and for a chat held as spam only Not spam and tags", () => {
    act(() => render(<Controls key="c1" c={pending("c1")} />, root));
    click("More");
    expect([...root.querySelectorAll('[role="menuitem"]')].map((b) => b.textContent)).toContain("Mark as spam");
    act(() => render(<Controls key="c2" c={conv({ id: "c2", state: ConversationState.SPAM })} />, root));
    expect([...root.querySelectorAll("button")].map((b) => b.textContent?.trim())).toEqual(["Not spam", "Tags ▾"]);
    click("Tags");
    expect(root.querySelector('[aria-label="Tags"]')).not.toBeNull();
  });
});
