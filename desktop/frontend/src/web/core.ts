// The web host's state and lifecycle (desktop/internal/app: core.go,
// session.go, workspace.go): signing in and out, coming back to a session
// the browser still holds, opening a workspace and following its stream,
// running the outbox, and telling the views about each change.
//
// The browser's session is a cookie shared by the origin's tabs: a tab
// remembers the CSRF token its session began with, and refuses to send
// anything once the cookie holds another (a sign-in or sign-out in another
// tab); it then follows the browser's new session, if any.
import { toJson } from "@bufbuild/protobuf";
import { EventSchema, type Event } from "@api/conversation_pb.js";
import { PresenceStatus } from "@api/presence_pb.js";
import type { Membership, User } from "@api/auth_pb.js";
import type { ConversationView, SessionView } from "../bridge";
import { child } from "./backoff";
import * as auth from "./auth";
import { Emitter } from "./events";
import { appError, fromError } from "./errors";
import { Picks } from "./files";
import { notify, type Page } from "./notifications";
import { Outbox } from "./outbox";
import type { OutboxDB } from "./outboxdb";
import type { Identity } from "./outboxitem";
import { Profiles } from "./profile";
import { Push, type PushEnv } from "./push";
import type { Seen } from "./seen";
import { sender, type Net } from "./sender";
import { Session, view } from "./session";
import { createClients, otherTab, sessionCsrf } from "./transport";
import { Watcher, type Conn } from "./watch";
import { Workspace } from "./workspace";

/** What the core needs from the page (tests replace parts). */
export interface Env {
  origin: string;
  storage: Storage | null;
  readCsrf: () => string;
  page: Page;
  openDB: () => Promise<OutboxDB>;
  newOutbox: (db: OutboxDB, c: Core) => Outbox;
  /** openSeen opens the store of what the app last saw (seen.ts). */
  openSeen: () => Promise<Seen>;
  push: PushEnv;
  idleMs?: number;
  log: (msg: string, err?: unknown) => void;
  /** announce tells the other tabs that this one signed in or out. */
  announce?: () => void;
}

/** Why a session ended without the person choosing to (Go's words). */
export const sessionEnded = "Your session has ended. Sign in again; anything you wrote is kept and sent after you do.";

export class Core {
  readonly events = new Emitter();
  readonly picks = new Picks();
  /** Files SaveAttachment saved, by the name it returned. */
  readonly saved = new Map<string, Blob>();
  readonly profile: Profiles;
  sess: Session | null = null;
  private notice = "";
  private started = false;
  /** signingIn is set while SignIn runs: the cookie changes under it, and that is no other tab's doing. */
  private signingIn = false;
  private outboxP: Promise<{ db: OutboxDB; ob: Outbox }> | null = null;
  private seenP: Promise<Seen> | null = null;
  private keepTimer: ReturnType<typeof setTimeout> | undefined;
  /** A conversation to show once a workspace is open (a notification's link). */
  private pending: { conversationId: string; workspaceId: string } | null = null;
  readonly push: Push;

  constructor(readonly env: Env) {
    this.profile = new Profiles(env.storage);
    this.push = new Push(env.push, env.log);
  }

  get origin(): string {
    return this.env.origin;
  }

  /** outbox opens the outbox once, on first use. */
  outbox(): Promise<{ db: OutboxDB; ob: Outbox }> {
    this.outboxP ??= this.env.openDB().then((db) => ({ db, ob: this.env.newOutbox(db, this) }));
    return this.outboxP;
  }

  /** seen opens the store of what the app last saw once, on first use. */
  seen(): Promise<Seen> {
    this.seenP ??= this.env.openSeen();
    return this.seenP;
  }

  /** current returns the session and its loaded workspace, or an error in plain words saying why there is none. */
  current(): { sess: Session; ws: Workspace } {
    const sess = this.sess;
    if (!sess) throw appError("signed_out", "Sign in first.");
    if (!sess.ws) throw appError("offline", "Still connecting to the server. Try again in a moment.");
    return { sess, ws: sess.ws };
  }

