import { describe, expect, it } from "vitest";
import { resolve, shortcuts, type KeyLike } from "../src/logic/keys";

const k = (key: string, mods: Partial<KeyLike> = {}): KeyLike => ({ key, ctrlKey: false, metaKey: false, altKey: false, shiftKey: false, ...mods });

describe("shortcuts", () => {
  it("maps single keys when not typing", () => {
    expect(resolve(k("j"), false, null).action).toBe("next");
    expect(resolve(k("k"), false, null).action).toBe("prev");
    expect(resolve(k("c"), false, null).action).toBe("claim");
    expect(resolve(k("t"), false, null).action).toBe("takeover");
    expect(resolve(k("x"), false, null).action).toBe("close");
    expect(resolve(k("?", { shiftKey: true }), false, null).action).toBe("sheet");
    expect(resolve(k("/"), false, null).action).toBe("search");
  });
  it("leaves single keys to text fields", () => {
    expect(resolve(k("j"), true, null).action).toBeNull();
    expect(resolve(k("g"), true, null).pending).toBeNull();
  });
  it("takes chords everywhere, with Ctrl or Cmd", () => {
    expect(resolve(k("Enter", { ctrlKey: true }), true, null).action).toBe("send");
    expect(resolve(k("Enter", { metaKey: true }), true, null).action).toBe("send");
    expect(resolve(k("k", { ctrlKey: true }), true, null).action).toBe("canned");
    expect(resolve(k("N", { ctrlKey: true, shiftKey: true }), true, null).action).toBe("toggleNote");
    expect(resolve(k("Escape"), true, null).action).toBe("escape");
  });
  it("reads two-key view sequences", () => {
    const first = resolve(k("g"), false, null);
    expect(first).toEqual({ action: null, pending: "g" });
    expect(resolve(k("p"), false, first.pending).action).toBe("view:pending");
    expect(resolve(k("m"), false, "g").action).toBe("view:mine");
    expect(resolve(k("z"), false, "g")).toEqual({ action: null, pending: null });
  });
  it("lists every action on the sheet once", () => {
    const actions = shortcuts.map((s) => s.action);
    expect(new Set(actions).size).toBe(actions.length);
  });
});
