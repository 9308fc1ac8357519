// The chat: wires the session, the conversation's stream, the outbox and the
// rating (logic/) to the view (ui/), and holds what they share: the current
// conversation and the timeline. The host page drives it through the public
// methods (main.ts); the view reports the customer's actions.

import { Code, ConnectError } from "@connectrpc/connect";
import { AuthorKind, ConversationState } from "@api/conversation_pb.js";
import type { QueueStatus, WidgetServiceWatchResponse, WidgetConversation, WidgetCustomAction, WidgetEvent } from "@api/widget_pb.js";
import type { FrameToHost, Identity } from "../protocol";
import { Api, plainWords, uuid } from "./api";
import { chromeOf, helperOf } from "./logic/chrome";
import { toRow } from "./logic/convert";
import { MediaFiles } from "./logic/media";
import { Outbox, type OutboxItem } from "./logic/outbox";
import { queueBanner } from "./logic/queue";
import { csatShow, Rating } from "./logic/rating";
import { VoiceRecorder } from "./logic/recorder";
import { SeenMarker, lastSeq } from "./logic/seen";
import { Sender, tooLong } from "./logic/send";
import { Saved, Session } from "./logic/session";
import { Stream } from "./logic/stream";
import { strings } from "./logic/strings";
import { Timeline, type FileRef, type Row } from "./logic/timeline";
import { TypingSignal } from "./logic/typing";
import { browserMic } from "./mic";
import type { UI } from "./ui/layout";
import { View } from "./ui/view";

/** Options the frame boots with. */
export interface AppOptions {
  origin: string;
  publicKey: string;
  storage: Storage;
  post: (m: FrameToHost) => void;
  standalone: boolean;
}

export class App {
  private readonly api: Api;
  private readonly view: View;
  private readonly session: Session;
  private readonly stream: Stream;
  private readonly sender: Sender;
  private readonly rating: Rating;
  private readonly typing: TypingSignal;
  private readonly timeline = new Timeline();
  private readonly seen: SeenMarker;
  /** media: voice messages' blob: URLs, and the lengths of clips recorded here. */
  private readonly media: MediaFiles;
  /** recorder records voice messages; null where the browser cannot. */
  private readonly recorder: VoiceRecorder | null;

  private conv: WidgetConversation | null = null;
  private queue: QueueStatus | undefined;
  private isOpen = false;
  private unread = 0;
  /** emailGiven is the address the visitor left in the queue banner. */
  private emailGiven = "";

  constructor(
    ui: UI,
    private readonly opts: AppOptions,
  ) {
    this.api = new Api(opts.origin);
    this.view = new View(ui);
    this.session = new Session(this.api, new Saved(opts.storage, `tandem:${opts.publicKey}`), opts.publicKey, {
      personChanged: () => this.resetConversation(),
      loaded: async () => {
        this.applyConfig();
        await this.restore();
      },
      failed: (err) => this.view.notice(plainWords(err)),
    });
    this.stream = new Stream(this.api.client, {
      history: () => this.loadHistory(),
      response: (res) => this.onResponse(res),
      connected: (ok) => this.view.connected(ok),
      expired: () => {
        this.view.notice(strings.sessionExpired);
        this.session.expired();
      },
    });
    this.sender = new Sender(new Outbox(opts.storage, `tandem:${opts.publicKey}:outbox`), this.timeline, {
      deliver: (item) => this.deliver(item),
      changed: () => this.sync(),
    });
    this.rating = new Rating(this.api.client);
    this.media = new MediaFiles((id) => this.api.download(id), (url) => URL.revokeObjectURL(url));
    const mic = browserMic();
    this.recorder = mic
      ? new VoiceRecorder(mic, {
          state: (st) => this.view.recorder(st),
          tick: (ms) => this.view.recordingTime(ms),
          // A clip goes the way every attachment goes.
          done: (clip) => void this.attach(new File([clip.blob], clip.name, { type: clip.blob.type }), clip.durationMs),
          failed: (problem) => this.view.voiceProblem(strings.micProblem[problem]),
        })
      : null;
    this.view.voiceAvailable(mic !== null);
    this.seen = new SeenMarker((conversationId, seq) => this.api.client.markSeen({ conversationId, seq: BigInt(seq) }));
    document.addEventListener("visibilitychange", () => this.markSeen());
    this.typing = new TypingSignal(
      () => (this.conv ? { id: this.conv.id, closed: this.conv.state === ConversationState.CLOSED } : null),
      (conversationId, typing) => void this.api.client.setTyping({ conversationId, typing }).catch(() => {}),
    );
    this.view.bind({
      toggle: () => this.setOpen(!this.isOpen),
      close: () => this.setOpen(false),
      end: () => void this.endChat(),
      send: (text) => this.send(text),
      typed: () => this.typing.typed(),
      attach: (file) => void this.attach(file),
      record: () => void this.recorder?.start(),
      recordCancel: () => this.recorder?.cancel(),
      recordSend: () => this.recorder?.stop(),
      saveEmail: () => void this.saveEmail(),
      transcript: () => void this.emailTranscript(),
      online: () => this.online(),
      offline: () => this.stream.setConnected(false),
    });
  }