  /** identity is the current account, or the last one while signed out (its items wait for sign-in). */
  identity(): Identity | null {
    if (this.sess) return this.sess.id.user_id ? this.sess.id : null;
    const p = this.profile.load();
    return p.user_id ? { server: this.origin, user_id: p.user_id } : null;
  }

  sessionView(): SessionView {
    return view(this.sess, this.origin, this.notice, this.profile.load());
  }

  emitSession(): void {
    this.events.emit("session", this.sessionView());
  }

  /** start comes back to the session the browser holds, once. */
  start(): void {
    if (this.started) return;
    this.started = true;
    void this.outbox().then(
      () => undefined,
      (e) => this.env.log("open outbox", e),
    );
    this.restore();
  }

  private newSession(id: Identity, email: string, name: string, csrf: string): Session {
    const guard = sessionCsrf(csrf, this.env.readCsrf);
    const net: Net = { origin: this.origin, csrf: guard, clients: createClients(this.origin, guard) };
    return new Session(id, email, name, csrf, net);
  }

  /**
   * restore takes up the session whose cookie the browser holds. It is
   * shown at once as the last account (connecting); the server says whose
   * it is before anything is sent.
   */
  private restore(): void {
    const p = this.profile.load();
    const csrf = this.env.readCsrf();
    if (!csrf) {
      if (p.signed_in) this.notice ||= "Sign in to continue.";
      this.emitSession();
      return;
    }
    const sess = this.newSession({ server: this.origin, user_id: p.user_id }, p.email, p.user_name, csrf);
    this.sess = sess;
    this.notice = "";
    void this.connect(sess);
    this.emitSession();
  }

  /** connect asks the server who the session is until it answers, then opens the workspace. A dead session ends. */
  private async connect(sess: Session): Promise<void> {
    let wait = 500;
    for (;;) {
      try {
        const who = await sess.net.clients.auth.whoAmI({}, { signal: sess.signal });
        if (!who.user) throw appError("signed_out", "Your session has ended. Sign in again.");
        this.confirm(sess, who.user);
        await this.activate(sess, who.memberships, this.profile.workspace(sess.id.user_id));
        return;
      } catch (err) {
        if (sess.signal.aborted) return;
        const e = fromError(err);
        if (e.kind === "signed_out") {
          this.expire(sess, sessionEnded);
          return;
        }
        this.setConn(sess, "offline", e.message);
        if (!sess.ws) await this.showSeen(sess);
        if ((await sess.wake.wait(sess.signal, wait)) === "abort") return;
        wait = Math.min(wait * 2, 30_000);
      }
    }
  }

  /**
   * showSeen shows the inbox the person last saw while the server cannot
   * be reached (the app opened offline); the live one replaces it once
   * the server answers.
   */
  private async showSeen(sess: Session): Promise<void> {
    let shot;
    try {
      shot = await (await this.seen()).inbox(sess.id.user_id, this.pending?.workspaceId || this.profile.workspace(sess.id.user_id));
    } catch (e) {
      this.env.log("read the last inbox", e);
      return;
    }
    if (!shot || sess.ws || this.sess !== sess || sess.signal.aborted) return;
    sess.memberships = shot.memberships;
    sess.ws = Workspace.seen(shot, sess.id.user_id);
    this.events.emit("inbox:reset", sess.ws.id);
    this.emitSession();
  }

  /**
   * keep saves the open workspace as seen, at most once a second (what
   * it saves is read when it runs, so the last change is in).
   */
  private keep(sess: Session, ws: Workspace): void {
    if (ws.stale || this.keepTimer !== undefined) return;
    this.keepTimer = setTimeout(() => {
      this.keepTimer = undefined;
      if (this.sess !== sess || sess.ws !== ws) return;
      const shot = { membership: ws.membership, memberships: sess.memberships, members: ws.members, groups: ws.groups, tags: ws.tags, conversations: ws.inbox.list() };
      this.seen()
        .then((s) => s.putInbox(sess.id.user_id, shot))
        .catch((e: unknown) => this.env.log("keep the inbox", e));
    }, 1_000);
  }

