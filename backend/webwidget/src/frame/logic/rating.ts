// Rating a closed chat (CSAT): whether the visitor may still rate it, what
// the rating area shows, and sending the score.

import type { WidgetConversation } from "@api/widget_pb.js";
import type { WidgetClient } from "../api";

/** The scores offered, worst to best. */
export const scores = [1, 2, 3, 4, 5] as const;

/**
 * What the rating area shows: nothing while the chat is open; for a closed
 * chat, the closing note with the rating prompt (ask) or without it
 * (closed, once rated); keep leaves what is there (it already shows this
 * conversation, perhaps the thanks).
 */
export type CsatShow = "none" | "keep" | "ask" | "closed";

/** csatShow decides the rating area; shownFor is the conversation it shows now, null when hidden. */
export function csatShow(closed: boolean, conversationId: string | undefined, shownFor: string | null, rated: boolean): CsatShow {
  if (!closed) return "none";
  if (shownFor !== null && shownFor === conversationId) return "keep";
  return rated ? "closed" : "ask";
}

/** Rating remembers whether the current conversation has been rated. */
export class Rating {
  rated = false;

  constructor(private readonly client: Pick<WidgetClient, "rateConversation">) {}

  /** seen notes a rating the server already has. */
  seen(conv: WidgetConversation): void {
    if (conv.csatRating > 0) this.rated = true;
  }

  /** reset forgets it (a new chat). */
  reset(): void {
    this.rated = false;
  }

  /** rate sends a score (1 to 5) and comment; it resolves to the updated conversation, if the server sent it. */
  async rate(conversationId: string, score: number, comment: string): Promise<WidgetConversation | undefined> {
    const res = await this.client.rateConversation({ conversationId, rating: score, comment });
    this.rated = true;
    return res.conversation;
  }
}
