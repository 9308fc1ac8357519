// The view: everything app.ts shows goes through here, and every DOM event
// comes out of here as a plain call. It decides nothing the logic modules
// decide; it keeps only view state (which rows are drawn, whether the list
// follows new messages, the typing note's timer).

import type { GetWidgetConfigResponse, WidgetCustomAction } from "@api/widget_pb.js";
import { accentColor, badgeText, launcherLabel, type Chrome, type Helper } from "../logic/chrome";
import type { QueueView } from "../logic/queue";
import { strings } from "../logic/strings";
import type { Row } from "../logic/timeline";
import type { CsatShow } from "../logic/rating";
import type { RecorderState } from "../logic/recorder";
import { csatShownFor, csatThanks, renderCsat, type CsatHooks } from "./csat";
import { clear, h } from "./dom";
import type { UI } from "./layout";
import { renderRow, type RowHooks } from "./render";
import { showRecorder, showRecordingTime } from "./voice";

/** What the view reports from the DOM. */
export interface ViewEvents {
  toggle(): void;
  close(): void;
  end(): void;
  /** send reports a message to send; false leaves it in the composer. */
  send(text: string): boolean;
  typed(): void;
  attach(file: File): void;
  /** record: the microphone button; recordCancel and recordSend: the recording bar's buttons. */
  record(): void;
  recordCancel(): void;
  recordSend(): void;
  saveEmail(): void;
  transcript(): void;
  online(): void;
  offline(): void;
}

/** What the chat's buttons do. */
export interface ButtonHooks {
  press(action: WidgetCustomAction): void;
  talk(): void;
}

export class View {
  private readonly rendered = new Map<string, { el: HTMLElement | null; version: number }>();
  /** stuck: the list follows new messages (false once the customer scrolls up on purpose). */
  private stuck = true;
  private typingHide = 0;
  /** voice: the browser can record, so the microphone button shows wherever files may be sent. */
  private voice = false;

  constructor(private readonly ui: UI) {}

  // ---- config, header and chrome ----------------------------------------------

  /** config shows the workspace's name, colour, greeting, file limit and departments. */
  config(c: GetWidgetConfigResponse): void {
    const ui = this.ui;
    ui.title.textContent = strings.panelTitle(c.workspaceName);
    ui.list.setAttribute("aria-label", strings.panelTitle(c.workspaceName));
    const accent = accentColor(c);
    if (accent) document.documentElement.style.setProperty("--accent", accent);
    ui.greeting.textContent = c.greeting || strings.greetingFallback;
    ui.greeting.hidden = false;
    ui.attachButton.hidden = Number(c.maxFileBytes) <= 0;
    ui.micButton.hidden = !this.voice || Number(c.maxFileBytes) <= 0;
    ui.fileHint.textContent = strings.fileLimit(strings.bytes(Number(c.maxFileBytes)));
    clear(ui.groupSelect);
    ui.groupSelect.appendChild(h("option", { value: "" }, strings.groupAny));
    for (const g of c.groups) ui.groupSelect.appendChild(h("option", { value: g.id, title: g.description }, g.name));
  }

  /** chrome shows the parts that depend on the conversation's state (logic/chrome decides them). */
  chrome(ch: Chrome, hooks: ButtonHooks): void {
    const ui = this.ui;
    ui.endButton.hidden = !ch.endButton;
    ui.nameField.hidden = !ch.askName;
    ui.emailField.hidden = !ch.askEmail;
    ui.groupField.hidden = !ch.askGroup;
    ui.prechat.hidden = !ch.prechat;
    clear(ui.actions);
    for (const b of ch.buttons) {
      if (b.kind === "action") {
        const el = h("button", { type: "button", class: "action" }, b.action.label);
        el.addEventListener("click", () => hooks.press(b.action));
        ui.actions.appendChild(el);
      } else {
        const el = h("button", { type: "button", class: "action talk" }, strings.talkToPerson);
        el.addEventListener("click", () => hooks.talk());
        ui.actions.appendChild(el);
      }
    }
    ui.actions.hidden = ui.actions.childElementCount === 0;
    if (ch.offline) this.notice(ch.offline);
    ui.composer.hidden = !ch.composer;
    ui.transcript.hidden = !ch.transcript;
  }

