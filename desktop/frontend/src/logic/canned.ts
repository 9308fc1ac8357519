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

/** A piece of a rendered reply: text, or a variable that rendered as nothing. */
export type Segment = { text: string } | { unresolved: string };

/** Rendered is a reply with its variables filled in, for the preview. */
export interface Rendered {
  text: string;
  /** Variables with neither a value nor a fallback, each once. */
  unresolved: string[];
  segments: Segment[];
}

const maxVariable = 256;
const closingPunct = ".,!?;:)]}…";

function isVariable(name: string): boolean {
  const segs = name.split(".");
  if (segs.length < 2) return false;
  return segs.every((seg, i) => seg !== "" && (i === 0 ? /^\p{L}[\p{L}\p{Nd}_-]*$/u : /^[\p{L}\p{Nd}_-]+$/u).test(seg));
}

/**
 * render fills a canned reply's variables the way the server does
 * (backend/internal/canned/render.go; both pass
 * backend/internal/canned/testdata/render_cases.json): a variable renders
 * as its value, else its fallback ({{customer.name | there}}), else as
 * nothing, taking the space before it along when punctuation or a space
 * follows ("Hi !" never happens). The segments mark where a variable
 * rendered as nothing, for the composer to highlight before sending.
 */
export function render(body: string, vars: Record<string, string>): Rendered {
  const segments: Segment[] = [];
  const unresolved: string[] = [];
  let out = "";
  const push = (s: string) => {
    out += s;
    const last = segments[segments.length - 1];
    if (last && "text" in last) last.text += s;
    else if (s) segments.push({ text: s });
  };
  const trimSpaces = () => {
    const trimmed = out.replace(/[ \t]+$/, "");
    let cut = out.length - trimmed.length;
    out = trimmed;
    for (let i = segments.length - 1; i >= 0 && cut > 0; i--) {
      const s = segments[i]!;
      if (!("text" in s)) continue;
      const n = Math.min(cut, s.text.length);
      s.text = s.text.slice(0, s.text.length - n);
      cut -= n;
    }
  };
  let rest = body;
  for (;;) {
    const i = rest.indexOf("{{");
    if (i < 0) {
      push(rest);
      return { text: out, unresolved, segments: segments.filter((s) => !("text" in s) || s.text !== "") };
    }
    const inner = rest.slice(i + 2);
    const j = inner.slice(0, maxVariable + 2).indexOf("}}");
    if (j >= 0) {
      const raw = inner.slice(0, j);
      const bar = raw.indexOf("|");
      const name = (bar < 0 ? raw : raw.slice(0, bar)).trim();
      const fallback = bar < 0 ? "" : raw.slice(bar + 1).trim();
      if (isVariable(name)) {
        push(rest.slice(0, i));
        rest = inner.slice(j + 2);
        const value = vars[name] || fallback;
        if (value) {
          push(value);
          continue;
        }
        if (!unresolved.includes(name)) unresolved.push(name);
        const next = rest.charAt(0);
        if (next === " " || next === "\t" || (next !== "" && closingPunct.includes(next))) trimSpaces();
        segments.push({ unresolved: name });
        continue;
      }
    }
    push(rest.slice(0, i + 1));
    rest = rest.slice(i + 1);
  }
}

/** variables are the values a reply renders with, as the server computes them (canned.Variables). */
export function variables(contact: { name: string; email: string; verifiedAttributes: Record<string, string>; unverifiedAttributes: Record<string, string> } | null, agentName: string, conversationId: string, workspaceName: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const [k, v] of Object.entries(contact?.unverifiedAttributes ?? {})) vars[`customer.${k}`] = v;
  for (const [k, v] of Object.entries(contact?.verifiedAttributes ?? {})) vars[`customer.${k}`] = v;
  vars["customer.name"] = contact?.name ?? "";
  vars["customer.email"] = contact?.email ?? "";
  vars["agent.name"] = agentName;
  vars["conversation.id"] = conversationId;
  vars["workspace.name"] = workspaceName;
  return vars;
}
