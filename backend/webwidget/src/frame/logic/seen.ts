// Telling the server how far the customer has seen their chat: the seq of
// the newest item the open widget showed them while the page was visible.
// Replies after it count as unseen, and the server emails those to a
// customer who left an address. Marks only move forward, at most one call
// is in flight, and a failed one is dropped: the next item marks again.

export type MarkSeen = (conversationId: string, seq: number) => Promise<unknown>;

export class SeenMarker {
  private sent = new Map<string, number>();
  private busy = false;
  private next: { conversationId: string; seq: number } | null = null;

  constructor(private readonly send: MarkSeen) {}

  /** note marks the conversation seen up to seq, when that is further than before. */
  note(conversationId: string, seq: number): void {
    if (!conversationId || seq <= (this.sent.get(conversationId) ?? 0)) return;
    this.next = { conversationId, seq };
    if (!this.busy) void this.flush();
  }

  private async flush(): Promise<void> {
    this.busy = true;
    while (this.next) {
      const { conversationId, seq } = this.next;
      this.next = null;
      if (seq <= (this.sent.get(conversationId) ?? 0)) continue;
      try {
        await this.send(conversationId, seq);
        this.sent.set(conversationId, Math.max(seq, this.sent.get(conversationId) ?? 0));
      } catch {
        // Dropped: the next item shown marks again.
      }
    }
    this.busy = false;
  }
}

/** lastSeq is the newest server seq among the rows (0 for none). */
export function lastSeq(rows: ReadonlyArray<{ seq: number }>): number {
  let max = 0;
  for (const r of rows) if (r.seq > max) max = r.seq;
  return max;
}