  /** transcriptAsked is the address typed for the chat's copy, "" when it is not one. */
  transcriptAsked(): string {
    const input = this.ui.transcriptEmail;
    const email = input.value.trim();
    return email && input.checkValidity() ? email : "";
  }

  /** transcriptAddress fills in the address known, unless the customer typed one. */
  transcriptAddress(email: string): void {
    if (email && !this.ui.transcriptEmail.value) this.ui.transcriptEmail.value = email;
  }

  /** transcriptDone says how asking for the copy went. */
  transcriptDone(text: string, ok: boolean): void {
    const ui = this.ui;
    if (ok) ui.transcriptEmail.removeAttribute("aria-invalid");
    else ui.transcriptEmail.setAttribute("aria-invalid", "true");
    ui.transcriptNote.textContent = text;
    ui.transcriptNote.hidden = false;
  }

  /** helper shows who is helping now. */
  helper(x: Helper): void {
    const ui = this.ui;
    ui.subtitle.textContent = x.text;
    ui.helperAvatar.textContent = x.avatar;
    ui.helperAvatar.hidden = !x.avatar;
    ui.helperAvatar.className = `avatar helper-avatar avatar-${x.kind || "none"}`;
    ui.panel.dataset.helper = x.kind;
  }

  /** queue shows the queue banner, or hides it (null). */
  queue(view: QueueView | null, emailGiven: string): void {
    const ui = this.ui;
    if (!view) {
      ui.queue.hidden = true;
      ui.queueText.textContent = "";
      return;
    }
    ui.queueText.textContent = view.lines.join(" ");
    ui.emailForm.hidden = !view.askEmail;
    if (emailGiven) ui.emailNote.textContent = strings.emailSaved(emailGiven);
    ui.emailNote.hidden = !ui.emailNote.textContent;
    ui.queue.hidden = false;
  }

  /** emailAsked is the address typed in the queue banner, "" when it is not one. */
  emailAsked(): string {
    const input = this.ui.emailAsk;
    const email = input.value.trim();
    return email && input.checkValidity() ? email : "";
  }

  emailRefused(text: string): void {
    this.ui.emailAsk.setAttribute("aria-invalid", "true");
    this.ui.emailNote.textContent = text;
    this.ui.emailNote.hidden = false;
  }

  emailAccepted(): void {
    this.ui.emailAsk.removeAttribute("aria-invalid");
  }

  /** csat draws the rating area as logic/rating's csatShow decided. */
  csat(show: CsatShow, conversationId: string, hooks: CsatHooks): void {
    renderCsat(this.ui.csat, show, conversationId, hooks);
  }

  /** csatShownFor is the conversation the rating area shows now, or null while hidden. */
  csatShownFor(): string | null {
    return csatShownFor(this.ui.csat);
  }

  csatThanks(): void {
    csatThanks(this.ui.csat);
  }

  // ---- status ------------------------------------------------------------------

  notice(text: string): void {
    this.ui.notice.textContent = text;
    this.ui.notice.hidden = !text;
  }

  connected(ok: boolean): void {
    this.ui.connection.textContent = ok ? "" : strings.connectionLost;
    this.ui.panel.classList.toggle("disconnected", !ok);
  }

  showTyping(name: string): void {
    this.ui.typing.textContent = strings.typing(name);
    clearTimeout(this.typingHide);
    this.typingHide = window.setTimeout(() => this.hideTyping(), 8000);
  }

  hideTyping(): void {
    clearTimeout(this.typingHide);
    this.ui.typing.textContent = "";
  }

  // ---- launcher and panel ----------------------------------------------------------

