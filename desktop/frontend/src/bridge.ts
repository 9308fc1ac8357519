// The bridge between the views and their host. The agent UI has two
// hosts with one interface: the desktop app, where Go (internal/app) owns
// the network, tokens, outbox and notifications and Wails binds its methods
// (window.go.app.App) and events (window.runtime); and the browser, where
// the web host (src/web) does the same in TypeScript. A Go test
// (internal/app/bridge_test.go) checks that Bound lists exactly the
// exported methods of app.App; the web host implements Bound, so the
// compiler holds it to the same list.

/** What an error from Go says: a kind and a message in plain words. */
export type ErrorKind =
  | "offline"
  | "timeout"
  | "signed_out"
  | "forbidden"
  | "not_found"
  | "conflict"
  | "invalid"
  | "resync"
  | "canceled"
  | "internal";

export interface AppError {
  kind: ErrorKind;
  message: string;
  reason?: string;
}

export interface WorkspaceView {
  id: string;
  name: string;
  role: string;
}

export interface SessionView {
  signed_in: boolean;
  server: string;
  email: string;
  user_id: string;
  user_name: string;
  ready: boolean;
  workspaces: WorkspaceView[] | null;
  workspace_id: string;
  role: string;
  connection: "connecting" | "live" | "offline";
  connection_message: string;
  notice: string;
  token_storage: "" | "keychain" | "file";
  /** The app is served by its server (the web app): no server to choose. */
  server_fixed?: boolean;
}

export interface PickedFile {
  id: string;
  name: string;
  size: number;
}

export interface OutboxFile {
  client_id: string;
  name: string;
  size: number;
}

export type OutboxState = "queued" | "delivered" | "failed" | "discarded";

export interface OutboxItem {
  server: string;
  user_id: string;
  workspace_id: string;
  conversation_id: string;
  kind: "reply" | "note";
  body: string;
  mentions?: string[] | null;
  whisper?: boolean;
  files?: OutboxFile[] | null;
  client_id: string;
  state: OutboxState;
  reason?: string;
  message_id?: string;
  order: number;
  create_time_ms: number;
  update_time_ms: number;
}

export interface DirectoryView {
  members: unknown[];
  groups: unknown[];
  tags: unknown[];
  my_groups: string[];
}

export interface ConversationView {
  conversation: unknown;
  history: unknown[];
  more: string;
}

export interface ContactView {
  contact: unknown;
  conversations: unknown[];
}

/** What an admin changed in the AI agent's settings (app.BotChange): absent fields stay. */
export interface BotChange {
  enabled?: boolean;
  name?: string;
  confidence_threshold?: number;
  handoff_message?: string;
  answer_while_waiting?: boolean;
  /** The workspace's synonym groups as typed, one per line; "" clears them. */
  synonyms?: string;
  /** Only the escalation intents that changed. */
  intents?: IntentChange[];
}

/** What changed in one escalation intent (app.IntentChange). */
export interface IntentChange {
  name: string;
  enabled?: boolean;
  /** The workspace's phrases, replacing them; [] removes them all. */
  phrases?: string[];
}

/** What an admin set in an email inbox's form (app.InboxChange): no id makes a new inbox; absent fields stay; an absent password is kept. */
export interface InboxChange {
  id?: string;
  name?: string;
  support_address?: string;
  smtp_host?: string;
  smtp_port?: number;
  smtp_tls_mode?: "starttls" | "implicit" | "none";
  smtp_username?: string;
  smtp_password?: string;
  signature?: string;
  ai_answers?: boolean;
  imap_host?: string;
  imap_port?: number;
  imap_tls_mode?: "implicit" | "starttls" | "none";
  imap_username?: string;
  imap_password?: string;
  imap_mailbox?: string;
}

/** Which webhook deliveries to list (app.WebhookDeliveries): "" is all; "dead" the dead letters. */
export type WebhookFilter = "" | "pending" | "delivered" | "dead";

/** What made a webhook call (app.WebhookSource): a rule and the trigger it reacts to (a RuleTrigger's protobuf name), or a button. */
export interface WebhookSource {
  kind: "rule" | "button";
  name: string;
  trigger?: string;
}

/** A page of webhook deliveries, newest first (app.WebhookPage); more continues to older ones. */
export interface WebhookPage {
  deliveries: unknown[];
  more: string;
  /** The rules and buttons that made the page's calls, by id; a deleted one is absent. */
  sources: Record<string, WebhookSource>;
}

/** The host's methods, one for one with internal/app's App. */
/**
 * Push notifications on this device while the app is closed: Web Push in
 * the web app; the desktop app notifies while it runs (supported false).
 */
export interface PushView {
  supported: boolean;
  on: boolean;
  /** The person (or the browser) refused notifications to this site. */
  blocked: boolean;
  note: string;
}

