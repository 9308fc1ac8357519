// Inbox views: which conversations each shows, in what order, and how many
// each holds. Pure functions over the live conversation list Go keeps.
import { ConversationState, Priority, type Conversation } from "../api";

/** A view of the inbox. Group and tag views carry the id. */
export type ViewId =
  | "mine"
  | "unassigned"
  | "all"
  | "bot"
  | "pending"
  | "closed"
  | "spam"
  | "search"
  | `group:${string}`
  | `tag:${string}`;

/** The fixed views, in sidebar order, with their labels. */
export const fixedViews: { id: ViewId; label: string }[] = [
  { id: "mine", label: "Mine" },
  { id: "unassigned", label: "Unassigned" },
  { id: "pending", label: "Pending" },
  { id: "bot", label: "Bot-handled" },
  { id: "all", label: "All" },
  { id: "closed", label: "Closed" },
  { id: "spam", label: "Spam" },
];

/** open: neither closed nor held as spam (which only the Spam view shows). */
const open = (c: Conversation) => c.state !== ConversationState.CLOSED && c.state !== ConversationState.SPAM;

/** inView reports whether a conversation belongs in a view for the reader. */
export function inView(c: Conversation, view: ViewId, me: string): boolean {
  switch (view) {
    case "mine":
      return open(c) && (c.assigneeUserId === me || c.participantUserIds.includes(me));
    case "unassigned":
      return c.assigneeUserId === "" && (c.state === ConversationState.PENDING || c.state === ConversationState.SNOOZED);
    case "pending":
      return c.state === ConversationState.PENDING;
    case "bot":
      return c.state === ConversationState.BOT;
    case "all":
      return open(c);
    case "closed":
      return c.state === ConversationState.CLOSED;
    case "spam":
      return c.state === ConversationState.SPAM;
    case "search":
      return true; // results come from the server
  }
  if (view.startsWith("group:")) return open(c) && c.groupId === view.slice(6);
  if (view.startsWith("tag:")) return open(c) && c.tagIds.includes(view.slice(4));
  return false;
}

/** isQueue reports whether a view is a queue: served most urgent, then longest waiting first. */
export function isQueue(view: ViewId): boolean {
  return view === "unassigned" || view === "pending" || view.startsWith("group:");
}

const rank = (p: Priority) => (p === Priority.UNSPECIFIED ? Priority.NONE : p);

/**
 * attention is the inbox row's flag for a conversation automatic assignment
 * gave up on (its agents let the reply time out too often): it waits in the
 * queue for someone to take it. "" when it needs none; the server clears the
 * flag when someone takes it, it is assigned or it closes.
 */
export function attention(c: Conversation): string {
  return c.needsAttention && c.assigneeUserId === "" && c.state !== ConversationState.CLOSED ? "Needs attention" : "";
}

/** attentionHint says why, for the flag's tooltip. */
export const attentionHint = "Nobody replied in time when it was assigned, so it is no longer assigned automatically: take it or assign it.";

/** waitingSince is when the customer started waiting: their last message, else the start. */
export function waitingSince(c: Conversation): number {
  return Number(c.lastMessageTimeMs || c.createTimeMs);
}

/** compare orders conversations for a view. */
export function compare(view: ViewId): (a: Conversation, b: Conversation) => number {
  if (isQueue(view)) {
    return (a, b) => rank(b.priority) - rank(a.priority) || waitingSince(a) - waitingSince(b) || a.id.localeCompare(b.id);
  }
  if (view === "closed") {
    return (a, b) => Number(b.closeTimeMs - a.closeTimeMs) || a.id.localeCompare(b.id);
  }
  return (a, b) => Number(b.lastActivityTimeMs - a.lastActivityTimeMs) || a.id.localeCompare(b.id);
}

/** list returns a view's conversations in order. */
export function list(all: Iterable<Conversation>, view: ViewId, me: string): Conversation[] {
  const out: Conversation[] = [];
  for (const c of all) if (inView(c, view, me)) out.push(c);
  return out.sort(compare(view));
}

/** Count is a view's size and how many of those are unread. */
export interface Count {
  total: number;
  unread: number;
}

/** counts sizes every view given, in one pass. */
export function counts(all: Iterable<Conversation>, views: ViewId[], me: string): Map<ViewId, Count> {
  const out = new Map<ViewId, Count>(views.map((v) => [v, { total: 0, unread: 0 }]));
  for (const c of all) {
    for (const v of views) {
      if (!inView(c, v, me)) continue;
      const n = out.get(v)!;
      n.total++;
      if (c.unread) n.unread++;
    }
  }
  return out;
}

/** neighbour returns the id next to current in a list (delta +1 or -1), or the first. */
export function neighbour(ids: string[], current: string | null, delta: 1 | -1): string | null {
  if (ids.length === 0) return null;
  const i = current === null ? -1 : ids.indexOf(current);
  if (i < 0) return delta > 0 ? ids[0]! : ids[ids.length - 1]!;
  const j = Math.min(ids.length - 1, Math.max(0, i + delta));
  return ids[j]!;
}