  /** keepView saves a conversation the person opened, to read offline. */
  keepView(conversationId: string, view: ConversationView): void {
    const userId = this.sess?.id.user_id;
    if (!userId) return;
    this.seen()
      .then((s) => s.putView(userId, conversationId, view))
      .catch((e: unknown) => this.env.log("keep the conversation", e));
  }

  /** seenView returns a conversation as the person last opened it, or null. */
  async seenView(conversationId: string): Promise<ConversationView | null> {
    const userId = this.sess?.id.user_id;
    if (!userId) return null;
    return (await this.seen()).view(userId, conversationId).catch(() => null);
  }

  /** confirm records whose session it is, as the server said, and starts sending its outbox. */
  private confirm(sess: Session, user: User): void {
    if (sess.confirmed) return;
    sess.id = { server: this.origin, user_id: user.id };
    sess.email = user.email;
    sess.name = user.displayName;
    sess.confirmed = true;
    this.profile.update({ email: user.email, user_id: user.id, user_name: user.displayName, signed_in: true });
    this.runOutbox(sess);
    this.emitSession();
  }

  /** signIn exchanges a password for a session cookie and opens the account's workspace. */
  async signIn(email: string, password: string): Promise<void> {
    email = email.trim();
    if (email === "" || password === "") throw appError("invalid", "Enter your email and password.");
    this.signingIn = true;
    try {
      await this.signInOnce(email, password);
    } finally {
      this.signingIn = false;
    }
  }

  private async signInOnce(email: string, password: string): Promise<void> {
    await this.endSession("", false);
    let ws: auth.WebSession;
    try {
      ws = await auth.signIn(this.origin, email, password);
    } catch (err) {
      const e = fromError(err);
      if (e.kind === "signed_out" || e.kind === "invalid") throw appError("signed_out", "That email and password don't match an account on this server.");
      throw e;
    }
    if (this.env.readCsrf() !== ws.csrf) {
      throw appError("internal", "Signed in, but the browser did not keep the session cookie. Allow cookies for this site, and open it over https (or on localhost).");
    }
    const sess = this.newSession({ server: this.origin, user_id: ws.user_id }, ws.email || email, ws.display_name, ws.csrf);
    sess.confirmed = true;
    // Current before the workspace opens, so that the events it sends find it.
    this.sess = sess;
    this.notice = "";
    try {
      const who = await sess.net.clients.auth.whoAmI({}, { signal: sess.signal });
      await this.activate(sess, who.memberships, this.profile.workspace(ws.user_id));
    } catch (err) {
      if (this.sess === sess) this.sess = null;
      sess.ctl.abort();
      this.forget(sess, true);
      this.emitSession();
      throw fromError(err);
    }
    this.profile.update({ email: sess.email, user_id: ws.user_id, user_name: sess.name, signed_in: true });
    this.runOutbox(sess);
    this.emitSession();
    this.env.announce?.();
  }

  /** activate opens a workspace of the memberships (the hinted one if it is among them) and follows it. */
  private async activate(sess: Session, ms: Membership[], hint: string): Promise<void> {
    if (ms.length === 0) throw appError("forbidden", "You're not a member of any workspace on this server yet. Ask an admin to invite you.");
    const wanted = this.pending?.workspaceId;
    const chosen = ms.find((m) => m.workspaceId === wanted) ?? ms.find((m) => m.workspaceId === hint) ?? ms[0]!;
    const ws = await Workspace.open(sess.net.clients, chosen, sess.id.user_id, sess.signal);
    if (sess.signal.aborted) return;
    sess.memberships = ms;
    sess.ws = ws;
    this.startWatch(sess, ws);
    this.profile.setWorkspace(sess.id.user_id, ws.id);
    // Opening the app means being at work: routing may send chats here.
    try {
      await sess.net.clients.presence.setPresence({ workspaceId: ws.id, status: PresenceStatus.ONLINE }, { signal: sess.signal });
    } catch (e) {
      this.env.log("set presence", e);
    }
    this.events.emit("inbox:reset", ws.id);
    this.emitSession();
    this.keep(sess, ws);
    this.push.sync(sess.net.clients, ms).catch((e: unknown) => this.env.log("push subscription", e));
    // A notification's conversation, if it is in this workspace (another one's would not be found here).
    const p = this.pending;
    this.pending = null;
    if (p && (p.workspaceId === "" || p.workspaceId === ws.id)) this.events.emit("open", p.conversationId);
  }

