// The chat: session, conversation, live stream, outbox and the view.

import { Code, ConnectError } from "@connectrpc/connect";
import { AuthorKind, ConversationState } from "@api/conversation_pb.js";
import type {
  GetWidgetConfigResponse,
  QueueStatus,
  WidgetConversation,
  WidgetCustomAction,
  WidgetEvent,
} from "@api/widget_pb.js";
import type { FrameToHost, Identity } from "../protocol";
import { Api, plainWords, retryable, uuid } from "./api";
import { toRow } from "./logic/convert";
import { clear, h, initials } from "./ui/dom";
import { Outbox, type OutboxItem } from "./logic/outbox";
import { queueView } from "./logic/queue";
import { renderRow } from "./ui/render";
import { fingerprint, Saved } from "./logic/session";
import { strings } from "./logic/strings";
import { Timeline, type FileRef, type Row } from "./logic/timeline";
import type { UI } from "./ui/layout";

/** Options the frame boots with. */
export interface AppOptions {
  origin: string;
  publicKey: string;
  storage: Storage;
  post: (m: FrameToHost) => void;
  standalone: boolean;
}

const backoff = (attempt: number) => Math.min(15000, 500 * 2 ** Math.min(attempt, 5)) * (0.75 + Math.random() * 0.5);

export class App {
  private readonly api: Api;
  private readonly saved: Saved;
  private readonly outbox: Outbox;
  private readonly timeline = new Timeline();
  private readonly rendered = new Map<string, { el: HTMLElement | null; version: number }>();

  private config: GetWidgetConfigResponse | null = null;
  private actions: WidgetCustomAction[] = [];
  private conv: WidgetConversation | null = null;
  private cursor = "";
  private queue: QueueStatus | undefined;
  private identity: Identity | null = null;
  private attributes: Record<string, string> = {};
  private pageUrl = "";
  private isOpen = false;
  private unread = 0;
  private ready: Promise<void> | null = null;
  private watchAbort: AbortController | null = null;
  private wake: (() => void) | null = null;
  private typingTimer = 0;
  private typingSent = 0;
  private typingHide = 0;
  private rated = false;
  /** stuck: the list follows new messages (false once the customer scrolls up on purpose). */
  private stuck = true;
  /** emailGiven is the address the visitor left in the queue banner. */
  private emailGiven = "";

  constructor(
    private readonly ui: UI,
    private readonly opts: AppOptions,
  ) {
    this.api = new Api(opts.origin);
    this.saved = new Saved(opts.storage, `tandem:${opts.publicKey}`);
    this.outbox = new Outbox(opts.storage, `tandem:${opts.publicKey}:outbox`);
    this.bind();
  }

  // ---- boot and session ------------------------------------------------

  /** boot starts the widget; it restores an existing chat right away, else waits for the first open. */
  boot(identity: Identity | null, attributes: Record<string, string>, pageUrl: string, open: boolean): void {
    this.identity = identity;
    this.attributes = attributes;
    this.pageUrl = pageUrl;
    if (this.saved.token) void this.prepare();
    // Messages queued on an earlier page load show as waiting.
    for (const item of this.outbox.items()) this.timeline.addPending(item.clientId, item.body, strings.you, item.createdAt, "queued");
    this.sync();
    if (open) this.setOpen(true);
  }

  /** prepare makes sure there is a session, the config, and the conversation if any. */
  private prepare(): Promise<void> {
    if (!this.ready) {
      this.ready = (async () => {
        await this.ensureSession();
        await this.loadConfig();
        await this.restore();
      })().catch((err) => {
        this.ready = null;
        this.showNotice(plainWords(err));
        throw err;
      });
    }
    return this.ready;
  }

  private async ensureSession(): Promise<void> {
    const fp = fingerprint(this.identity);
    // An anonymous page keeps whatever session this browser has; a store
    // that names a different shopper gets a new one.
    if (this.saved.token && (fp === "" || this.saved.identity === fp)) {
      this.api.token = this.saved.token;
      return;
    }
    const res = await this.api.client.startSession({
      publicKey: this.opts.publicKey,
      name: this.identity?.name ?? "",
      email: this.identity?.email ?? "",
      attributes: { ...this.attributes, ...(this.identity?.attributes ?? {}) },
      identityJson: this.identity?.identityJson ?? "",
      identitySignature: this.identity?.signature ?? "",
      // For the agents' profile of the visitor: their local time and the page.
      timeZone: localTimeZone(),
      pageUrl: this.pageUrl.slice(0, 2048),
    });
    const changedPerson = this.saved.token !== "";
    this.saved.token = res.token;
    this.saved.identity = fp;
    this.api.token = res.token;
    if (this.identity?.name) this.saved.customerName = this.identity.name;
    if (changedPerson) this.resetConversation();
  }

