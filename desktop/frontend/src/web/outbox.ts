// The outbox (desktop/internal/outbox): the replies and notes an agent
// sends, kept in IndexedDB until the server has them, so that nothing
// written is lost to a dropped connection, a closed tab or a reload.
//
// enqueue stores the item (and a reply's files) before it returns: only
// then may the app say "queued". run sends the queued items of one
// identity (server and user) one at a time, in compose order, each with
// its client id, which the server uses to store a message once however
// often it is retried. Each item ends delivered, or failed with a reason
// and kept for editing. Items are never sent under another identity.
//
// Tabs share the database: one tab at a time sends an account's items (it
// holds the account's lock; the others wait for it), an item being sent
// holds its own lock (discarding it then is refused), and every change is
// told to the other tabs on a BroadcastChannel so that their views follow.
import type { OutboxItem } from "../bridge";
import { defaultBackoff, grow, jitter, Wake, type Backoff } from "./backoff";
import { appError, fromError } from "./errors";
import { safe } from "./filename";
import { uuid } from "./ids";
import type { Locks } from "./locks";
import type { KeptFile, OutboxDB } from "./outboxdb";
import { account, belongs, judge, keep, finished, maxFileBytes, queued, refusal, released, shape, waitingForSignIn, type Draft, type Identity } from "./outboxitem";

/** Deliver sends one item to the server and returns the id the server gave it. */
export type Deliver = (it: OutboxItem, signal: AbortSignal) => Promise<string>;

/** A file to attach, as picked. */
export interface Attach {
  name: string;
  blob: Blob;
}

/** The part of BroadcastChannel the outbox uses. */
export interface Channel {
  postMessage(data: unknown): void;
  onmessage: ((ev: MessageEvent) => void) | null;
}

export interface OutboxOptions {
  db: OutboxDB;
  locks: Locks;
  /** The identity whose item changes are shown (the signed-in or last account), or null. */
  viewer: () => Identity | null;
  /** Called after every change of a shown item, in this tab or another. */
  onChange: (it: OutboxItem) => void;
  channel?: Channel | null;
  now?: () => number;
  backoff?: Backoff;
  log?: (msg: string, err: unknown) => void;
}

/** How run ended: the server refused the session, or it was stopped. */
export type RunEnd = "signed_out" | "stopped";

/** Why a failed enqueue failed, in the words of Go's app.enqueue. */
const notSaved = "Your message could not be saved in this browser: ";

export class Outbox {
  private readonly wake = new Wake();
  private readonly now: () => number;
  private readonly backoff: Backoff;
  private readonly log: (msg: string, err: unknown) => void;

  constructor(private readonly o: OutboxOptions) {
    this.now = o.now ?? Date.now;
    this.backoff = o.backoff ?? defaultBackoff;
    this.log = o.log ?? (() => {});
    if (o.channel) {
      o.channel.onmessage = (ev: MessageEvent) => {
        const it = (ev.data as { item?: OutboxItem } | null)?.item;
        if (!it) return;
        this.show(it);
        if (it.state === "queued") this.kick(); // queued in another tab: this one may be the sender
      };
    }
  }

  /**
   * enqueue stores a draft and its files durably and queues it. When it
   * resolves, the item is stored and will be delivered or fail visibly.
   */
  async enqueue(d: Omit<Draft, "files">, attach: Attach[]): Promise<OutboxItem> {
    if (attach.some((a) => a.blob.size > maxFileBytes)) throw appError("invalid", "Files can be at most 10 MB each.");
    const kept: KeptFile[] = [];
    const files = attach.map((a) => {
      const f = { client_id: uuid(), name: safe(a.name), size: a.blob.size };
      kept.push({ client_id: f.client_id, item_id: "", blob: a.blob });
      return f;
    });
    const draft: Draft = { ...d, mentions: d.mentions?.length ? [...d.mentions] : null, files };
    const why = refusal(draft);
    if (why) throw appError("internal", notSaved + why);
    const clientId = uuid();
    const now = this.now();
    let it: OutboxItem;
    try {
      it = await this.o.db.add((order) => queued(draft, clientId, order, now), kept);
    } catch (e) {
      throw appError("internal", notSaved + (e instanceof Error ? e.message : String(e)));
    }
    this.changed(it);
    this.kick();
    return it;
  }

  /** items returns an identity's items in compose order: waiting, failed, and recently delivered. */
  items(id: Identity): Promise<OutboxItem[]> {
    return this.o.db.list(id);
  }

  /** retry queues a failed item of the identity again, after every item queued so far. */
  async retry(clientId: string, id: Identity): Promise<OutboxItem> {
    const it = await this.o.db.retry(clientId, this.now(), (x) => belongs(x, id));
    if (!it) throw appError("not_found", "That message is no longer in the outbox.");
    if (it.state === "queued") {
      this.changed(it);
      this.kick();
    }
    return shape(it);
  }

  /**
   * discard removes a failed or queued item of the identity (not one being
   * sent) and returns it, so that its text can go back to the composer.
   */
  async discard(clientId: string, id: Identity): Promise<OutboxItem> {
    const r = await this.o.locks.attempt(itemLock(clientId), async () => {
      let why: ReturnType<typeof keep> = null;
      const it = await this.o.db.remove(clientId, (x) => {
        why = keep(x && belongs(x, id) ? x : undefined, false);
        return why === null;
      });
      return { it, why: why as ReturnType<typeof keep> };
    });
    if (!r.held) throw appError("conflict", "That message is being sent right now.");
    const { it, why } = r.value;
    if (why === "final") throw appError("conflict", "That message was already delivered.");
    if (!it) throw appError("not_found", "That message is no longer in the outbox.");
    const out = shape({ ...it, state: "discarded" });
    this.changed(out);
    return out;
  }

