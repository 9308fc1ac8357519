// Sending the customer's messages through the outbox: each message gets its
// client id (the idempotency key) once, shows at once as pending, and is
// delivered in order; a retryable failure leaves the rest queued and tries
// again a little later, a permanent one marks that message failed with the
// reason, for the customer to retry by hand (with the same client id).

import { plainWords, retryable, uuid } from "../api";
import { strings } from "./strings";
import type { Outbox, OutboxItem } from "./outbox";
import type { Row, Timeline } from "./timeline";

/** How long a blocked outbox waits before it tries again. */
export const retryAfterMs = 3000;

/** The longest message body the server takes, in UTF-8 bytes (proto: max_bytes). */
export const maxBodyBytes = 16384;

/**
 * tooLong says whether a message is over what the server takes. The
 * composer's maxlength counts UTF-16 units, so 16,000 of them can be
 * 48,000 bytes of Chinese or 32,000 of emoji: checked here, before the
 * message is queued, the customer keeps the text to shorten it.
 */
export function tooLong(body: string): boolean {
  return new TextEncoder().encode(body.trim()).length > maxBodyBytes;
}

/** What the sender needs from its surroundings. */
export interface SenderDeps {
  /** deliver sends one item to the server (starting the conversation when it must). */
  deliver(item: OutboxItem): Promise<void>;
  /** changed: the timeline changed, redraw it. */
  changed(): void;
  /** later runs fn after ms (a retry). */
  later?(fn: () => void, ms: number): void;
  online?(): boolean;
  newId?(): string;
  now?(): number;
}

/** Sender turns what the customer writes into outbox items and timeline rows, and flushes the outbox. */
export class Sender {
  private flushing = false;

  constructor(
    private readonly outbox: Outbox,
    private readonly timeline: Timeline,
    private readonly deps: SenderDeps,
  ) {}

  /** restore shows messages queued on an earlier page load as waiting. */
  restore(): void {
    for (const item of this.outbox.items()) this.timeline.addPending(item.clientId, item.body, strings.you, item.createdAt, "queued");
  }

  /**
   * queue adds a message (conversationId "" when there is no conversation
   * yet) and shows it; it returns the item, or null for a blank message.
   * The first message without a conversation starts one.
   */
  queue(body: string, conversationId: string): OutboxItem | null {
    const text = body.trim();
    if (!text) return null;
    const now = this.deps.now?.() ?? Date.now();
    const online = this.deps.online?.() ?? navigator.onLine;
    const item: OutboxItem = {
      clientId: this.deps.newId?.() ?? uuid(),
      conversationId,
      body: text,
      createdAt: now,
      starts: !conversationId && !this.outbox.items().some((i) => i.starts),
    };
    this.outbox.add(item);
    this.timeline.addPending(item.clientId, text, strings.you, item.createdAt, online ? "sending" : "queued");
    return item;
  }

  /** retry sends a failed message again, with its client id, so it can never post twice. */
  retry(row: Row, conversationId: string): void {
    this.outbox.add({ clientId: row.clientId, conversationId, body: row.body, createdAt: row.createdAt });
    this.timeline.setDelivery(row.clientId, "sending");
    this.deps.changed();
    void this.flush();
  }

  /** setConversation gives queued messages the conversation the first one started. */
  setConversation(conversationId: string): void {
    this.outbox.setConversation(conversationId);
  }

  /** flush delivers what is queued; a second call while one runs does nothing. */
  async flush(): Promise<void> {
    if (this.outbox.items().length === 0 || this.flushing) return;
    this.flushing = true;
    try {
      const res = await this.outbox.flush(
        (item) => this.deliver(item),
        (err) => (retryable(err) ? "retry" : "drop"),
      );
      for (const d of res.dropped) this.timeline.setDelivery(d.clientId, "failed", plainWords(d.error));
      if (res.blocked) for (const i of this.outbox.items()) this.timeline.setDelivery(i.clientId, "queued");
      this.deps.changed();
      if (res.blocked) (this.deps.later ?? setTimeout)(() => void this.flush(), retryAfterMs);
    } finally {
      this.flushing = false;
    }
  }

  private async deliver(item: OutboxItem): Promise<void> {
    this.timeline.setDelivery(item.clientId, "sending");
    this.deps.changed();
    await this.deps.deliver(item);
  }
}