  /** runOutbox sends the session's outbox for as long as the session lasts. */
  private runOutbox(sess: Session): void {
    void (async () => {
      let out;
      try {
        out = await this.outbox();
      } catch (e) {
        this.env.log("open outbox", e);
        return;
      }
      const { db, ob } = out;
      const end = await ob.run(sess.id, sender(sess.net, (id) => db.blob(id)), () => this.env.readCsrf() === sess.csrf, sess.signal);
      if (end === "signed_out") this.expire(sess, sessionEnded);
    })().catch((e) => this.env.log("outbox", e));
  }

  /** startWatch follows the workspace's stream until the workspace is left or the session ends. */
  private startWatch(sess: Session, ws: Workspace): void {
    const ctl = child(sess.signal);
    const conversations = sess.net.clients.conversations;
    const w = new Watcher((req, signal) => conversations.watch(req, { signal, timeoutMs: 0 }), ws.id, ws.cursor, {
      event: (ev) => this.onEvent(ws, ev),
      resync: async (signal) => {
        await ws.loadDirectory(sess.net.clients, signal);
        const cursor = await ws.loadSnapshot(sess.net.clients, signal);
        this.events.emit("inbox:reset", ws.id);
        this.keep(sess, ws);
        return cursor;
      },
      status: (s, err) => {
        if (s === "live") void this.outbox().then(({ ob }) => ob.kick(), () => undefined); // the server is reachable again
        this.setConn(sess, s, err?.message ?? "");
      },
    }, { idleMs: this.env.idleMs });
    ws.ctl = ctl;
    ws.watcher = w;
    ws.done = w.run(ctl.signal).then((e) => {
      if (ctl.signal.aborted) return;
      if (e.kind === "signed_out") this.expire(sess, sessionEnded);
      else this.setConn(sess, "offline", e.message); // not found, forbidden: the membership ended
    });
  }

  /** onEvent applies an event to the inbox, tells the views, and shows the server's notifications. */
  private onEvent(ws: Workspace, ev: Event): void {
    try {
      const conv = ws.inbox.apply(ev);
      if (conv) {
        ev.conversation = conv;
        if (this.sess) this.keep(this.sess, ws);
      }
      this.events.emit("inbox:event", toJson(EventSchema, ev));
      // The server applied the member's preferences when it made it.
      notify(ev, this.env.page, (n) => this.openConversation(n.conversationId, n.id));
    } catch (e) {
      // One event the page cannot take must not stop the stream (it would come again on every reconnect).
      this.env.log("apply event", e);
    }
  }

  /**
   * openConversation shows a conversation because its notification was
   * clicked (in another workspace of the account, that one opens first),
   * and marks that notification read.
   */
  openConversation(conversationId: string, notificationId: string, workspaceId = ""): void {
    const sess = this.sess;
    const ws = sess?.ws;
    if (conversationId && workspaceId && ws && !ws.stale && ws.id !== workspaceId && sess.memberships.some((m) => m.workspaceId === workspaceId)) {
      this.pending = { conversationId, workspaceId };
      this.switchWorkspace(workspaceId).catch((e: unknown) => this.env.log("open the notification's workspace", e));
    } else if (conversationId) {
      this.events.emit("open", conversationId);
    }
    if (!notificationId || !sess || !ws) return;
    sess.net.clients.notifications
      .markNotificationsRead({ workspaceId: ws.id, notificationIds: [notificationId] })
      .catch((e: unknown) => this.env.log("mark notification read", e));
  }

