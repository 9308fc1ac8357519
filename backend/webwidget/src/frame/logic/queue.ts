// What the queue banner says while a chat waits for a person, from the
// server's QueueStatus: where it stands, and either the measured wait range
// or, with nobody from the team online, that the team is away and how they
// will reply (no made-up estimate then).

import { ConversationState } from "@api/conversation_pb.js";
import { QueueWait, type QueueStatus, type WidgetConversation } from "@api/widget_pb.js";
import { strings } from "./strings";

/** QueueView is the banner's content. */
export interface QueueView {
  lines: string[];
  /** askEmail is set when the team has no email to reply to and is away, or the server says the chat has waited long enough to ask. */
  askEmail: boolean;
}

const ranges: Record<number, Parameters<typeof strings.queueWait>[0]> = {
  [QueueWait.QUEUE_WAIT_FEW_MINUTES]: "few",
  [QueueWait.QUEUE_WAIT_5_TO_10_MINUTES]: "5-10",
  [QueueWait.QUEUE_WAIT_10_TO_20_MINUTES]: "10-20",
  [QueueWait.QUEUE_WAIT_20_TO_40_MINUTES]: "20-40",
  [QueueWait.QUEUE_WAIT_WITHIN_HOUR]: "hour",
  [QueueWait.QUEUE_WAIT_OVER_HOUR]: "over",
};

/** queueView says a queue status; emailKnown also counts an address the visitor gave in this page. */
export function queueView(q: Pick<QueueStatus, "position" | "agentsOnline" | "wait" | "emailKnown" | "askEmail">, emailKnown = false): QueueView {
  const known = q.emailKnown || emailKnown;
  if (!q.agentsOnline) return { lines: [strings.queueAway(known)], askEmail: !known };
  const lines = [strings.queuePosition(q.position)];
  const wait = strings.queueWait(ranges[q.wait] ?? "");
  if (wait) lines.push(wait);
  // A long wait (the workspace's ask_email_after_minutes): the customer may not stay, so the team needs another way to reach them.
  return { lines, askEmail: !known && q.askEmail };
}

/** queueBanner is the banner for a conversation, or null while it is not waiting for a person. */
export function queueBanner(q: QueueStatus | undefined, conv: Pick<WidgetConversation, "state"> | null, emailGiven: string): QueueView | null {
  if (!q || !conv || conv.state !== ConversationState.PENDING) return null;
  return queueView(q, emailGiven !== "");
}
