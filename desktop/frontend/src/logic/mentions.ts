// @mentions in internal notes: the composer suggests members after "@",
// and the note is sent with the ids of every member named in it.
import type { Member } from "../api";

/** mentionQuery finds an "@query" ending at the caret. */
export function mentionQuery(text: string, caret: number): { start: number; query: string } | null {
  const m = /(^|\s)@([\p{L}\p{N}._-]{0,40})$/u.exec(text.slice(0, caret));
  if (!m) return null;
  return { start: caret - m[2]!.length - 1, query: m[2]!.toLowerCase() };
}

/** suggest lists members whose name or email starts with (or whose name contains) the query. */
export function suggest(members: Member[], query: string, me: string, limit = 6): Member[] {
  const q = query.toLowerCase();
  return members
    .filter((m) => m.userId !== me)
    .map((m) => {
      const name = m.displayName.toLowerCase();
      const s = name.startsWith(q) || m.email.toLowerCase().startsWith(q) ? 0 : name.includes(q) ? 1 : -1;
      return { m, s };
    })
    .filter((x) => x.s >= 0)
    .sort((a, b) => a.s - b.s || a.m.displayName.localeCompare(b.m.displayName))
    .slice(0, limit)
    .map((x) => x.m);
}

/** mentioned returns the ids of members named as "@Display Name" in the text, longest names first. */
export function mentioned(text: string, members: Member[]): string[] {
  const ids: string[] = [];
  let rest = text;
  const byLength = [...members].filter((m) => m.displayName).sort((a, b) => b.displayName.length - a.displayName.length);
  for (const m of byLength) {
    const tag = "@" + m.displayName;
    const i = rest.toLowerCase().indexOf(tag.toLowerCase());
    if (i < 0) continue;
    const after = rest.charAt(i + tag.length);
    if (after !== "" && /[\p{L}\p{N}]/u.test(after)) continue;
    ids.push(m.userId);
    rest = rest.slice(0, i) + rest.slice(i + tag.length); // a shorter name must not match inside it
  }
  return [...new Set(ids)];
}