  private async loadConfig(): Promise<void> {
    try {
      this.config = await this.api.client.getWidgetConfig({});
    } catch (err) {
      if (ConnectError.from(err).code !== Code.Unauthenticated) throw err;
      this.saved.token = ""; // expired: start over
      await this.ensureSession();
      this.config = await this.api.client.getWidgetConfig({});
    }
    try {
      this.actions = (await this.api.client.listCustomActions({})).actions;
    } catch {
      this.actions = [];
    }
    this.applyConfig();
  }

  private applyConfig(): void {
    const c = this.config;
    if (!c) return;
    const ui = this.ui;
    ui.title.textContent = strings.panelTitle(c.workspaceName);
    ui.list.setAttribute("aria-label", strings.panelTitle(c.workspaceName));
    const accent = c.settings?.accentColor ?? "";
    if (/^#[0-9a-fA-F]{6}$/.test(accent)) document.documentElement.style.setProperty("--accent", accent);
    ui.greeting.textContent = c.greeting || strings.greetingFallback;
    ui.greeting.hidden = false;
    ui.attachButton.hidden = Number(c.maxFileBytes) <= 0;
    ui.fileHint.textContent = strings.fileLimit(strings.bytes(Number(c.maxFileBytes)));
    clear(ui.groupSelect);
    ui.groupSelect.appendChild(h("option", { value: "" }, strings.groupAny));
    for (const g of c.groups) ui.groupSelect.appendChild(h("option", { value: g.id, title: g.description }, g.name));
    this.updateChrome();
  }

  private async restore(): Promise<void> {
    const mine = (await this.api.client.listMyConversations({})).conversations;
    const stored = this.saved.conversation;
    const conv = mine.find((c) => c.id === stored) ?? mine.find((c) => c.state !== ConversationState.CLOSED);
    if (!conv) {
      this.updateChrome();
      return;
    }
    this.setConversation(conv);
    await this.loadHistory();
    this.startWatch();
    void this.flush();
  }

  /**
   * follow makes a new conversation current: its history (which gives the
   * cursor, so that an AI answer written meanwhile is not missed) and then
   * its live stream.
   */
  private follow(conv: WidgetConversation): void {
    const watching = this.conv?.id === conv.id && this.watchAbort !== null;
    this.setConversation(conv);
    if (watching) return;
    this.cursor = "";
    this.startWatch();
  }

  private setConversation(conv: WidgetConversation): void {
    const changed = this.conv?.id !== conv.id;
    this.conv = conv;
    this.saved.conversation = conv.id;
    if (conv.csatRating > 0) this.rated = true;
    if (changed) this.outbox.setConversation(conv.id);
    this.updateChrome();
  }

  private async loadHistory(): Promise<void> {
    if (!this.conv) return;
    const res = await this.api.client.listMessages({ conversationId: this.conv.id, pageSize: 100 });
    // A handoff or an assignment made before the stream opens shows only here.
    if (res.conversation?.id === this.conv.id) this.setConversation(res.conversation);
    for (const m of [...res.messages].reverse()) this.timeline.upsert(toRow(m));
    this.cursor = res.cursor;
    this.sync();
  }

  private resetConversation(): void {
    this.stopWatch();
    this.conv = null;
    this.cursor = "";
    this.queue = undefined;
    this.rated = false;
    this.saved.conversation = "";
    this.timeline.clear();
    this.sync();
    this.updateChrome();
  }

  // ---- live stream -------------------------------------------------------

  private startWatch(): void {
    this.stopWatch();
    const conv = this.conv;
    if (!conv) return;
    const abort = new AbortController();
    this.watchAbort = abort;
    void this.watchLoop(conv.id, abort.signal);
  }

  private stopWatch(): void {
    this.watchAbort?.abort();
    this.watchAbort = null;
  }

  private async watchLoop(conversationId: string, signal: AbortSignal): Promise<void> {
    let attempt = 0;
    while (!signal.aborted) {
      try {
        // Without a cursor, list first: the history gives one, so nothing
        // written before the stream opens is missed.
        if (!this.cursor) await this.loadHistory();
        for await (const res of this.api.client.watch({ conversationId, cursor: this.cursor }, { signal })) {
          if (attempt > 0 || this.ui.connection.textContent) this.setConnected(true);
          attempt = 0;
          if (res.cursor) this.cursor = res.cursor;
          if (res.event) this.onEvent(res.event);
          if (res.queue || res.heartbeat || res.event?.conversation) {
            this.queue = res.queue;
            this.updateQueue();
          }
        }
      } catch (err) {
        if (signal.aborted) return;
        const code = ConnectError.from(err).code;
        if (code === Code.FailedPrecondition) {
          // The cursor cannot be honoured: list again and watch from there.
          try {
            await this.loadHistory();
            continue;
          } catch {
            // retry below
          }
        } else if (code === Code.Unauthenticated) {
          this.showNotice(strings.sessionExpired);
          this.saved.token = "";
          return;
        } else if (code === Code.NotFound || code === Code.PermissionDenied) {
          return;
        }
        this.setConnected(false);
      }
      if (signal.aborted) return;
      await this.sleep(backoff(attempt++));
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
  }

  /** online is called when the browser is back online: reconnect and send at once. */
  online(): void {
    this.wake?.();
    void this.flush();
  }

  private setConnected(ok: boolean): void {
    this.ui.connection.textContent = ok ? "" : strings.connectionLost;
    this.ui.panel.classList.toggle("disconnected", !ok);
  }

  private onEvent(ev: WidgetEvent): void {
    if (ev.message) {
      const row = toRow(ev.message);
      const isNew = this.timeline.upsert(row);
      if (isNew && row.author !== "customer") {
        this.opts.post({ tandem: 1, type: "message", message: { id: row.id, author: row.author, authorName: row.authorName, body: row.body, createTimeMs: row.createdAt } });
        if (!this.isOpen && !row.activity) this.setUnread(this.unread + 1);
        this.hideTyping();
      }
      this.sync();
    }
    if (ev.conversation && this.conv && ev.conversation.id === this.conv.id) {
      this.setConversation(ev.conversation);
    }
    if (ev.type === "typing" && ev.actorKind !== AuthorKind.CUSTOMER) {
      if (ev.typing) this.showTyping(ev.actorName);
      else this.hideTyping();
    }
  }

  private showTyping(name: string): void {
    this.ui.typing.textContent = strings.typing(name);
    clearTimeout(this.typingHide);
    this.typingHide = window.setTimeout(() => this.hideTyping(), 8000);
  }

  private hideTyping(): void {
    clearTimeout(this.typingHide);
    this.ui.typing.textContent = "";
  }

  // ---- sending -------------------------------------------------------------

  /** send queues a message and flushes the queue. */
  send(body: string): void {
    const text = body.trim();
    if (!text) return;
    const item: OutboxItem = { clientId: uuid(), conversationId: this.conv?.id ?? "", body: text, createdAt: Date.now(), starts: !this.conv && !this.outbox.items().some((i) => i.starts) };
    this.outbox.add(item);
    this.timeline.addPending(item.clientId, text, strings.you, item.createdAt, navigator.onLine ? "sending" : "queued");
    this.stuck = true;
    this.sync();
    this.stopTyping();
    void this.flush();
  }

  private flushing = false;

  private async flush(): Promise<void> {
    if (this.outbox.items().length === 0 || this.flushing) return;
    this.flushing = true;
    try {
      const res = await this.outbox.flush(
        (item) => this.deliver(item),
        (err) => (retryable(err) ? "retry" : "drop"),
      );
      for (const d of res.dropped) this.timeline.setDelivery(d.clientId, "failed", plainWords(d.error));
      if (res.blocked) for (const i of this.outbox.items()) this.timeline.setDelivery(i.clientId, "queued");
      this.sync();
      if (res.blocked) setTimeout(() => void this.flush(), 3000);
    } finally {
      this.flushing = false;
    }
  }

  private async deliver(item: OutboxItem): Promise<void> {
    this.timeline.setDelivery(item.clientId, "sending");
    this.sync();
    await this.prepareForChat();
    const convId = item.conversationId || this.conv?.id;
    if (item.starts || !convId) {
      const res = await this.api.client.startConversation({
        clientId: item.clientId, body: item.body, pageUrl: this.pageUrl.slice(0, 2048), customFields: this.customFields(),
        groupId: this.ui.groupSelect.value,
      });
      if (res.message) this.timeline.confirm(item.clientId, toRow(res.message));
      if (res.conversation) this.follow(res.conversation);
      return;
    }
    const res = await this.api.client.sendMessage({ conversationId: convId, clientId: item.clientId, body: item.body });
    if (res.message) this.timeline.confirm(item.clientId, toRow(res.message));
    if (res.conversation) this.setConversation(res.conversation);
    this.sync();
  }

  /** prepareForChat makes sure of the session, and sends the pre-chat name and email, before the first message. */
  private async prepareForChat(): Promise<void> {
    if (!this.conv && !this.ui.prechat.hidden) {
      const name = this.ui.nameInput.value.trim();
      const email = this.ui.emailInput.value.trim();
      await this.prepare();
      if (name || email) {
        // The same session and contact: the visitor tells who they are.
        await this.api.client.updateVisitor({ name: name || undefined, email: email || undefined });
        if (name) this.saved.customerName = name;
      }
      return;
    }
    await this.prepare();
  }

  private customFields(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.attributes).slice(0, 20)) out[k] = v;
    return out;
  }

