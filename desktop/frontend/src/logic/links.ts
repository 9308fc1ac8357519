// Message text is shown as text, never as HTML. Web addresses in it become
// links, but only http(s) ones, and they open in the system browser after
// the agent confirms (see ui/Text.tsx).

export type Segment = { text: string } | { text: string; href: string };

const url = /\bhttps?:\/\/[^\s<>"'`]+/gi;

/** segments splits text into plain runs and http(s) links. */
export function segments(text: string): Segment[] {
  const out: Segment[] = [];
  let last = 0;
  for (const m of text.matchAll(url)) {
    let href = m[0];
    // Trailing punctuation belongs to the sentence, not the address.
    while (/[.,;:!?)\]}]$/.test(href)) href = href.slice(0, -1);
    const start = m.index ?? 0;
    if (!safeHref(href)) continue;
    if (start > last) out.push({ text: text.slice(last, start) });
    out.push({ text: href, href });
    last = start + href.length;
  }
  if (last < text.length) out.push({ text: text.slice(last) });
  return out;
}

/** safeHref accepts absolute http(s) URLs with a host and nothing else. */
export function safeHref(href: string): boolean {
  try {
    const u = new URL(href);
    return (u.protocol === "http:" || u.protocol === "https:") && u.hostname !== "";
  } catch {
    return false;
  }
}