  // ---- host API -----------------------------------------------------------------

  /** boot starts the widget; it restores an existing chat right away, else waits for the first open. */
  boot(identity: Identity | null, attributes: Record<string, string>, pageUrl: string, open: boolean): void {
    this.session.identity = identity;
    this.session.attributes = attributes;
    this.session.pageUrl = pageUrl;
    if (this.session.saved.token) void this.session.prepare();
    this.sender.restore();
    this.sync();
    if (open) this.setOpen(true);
  }

  identify(identity: Identity): void {
    this.session.identify(identity);
  }

  setAttributes(attrs: Record<string, string>): void {
    this.session.setAttributes(attrs);
  }

  setOpen(open: boolean): void {
    if (open === this.isOpen) return;
    this.isOpen = open;
    this.view.open(open);
    this.opts.post({ tandem: 1, type: "open", open });
    if (open) {
      this.setUnread(0);
      this.markSeen();
      void this.session.prepare().catch(() => {});
      this.view.focusComposer();
      this.view.scrollDown();
    } else {
      // Nobody records behind a closed panel.
      this.recorder?.cancel();
      this.view.focusLauncher();
    }
  }

  /** online is called when the browser is back online: reconnect and send at once. */
  online(): void {
    this.stream.retryNow();
    void this.sender.flush();
  }

  /**
   * send queues a message and flushes the queue; it says whether the
   * message was taken (a message over the server's limit is not, and the
   * customer is told, the text left in the composer).
   */
  send(body: string): boolean {
    if (tooLong(body)) {
      this.view.notice(strings.messageTooLong);
      return false;
    }
    if (!this.sender.queue(body, this.conv?.id ?? "")) return true;
    this.view.stick();
    this.sync();
    this.typing.stop();
    void this.sender.flush();
    return true;
  }

  retry(row: Row): void {
    this.sender.retry(row, this.conv?.id ?? "");
  }

  // ---- the conversation -------------------------------------------------------------

  private async restore(): Promise<void> {
    const mine = (await this.api.client.listMyConversations({})).conversations;
    const stored = this.session.saved.conversation;
    const conv = mine.find((c) => c.id === stored) ?? mine.find((c) => c.state !== ConversationState.CLOSED);
    if (!conv) {
      this.updateChrome();
      return;
    }
    this.setConversation(conv);
    await this.loadHistory();
    this.startWatch();
    void this.sender.flush();
  }

  /**
   * follow makes a new conversation current: its history (which gives the
   * cursor, so that an AI answer written meanwhile is not missed) and then
   * its live stream.
   */
  private follow(conv: WidgetConversation): void {
    const watching = this.conv?.id === conv.id && this.stream.watching;
    this.setConversation(conv);
    if (watching) return;
    this.stream.cursor = "";
    this.startWatch();
  }

  private setConversation(conv: WidgetConversation): void {
    const changed = this.conv?.id !== conv.id;
    this.conv = conv;
    this.session.saved.conversation = conv.id;
    this.rating.seen(conv);
    if (changed) this.sender.setConversation(conv.id);
    this.updateChrome();
  }

  private async loadHistory(): Promise<void> {
    if (!this.conv) return;
    const res = await this.api.client.listMessages({ conversationId: this.conv.id, pageSize: 100 });
    // A handoff or an assignment made before the stream opens shows only here.
    if (res.conversation?.id === this.conv.id) this.setConversation(res.conversation);
    for (const m of [...res.messages].reverse()) this.timeline.upsert(toRow(m));
    this.stream.cursor = res.cursor;
    this.sync();
  }