  /** ensureConversation starts an empty conversation when there is none (for files and buttons). */
  private async ensureConversation(): Promise<WidgetConversation> {
    await this.prepareForChat();
    if (this.conv) return this.conv;
    const res = await this.api.client.startConversation({
      clientId: uuid(), pageUrl: this.pageUrl.slice(0, 2048), customFields: this.customFields(), groupId: this.ui.groupSelect.value,
    });
    if (!res.conversation) throw new ConnectError("no conversation", Code.Internal);
    this.follow(res.conversation);
    return res.conversation;
  }

  private typing(): void {
    if (!this.conv || this.conv.state === ConversationState.CLOSED) return;
    const now = Date.now();
    if (now - this.typingSent > 3000) {
      this.typingSent = now;
      void this.api.client.setTyping({ conversationId: this.conv.id, typing: true }).catch(() => {});
    }
    clearTimeout(this.typingTimer);
    this.typingTimer = window.setTimeout(() => this.stopTyping(), 4000);
  }

  private stopTyping(): void {
    clearTimeout(this.typingTimer);
    if (!this.typingSent || !this.conv) return;
    this.typingSent = 0;
    void this.api.client.setTyping({ conversationId: this.conv.id, typing: false }).catch(() => {});
  }

  // ---- buttons, files, rating ----------------------------------------------

