// Waiting between attempts, as the desktop's Go side does: capped,
// doubling, jittered, and cut short by a kick (the connection is back,
// something new was queued).

/** Backoff bounds the wait between attempts, in milliseconds. */
export interface Backoff {
  min: number;
  max: number;
}

/** The bounds Go uses for the stream, the connect loop and the outbox. */
export const defaultBackoff: Backoff = { min: 500, max: 30_000 };

/** jitter spreads retries of many clients over [d/2, d]. */
export function jitter(d: number, rand: () => number = Math.random): number {
  const half = Math.floor(d / 2);
  return half + Math.floor(rand() * (d - half + 1));
}

/** grow is the next wait after a failed attempt. */
export function grow(d: number, b: Backoff): number {
  return Math.min(d * 2, b.max);
}

/**
 * Wake is a kick that is kept until someone waits for it, like Go's
 * buffered channel of one: a kick while nobody waits ends the next wait
 * at once.
 */
export class Wake {
  private pending = false;
  private waiters: (() => void)[] = [];

  kick(): void {
    const w = this.waiters;
    if (w.length === 0) {
      this.pending = true;
      return;
    }
    this.waiters = [];
    for (const f of w) f();
  }

  /** wait resolves on a kick, or after ms when given, or when signal aborts. */
  wait(signal: AbortSignal, ms?: number): Promise<"kick" | "timer" | "abort"> {
    if (signal.aborted) return Promise.resolve("abort");
    if (this.pending) {
      this.pending = false;
      return Promise.resolve("kick");
    }
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done = (why: "kick" | "timer" | "abort") => {
        if (timer !== undefined) clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        this.waiters = this.waiters.filter((f) => f !== onKick);
        resolve(why);
      };
      const onKick = () => done("kick");
      const onAbort = () => done("abort");
      this.waiters.push(onKick);
      signal.addEventListener("abort", onAbort, { once: true });
      if (ms !== undefined) timer = setTimeout(() => done("timer"), ms);
    });
  }
}

/** sleep waits ms, or less when signal aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Wake().wait(signal, ms).then(() => undefined);
}

/** child is an AbortController that also aborts when parent does. */
export function child(parent: AbortSignal): AbortController {
  const c = new AbortController();
  if (parent.aborted) c.abort(parent.reason);
  else parent.addEventListener("abort", () => c.abort(parent.reason), { once: true });
  return c;
}
