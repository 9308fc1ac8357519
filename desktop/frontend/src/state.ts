// The app's view state: what Go last said, kept in signals the components
// read. Every change of data comes from Go (calls or events); this module
// only keeps it for rendering.
import { batch, computed, signal } from "@preact/signals";
import { decode, type AgentStatus, type Contact, type Conversation, type EmailDelivery, type EmailMessage, type EmailThread, type GetOverviewResponse, type Group, type Member, type Message, type Tag } from "./api";
import { go, on, type OutboxItem, type SessionView } from "./bridge";
import { byEmail } from "./logic/customer";
import { plain } from "./logic/errors";
import { merge as mergeHistory } from "./logic/history";
import { merge as mergeOutbox } from "./logic/outbox";
import { debounce, touchesMine } from "./logic/presence";
import { applyTyping, type Typing } from "./logic/typing";
import { list, type ViewId } from "./logic/views";

export interface Directory {
  members: Member[];
  groups: Group[];
  tags: Tag[];
  myGroups: Set<string>;
  /** Names of members (by user id) and groups (by id). */
  names: Map<string, string>;
}

export interface Opened {
  conversation: Conversation;
  history: Message[];
  more: string;
  contact: Contact | null;
  past: Conversation[];
  /** An email conversation's mails as received, by the id of the message each became. */
  mails?: Map<string, EmailMessage>;
  /** Where an email conversation's replies go: the customer, the CC, the subject. */
  thread?: EmailThread;
  /** Whether each of the team's replies was mailed, by message id. */
  deliveries?: Map<string, EmailDelivery>;
}

export const session = signal<SessionView | null>(null);
export const conversations = signal<Map<string, Conversation>>(new Map());
export const directory = signal<Directory>({ members: [], groups: [], tags: [], myGroups: new Set(), names: new Map() });
export const view = signal<ViewId>("mine");
/** Results of a search or of the closed list, from the server. */
export const fetched = signal<Conversation[] | null>(null);
export const query = signal("");
export const selected = signal<string | null>(null);
export const opened = signal<Opened | null>(null);
export const outbox = signal<Map<string, OutboxItem>>(new Map());
export const typing = signal<Typing>(new Map());
export const toast = signal<string | null>(null);
/** The server's overview strip (StatsService), refreshed as the inbox changes. */
export const stats = signal<GetOverviewResponse | null>(null);
export const busy = signal(false);
/** The signed-in agent's presence as the server counts it (status, open chats, capacity). */
export const myAgent = signal<AgentStatus | null>(null);

export const me = computed(() => session.value?.user_id ?? "");
export const online = computed(() => session.value?.connection === "live");

/** shown is the selected view's conversations, in order. */
export const shown = computed<Conversation[]>(() => {
  const v = view.value;
  if (v === "search" || v === "closed" || v === "spam") {
    const live = conversations.value;
    // Server results, refreshed by what the stream has brought since.
    const rows = (fetched.value ?? []).map((c) => live.get(c.id) ?? c);
    return v === "search" ? rows : list(rows, v, me.value);
  }
  return list(conversations.value.values(), v, me.value);
});

/** fail shows an error in plain words. */
export function fail(e: unknown): void {
  const msg = plain(e);
  toast.value = msg;
  setTimeout(() => {
    if (toast.value === msg) toast.value = null;
  }, 8000);
}

/** act runs a call to Go, showing its error if it fails; it returns undefined then. */
export async function act<T>(f: () => Promise<T>): Promise<T | undefined> {
  try {
    return await f();
  } catch (e) {
    fail(e);
    return undefined;
  }
}

function upsert(c: Conversation): void {
  // A control's answer may come before its stream event: either one can
  // change the agent's open chats.
  if (touchesMine("", {}, conversations.value.get(c.id), c, me.value)) refreshMine();
  const next = new Map(conversations.value);
  next.set(c.id, c);
  conversations.value = next;
  const o = opened.value;
  if (o && o.conversation.id === c.id) opened.value = { ...o, conversation: c };
}

/** changed folds a conversation a control returned. */
export function changed(raw: unknown): void {
  if (raw) upsert(decode.conversation(raw));
}

export async function loadInbox(): Promise<void> {
  const [list, dir, items] = await Promise.all([go("Conversations"), go("Directory"), go("Outbox")]);
  const members = dir.members.map(decode.member);
  const groups = dir.groups.map(decode.group);
  const names = new Map<string, string>();
  for (const m of members) names.set(m.userId, m.displayName);
  for (const g of groups) names.set(g.id, g.name);
  batch(() => {
    conversations.value = new Map(list.map((raw) => decode.conversation(raw)).map((c) => [c.id, c]));
    stats.value = null;
    directory.value = { members, groups, tags: dir.tags.map(decode.tag), myGroups: new Set(dir.my_groups), names };
    outbox.value = new Map(items.map((i) => [i.client_id, i]));
  });
  stats.value = decode.overview(await go("Overview"));
  await loadMine();
}

/** loadMine reads the agent's presence and open chats from the server. */
export async function loadMine(): Promise<void> {
  const me = session.value?.user_id;
  const list = await go("Agents");
  const found = list.map(decode.agent).find((a) => a.userId === me);
  if (found) myAgent.value = found;
}

/** refreshMine reloads the count soon after the stream says it may have changed. */
const refreshMine = debounce(() => void loadMine().catch(() => undefined), 400);

let statsTimer: ReturnType<typeof setTimeout> | null = null;

