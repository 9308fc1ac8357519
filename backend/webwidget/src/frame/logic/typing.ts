// Telling the team the customer is typing: at most one "typing" every 3 s
// while keys are pressed, and "stopped" 4 s after the last one, or at once
// when the message is sent.

/** The clock and timers the signal uses (the browser's by default). */
export interface Timers {
  now(): number;
  set(fn: () => void, ms: number): number;
  clear(id: number): void;
}

const browserTimers: Timers = {
  now: () => Date.now(),
  set: (fn, ms) => setTimeout(fn, ms) as unknown as number,
  clear: (id) => clearTimeout(id),
};

/** TypingSignal throttles the customer's typing events. */
export class TypingSignal {
  private sent = 0;
  private timer = 0;

  /**
   * current returns the conversation typing is told to, and whether it is
   * closed (nothing is told to a closed one); send tells the server.
   */
  constructor(
    private readonly current: () => { id: string; closed: boolean } | null,
    private readonly send: (conversationId: string, typing: boolean) => void,
    private readonly timers: Timers = browserTimers,
  ) {}

  /** typed is called on every change to the composer's text. */
  typed(): void {
    const conv = this.current();
    if (!conv || conv.closed) return;
    const now = this.timers.now();
    if (now - this.sent > 3000) {
      this.sent = now;
      this.send(conv.id, true);
    }
    this.timers.clear(this.timer);
    this.timer = this.timers.set(() => this.stop(), 4000);
  }

  /** stop tells the team the customer stopped, if they were told otherwise. */
  stop(): void {
    this.timers.clear(this.timer);
    const conv = this.current();
    if (!this.sent || !conv) return;
    this.sent = 0;
    this.send(conv.id, false);
  }
}
