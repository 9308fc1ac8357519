// Splitting plain text into text and link pieces. Only absolute http(s)
// URLs become links; everything else stays text. Callers render pieces with
// textContent and set href only from a piece of kind "link".

/** A piece of a message body. */
export type Piece = { kind: "text"; text: string } | { kind: "link"; text: string; href: string };

const urlPattern = /\bhttps?:\/\/[^\s<>"'`]+/gi;
// Punctuation that usually ends a sentence rather than a URL.
const trailing = ".,;:!?]}'\"";

const count = (s: string, ch: string) => s.split(ch).length - 1;

// trimTrailing drops sentence punctuation after a URL, and a closing
// parenthesis unless it closes one opened inside the URL.
function trimTrailing(url: string): string {
  for (;;) {
    const ch = url[url.length - 1];
    if (ch === ")" && count(url, ")") > count(url, "(")) url = url.slice(0, -1);
    else if (ch !== undefined && trailing.includes(ch)) url = url.slice(0, -1);
    else return url;
  }
}

/** safeHref returns the normalized URL when it is http(s), else null. */
export function safeHref(raw: string): string | null {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return null;
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") return null;
  if (u.username || u.password) return null;
  return u.href;
}

/** linkify splits text into text and safe link pieces. */
export function linkify(text: string): Piece[] {
  const out: Piece[] = [];
  let last = 0;
  for (const m of text.matchAll(urlPattern)) {
    let url = m[0];
    const start = m.index ?? 0;
    url = trimTrailing(url);
    const href = safeHref(url);
    if (!href) continue;
    if (start > last) out.push({ kind: "text", text: text.slice(last, start) });
    out.push({ kind: "link", text: url, href });
    last = start + url.length;
  }
  if (last < text.length) out.push({ kind: "text", text: text.slice(last) });
  return out;
}