/** refreshStats reloads the overview soon (at most every 5 s). */
export function refreshStats(): void {
  if (statsTimer) return;
  statsTimer = setTimeout(() => {
    statsTimer = null;
    if (!session.value?.ready) return;
    go("Overview")
      .then((raw) => (stats.value = decode.overview(raw)))
      .catch(() => undefined); // the strip keeps its last numbers
  }, 5000);
}

function onEvent(raw: unknown): void {
  const ev = decode.event(raw);
  if (ev.type === "typing") {
    typing.value = applyTyping(typing.value, ev.conversationId, ev.actorId, ev.data["actor_name"] ?? "", ev.typing, Date.now());
    return;
  }
  if (!ev.conversation && touchesMine(ev.type, ev.data, undefined, undefined, me.value)) refreshMine(); // presence, settings
  if (ev.conversation) {
    upsert(ev.conversation);
    refreshStats();
  }
  const o = opened.value;
  if (o && ev.message && ev.conversationId === o.conversation.id && ev.type !== "member.mentioned") {
    opened.value = { ...o, history: mergeHistory(o.history, [ev.message]) };
    // A mail came in, or a reply went out (or failed): what the mails say changed.
    void loadMails(o.conversation);
    // What arrives while the agent has it open is read.
    if (ev.actorId !== me.value && document.hasFocus()) void act(() => go("MarkRead", o.conversation.id));
  }
  if (ev.message) typing.value = applyTyping(typing.value, ev.conversationId, ev.actorId, "", false, Date.now());
}

/** select opens a conversation (or none). */
export async function select(id: string | null): Promise<void> {
  selected.value = id;
  if (id === null) {
    opened.value = null;
    return;
  }
  const v = await act(() => go("Open", id));
  if (!v || selected.value !== id) return;
  const conversation = decode.conversation(v.conversation);
  opened.value = { conversation, history: v.history.map(decode.message), more: v.more, contact: null, past: [] };
  upsert({ ...conversation, unread: false });
  void loadMails(conversation);
  const contactId = conversation.contact?.id;
  if (!contactId) return;
  const c = await act(() => go("Contact", contactId));
  const o = opened.value;
  if (c && o && o.conversation.id === id) {
    opened.value = { ...o, contact: decode.contact(c.contact), past: c.conversations.map(decode.conversation) };
  }
}

/** loadMails fetches what an email conversation's mails carried (sender check, CC, original) for the open view. */
async function loadMails(c: Conversation): Promise<void> {
  if (!byEmail(c)) return;
  // The view works without them.
  const [list, thread] = await Promise.all([go("EmailMessages", c.id).catch(() => null), go("EmailThread", c.id).catch(() => null)]);
  const o = opened.value;
  if (!o || o.conversation.id !== c.id) return;
  const got = list ? decode.emailMessages(list) : null;
  opened.value = {
    ...o,
    mails: got ? new Map(got.emailMessages.map((m) => [m.messageId, m])) : o.mails,
    deliveries: got ? new Map(got.deliveries.map((d) => [d.messageId, d])) : o.deliveries,
    thread: thread ? decode.emailThread(thread) : o.thread,
  };
  // A reply on its way: look again shortly, as no event says when it is sent.
  if (got?.deliveries.some((d) => d.status === "pending")) {
    setTimeout(() => {
      if (opened.value?.conversation.id === c.id) void loadMails(c);
    }, 3000);
  }
}

/** setThread changes who an email conversation's replies copy and their subject; it returns false when refused (the error is shown). */
export async function setThread(id: string, cc: string[], subject: string): Promise<boolean> {
  const t = await act(() => go("SetEmailThread", id, cc, subject));
  const o = opened.value;
  if (t && o && o.conversation.id === id) opened.value = { ...o, thread: decode.emailThread(t) };
  return !!t;
}

/** older loads the page of history before what is shown. */
export async function older(): Promise<void> {
  const o = opened.value;
  if (!o || !o.more) return;
  const v = await act(() => go("Older", o.conversation.id, o.more));
  const now = opened.value;
  if (v && now && now.conversation.id === o.conversation.id) {
    opened.value = { ...now, history: mergeHistory(now.history, v.history.map(decode.message)), more: v.more };
  }
}

/** show switches the inbox to a view, fetching from the server where the live list has no data. */
export async function show(v: ViewId): Promise<void> {
  view.value = v;
  if (v === "closed" || v === "spam") {
    fetched.value = null;
    const rows = await act(() => go(v === "closed" ? "Closed" : "Spam"));
    if (rows && view.value === v) fetched.value = rows.map(decode.conversation);
  }
}

/** search runs a server search and shows its results. */
export async function search(text: string): Promise<Conversation[]> {
  query.value = text;
  view.value = "search";
  fetched.value = null;
  const rows = (await act(() => go("Search", text))) ?? [];
  const found = rows.map(decode.conversation);
  if (view.value === "search") fetched.value = found;
  return found;
}

/** start wires Go's events to the state and loads what is there. */
export async function start(): Promise<void> {
  on("session", (s) => {
    const wasReady = session.value?.ready && session.value.workspace_id === s.workspace_id;
    session.value = s;
    if (s.ready && !wasReady) void act(loadInbox);
    if (!s.signed_in) {
      selected.value = null;
      opened.value = null;
    }
  });
  on("inbox:event", onEvent);
  on("inbox:reset", () => void act(loadInbox));
  on("outbox", (it) => (outbox.value = mergeOutbox(outbox.value, it)));
  on("open", (id) => void select(id));
  const s = await act(() => go("State"));
  if (s) session.value = s;
  if (s?.ready) await act(loadInbox);
  else if (s) {
    const items = await act(() => go("Outbox"));
    if (items) outbox.value = new Map(items.map((i) => [i.client_id, i]));
  }
}
