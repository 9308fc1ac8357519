// The rating area under a closed chat: the closing note, the 1-5 scores
// with a comment (until rated), the thanks, and "Start a new chat".

import type { CsatShow } from "../logic/rating";
import { scores } from "../logic/rating";
import { strings } from "../logic/strings";
import { clear, h } from "./dom";

/** What the rating area calls back. */
export interface CsatHooks {
  rate(score: number, comment: string): void;
  newChat(): void;
}

/** csatShownFor is the conversation the area shows now, or null while hidden. */
export function csatShownFor(el: HTMLElement): string | null {
  return el.hidden ? null : (el.dataset.conv ?? "");
}

/** renderCsat draws the area as logic/rating's csatShow decided. */
export function renderCsat(el: HTMLElement, show: CsatShow, conversationId: string, hooks: CsatHooks): void {
  if (show === "none") {
    el.hidden = true;
    clear(el);
    return;
  }
  if (show === "keep") return;
  el.hidden = false;
  el.dataset.conv = conversationId;
  clear(el);
  el.append(h("p", { class: "closed-note" }, strings.chatClosed));
  if (show === "ask") {
    el.append(h("p", { class: "csat-question", id: "tw-csat-q" }, strings.csatQuestion));
    const group = h("div", { class: "scores", role: "radiogroup", "aria-labelledby": "tw-csat-q" });
    let chosen = 0;
    const comment = h("textarea", { class: "csat-comment", rows: "2", maxlength: "2000", "aria-label": strings.csatComment, placeholder: strings.csatComment });
    const submit = h("button", { type: "button", class: "primary csat-submit", disabled: true }, strings.csatSubmit);
    for (const n of scores) {
      const b = h("button", { type: "button", class: "score", role: "radio", "aria-checked": "false", "aria-label": `${n}: ${strings.csatScore(n)}`, title: strings.csatScore(n), "data-score": String(n) }, String(n));
      b.addEventListener("click", () => {
        chosen = n;
        for (const x of group.querySelectorAll("button")) x.setAttribute("aria-checked", String(x === b));
        submit.disabled = false;
      });
      group.appendChild(b);
    }
    submit.addEventListener("click", () => hooks.rate(chosen, comment.value.trim()));
    el.append(group, comment, submit);
  }
  const again = h("button", { type: "button", class: "link-button new-chat" }, strings.newChat);
  again.addEventListener("click", () => hooks.newChat());
  el.append(again);
}

/** csatThanks replaces the area with the thanks, focused so screen readers say it. */
export function csatThanks(el: HTMLElement): void {
  el.hidden = false;
  clear(el);
  el.append(h("p", { class: "csat-thanks", tabindex: "-1" }, strings.csatThanks));
  (el.firstChild as HTMLElement).focus();
}