  private resetConversation(): void {
    this.stream.stop();
    this.conv = null;
    this.stream.cursor = "";
    this.queue = undefined;
    this.rating.reset();
    this.session.saved.conversation = "";
    this.timeline.clear();
    this.media.clear();
    this.sync();
    this.updateChrome();
  }

  private startWatch(): void {
    if (this.conv) void this.stream.start(this.conv.id);
    else this.stream.stop();
  }

  private onResponse(res: WidgetServiceWatchResponse): void {
    if (res.event) this.onEvent(res.event);
    if (res.queue || res.heartbeat || res.event?.conversation) {
      this.queue = res.queue;
      this.updateQueue();
    }
  }

  private onEvent(ev: WidgetEvent): void {
    if (ev.message) {
      const row = toRow(ev.message);
      const isNew = this.timeline.upsert(row);
      if (isNew && row.author !== "customer") {
        this.opts.post({ tandem: 1, type: "message", message: { id: row.id, author: row.author, authorName: row.authorName, body: row.body, createTimeMs: row.createdAt } });
        if (!this.isOpen && !row.activity) this.setUnread(this.unread + 1);
        this.view.hideTyping();
      }
      this.sync();
    }
    if (ev.conversation && this.conv && ev.conversation.id === this.conv.id) {
      this.setConversation(ev.conversation);
    }
    if (ev.type === "typing" && ev.actorKind !== AuthorKind.CUSTOMER) {
      if (ev.typing) this.view.showTyping(ev.actorName);
      else this.view.hideTyping();
    }
  }

  // ---- sending ------------------------------------------------------------------------