  private async requestHuman(): Promise<void> {
    try {
      const conv = await this.ensureConversation();
      const res = await this.api.client.requestHuman({ conversationId: conv.id });
      // The AI agent's handoff message and the queue banner say what happens next.
      if (res.conversation) this.setConversation(res.conversation);
    } catch (err) {
      this.showNotice(plainWords(err));
    }
  }

  private async press(action: WidgetCustomAction): Promise<void> {
    try {
      const conv = await this.ensureConversation();
      const res = await this.api.client.pressCustomAction({ conversationId: conv.id, customActionId: action.id });
      if (res.conversation) this.setConversation(res.conversation);
    } catch (err) {
      this.showNotice(plainWords(err));
    }
  }

  private async attach(file: File): Promise<void> {
    const limit = Number(this.config?.maxFileBytes ?? 0);
    const ui = this.ui;
    ui.upload.hidden = false;
    clear(ui.upload);
    if (limit <= 0 || file.size > limit) {
      ui.upload.classList.add("error");
      ui.upload.textContent = strings.fileTooBig(file.name, strings.bytes(limit));
      return;
    }
    ui.upload.classList.remove("error");
    const progress = h("progress", { max: "100", value: "0", "aria-label": strings.fileUploading(file.name) });
    ui.upload.append(h("span", {}, strings.fileUploading(file.name)), progress);
    try {
      const conv = await this.ensureConversation();
      const f = await this.api.upload(conv.id, uuid(), file, (x) => (progress.value = Math.round(x * 100)));
      const body = ui.textarea.value.trim();
      const res = await this.api.client.sendMessage({ conversationId: conv.id, clientId: uuid(), body, fileIds: [f.id] });
      if (body) ui.textarea.value = "";
      if (res.message) this.timeline.upsert(toRow(res.message));
      this.sync();
      ui.upload.hidden = true;
      clear(ui.upload);
    } catch (err) {
      ui.upload.classList.add("error");
      ui.upload.textContent = `${strings.fileFailed(file.name)} ${plainWords(err)}`;
    }
  }

