// Keyboard shortcuts: one table for the handler and for the shortcut
// sheet. Single keys work when no text field has focus; chords with Ctrl
// (Cmd on macOS) work everywhere.

export type Action =
  | "next"
  | "prev"
  | "claim"
  | "takeover"
  | "close"
  | "reply"
  | "note"
  | "toggleNote"
  | "send"
  | "canned"
  | "search"
  | "sheet"
  | "escape"
  | "view:mine"
  | "view:unassigned"
  | "view:pending"
  | "view:bot"
  | "view:all"
  | "view:closed";

/** Shortcut is one entry of the sheet. */
export interface Shortcut {
  keys: string;
  action: Action;
  label: string;
}

export const shortcuts: Shortcut[] = [
  { keys: "j", action: "next", label: "Next conversation" },
  { keys: "k", action: "prev", label: "Previous conversation" },
  { keys: "c", action: "claim", label: "Claim" },
  { keys: "t", action: "takeover", label: "Take over" },
  { keys: "x", action: "close", label: "Close conversation" },
  { keys: "r", action: "reply", label: "Write a reply" },
  { keys: "n", action: "note", label: "Write an internal note" },
  { keys: "Ctrl+Shift+N", action: "toggleNote", label: "Switch between reply and note" },
  { keys: "Ctrl+Enter", action: "send", label: "Send" },
  { keys: "Ctrl+K", action: "canned", label: "Search canned responses (or type / in the composer)" },
  { keys: "/", action: "search", label: "Search conversations" },
  { keys: "g m", action: "view:mine", label: "Go to Mine" },
  { keys: "g u", action: "view:unassigned", label: "Go to Unassigned" },
  { keys: "g p", action: "view:pending", label: "Go to Pending" },
  { keys: "g b", action: "view:bot", label: "Go to Bot-handled" },
  { keys: "g a", action: "view:all", label: "Go to All" },
  { keys: "g c", action: "view:closed", label: "Go to Closed" },
  { keys: "?", action: "sheet", label: "Show this sheet" },
  { keys: "Esc", action: "escape", label: "Close a dialog, leave the composer" },
];

/** KeyLike is what the resolver reads from a KeyboardEvent. */
export interface KeyLike {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  shiftKey: boolean;
}

/** Resolved is the action a key press maps to, and the pending prefix for the next press. */
export interface Resolved {
  action: Action | null;
  pending: string | null;
}

const chords: Record<string, Action> = { "shift+n": "toggleNote", enter: "send", k: "canned" };
const singles: Record<string, Action> = {
  j: "next",
  k: "prev",
  c: "claim",
  t: "takeover",
  x: "close",
  r: "reply",
  n: "note",
  "/": "search",
  "?": "sheet",
};
const afterG: Record<string, Action> = {
  m: "view:mine",
  u: "view:unassigned",
  p: "view:pending",
  b: "view:bot",
  a: "view:all",
  c: "view:closed",
};

/**
 * resolve maps a key press to an action. typing is true while a text
 * field has focus; pending is the prefix of a two-key sequence ("g").
 */
export function resolve(e: KeyLike, typing: boolean, pending: string | null): Resolved {
  const key = e.key.length === 1 ? e.key.toLowerCase() : e.key.toLowerCase();
  if (key === "escape") return { action: "escape", pending: null };
  if (e.ctrlKey || e.metaKey) {
    const name = (e.shiftKey ? "shift+" : "") + key;
    return { action: chords[name] ?? null, pending: null };
  }
  if (typing || e.altKey) return { action: null, pending: null };
  if (pending === "g") return { action: afterG[key] ?? null, pending: null };
  if (key === "g") return { action: null, pending: "g" };
  // "?" is shift+/ on most layouts: take the character as typed.
  const single = singles[e.key] ?? singles[key];
  return { action: single ?? null, pending: null };
}
