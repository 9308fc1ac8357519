// Proto messages to the view's plain shapes.

import { AuthorKind } from "@api/conversation_pb.js";
import type { WidgetMessage } from "@api/widget_pb.js";
import type { Author, ServerRow } from "./timeline";

/** authorOf names who wrote a message. */
export function authorOf(k: AuthorKind): Author {
  switch (k) {
    case AuthorKind.CUSTOMER:
      return "customer";
    case AuthorKind.AGENT:
      return "agent";
    case AuthorKind.BOT:
      return "bot";
    default:
      return "system";
  }
}

/** toRow converts a message for the timeline. */
export function toRow(m: WidgetMessage): ServerRow {
  return {
    id: m.id,
    clientId: m.clientId,
    seq: Number(m.seq),
    activity: m.activity,
    author: authorOf(m.authorKind),
    authorName: m.authorName,
    body: m.body,
    createdAt: Number(m.createTimeMs),
    attachments: m.attachments.map((a) => ({ id: a.id, name: a.name, contentType: a.contentType, size: Number(a.sizeBytes) })),
    citations: m.citations.map((c) => ({ title: c.documentTitle, heading: c.heading, url: c.url })),
    whileWaiting: m.answeredWhileWaiting,
  };
}
