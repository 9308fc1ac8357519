// Recording a voice message: ask for the microphone, record in the best
// format the browser has, count the time, stop at the limit, and hand over
// the clip, or nothing when cancelled or failed. The microphone is always
// released at the end, whichever way it comes. The browser's
// getUserMedia and MediaRecorder come in through Mic (mic.ts), so the
// rules run in tests with a scripted microphone.

import { chooseVoiceType, micProblem, voiceFileName, voiceLimitMs, type MicProblem } from "./voice";

/** What a running MediaRecorder reports. */
export interface RecordingHandlers {
  data(chunk: Blob): void;
  /** stop: the recorder has stopped and handed over its last data. */
  stop(): void;
  error(err: unknown): void;
}

/** A running recording. */
export interface Recording {
  /** The type being recorded, as the recorder says ("" when it does not say). */
  readonly type: string;
  stop(): void;
}

/** An open microphone. */
export interface Capture {
  /** record starts recording in type ("" lets the browser choose). It may throw. */
  record(type: string, on: RecordingHandlers): Recording;
  /** release stops the microphone's tracks (the browser's recording indicator goes out). */
  release(): void;
}

/** The browser's microphone. */
export interface Mic {
  /** open asks for the microphone; it rejects as getUserMedia does. */
  open(): Promise<Capture>;
  isTypeSupported(type: string): boolean;
}

/** A finished recording. */
export interface Clip {
  blob: Blob;
  /** The file name to upload it under, after its type. */
  name: string;
  durationMs: number;
}

export type RecorderState = "idle" | "asking" | "recording" | "stopping";

/** What went wrong: the microphone, or a recording with nothing in it. */
export type RecorderProblem = MicProblem | "empty";

/** What the recorder tells the chat. */
export interface RecorderEvents {
  state(s: RecorderState): void;
  /** tick: the running time, a few times a second while recording. */
  tick(elapsedMs: number): void;
  /** done hands over the clip (stopped by the customer or by the limit). */
  done(clip: Clip): void;
  failed(problem: RecorderProblem): void;
}

/** Timers and the clock, injected for tests. */
export interface RecorderClock {
  now(): number;
  every(fn: () => void, ms: number): () => void;
  after(fn: () => void, ms: number): () => void;
}

const browserClock: RecorderClock = {
  now: () => Date.now(),
  every: (fn, ms) => {
    const id = setInterval(fn, ms);
    return () => clearInterval(id);
  },
  after: (fn, ms) => {
    const id = setTimeout(fn, ms);
    return () => clearTimeout(id);
  },
};

/** How often the running time is told. */
export const tickMs = 250;

/** How long a stopping recorder may take to hand over its data. */
export const stopTimeoutMs = 5000;

/** One press of the microphone button, from asking to the end. */
interface Take {
  capture: Capture | null;
  recording: Recording | null;
  chunks: Blob[];
  type: string;
  startedAt: number;
  stoppedAt: number;
  over: boolean;
  cancelTimers: (() => void)[];
}

export class VoiceRecorder {
  private current: Take | null = null;
  private st: RecorderState = "idle";

  constructor(
    private readonly mic: Mic,
    private readonly events: RecorderEvents,
    private readonly clock: RecorderClock = browserClock,
    private readonly limitMs = voiceLimitMs,
  ) {}

  get state(): RecorderState {
    return this.st;
  }

  /** start asks for the microphone and records; it does nothing unless idle. */
  async start(): Promise<void> {
    if (this.st !== "idle") return;
    const take: Take = { capture: null, recording: null, chunks: [], type: "", startedAt: 0, stoppedAt: 0, over: false, cancelTimers: [] };
    this.current = take;
    this.set("asking");
    let capture: Capture;
    try {
      capture = await this.mic.open();
    } catch (err) {
      if (!take.over) this.end(take, micProblem(err));
      return;
    }
    take.capture = capture;
    if (take.over) {
      // Cancelled while the browser asked: the answer came too late.
      capture.release();
      return;
    }
    take.type = chooseVoiceType((t) => this.mic.isTypeSupported(t));
    try {
      take.recording = capture.record(take.type, {
        data: (chunk) => {
          if (chunk.size > 0) take.chunks.push(chunk);
        },
        stop: () => this.finish(take),
        error: (err) => this.end(take, micProblem(err)),
      });
    } catch (err) {
      this.end(take, micProblem(err));
      return;
    }
    take.startedAt = this.clock.now();
    take.cancelTimers.push(
      this.clock.every(() => this.events.tick(Math.min(this.clock.now() - take.startedAt, this.limitMs)), tickMs),
      this.clock.after(() => this.stop(), this.limitMs),
    );
    this.set("recording");
    this.events.tick(0);
  }

  /** stop ends the recording and keeps the clip (done follows once the recorder has handed over its data). */
  stop(): void {
    const take = this.current;
    if (!take || this.st !== "recording" || !take.recording) return;
    take.stoppedAt = this.clock.now();
    this.clearTimers(take);
    // A recorder that never says it stopped must not hold the microphone.
    take.cancelTimers.push(this.clock.after(() => this.end(take, "failed"), stopTimeoutMs));
    this.set("stopping");
    try {
      take.recording.stop();
    } catch (err) {
      this.end(take, micProblem(err));
    }
  }

  /** cancel throws the recording away (also while the browser still asks for the microphone). */
  cancel(): void {
    const take = this.current;
    if (!take || take.over) return;
    this.end(take, null);
    try {
      take.recording?.stop();
    } catch {
      // It is being thrown away anyway.
    }
  }

  /**
   * finish runs when the recorder has stopped: hand over what it recorded.
   * A cancelled take is over before its recorder stops; a recorder that
   * stops by itself (the microphone went away) keeps what it has.
   */
  private finish(take: Take): void {
    if (take.over) return;
    if (!take.stoppedAt) take.stoppedAt = this.clock.now();
    const type = take.recording?.type || take.chunks[0]?.type || take.type;
    const blob = new Blob(take.chunks, { type });
    const durationMs = Math.min(Math.max(0, take.stoppedAt - take.startedAt), this.limitMs);
    if (blob.size === 0) {
      this.end(take, "empty");
      return;
    }
    this.end(take, null);
    this.events.done({ blob, name: voiceFileName(type), durationMs });
  }

  /** end releases the microphone and goes back to idle, saying why when it failed. */
  private end(take: Take, problem: RecorderProblem | null): void {
    if (take.over) return;
    take.over = true;
    this.clearTimers(take);
    take.capture?.release();
    if (this.current === take) {
      this.current = null;
      this.set("idle");
    }
    if (problem) this.events.failed(problem);
  }

  private clearTimers(take: Take): void {
    for (const cancel of take.cancelTimers.splice(0)) cancel();
  }

  private set(s: RecorderState): void {
    if (this.st === s) return;
    this.st = s;
    this.events.state(s);
  }
}
