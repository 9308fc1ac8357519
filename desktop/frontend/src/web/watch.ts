// Following a workspace's live event stream (desktop/internal/watch): it
// resumes from the last cursor after any interruption, with capped,
// jittered backoff; reloads the snapshot when the server says the cursor
// can no longer be resumed from (RESYNC_REQUIRED); reconnects when the
// stream goes quiet for longer than the server's heartbeats allow; and
// stops for good when the session or the membership ends. In the browser,
// the page going offline ends the stream at once, and coming back online
// or into view cuts the wait before the next attempt.
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { Event, WatchRequestSchema, WatchResponse } from "@api/conversation_pb.js";
import type { AppError } from "../bridge";
import { defaultBackoff, grow, jitter, Wake, child, type Backoff } from "./backoff";
import { appError, fromError, words } from "./errors";

/** Conn is the stream's connection state, for the app to show. */
export type Conn = "connecting" | "live" | "offline";

/** Handler receives what the stream delivers. */
export interface Handler {
  /** event handles one event; the stream resumes after it on reconnect. */
  event(ev: Event): void;
  /** resync reloads the snapshot and returns the cursor it reflects. */
  resync(signal: AbortSignal): Promise<string>;
  /** status reports connection changes; err is why it went offline. */
  status(s: Conn, err: AppError | null): void;
}

/** Open opens the stream (ConversationService.Watch). */
export type Open = (req: MessageInitShape<typeof WatchRequestSchema>, signal: AbortSignal) => AsyncIterable<WatchResponse>;

export interface WatchOptions {
  /**
   * How long the stream may stay silent (heartbeats included) before it is
   * presumed dead and reopened. The server sends a heartbeat every 15 s.
   */
  idleMs?: number;
  backoff?: Backoff;
}

/** The end of a stream that went silent. */
const idle = appError("offline", "The live connection went quiet; reconnecting.");
/** The end of a stream the server closed without an error. */
const closed = appError("offline", "The server closed the live connection; reconnecting.");
/** The end of a stream because the browser lost the network. */
const lost = appError("offline", words.offline);

const terminal = (e: AppError) => e.kind === "signed_out" || e.kind === "forbidden" || e.kind === "not_found";

/** Watcher follows one workspace. */
export class Watcher {
  private readonly idleMs: number;
  private readonly backoff: Backoff;
  private readonly wake = new Wake();
  private attemptCtl: AbortController | null = null;

  constructor(
    private readonly open: Open,
    private readonly workspaceId: string,
    /** The position the stream resumes after. */
    public cursor: string,
    private readonly h: Handler,
    opts: WatchOptions = {},
  ) {
    this.idleMs = opts.idleMs ?? 45_000;
    this.backoff = opts.backoff ?? defaultBackoff;
  }

  /** retryNow cuts the wait before the next attempt (the network is back, the page is seen). */
  retryNow(): void {
    this.wake.kick();
  }

  /** interrupt ends the current stream as if the network dropped (the browser says it is offline). */
  interrupt(): void {
    this.attemptCtl?.abort(lost);
  }

  /**
   * run follows the stream until signal aborts (resolving to a canceled
   * error) or the server ends the session or the membership for good
   * (resolving to that error: signed_out, forbidden or not_found).
   */
  async run(signal: AbortSignal): Promise<AppError> {
    let wait = this.backoff.min;
    for (;;) {
      this.h.status("connecting", null);
      const { received, err } = await this.once(signal);
      if (signal.aborted) return appError("canceled", words.stopped);
      if (received) wait = this.backoff.min;
      let e = err;
      if (terminal(e)) {
        this.h.status("offline", e);
        return e;
      }
      if (e.kind === "resync") {
        try {
          this.cursor = await this.h.resync(signal);
          continue; // at once: the server is up, only the cursor was stale
        } catch (rerr) {
          if (signal.aborted) return appError("canceled", words.stopped);
          e = fromError(rerr);
          if (terminal(e)) {
            this.h.status("offline", e);
            return e;
          }
        }
      }
      this.h.status("offline", e);
      if ((await this.wake.wait(signal, jitter(wait))) === "abort") return appError("canceled", words.stopped);
      wait = grow(wait, this.backoff);
    }
  }

  /** once opens the stream and reads it until it fails; it reports whether anything arrived. */
  private async once(signal: AbortSignal): Promise<{ received: boolean; err: AppError }> {
    const ctl = child(signal);
    this.attemptCtl = ctl;
    let timer = setTimeout(() => ctl.abort(idle), this.idleMs);
    const rearm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => ctl.abort(idle), this.idleMs);
    };
    let received = false;
    try {
      for await (const msg of this.open({ workspaceId: this.workspaceId, cursor: this.cursor }, ctl.signal)) {
        rearm();
        if (!received) {
          received = true;
          this.h.status("live", null);
        }
        if (msg.event && !msg.heartbeat) this.h.event(msg.event);
        if (msg.cursor) this.cursor = msg.cursor;
      }
      return { received, err: this.cause(ctl, closed) };
    } catch (err) {
      return { received, err: this.cause(ctl, fromError(err)) };
    } finally {
      clearTimeout(timer);
      ctl.abort(); // ends the request if it is still open
      if (this.attemptCtl === ctl) this.attemptCtl = null;
    }
  }

  /** cause prefers the reason this side ended the stream (idle, offline) over the error that produced. */
  private cause(ctl: AbortController, err: AppError): AppError {
    const r: unknown = ctl.signal.reason;
    return ctl.signal.aborted && (r === idle || r === lost) ? (r as AppError) : err;
  }
}