  open(open: boolean): void {
    const ui = this.ui;
    ui.panel.hidden = !open;
    ui.root.classList.toggle("open", open);
    ui.launcher.setAttribute("aria-expanded", String(open));
    ui.launcher.setAttribute("aria-label", launcherLabel(open, 0));
  }

  unread(n: number, open: boolean): void {
    this.ui.badge.hidden = n === 0;
    this.ui.badge.textContent = badgeText(n);
    this.ui.launcher.setAttribute("aria-label", launcherLabel(open, n));
  }

  focusLauncher(): void {
    this.ui.launcher.focus();
  }

  // ---- the list ----------------------------------------------------------------------

  /** sync brings the list in line with the rows, reusing elements so screen readers hear only new rows. */
  sync(rows: Row[], hooks: RowHooks): void {
    const list = this.ui.list;
    let added = 0;
    let prev: Element | null = null;
    const keep = new Set<string>();
    for (const row of rows) {
      keep.add(row.key);
      let r = this.rendered.get(row.key);
      if (!r || r.version !== row.version) {
        const el = renderRow(row, hooks);
        if (r?.el && el) r.el.replaceWith(el);
        else r?.el?.remove();
        if (!r && el) added++;
        r = { el, version: row.version };
        this.rendered.set(row.key, r);
      }
      if (!r.el) continue;
      const want: Element | null = prev ? prev.nextElementSibling : list.firstElementChild;
      if (want !== r.el) list.insertBefore(r.el, want);
      prev = r.el;
    }
    for (const [key, r] of this.rendered) {
      if (!keep.has(key)) {
        r.el?.remove();
        this.rendered.delete(key);
      }
    }
    if (this.stuck) this.scrollDown();
    else if (added > 0) this.ui.newMessages.hidden = false;
  }

  /** stick makes the list follow new messages again (the customer sent one). */
  stick(): void {
    this.stuck = true;
  }

  scrollDown(): void {
    const box = this.ui.scrollBox;
    box.scrollTop = box.scrollHeight;
    this.ui.newMessages.hidden = true;
  }

  /** onScroll notes whether the customer left the bottom on purpose (then new messages show a pill instead of moving the list). */
  private onScroll(): void {
    const box = this.ui.scrollBox;
    this.stuck = box.scrollHeight - box.scrollTop - box.clientHeight < 24;
    if (this.stuck) this.ui.newMessages.hidden = true;
  }

  // ---- composer, pre-chat and files ------------------------------------------------

  focusComposer(): void {
    this.ui.textarea.focus();
  }

  /** composerText is what the composer holds, trimmed. */
  composerText(): string {
    return this.ui.textarea.value.trim();
  }

  clearComposer(): void {
    this.ui.textarea.value = "";
  }

  /** prechat is what the pre-chat form holds, or null while it is not shown. */
  prechat(): { name: string; email: string } | null {
    if (this.ui.prechat.hidden) return null;
    return { name: this.ui.nameInput.value.trim(), email: this.ui.emailInput.value.trim() };
  }

  /** group is the department chosen ("" for any). */
  group(): string {
    return this.ui.groupSelect.value;
  }

  uploadTooBig(name: string, limit: number): void {
    const ui = this.ui;
    ui.upload.hidden = false;
    clear(ui.upload);
    ui.upload.classList.add("error");
    ui.upload.textContent = strings.fileTooBig(name, strings.bytes(limit));
  }

  /** uploadStarted shows a progress bar; it returns the function that moves it (0 to 1). */
  uploadStarted(name: string): (fraction: number) => void {
    const ui = this.ui;
    ui.upload.hidden = false;
    clear(ui.upload);
    ui.upload.classList.remove("error");
    const progress = h("progress", { max: "100", value: "0", "aria-label": strings.fileUploading(name) });
    ui.upload.append(h("span", {}, strings.fileUploading(name)), progress);
    return (x) => (progress.value = Math.round(x * 100));
  }