  private async deliver(item: OutboxItem): Promise<void> {
    await this.prepareForChat();
    const convId = item.conversationId || this.conv?.id;
    if (item.starts || !convId) {
      const res = await this.api.client.startConversation({
        clientId: item.clientId, body: item.body, pageUrl: this.session.page(), customFields: this.session.customFields(),
        groupId: this.view.group(),
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
    const pre = this.conv ? null : this.view.prechat();
    if (pre) {
      await this.session.prepare();
      if (pre.name || pre.email) {
        // The same session and contact: the visitor tells who they are.
        await this.api.client.updateVisitor({ name: pre.name || undefined, email: pre.email || undefined });
        if (pre.name) this.session.saved.customerName = pre.name;
      }
      return;
    }
    await this.session.prepare();
  }

  /** ensureConversation starts an empty conversation when there is none (for files and buttons). */
  private async ensureConversation(): Promise<WidgetConversation> {
    await this.prepareForChat();
    if (this.conv) return this.conv;
    const res = await this.api.client.startConversation({
      clientId: uuid(), pageUrl: this.session.page(), customFields: this.session.customFields(), groupId: this.view.group(),
    });
    if (!res.conversation) throw new ConnectError("no conversation", Code.Internal);
    this.follow(res.conversation);
    return res.conversation;
  }

  // ---- buttons, files, rating -------------------------------------------------------

  private async requestHuman(): Promise<void> {
    try {
      const conv = await this.ensureConversation();
      const res = await this.api.client.requestHuman({ conversationId: conv.id });
      // The AI agent's handoff message and the queue banner say what happens next.
      if (res.conversation) this.setConversation(res.conversation);
    } catch (err) {
      this.view.notice(plainWords(err));
    }
  }

  private async press(action: WidgetCustomAction): Promise<void> {
    try {
      const conv = await this.ensureConversation();
      const res = await this.api.client.pressCustomAction({ conversationId: conv.id, customActionId: action.id });
      if (res.conversation) this.setConversation(res.conversation);
    } catch (err) {
      this.view.notice(plainWords(err));
    }
  }

  /**
   * attach uploads a file and sends it in a message with what the composer
   * holds. lengthMs is a voice clip's recorded length, shown on its player
   * until the browser knows it.
   */
  private async attach(file: File, lengthMs = 0): Promise<void> {
    const limit = Number(this.session.config?.maxFileBytes ?? 0);
    if (limit <= 0 || file.size > limit) {
      this.view.uploadTooBig(file.name, limit);
      return;
    }
    const progress = this.view.uploadStarted(file.name);
    try {
      const conv = await this.ensureConversation();
      const f = await this.api.upload(conv.id, uuid(), file, progress);
      this.media.noteLength(f.id, lengthMs);
      const body = this.view.composerText();
      const res = await this.api.client.sendMessage({ conversationId: conv.id, clientId: uuid(), body, fileIds: [f.id] });
      if (body) this.view.clearComposer();
      if (res.message) this.timeline.upsert(toRow(res.message));
      this.sync();
      this.view.uploadDone();
    } catch (err) {
      this.view.uploadFailed(file.name, plainWords(err));
    }
  }

  private async download(f: FileRef): Promise<void> {
    try {
      this.view.save(await this.api.download(f.id), f.name);
    } catch (err) {
      this.view.notice(plainWords(err));
    }
  }

  private async rate(score: number, comment: string): Promise<void> {
    if (!this.conv) return;
    try {
      const conv = await this.rating.rate(this.conv.id, score, comment);
      if (conv) this.setConversation(conv);
      this.view.csatThanks();
    } catch (err) {
      this.view.notice(plainWords(err));
    }
  }

  private async endChat(): Promise<void> {
    if (!this.conv) return;
    try {
      const res = await this.api.client.closeConversation({ conversationId: this.conv.id });
      if (res.conversation) this.setConversation(res.conversation);
    } catch (err) {
      this.view.notice(plainWords(err));
    }
  }

  private newChat(): void {
    this.resetConversation();
    this.view.focusComposer();
  }

  /** saveEmail keeps the address the visitor left while the team is away, on their contact. */
  private async saveEmail(): Promise<void> {
    const email = this.view.emailAsked();
    if (!email) {
      this.view.emailRefused(strings.emailInvalid);
      return;
    }
    try {
      await this.api.client.updateVisitor({ email });
      this.view.emailAccepted();
      this.emailGiven = email;
      this.updateQueue();
    } catch (err) {
      this.view.emailRefused(ConnectError.from(err).code === Code.InvalidArgument ? strings.emailInvalid : plainWords(err));
    }
  }

  /** emailTranscript asks the server to mail the customer a copy of the chat, to the address typed. */
  private async emailTranscript(): Promise<void> {
    if (!this.conv) return;
    const email = this.view.transcriptAsked();
    if (!email) {
      this.view.transcriptDone(strings.emailInvalid, false);
      return;
    }
    try {
      const res = await this.api.client.emailTranscript({ conversationId: this.conv.id, email });
      this.emailGiven = res.email;
      this.view.transcriptDone(res.confirmationSent ? strings.transcriptConfirm : strings.transcriptSent(res.email), true);
    } catch (err) {
      this.view.transcriptDone(ConnectError.from(err).code === Code.InvalidArgument ? strings.emailInvalid : plainWords(err), false);
    }
  }

  // ---- drawing ---------------------------------------------------------------------------

  private setUnread(n: number): void {
    this.unread = n;
    this.view.unread(n, this.isOpen);
    this.opts.post({ tandem: 1, type: "unread", count: n });
  }

  private sync(): void {
    this.view.sync(this.timeline.list(), {
      download: (f) => void this.download(f),
      retry: (x) => this.retry(x),
      media: { url: (f) => this.media.url(f.id), length: (f) => this.media.length(f.id) },
    });
    this.markSeen();
  }

  /** markSeen tells the server what the open widget shows the customer, so replies shown are not emailed. */
  private markSeen(): void {
    if (!this.conv || !this.isOpen || document.visibilityState !== "visible") return;
    this.seen.note(this.conv.id, lastSeq(this.timeline.list()));
  }

  private applyConfig(): void {
    const c = this.session.config;
    if (!c) return;
    this.view.config(c);
    this.updateChrome();
  }

  private updateQueue(): void {
    this.view.queue(queueBanner(this.queue, this.conv, this.emailGiven), this.emailGiven);
  }

  /** updateChrome shows the parts that depend on the conversation's state. */
  private updateChrome(): void {
    const s = this.session;
    const conv = this.conv;
    const ch = chromeOf({ config: s.config, conv, identity: s.identity, savedName: s.saved.customerName, actions: s.actions });
    // A chat that can take no more messages takes no recording either.
    if (!ch.composer) this.recorder?.cancel();
    this.view.chrome(ch, { press: (a) => void this.press(a), talk: () => void this.requestHuman() });
    this.view.csat(csatShow(ch.closed, conv?.id, this.view.csatShownFor(), this.rating.rated), conv?.id ?? "", {
      rate: (score, comment) => void this.rate(score, comment),
      newChat: () => this.newChat(),
    });
    this.view.helper(helperOf(s.config, conv));
    this.view.transcriptAddress(this.emailGiven || s.identity?.email || "");
    this.updateQueue();
  }
}
