// The conversation's live stream (WidgetService.Watch): one stream at a
// time, resumed from the last cursor after a drop, with capped jittered
// backoff between attempts; the browser coming back online cuts the wait
// short. Without a cursor it lists the history first, so nothing written
// before the stream opens is missed. No DOM: what arrives goes to hooks.

import { Code, ConnectError } from "@connectrpc/connect";
import type { WidgetServiceWatchResponse } from "@api/widget_pb.js";
import type { WidgetClient } from "../api";

/** backoff is the wait before reconnect attempt n (0-based): 0.5 s doubling to 15 s, ±25 %. */
export function backoff(attempt: number, random: () => number = Math.random): number {
  return Math.min(15000, 500 * 2 ** Math.min(attempt, 5)) * (0.75 + random() * 0.5);
}

/** The part of the API the stream uses. */
export type StreamClient = Pick<WidgetClient, "watch">;

/** What the stream reports. */
export interface StreamHooks {
  /** history lists the conversation again and sets Stream.cursor from the listing. */
  history(): Promise<void>;
  /** response is one message from the server (its cursor already taken). */
  response(res: WidgetServiceWatchResponse): void;
  /** connected says whether the connection is up (false after a drop, true once back). */
  connected(ok: boolean): void;
  /** expired: the session is no longer valid; the stream has stopped. */
  expired(): void;
}

/** Stream follows one conversation's events. */
export class Stream {
  /** cursor is where the next Watch resumes ("" to list first). */
  cursor = "";
  private abort: AbortController | null = null;
  private wake: (() => void) | null = null;
  private lost = false;

  constructor(
    private readonly client: StreamClient,
    private readonly hooks: StreamHooks,
    private readonly delay: (attempt: number) => number = backoff,
  ) {}

  /** watching is set from start until stop, also after the stream gave up (NotFound, expired). */
  get watching(): boolean {
    return this.abort !== null;
  }

  /**
   * start stops any current stream and follows conversationId from the
   * cursor; the promise settles when this stream ends (stopped, or given up).
   */
  start(conversationId: string): Promise<void> {
    this.stop();
    const abort = new AbortController();
    this.abort = abort;
    return this.loop(conversationId, abort.signal);
  }

  stop(): void {
    this.abort?.abort();
    this.abort = null;
  }

  /** retryNow ends the wait before the next attempt (the browser is back online). */
  retryNow(): void {
    this.wake?.();
  }

  /** setConnected records and reports the connection's state (also from the browser's offline event). */
  setConnected(ok: boolean): void {
    this.lost = !ok;
    this.hooks.connected(ok);
  }

  private async loop(conversationId: string, signal: AbortSignal): Promise<void> {
    let attempt = 0;
    while (!signal.aborted) {
      try {
        if (!this.cursor) await this.hooks.history();
        for await (const res of this.client.watch({ conversationId, cursor: this.cursor }, { signal })) {
          if (attempt > 0 || this.lost) this.setConnected(true);
          attempt = 0;
          if (res.cursor) this.cursor = res.cursor;
          this.hooks.response(res);
        }
      } catch (err) {
        if (signal.aborted) return;
        const code = ConnectError.from(err).code;
        if (code === Code.FailedPrecondition) {
          // The cursor cannot be honoured: list again and watch from there.
          try {
            await this.hooks.history();
            continue;
          } catch {
            // retry below
          }
        } else if (code === Code.Unauthenticated) {
          this.hooks.expired();
          return;
        } else if (code === Code.NotFound || code === Code.PermissionDenied) {
          return;
        }
        this.setConnected(false);
      }
      if (signal.aborted) return;
      await this.sleep(this.delay(attempt++));
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
  }
}