  private async download(f: FileRef): Promise<void> {
    try {
      const url = await this.api.download(f.id);
      const a = h("a", { href: url, download: f.name, class: "visually-hidden" });
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
    } catch (err) {
      this.showNotice(plainWords(err));
    }
  }

  private async rate(score: number, comment: string): Promise<void> {
    if (!this.conv) return;
    try {
      const res = await this.api.client.rateConversation({ conversationId: this.conv.id, rating: score, comment });
      this.rated = true;
      if (res.conversation) this.setConversation(res.conversation);
      this.ui.csat.hidden = false;
      clear(this.ui.csat);
      this.ui.csat.append(h("p", { class: "csat-thanks", tabindex: "-1" }, strings.csatThanks));
      (this.ui.csat.firstChild as HTMLElement).focus();
    } catch (err) {
      this.showNotice(plainWords(err));
    }
  }

  private async endChat(): Promise<void> {
    if (!this.conv) return;
    try {
      const res = await this.api.client.closeConversation({ conversationId: this.conv.id });
      if (res.conversation) this.setConversation(res.conversation);
    } catch (err) {
      this.showNotice(plainWords(err));
    }
  }

  private newChat(): void {
    this.resetConversation();
    this.ui.textarea.focus();
  }

  retry(row: Row): void {
    this.outbox.add({ clientId: row.clientId, conversationId: this.conv?.id ?? "", body: row.body, createdAt: row.createdAt });
    this.timeline.setDelivery(row.clientId, "sending");
    this.sync();
    void this.flush();
  }

  // ---- host API -------------------------------------------------------------

  identify(identity: Identity): void {
    this.identity = identity;
    if (this.saved.token && this.saved.identity !== fingerprint(identity)) {
      this.ready = null;
      void this.prepare();
    }
  }

  setAttributes(attrs: Record<string, string>): void {
    // Kept for the next session and conversation, and told to this one at
    // once: rules (a cart over $200) see the values as they change.
    this.attributes = { ...this.attributes, ...attrs };
    if (this.api.token) {
      this.api.client.updateVisitor({ attributes: attrs }).catch(() => {
        // Best effort: the next session or conversation carries them.
      });
    }
  }

  setOpen(open: boolean): void {
    if (open === this.isOpen) return;
    this.isOpen = open;
    const ui = this.ui;
    ui.panel.hidden = !open;
    ui.root.classList.toggle("open", open);
    ui.launcher.setAttribute("aria-expanded", String(open));
    ui.launcher.setAttribute("aria-label", open ? strings.launcherClose : strings.launcherOpen);
    this.opts.post({ tandem: 1, type: "open", open });
    if (open) {
      this.setUnread(0);
      void this.prepare().catch(() => {});
      ui.textarea.focus();
      this.scrollDown();
    } else {
      ui.launcher.focus();
    }
  }

  private setUnread(n: number): void {
    this.unread = n;
    this.ui.badge.hidden = n === 0;
    this.ui.badge.textContent = n > 9 ? "9+" : String(n);
    this.ui.launcher.setAttribute("aria-label", n > 0 ? `${strings.launcherOpen}, ${strings.unread(n)}` : this.isOpen ? strings.launcherClose : strings.launcherOpen);
    this.opts.post({ tandem: 1, type: "unread", count: n });
  }

  // ---- view -------------------------------------------------------------------

  private showNotice(text: string): void {
    this.ui.notice.textContent = text;
    this.ui.notice.hidden = !text;
  }

