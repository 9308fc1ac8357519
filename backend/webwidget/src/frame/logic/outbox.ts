// Messages the customer wrote that the server has not confirmed yet. The
// queue is kept in storage so that messages typed offline survive a page
// load, and each keeps its client id so that a retry can never post twice
// (the server returns the first result for a repeated client id).

/** A message waiting to be sent. conversationId is empty when the message starts the conversation. */
export interface OutboxItem {
  clientId: string;
  conversationId: string;
  body: string;
  createdAt: number;
  /** The message opens the conversation (StartConversation, idempotent by client id). */
  starts?: boolean;
}

/** The part of Storage the outbox needs. */
export interface KV {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** What to do after a failed send. */
export type Verdict = "retry" | "drop";

/** The result of one flush. */
export interface FlushResult {
  sent: string[];
  dropped: { clientId: string; error: unknown }[];
  /** True when a retryable error stopped the flush; the rest wait. */
  blocked: boolean;
}

export class Outbox {
  private flushing: Promise<FlushResult> | null = null;

  constructor(
    private readonly kv: KV,
    private readonly key: string,
  ) {}

  items(): OutboxItem[] {
    try {
      const v = JSON.parse(this.kv.getItem(this.key) ?? "[]");
      return Array.isArray(v) ? (v as OutboxItem[]) : [];
    } catch {
      return [];
    }
  }

  private save(items: OutboxItem[]): void {
    if (items.length === 0) this.kv.removeItem(this.key);
    else this.kv.setItem(this.key, JSON.stringify(items));
  }

  add(item: OutboxItem): void {
    const items = this.items();
    if (items.some((i) => i.clientId === item.clientId)) return;
    items.push(item);
    this.save(items);
  }

  remove(clientId: string): void {
    this.save(this.items().filter((i) => i.clientId !== clientId));
  }

  /** setConversation gives items that start a conversation the conversation they started. */
  setConversation(conversationId: string): void {
    this.save(this.items().map((i) => (i.conversationId ? i : { ...i, conversationId })));
  }

  /**
   * flush sends the items in order, one at a time. A retryable failure stops
   * the flush (order is kept); a permanent one drops that item. Concurrent
   * calls share one flush.
   */
  flush(send: (item: OutboxItem) => Promise<void>, judge: (err: unknown) => Verdict): Promise<FlushResult> {
    if (this.flushing) return this.flushing;
    this.flushing = (async () => {
      const res: FlushResult = { sent: [], dropped: [], blocked: false };
      try {
        for (;;) {
          const item = this.items()[0];
          if (!item) break;
          try {
            await send(item);
            this.remove(item.clientId);
            res.sent.push(item.clientId);
          } catch (err) {
            if (judge(err) === "retry") {
              res.blocked = true;
              break;
            }
            this.remove(item.clientId);
            res.dropped.push({ clientId: item.clientId, error: err });
          }
        }
      } finally {
        this.flushing = null;
      }
      return res;
    })();
    return this.flushing;
  }
}