  /** kick wakes the sender: something was queued, or the connection is back. */
  kick(): void {
    this.wake.kick();
  }

  /**
   * run sends the identity's queued items until signal aborts ("stopped")
   * or the server stops accepting the session ("signed_out"; the items
   * stay queued for when the same person signs in again). valid tells
   * whether the browser still holds the session run started with: an
   * attempt refused after another tab changed it is not the item's fault.
   */
  async run(id: Identity, deliver: Deliver, valid: () => boolean, signal: AbortSignal): Promise<RunEnd> {
    try {
      return await this.o.locks.hold(`tandem-outbox ${account(id)}`, signal, () => this.loop(id, deliver, valid, signal));
    } catch (e) {
      if (signal.aborted) return "stopped";
      throw e;
    }
  }

  private async loop(id: Identity, deliver: Deliver, valid: () => boolean, signal: AbortSignal): Promise<RunEnd> {
    let wait = this.backoff.min;
    const faults = new Map<string, number>();
    for (;;) {
      if (signal.aborted) return "stopped";
      let it: OutboxItem | undefined;
      try {
        it = (await this.o.db.list(id)).find((x) => x.state === "queued");
      } catch (e) {
        this.log("read outbox", e);
        if ((await this.wake.wait(signal, jitter(wait))) === "abort") return "stopped";
        wait = grow(wait, this.backoff);
        continue;
      }
      if (!it) {
        if ((await this.wake.wait(signal)) === "abort") return "stopped";
        continue;
      }
      const clientId = it.client_id;
      let step: Awaited<ReturnType<Outbox["attempt"]>> | "busy";
      try {
        const r = await this.o.locks.attempt(itemLock(clientId), () => this.attempt(clientId, deliver, valid, faults, signal));
        step = r.held ? r.value : "busy";
      } catch (e) {
        // The storage failed around the attempt: the item stays queued, and is tried again later.
        this.log("send outbox item", e);
        step = signal.aborted ? "stopped" : "wait";
      }
      switch (step) {
        case "stopped":
        case "signed_out":
          return step;
        case "done":
          wait = this.backoff.min;
          continue;
        case "failed_fault":
          continue;
        case "busy": // a tab is discarding it right now: look again shortly
          if ((await this.wake.wait(signal, 100)) === "abort") return "stopped";
          continue;
        case "wait":
          // A kick (the connection is back, or something new was queued) cuts the wait short.
          if ((await this.wake.wait(signal, jitter(wait))) === "abort") return "stopped";
          wait = grow(wait, this.backoff);
      }
    }
  }

  /** attempt sends one item, holding its lock, and records what came of it. */
  private async attempt(clientId: string, deliver: Deliver, valid: () => boolean, faults: Map<string, number>, signal: AbortSignal): Promise<"done" | "failed_fault" | "wait" | RunEnd> {
    const it = await this.o.db.get(clientId);
    if (!it || it.state !== "queued") return "done"; // discarded or changed meanwhile
    try {
      const messageId = await deliver(it, signal);
      await this.finish(finished(it, "delivered", "", messageId, this.now()));
      return "done";
    } catch (err) {
      if (signal.aborted) {
        await this.release(it, "");
        return "stopped";
      }
      if (!valid()) {
        await this.release(it, waitingForSignIn);
        return "signed_out";
      }
      const e = fromError(err);
      const n = e.kind === "internal" ? (faults.get(clientId) ?? 0) + 1 : 0;
      if (n) faults.set(clientId, n);
      switch (judge(e.kind, n)) {
        case "signed_out":
          await this.release(it, waitingForSignIn);
          return "signed_out";
        case "wait":
          await this.release(it, e.message);
          return "wait";
        case "fail":
          await this.finish(finished(it, "failed", e.message, "", this.now()));
          return e.kind === "internal" ? "failed_fault" : "done";
      }
    }
  }

  /**
   * finish records an item's final state. If it cannot be stored the item
   * stays queued there, and is sent again later with the same client id,
   * which the server answers with the message it stored the first time.
   */
  private async finish(it: OutboxItem): Promise<void> {
    try {
      if (!(await this.o.db.update(it))) return; // discarded meanwhile
    } catch (e) {
      this.log("record outbox result", e);
    }
    this.changed(it);
  }

  /** release returns an item to the queue, noting why it waits. */
  private async release(it: OutboxItem, reason: string): Promise<void> {
    const next = released(it, reason);
    if (!next) return;
    try {
      await this.o.db.update(next);
    } catch (e) {
      this.log("record outbox reason", e);
    }
    this.changed(next);
  }

  /** changed shows a change here and tells the other tabs. */
  private changed(it: OutboxItem): void {
    this.show(it);
    try {
      this.o.channel?.postMessage({ item: it });
    } catch (e) {
      this.log("tell other tabs", e);
    }
  }

  private show(it: OutboxItem): void {
    const id = this.o.viewer();
    if (id && belongs(it, id)) this.o.onChange(shape(it));
  }
}

/** itemLock names the lock an item is sent under. */
function itemLock(clientId: string): string {
  return `tandem-outbox-item ${clientId}`;
}
