// How outbox items read in the conversation: every reply or note the agent
// sent stays visible until the server's copy shows in the history, and a
// failed one stays with its reason and the means to edit or retry it.
import type { OutboxItem } from "../bridge";
import type { Message } from "../api";

export type Tone = "quiet" | "waiting" | "error";

/** Shown is how an item reads, and what can be done with it. */
export interface Shown {
  label: string;
  tone: Tone;
  canRetry: boolean;
  canEdit: boolean;
}

/** describe says where an item stands, in plain words. */
export function describe(it: OutboxItem, signedIn: boolean, online: boolean): Shown {
  switch (it.state) {
    case "failed":
      return { label: `Not sent: ${it.reason || "the server refused it"}`, tone: "error", canRetry: true, canEdit: true };
    case "delivered":
      return { label: "Sent", tone: "quiet", canRetry: false, canEdit: false };
    case "discarded":
      return { label: "Removed", tone: "quiet", canRetry: false, canEdit: false };
  }
  if (!signedIn) return { label: "Queued: waiting for you to sign in", tone: "waiting", canRetry: false, canEdit: true };
  if (!online || it.reason) return { label: `Queued: ${it.reason || "will be sent when the connection is back"}`, tone: "waiting", canRetry: false, canEdit: true };
  return { label: "Sending…", tone: "quiet", canRetry: false, canEdit: false };
}

/**
 * pending returns the items to show under a conversation's history: its
 * items not yet visible there (matched by client id), in compose order.
 * Delivered items whose message has arrived, and discarded ones, go.
 */
export function pending(items: Iterable<OutboxItem>, conversationId: string, history: Message[]): OutboxItem[] {
  const seen = new Set(history.map((m) => m.clientId));
  const out: OutboxItem[] = [];
  for (const it of items) {
    if (it.conversation_id !== conversationId || it.state === "discarded" || seen.has(it.client_id)) continue;
    out.push(it);
  }
  return out.sort((a, b) => a.order - b.order);
}

/** merge folds a change Go reported into the known items. */
export function merge(items: Map<string, OutboxItem>, change: OutboxItem): Map<string, OutboxItem> {
  const next = new Map(items);
  if (change.state === "discarded") next.delete(change.client_id);
  else next.set(change.client_id, change);
  return next;
}

/** failedCount counts the items that need the agent's attention. */
export function failedCount(items: Iterable<OutboxItem>): number {
  let n = 0;
  for (const it of items) if (it.state === "failed") n++;
  return n;
}