  /**
   * openLater shows a conversation once a workspace is open: the page was
   * opened by a click on a push notification (/app/#conversation=...).
   */
  openLater(conversationId: string, workspaceId: string): void {
    if (conversationId) this.pending = { conversationId, workspaceId };
  }

  /**
   * expire ends a session the server no longer accepts (or that another
   * tab replaced): its cookie is cleared, its outbox items wait for the
   * same person. If the browser now holds another session, this tab takes
   * that one up.
   */
  expire(sess: Session, notice: string): void {
    if (this.sess !== sess) return;
    this.sess = null;
    this.notice = notice;
    sess.ctl.abort();
    const now = this.env.readCsrf();
    if (now !== sess.csrf) this.notice = now ? "" : "You signed out in another tab.";
    this.forget(sess, now === sess.csrf);
    this.emitSession();
    if (now && now !== sess.csrf) this.restore();
  }

  /** endSession ends the current session, if any; with logout the server is told too. */
  async endSession(notice: string, logout: boolean): Promise<void> {
    const sess = this.sess;
    this.sess = null;
    this.notice = notice;
    if (!sess) return;
    if (logout) {
      const ws = sess.ws;
      if (ws) {
        await sess.net.clients.presence
          .setPresence({ workspaceId: ws.id, status: PresenceStatus.OFFLINE }, { timeoutMs: 3_000 })
          .catch(() => undefined);
      }
      // The next person to sign in here gets neither this one's pushes nor their inbox.
      await this.push.disable(sess.net.clients, sess.memberships).catch((e: unknown) => this.env.log("push off", e));
      await this.seen()
        .then((s) => s.forget(sess.id.user_id))
        .catch((e: unknown) => this.env.log("forget the last inbox", e));
      if (this.env.readCsrf() === sess.csrf) {
        const e = await auth.signOut(this.origin, sess.csrf);
        if (e) this.env.log("sign out", e);
        this.env.announce?.();
      }
    }
    sess.ctl.abort();
    await sess.ws?.done;
    this.forget(sess, false);
  }

  /**
   * forget marks the account signed out here; with clear, the browser's
   * cookies of the session are cleared too (the server revokes it, if it
   * still stands).
   */
  private forget(sess: Session, clear: boolean): void {
    if (clear && this.env.readCsrf() === sess.csrf) {
      void auth.signOut(this.origin, sess.csrf).then((e) => e && this.env.log("clear session cookie", e));
    }
    this.profile.update({ signed_in: false });
  }

  /** switchWorkspace shows another of the account's workspaces. */
  async switchWorkspace(id: string): Promise<void> {
    const sess = this.sess;
    if (!sess) throw appError("signed_out", "Sign in first.");
    if (!sess.memberships.some((m) => m.workspaceId === id)) throw appError("not_found", "You're not a member of that workspace.");
    const old = sess.ws;
    if (old) {
      if (old.id === id) return;
      await old.stop();
    }
    await this.activate(sess, sess.memberships, id);
  }

  private setConn(sess: Session, s: Conn, msg: string): void {
    const changed = sess.conn !== s || sess.connMsg !== msg;
    sess.conn = s;
    sess.connMsg = msg;
    if (changed) this.emitSession();
  }

  /** checkCookie follows a sign-in or sign-out made in another tab. */
  checkCookie(): void {
    if (this.signingIn) return;
    const sess = this.sess;
    if (sess && this.env.readCsrf() !== sess.csrf) this.expire(sess, otherTab + ".");
    else if (!sess && this.started && this.env.readCsrf()) this.restore();
  }

  /** retryNow cuts every wait short: the network is back, or the page is seen again. */
  retryNow(): void {
    const sess = this.sess;
    sess?.wake.kick();
    sess?.ws?.watcher?.retryNow();
    void this.outbox().then(({ ob }) => ob.kick(), () => undefined);
  }

  /** offline ends the live stream at once: the browser lost the network. */
  offline(): void {
    this.sess?.ws?.watcher?.interrupt();
  }
}
