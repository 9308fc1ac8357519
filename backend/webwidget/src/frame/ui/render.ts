// Rendering timeline rows. Bodies, names, titles and file names are all
// set as text; only http(s) links from linkify become anchors.

import { initials } from "../logic/chrome";
import { linkify } from "../logic/linkify";
import { h, icon } from "./dom";
import { strings } from "../logic/strings";
import type { FileRef, Row } from "../logic/timeline";
import { isAudio } from "../logic/voice";
import { voicePlayer, type MediaHooks } from "./voice";

/** Hooks the rows call back into. */
export interface RowHooks {
  download(file: FileRef): void;
  retry(row: Row): void;
  /** media plays audio attachments in the list; without it they are downloads like other files. */
  media?: MediaHooks;
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/** bodyNode renders plain text with safe links. */
export function bodyNode(text: string): HTMLElement {
  const p = h("p", { class: "body" });
  for (const piece of linkify(text)) {
    if (piece.kind === "link") {
      const a = h("a", { href: piece.href, target: "_blank", rel: "noopener noreferrer nofollow" }, piece.text);
      p.appendChild(a);
    } else {
      p.appendChild(document.createTextNode(piece.text));
    }
  }
  return p;
}

/** safeHref returns an absolute http(s) URL, or "" for anything else (javascript:, relative, junk). */
export function safeHref(url: string): string {
  if (!url) return "";
  try {
    const u = new URL(url);
    return u.protocol === "https:" || u.protocol === "http:" ? u.href : "";
  } catch {
    return "";
  }
}

function activityText(row: Row): string {
  switch (row.activity) {
    case "agent_joined":
      return strings.personJoined(row.authorName);
    case "agent_left":
      return strings.personLeft(row.authorName);
    case "handoff":
      return strings.handedOff;
    default:
      return row.body;
  }
}

/** renderRow draws one row; it returns null for rows the customer need not see. */
export function renderRow(row: Row, hooks: RowHooks): HTMLElement | null {
  if (row.activity) {
    const text = activityText(row);
    if (!text) return null;
    return h("li", { class: `banner activity-${row.activity}`, "data-key": row.key }, h("span", {}, text));
  }
  const mine = row.author === "customer";
  const li = h("li", { class: `msg from-${row.author}`, "data-key": row.key, "data-id": row.id || undefined });
  if (!mine) {
    li.appendChild(h("span", { class: `avatar avatar-${row.author}`, "aria-hidden": "true" }, initials(row.authorName || "?")));
  }
  const bubble = h("div", { class: "bubble" });
  const who = mine ? strings.you : row.author === "bot" ? strings.helperBot(row.authorName) : row.authorName;
  bubble.appendChild(h("span", { class: "author" }, who));
  if (row.author === "bot" && row.whileWaiting) bubble.appendChild(h("span", { class: "while-waiting" }, strings.answeredWhileWaiting));
  if (row.body) bubble.appendChild(bodyNode(row.body));
  if (row.attachments.length) {
    const ul = h("ul", { class: "files" });
    for (const f of row.attachments) {
      if (hooks.media && isAudio(f.contentType)) {
        ul.appendChild(h("li", {}, voicePlayer(f, hooks.media)));
        continue;
      }
      const b = h("button", { type: "button", class: "file" }, icon("file"), strings.fileDownload(f.name, strings.bytes(f.size)));
      b.addEventListener("click", () => hooks.download(f));
      ul.appendChild(h("li", {}, b));
    }
    bubble.appendChild(ul);
  }
  if (row.citations.length) {
    const seen = new Set<string>();
    const ul = h("ul", { class: "sources", "aria-label": strings.sources });
    for (const c of row.citations) {
      const label = c.heading || c.title;
      if (seen.has(label)) continue;
      seen.add(label);
      const href = safeHref(c.url);
      ul.appendChild(h("li", { class: "source" }, href ? h("a", { href, target: "_blank", rel: "noopener noreferrer nofollow" }, label) : label));
    }
    bubble.appendChild(h("div", { class: "citations" }, h("span", { class: "sources-label" }, `${strings.sources}:`), ul));
  }
  const meta = h("div", { class: "meta" });
  const when = new Date(row.createdAt || Date.now());
  meta.appendChild(h("time", { datetime: when.toISOString(), title: fullFormat.format(when) }, timeFormat.format(when)));
  if (mine && row.delivery) {
    const label = {
      queued: strings.deliveryQueued,
      sending: strings.deliverySending,
      sent: strings.deliverySent,
      failed: row.error ? `${strings.deliveryFailed}: ${row.error}` : strings.deliveryFailed,
    }[row.delivery];
    meta.appendChild(h("span", { class: `delivery delivery-${row.delivery}` }, label));
    if (row.delivery === "failed") {
      const retry = h("button", { type: "button", class: "link-button" }, strings.retry);
      retry.addEventListener("click", () => hooks.retry(row));
      meta.appendChild(retry);
    }
  }
  bubble.appendChild(meta);
  li.appendChild(bubble);
  return li;
}
