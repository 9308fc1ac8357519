// The outbox's rules, without storage or network (desktop/internal/outbox):
// what an item looks like, which drafts are refused, which item goes next,
// how each state changes, and what a failed attempt means.
import type { ErrorKind, OutboxFile, OutboxItem, OutboxState } from "../bridge";

/** Identity is who an item is sent as: a user on a server. */
export interface Identity {
  server: string;
  user_id: string;
}

/** The server's limit on a message or note, in bytes. */
export const maxBodyBytes = 16384;
/** The server's limit on one attachment (10 MiB). */
export const maxFileBytes = 10 << 20;
/** The most files one message carries. */
export const maxFiles = 10;
/**
 * How many times an item is retried after the server failed on its side
 * (it may be a passing fault) before it is failed.
 */
export const maxServerFaults = 5;

/** Draft is what the agent wrote. */
export interface Draft {
  identity: Identity;
  workspace_id: string;
  conversation_id: string;
  kind: "reply" | "note";
  body: string;
  mentions?: string[] | null;
  whisper?: boolean;
  files?: OutboxFile[] | null;
}

/** account names an identity, the key of its items and of its sender's lock. */
export function account(id: Identity): string {
  return `${id.server} ${id.user_id}`;
}

/** sameIdentity reports whether an item belongs to the identity. */
export function belongs(it: OutboxItem, id: Identity): boolean {
  return it.server === id.server && it.user_id === id.user_id;
}

const utf8Bytes = (s: string) => new TextEncoder().encode(s).length;
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** refusal says why the outbox refuses a draft (Draft.validate), or "" when it takes it. */
export function refusal(d: Draft): string {
  const files = d.files ?? [];
  switch (true) {
    case d.identity.server === "" || d.identity.user_id === "":
      return "outbox: draft without an identity";
    case d.conversation_id === "":
      return "outbox: draft without a conversation";
    case d.kind !== "reply" && d.kind !== "note":
      return `outbox: unknown kind "${String(d.kind)}"`;
    case d.kind === "note" && files.length > 0:
      return "outbox: notes carry no files";
    case files.length > maxFiles:
      return "outbox: at most 10 files per message";
    case d.body.trim() === "" && files.length === 0:
      return "outbox: empty message";
    case utf8Bytes(d.body) > maxBodyBytes:
      return `outbox: message longer than ${maxBodyBytes} bytes`;
    case loneSurrogate.test(d.body):
      return "outbox: message is not valid text";
  }
  return "";
}

/** tooLong reports whether a body is over the server's limit (in UTF-8 bytes, as Go counts). */
export function tooLong(body: string): boolean {
  return utf8Bytes(body) > maxBodyBytes;
}

/**
 * shape gives an item the JSON shape Go's outbox.Item has: empty
 * mentions, files, reason and message id and a false whisper are left
 * out (omitempty).
 */
export function shape(it: OutboxItem): OutboxItem {
  const out: OutboxItem = {
    server: it.server,
    user_id: it.user_id,
    workspace_id: it.workspace_id,
    conversation_id: it.conversation_id,
    kind: it.kind,
    body: it.body,
    client_id: it.client_id,
    state: it.state,
    order: it.order,
    create_time_ms: it.create_time_ms,
    update_time_ms: it.update_time_ms,
  };
  if (it.mentions && it.mentions.length > 0) out.mentions = [...it.mentions];
  if (it.whisper) out.whisper = true;
  if (it.files && it.files.length > 0) out.files = it.files.map((f) => ({ client_id: f.client_id, name: f.name, size: f.size }));
  if (it.reason) out.reason = it.reason;
  if (it.message_id) out.message_id = it.message_id;
  return out;
}

/** queued makes the item a draft becomes: queued, after every item so far. */
export function queued(d: Draft, clientId: string, order: number, now: number): OutboxItem {
  return shape({
    server: d.identity.server,
    user_id: d.identity.user_id,
    workspace_id: d.workspace_id,
    conversation_id: d.conversation_id,
    kind: d.kind,
    body: d.body,
    mentions: d.mentions ?? null,
    whisper: d.whisper ?? false,
    files: d.files ?? null,
    client_id: clientId,
    state: "queued",
    order,
    create_time_ms: now,
    update_time_ms: now,
  });
}

/** next is the identity's first queued item in compose order, if any. */
export function next(items: Iterable<OutboxItem>, id: Identity): OutboxItem | undefined {
  let best: OutboxItem | undefined;
  for (const it of items) {
    if (belongs(it, id) && it.state === "queued" && (!best || it.order < best.order)) best = it;
  }
  return best;
}

/** inOrder sorts items in compose order. */
export function inOrder(items: OutboxItem[]): OutboxItem[] {
  return [...items].sort((a, b) => a.order - b.order);
}

/** retried is a failed item queued again after every item so far; other items stay as they are. */
export function retried(it: OutboxItem, order: number, now: number): OutboxItem {
  if (it.state !== "failed") return it;
  return shape({ ...it, state: "queued", reason: "", order, update_time_ms: now });
}

/** finished is an item in its final state (delivered or failed). */
export function finished(it: OutboxItem, state: Extract<OutboxState, "delivered" | "failed">, reason: string, messageId: string, now: number): OutboxItem {
  return shape({ ...it, state, reason, message_id: messageId, update_time_ms: now });
}

/** released is a queued item that waits again with a reason, or null when the reason did not change. */
export function released(it: OutboxItem, reason: string): OutboxItem | null {
  if ((it.reason ?? "") === reason) return null;
  return shape({ ...it, reason });
}

/** Why an item cannot be discarded. */
export type Keep = "not_found" | "in_flight" | "final";

/** keep says why an item cannot be discarded, or null when it can. */
export function keep(it: OutboxItem | undefined, inFlight: boolean): Keep | null {
  if (!it) return "not_found";
  if (inFlight) return "in_flight";
  if (it.state === "delivered") return "final";
  return null;
}

/** What the sender does after a failed attempt. */
export type Verdict = "signed_out" | "wait" | "fail";

/**
 * judge decides what a failed attempt means (outbox.Run): a dead session
 * stops the sender, the network and timeouts wait and retry, a fault of
 * the server is retried a few times, and anything the server refused fails
 * the item (retrying it unchanged cannot help). faults counts this item's
 * server faults, this one included.
 */
export function judge(kind: ErrorKind, faults: number): Verdict {
  switch (kind) {
    case "signed_out":
      return "signed_out";
    case "offline":
    case "timeout":
    case "canceled":
      return "wait";
    case "internal":
      return faults >= maxServerFaults ? "fail" : "wait";
    default:
      return "fail";
  }
}

/** The reason a queued item shows while its sender waits for a new sign-in. */
export const waitingForSignIn = "Waiting for you to sign in again.";
