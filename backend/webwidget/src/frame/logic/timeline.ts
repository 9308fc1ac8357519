// The conversation as the customer sees it: server messages deduplicated by
// id and by client id, plus the customer's own messages not yet confirmed.
// Rendering keys on the stable key so a pending message turns into the
// server's copy in place and nothing shows twice.

export type Author = "customer" | "agent" | "bot" | "system";
export type Delivery = "queued" | "sending" | "sent" | "failed";

/** A file attached to a message. */
export interface FileRef {
  id: string;
  name: string;
  contentType: string;
  size: number;
}

/** A source an AI answer cites. */
export interface Source {
  title: string;
  heading: string;
  /** The document's public address: only http(s) ones become links. */
  url: string;
}

/** One row of the message list. */
export interface Row {
  /** Stable render key: the client id when there is one, else the id. */
  key: string;
  /** The server's id; empty while pending. */
  id: string;
  clientId: string;
  /** The server's order; 0 while pending. */
  seq: number;
  activity: string;
  author: Author;
  authorName: string;
  body: string;
  createdAt: number;
  attachments: FileRef[];
  citations: Source[];
  /** The AI agent answered while the chat waited for a person. */
  whileWaiting?: boolean;
  delivery?: Delivery;
  error?: string;
  /** Bumped on every change, so views know what to redraw. */
  version: number;
}

/** What the server says about a message (see toRow in convert.ts). */
export type ServerRow = Omit<Row, "key" | "version" | "delivery" | "error">;

export class Timeline {
  private rows = new Map<string, Row>();
  private keyOfId = new Map<string, string>();

  /** upsert adds or updates a server message; it returns true when it is new to the view. */
  upsert(m: ServerRow): boolean {
    const known = this.keyOfId.get(m.id) ?? (m.clientId && this.rows.has(m.clientId) ? m.clientId : undefined);
    if (known) {
      const row = this.rows.get(known)!;
      const wasPending = !row.id;
      if (!wasPending && row.seq === m.seq && row.body === m.body && row.activity === m.activity) return false;
      Object.assign(row, m, { key: row.key, delivery: row.author === "customer" ? "sent" : undefined, error: undefined, version: row.version + 1 });
      this.keyOfId.set(m.id, row.key);
      return false;
    }
    const key = m.clientId || m.id;
    this.rows.set(key, { ...m, key, delivery: m.author === "customer" ? "sent" : undefined, version: 1 });
    this.keyOfId.set(m.id, key);
    return true;
  }

  /**
   * confirm puts the server's copy of a pending message in its place, also
   * when the server gave it a different client id (a conversation's first
   * message gets one derived from the conversation's).
   */
  confirm(clientId: string, m: ServerRow): void {
    const row = this.rows.get(clientId);
    if (row && !row.id && !this.keyOfId.has(m.id)) this.keyOfId.set(m.id, clientId);
    this.upsert(m);
  }

  /** addPending shows a customer message before the server has it. */
  addPending(clientId: string, body: string, authorName: string, now: number, delivery: Delivery = "sending"): void {
    if (this.rows.has(clientId)) return;
    this.rows.set(clientId, {
      key: clientId, id: "", clientId, seq: 0, activity: "", author: "customer", authorName, body, createdAt: now,
      attachments: [], citations: [], delivery, version: 1,
    });
  }

  /** setDelivery changes a pending message's state (no-op once the server has it). */
  setDelivery(clientId: string, delivery: Delivery, error?: string): void {
    const row = this.rows.get(clientId);
    if (!row || row.id) return;
    if (row.delivery === delivery && row.error === error) return;
    row.delivery = delivery;
    row.error = error;
    row.version++;
  }

  /** has reports whether a message id or client id is known. */
  has(idOrClientId: string): boolean {
    return this.keyOfId.has(idOrClientId) || this.rows.has(idOrClientId);
  }

  /** list returns rows in display order: server order, then pending by time. */
  list(): Row[] {
    return [...this.rows.values()].sort((a, b) => {
      if (a.seq && b.seq) return a.seq - b.seq;
      if (a.seq) return -1;
      if (b.seq) return 1;
      return a.createdAt - b.createdAt;
    });
  }

  clear(): void {
    this.rows.clear();
    this.keyOfId.clear();
  }
}
