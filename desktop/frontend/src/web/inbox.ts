// The live copy of a workspace's conversations (desktop/internal/inbox): a
// snapshot from ListConversations, kept current by the Watch stream's
// events. Events carry the conversation as it is after the change but not
// the reader's unread marker, so the inbox carries that across: anything
// new in the history from someone else makes a conversation unread, the
// reader's own writing or reading makes it read.
import { clone } from "@bufbuild/protobuf";
import { ConversationSchema, type Conversation, type Event } from "@api/conversation_pb.js";

const copy = (c: Conversation): Conversation => clone(ConversationSchema, c);

/** Inbox holds conversations by id for one reader (a user id). */
export class Inbox {
  private convs = new Map<string, Conversation>();

  constructor(private readonly me: string) {}

  /** reset replaces the content with a fresh snapshot. */
  reset(list: Conversation[]): void {
    this.convs = new Map(list.map((c) => [c.id, copy(c)]));
  }

  /**
   * upsert stores a conversation a call returned (it carries the caller's
   * unread marker only from lists; others keep the one known).
   */
  upsert(c: Conversation, fromList: boolean): Conversation {
    const next = copy(c);
    const prev = this.convs.get(c.id);
    if (prev && !fromList) {
      next.unread = prev.unread;
      if (prev.lastSeq > next.lastSeq) return copy(prev); // older than what the stream brought
    }
    this.convs.set(c.id, next);
    return copy(next);
  }

  /**
   * apply folds a stream event in and returns the conversation as it now
   * stands, or undefined when the event is not about one (typing, mentions...).
   */
  apply(ev: Event): Conversation | undefined {
    const id = ev.conversationId;
    const prev = this.convs.get(id);
    if (ev.conversation) {
      const next = copy(ev.conversation);
      next.unread = prev?.unread ?? false;
      // The reader's own items are read by definition; anyone else's are news.
      if (ev.message) next.unread = ev.actorId !== this.me;
      this.convs.set(id, next);
      return copy(next);
    }
    if (ev.type === "conversation.read" && prev && ev.actorId === this.me) {
      const seq = parseSeq(ev.data["seq"]);
      if (seq >= prev.lastSeq) prev.unread = false;
      return copy(prev);
    }
    return undefined;
  }

  /** markRead clears the unread marker after the reader opened it. */
  markRead(id: string): void {
    const c = this.convs.get(id);
    if (c) c.unread = false;
  }

  /** get returns one conversation. */
  get(id: string): Conversation | undefined {
    const c = this.convs.get(id);
    return c && copy(c);
  }

  /** list returns every conversation, most recently active first. */
  list(): Conversation[] {
    return [...this.convs.values()].map(copy).sort((x, y) => {
      if (x.lastActivityTimeMs !== y.lastActivityTimeMs) return y.lastActivityTimeMs > x.lastActivityTimeMs ? 1 : -1;
      return x.id < y.id ? -1 : x.id > y.id ? 1 : 0;
    });
  }
}

/** parseSeq reads an event's sequence number as Go's ParseInt does: 0 when it is not one. */
function parseSeq(s: string | undefined): bigint {
  if (!s || !/^[+-]?\d+$/.test(s)) return 0n;
  try {
    return BigInt(s);
  } catch {
    return 0n;
  }
}