  uploadDone(): void {
    this.ui.upload.hidden = true;
    clear(this.ui.upload);
  }

  uploadFailed(name: string, why: string): void {
    this.ui.upload.classList.add("error");
    this.ui.upload.textContent = `${strings.fileFailed(name)} ${why}`;
  }

  /** voiceAvailable says whether the browser can record voice messages (before config). */
  voiceAvailable(ok: boolean): void {
    this.voice = ok;
  }

  /** recorder shows the recording bar in place of the composer row while the recorder is not idle. */
  recorder(state: RecorderState): void {
    if (state === "asking") this.uploadDone();
    showRecorder(this.ui, state);
  }

  recordingTime(elapsedMs: number): void {
    showRecordingTime(this.ui, elapsedMs);
  }

  /** voiceProblem says why nothing was recorded, where upload errors show. */
  voiceProblem(text: string): void {
    const ui = this.ui;
    ui.upload.hidden = false;
    clear(ui.upload);
    ui.upload.classList.add("error");
    ui.upload.textContent = text;
  }

  /** save hands a downloaded file (a blob URL) to the browser. */
  save(url: string, name: string): void {
    const a = h("a", { href: url, download: name, class: "visually-hidden" });
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
  }

  // ---- events --------------------------------------------------------------------------

  /** bind reports the DOM's events to on. */
  bind(on: ViewEvents): void {
    const ui = this.ui;
    ui.launcher.addEventListener("click", () => on.toggle());
    ui.closeButton.addEventListener("click", () => on.close());
    ui.endButton.addEventListener("click", () => on.end());
    ui.panel.addEventListener("keydown", (e) => {
      if (e.key === "Escape") {
        e.preventDefault();
        on.close();
      }
    });
    ui.composer.addEventListener("submit", (e) => {
      e.preventDefault();
      if (!on.send(ui.textarea.value)) return;
      ui.textarea.value = "";
      this.autosize();
    });
    ui.textarea.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        ui.composer.requestSubmit();
      }
    });
    ui.textarea.addEventListener("input", () => {
      this.autosize();
      if (ui.textarea.value) on.typed();
    });
    ui.attachButton.addEventListener("click", () => ui.fileInput.click());
    ui.fileInput.addEventListener("change", () => {
      const f = ui.fileInput.files?.[0];
      ui.fileInput.value = "";
      if (f) on.attach(f);
    });
    ui.micButton.addEventListener("click", () => on.record());
    ui.recorderCancel.addEventListener("click", () => on.recordCancel());
    ui.recorderSend.addEventListener("click", () => on.recordSend());
    ui.recorder.addEventListener("keydown", (e) => {
      // Escape throws the recording away rather than closing the chat around it.
      if (e.key === "Escape") {
        e.preventDefault();
        e.stopPropagation();
        on.recordCancel();
      }
    });
    ui.scrollBox.addEventListener("scroll", () => this.onScroll(), { passive: true });
    ui.newMessages.addEventListener("click", () => {
      this.stuck = true;
      this.scrollDown();
      ui.textarea.focus();
    });
    // Banners and notices that come and go resize the list's box: keep the
    // newest message in view while following.
    if (typeof ResizeObserver === "function") {
      const follow = new ResizeObserver(() => {
        if (this.stuck) this.scrollDown();
      });
      follow.observe(ui.scrollBox);
      follow.observe(ui.list);
    }
    ui.emailForm.addEventListener("submit", (e) => {
      e.preventDefault();
      on.saveEmail();
    });
    ui.transcriptForm.addEventListener("submit", (e) => {
      e.preventDefault();
      on.transcript();
    });
    window.addEventListener("online", () => on.online());
    window.addEventListener("offline", () => on.offline());
  }

  private autosize(): void {
    const t = this.ui.textarea;
    t.style.height = "auto";
    t.style.height = `${Math.min(t.scrollHeight, 140)}px`;
  }
}
