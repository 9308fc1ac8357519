// Canned responses in the composer: typing "/" at the start of a word opens
// the picker with what follows as the query; choosing one replaces the
// "/query" with the reply, its variables filled by the server.
import type { CannedResponse } from "../api";

/** SlashQuery is an open "/query" at the caret. */
export interface SlashQuery {
  /** Index of the "/". */
  start: number;
  /** Index just after the query (the caret). */
  end: number;
  query: string;
}

/** slashQuery finds a "/query" ending at the caret, started at the beginning of the text or after whitespace. */
export function slashQuery(text: string, caret: number): SlashQuery | null {
  const before = text.slice(0, caret);
  const m = /(^|\s)\/([a-z0-9_-]{0,32})$/i.exec(before);
  if (!m) return null;
  const start = caret - m[2]!.length - 1;
  return { start, end: caret, query: m[2]!.toLowerCase() };
}

/** rank orders replies for a query: shortcut prefix, then title, then body matches; others dropped. */
export function rank(list: CannedResponse[], query: string): CannedResponse[] {
  const q = query.trim().toLowerCase();
  if (q === "") return [...list].sort((a, b) => a.shortcut.localeCompare(b.shortcut));
  const score = (c: CannedResponse) => {
    if (c.shortcut.toLowerCase() === q) return 0;
    if (c.shortcut.toLowerCase().startsWith(q)) return 1;
    if (c.title.toLowerCase().includes(q)) return 2;
    if (c.body.toLowerCase().includes(q)) return 3;
    return -1;
  };
  return list
    .map((c) => ({ c, s: score(c) }))
    .filter((x) => x.s >= 0)
    .sort((a, b) => a.s - b.s || a.c.shortcut.localeCompare(b.c.shortcut))
    .map((x) => x.c);
}

/** insert replaces the slash query (or, without one, the selection at the caret) with the rendered text. */
export function insert(text: string, at: SlashQuery | { start: number; end: number }, rendered: string): { text: string; caret: number } {
  const out = text.slice(0, at.start) + rendered + text.slice(at.end);
  return { text: out, caret: at.start + rendered.length };
}