  /** sync brings the list in line with the timeline, reusing elements so screen readers hear only new rows. */
  private sync(): void {
    const list = this.ui.list;
    let added = 0;
    let prev: Element | null = null;
    const keep = new Set<string>();
    for (const row of this.timeline.list()) {
      keep.add(row.key);
      let r = this.rendered.get(row.key);
      if (!r || r.version !== row.version) {
        const el = renderRow(row, { download: (f) => void this.download(f), retry: (x) => this.retry(x) });
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

  private scrollDown(): void {
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

  private updateQueue(): void {
    const q = this.queue;
    const ui = this.ui;
    if (!q || !this.conv || this.conv.state !== ConversationState.PENDING) {
      ui.queue.hidden = true;
      ui.queueText.textContent = "";
      return;
    }
    const view = queueView(q, this.emailGiven !== "");
    ui.queueText.textContent = view.lines.join(" ");
    ui.emailForm.hidden = !view.askEmail;
    if (this.emailGiven) ui.emailNote.textContent = strings.emailSaved(this.emailGiven);
    ui.emailNote.hidden = !ui.emailNote.textContent;
    ui.queue.hidden = false;
  }

  /** saveEmail keeps the address the visitor left while the team is away, on their contact. */
  private async saveEmail(): Promise<void> {
    const input = this.ui.emailAsk;
    const email = input.value.trim();
    if (!email || !input.checkValidity()) {
      input.setAttribute("aria-invalid", "true");
      this.ui.emailNote.textContent = strings.emailInvalid;
      this.ui.emailNote.hidden = false;
      return;
    }
    try {
      await this.api.client.updateVisitor({ email });
      input.removeAttribute("aria-invalid");
      this.emailGiven = email;
      this.updateQueue();
    } catch (err) {
      input.setAttribute("aria-invalid", "true");
      this.ui.emailNote.textContent = ConnectError.from(err).code === Code.InvalidArgument ? strings.emailInvalid : plainWords(err);
      this.ui.emailNote.hidden = false;
    }
  }

  /** updateHelper shows who is helping now: the agent, the team (while queued) or the AI assistant. */
  private updateHelper(): void {
    const ui = this.ui;
    const c = this.config;
    const conv = this.conv;
    let text = "";
    let avatar = "";
    let kind = "";
    if (conv?.agentName) {
      text = `${conv.agentName} · ${strings.helperAgent}`;
      avatar = initials(conv.agentName);
      kind = "agent";
    } else if (conv && conv.state !== ConversationState.BOT && conv.state !== ConversationState.CLOSED) {
      text = strings.waitingForTeam;
      kind = "team";
    } else if (c?.botEnabled && c.botName && (!conv || conv.state === ConversationState.BOT)) {
      text = strings.helperBot(c.botName);
      avatar = initials(c.botName);
      kind = "bot";
    }
    ui.subtitle.textContent = text;
    ui.helperAvatar.textContent = avatar;
    ui.helperAvatar.hidden = !avatar;
    ui.helperAvatar.className = `avatar helper-avatar avatar-${kind || "none"}`;
    ui.panel.dataset.helper = kind;
  }

  /** updateChrome shows the parts that depend on the conversation's state. */
  private updateChrome(): void {
    const ui = this.ui;
    const c = this.config;
    const state = this.conv?.state;
    const closed = state === ConversationState.CLOSED;
    ui.endButton.hidden = !this.conv || closed;
    // Pre-chat fields before the first message only.
    const askName = !!c?.settings?.askName && !this.identity?.name && !this.saved.customerName;
    const askEmail = !!c?.settings?.askEmail && !this.identity?.email;
    const askGroup = !!c?.settings?.chooseGroup && (c?.groups.length ?? 0) > 0;
    ui.nameField.hidden = !askName;
    ui.emailField.hidden = !askEmail;
    ui.groupField.hidden = !askGroup;
    ui.prechat.hidden = !!this.conv || !c || !(askName || askEmail || askGroup);
    // Buttons: the workspace's custom actions, or "Talk to a person" while
    // the AI agent has the chat; once with the team, none that hand off.
    clear(ui.actions);
    const withAI = !this.conv || state === ConversationState.BOT;
    if (c && !closed) {
      if (this.actions.length > 0) {
        for (const a of this.actions) {
          if (a.handsOff && !withAI) continue;
          const b = h("button", { type: "button", class: "action" }, a.label);
          b.addEventListener("click", () => void this.press(a));
          ui.actions.appendChild(b);
        }
      } else if (c.botEnabled && withAI) {
        const b = h("button", { type: "button", class: "action talk" }, strings.talkToPerson);
        b.addEventListener("click", () => void this.requestHuman());
        ui.actions.appendChild(b);
      }
    }
    ui.actions.hidden = ui.actions.childElementCount === 0;
    // Offline note when nobody can answer now.
    if (c && !c.agentsOnline && !c.botEnabled && !this.conv) this.showNotice(c.offlineMessage || strings.offlineDefault);
    // Composer off once closed; rating prompt instead.
    ui.composer.hidden = closed;
    this.renderCsat(closed);
    this.updateHelper();
    this.updateQueue();
  }

  private renderCsat(closed: boolean): void {
    const ui = this.ui;
    if (!closed) {
      ui.csat.hidden = true;
      clear(ui.csat);
      return;
    }
    if (!ui.csat.hidden && ui.csat.dataset.conv === this.conv?.id) return;
    ui.csat.hidden = false;
    ui.csat.dataset.conv = this.conv?.id ?? "";
    clear(ui.csat);
    ui.csat.append(h("p", { class: "closed-note" }, strings.chatClosed));
    if (!this.rated) {
      ui.csat.append(h("p", { class: "csat-question", id: "tw-csat-q" }, strings.csatQuestion));
      const scores = h("div", { class: "scores", role: "radiogroup", "aria-labelledby": "tw-csat-q" });
      let chosen = 0;
      const comment = h("textarea", { class: "csat-comment", rows: "2", maxlength: "2000", "aria-label": strings.csatComment, placeholder: strings.csatComment });
      const submit = h("button", { type: "button", class: "primary csat-submit", disabled: true }, strings.csatSubmit);
      for (let n = 1; n <= 5; n++) {
        const b = h("button", { type: "button", class: "score", role: "radio", "aria-checked": "false", "aria-label": `${n}: ${strings.csatScore(n)}`, title: strings.csatScore(n), "data-score": String(n) }, String(n));
        b.addEventListener("click", () => {
          chosen = n;
          for (const x of scores.querySelectorAll("button")) x.setAttribute("aria-checked", String(x === b));
          submit.disabled = false;
        });
        scores.appendChild(b);
      }
      submit.addEventListener("click", () => void this.rate(chosen, comment.value.trim()));
      ui.csat.append(scores, comment, submit);
    }
    const again = h("button", { type: "button", class: "link-button new-chat" }, strings.newChat);
    again.addEventListener("click", () => this.newChat());
    ui.csat.append(again);
  }

  // ---- events -----------------------------------------------------------------

  private bind(): void {
    const ui = this.ui;
    ui.launcher.addEventListener("click", () => this.setOpen(!this.isOpen));
    ui.closeButton.addEventListener("click", () => this.setOpen(false));
    ui.endButton.addEventListener("click", () => void this.endChat());
    ui.panel.addEventListener("keydown", (e) => {
      if (e.key === "Escape") {
        e.preventDefault();
        this.setOpen(false);
      }
    });
    ui.composer.addEventListener("submit", (e) => {
      e.preventDefault();
      this.send(ui.textarea.value);
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
      if (ui.textarea.value) this.typing();
    });
    ui.attachButton.addEventListener("click", () => ui.fileInput.click());
    ui.fileInput.addEventListener("change", () => {
      const f = ui.fileInput.files?.[0];
      ui.fileInput.value = "";
      if (f) void this.attach(f);
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
      void this.saveEmail();
    });
    window.addEventListener("online", () => this.online());
    window.addEventListener("offline", () => this.setConnected(false));
  }

  private autosize(): void {
    const t = this.ui.textarea;
    t.style.height = "auto";
    t.style.height = `${Math.min(t.scrollHeight, 140)}px`;
  }
}

/** localTimeZone is the browser's IANA time zone, or "" when it will not say. */
function localTimeZone(): string {
  try {
    return (Intl.DateTimeFormat().resolvedOptions().timeZone ?? "").slice(0, 64);
  } catch {
    return "";
  }
}