export interface Bound {
  State(): Promise<SessionView>;
  SignIn(server: string, email: string, password: string): Promise<SessionView>;
  SignOut(): Promise<SessionView>;
  SwitchWorkspace(workspaceId: string): Promise<SessionView>;
  Outbox(): Promise<OutboxItem[]>;
  Conversations(): Promise<unknown[]>;
  Directory(): Promise<DirectoryView>;
  Search(text: string): Promise<unknown[]>;
  Closed(): Promise<unknown[]>;
  Spam(): Promise<unknown[]>;
  Open(conversationId: string): Promise<ConversationView>;
  MarkRead(conversationId: string): Promise<void>;
  Older(conversationId: string, pageToken: string): Promise<ConversationView>;
  Contact(contactId: string): Promise<ContactView>;
  EmailMessages(conversationId: string): Promise<unknown>;
  EmailThread(conversationId: string): Promise<unknown>;
  SetEmailThread(conversationId: string, cc: string[], subject: string): Promise<unknown>;
  EmailInboxes(): Promise<unknown[]>;
  SaveEmailInbox(change: InboxChange): Promise<unknown>;
  DeleteEmailInbox(id: string): Promise<void>;
  WebhookDeliveries(status: WebhookFilter, pageToken: string): Promise<WebhookPage>;
  RedeliverWebhook(deliveryId: string): Promise<unknown>;
  Reply(conversationId: string, body: string, fileIds: string[]): Promise<OutboxItem>;
  Note(conversationId: string, body: string, mentions: string[], whisper: boolean): Promise<OutboxItem>;
  Retry(clientId: string): Promise<OutboxItem>;
  Discard(clientId: string): Promise<OutboxItem>;
  Typing(conversationId: string, typing: boolean): Promise<void>;
  CannedResponses(query: string): Promise<unknown[]>;
  RenderCanned(cannedResponseId: string, conversationId: string): Promise<string>;
  Claim(conversationId: string): Promise<unknown>;
  TakeOver(conversationId: string): Promise<unknown>;
  Transfer(conversationId: string, userId: string, groupId: string, note: string): Promise<unknown>;
  Join(conversationId: string): Promise<unknown>;
  Leave(conversationId: string): Promise<unknown>;
  Tag(conversationId: string, tagId: string): Promise<unknown>;
  Untag(conversationId: string, tagId: string): Promise<unknown>;
  SetPriority(conversationId: string, priority: number): Promise<unknown>;
  Snooze(conversationId: string, untilMs: number): Promise<unknown>;
  Close(conversationId: string): Promise<unknown>;
  Reopen(conversationId: string): Promise<unknown>;
  MarkSpam(conversationId: string): Promise<unknown>;
  Release(conversationId: string): Promise<unknown>;
  Agents(): Promise<unknown[]>;
  SetStatus(status: "online" | "away" | "offline"): Promise<unknown>;
  SetCapacity(maxChats: number): Promise<unknown>;
  NotificationPrefs(): Promise<Record<string, boolean>>;
  SetNotificationPref(kind: string, on: boolean): Promise<Record<string, boolean>>;
  PushState(): Promise<PushView>;
  SetPush(on: boolean): Promise<PushView>;
  Overview(): Promise<unknown>;
  OpenLink(url: string): Promise<void>;
  PickFiles(): Promise<PickedFile[]>;
  /** A voice message recorded in the window (base64), as a file Reply can send. */
  AttachRecording(name: string, data: string): Promise<PickedFile>;
  /** An audio attachment as a URL the page can play. */
  PlayAttachment(attachmentId: string): Promise<string>;
  SaveAttachment(attachmentId: string, name: string): Promise<string>;
  OpenSaved(path: string): Promise<void>;
  BotSettings(): Promise<unknown>;
  UpdateBotSettings(change: BotChange): Promise<unknown>;
  KnowledgeGaps(days: 7 | 30): Promise<unknown>;
  Documents(): Promise<unknown[]>;
  Document(documentId: string): Promise<unknown>;
  PickDocument(): Promise<PickedFile | null>;
  UploadDocument(fileId: string, title: string, sourceUrl: string): Promise<unknown>;
  DeleteDocument(documentId: string): Promise<void>;
}

/** The events the host emits, with what each carries. */
export interface Events {
  session: SessionView;
  "inbox:event": unknown;
  "inbox:reset": string;
  outbox: OutboxItem;
  open: string;
}

/** A host: the methods and the events behind the views. */
export interface Host {
  app: Bound;
  on(name: string, cb: (data: unknown) => void): () => void;
}

interface WailsWindow {
  go?: { app?: { App?: Bound } };
  runtime?: { EventsOn(name: string, cb: (data: unknown) => void): () => void };
}

/** wails is the desktop host, when the page runs in the Wails window. */
function wails(): Host | null {
  const w = globalThis as unknown as WailsWindow;
  const app = w.go?.app?.App;
  const runtime = w.runtime;
  if (!app) return null;
  return { app, on: (name, cb) => (runtime ? runtime.EventsOn(name, cb) : () => {}) };
}

let chosen: Host | null = null;

/** useHost sets the host (the web app's entry does, before rendering). */
export function useHost(h: Host): void {
  chosen = h;
}

function host(): Host | null {
  return chosen ?? wails();
}

/** isAppError tells an error from Go from anything else thrown. */
export function isAppError(e: unknown): e is AppError {
  return typeof e === "object" && e !== null && "kind" in e && "message" in e;
}

function asAppError(e: unknown): AppError {
  if (isAppError(e)) return e;
  if (typeof e === "string") return { kind: "internal", message: e };
  if (e instanceof Error) return { kind: "internal", message: e.message };
  return { kind: "internal", message: "Something went wrong." };
}

/**
 * go calls a bound method; a rejection always carries an AppError.
 */
export async function go<K extends keyof Bound>(name: K, ...args: Parameters<Bound[K]>): Promise<Awaited<ReturnType<Bound[K]>>> {
  const app = host()?.app;
  if (!app) throw { kind: "internal", message: "The app's host is not available (open the app, not this page)." } satisfies AppError;
  const fn = app[name] as (...a: unknown[]) => Promise<Awaited<ReturnType<Bound[K]>>>;
  try {
    return await fn.apply(app, args);
  } catch (e) {
    throw asAppError(e);
  }
}

/** on subscribes to an event from the host and returns the unsubscribe function. */
export function on<K extends keyof Events>(name: K, cb: (data: Events[K]) => void): () => void {
  const h = host();
  if (!h) return () => {};
  return h.on(name, (data) => cb(data as Events[K]));
}
