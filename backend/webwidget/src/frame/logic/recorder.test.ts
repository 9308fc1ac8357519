import { describe, expect, test } from "vitest";
import { stopTimeoutMs, tickMs, VoiceRecorder, type Capture, type Clip, type Mic, type RecorderClock, type RecordingHandlers } from "./recorder";
import { deferred } from "./testing";
import { voiceLimitMs } from "./voice";

/** manualClock runs timers when the test moves time on. */
function manualClock() {
  let now = 0;
  let ids = 0;
  const timers = new Map<number, { at: number; every: number; fn: () => void }>();
  const add = (fn: () => void, ms: number, every: number) => {
    const id = ++ids;
    timers.set(id, { at: now + ms, every, fn });
    return () => void timers.delete(id);
  };
  const clock: RecorderClock = { now: () => now, every: (fn, ms) => add(fn, ms, ms), after: (fn, ms) => add(fn, ms, 0) };
  return {
    clock,
    pending: () => timers.size,
    advance(ms: number) {
      const end = now + ms;
      for (;;) {
        const next = [...timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
        if (!next) break;
        const [id, t] = next;
        now = t.at;
        if (t.every) t.at += t.every;
        else timers.delete(id);
        t.fn();
      }
      now = end;
    },
  };
}

/** fakeMic is a scripted microphone: it records what it is told and hands over chunks on stop. */
function fakeMic(opts: { supported?: string[]; recordedType?: string; chunks?: Blob[]; recordThrows?: boolean; stopsSilently?: boolean } = {}) {
  const log: string[] = [];
  const answer = deferred<Capture>();
  let fail: unknown = null;
  let handlers: RecordingHandlers | null = null;
  let released = 0;
  const capture: Capture = {
    record(type, on) {
      if (opts.recordThrows) throw Object.assign(new Error("no"), { name: "NotSupportedError" });
      log.push(`record ${type || "(browser's choice)"}`);
      handlers = on;
      return {
        type: opts.recordedType ?? type,
        stop: () => {
          log.push("stop");
          if (opts.stopsSilently) return;
          for (const c of opts.chunks ?? [new Blob(["abc"], { type: "audio/webm" }), new Blob(["def"])]) on.data(c);
          on.stop();
        },
      };
    },
    release: () => {
      released++;
      log.push("release");
    },
  };
  const mic: Mic = {
    open: () => {
      log.push("open");
      if (fail) return Promise.reject(fail);
      return answer.promise;
    },
    isTypeSupported: (t) => (opts.supported ?? ["audio/webm;codecs=opus"]).includes(t),
  };
  return {
    mic, log, capture,
    grant: () => answer.resolve(capture),
    refuse: (name: string) => (fail = Object.assign(new Error(name), { name })),
    handlers: () => handlers!,
    released: () => released,
  };
}

function rig(m = fakeMic()) {
  const time = manualClock();
  const states: string[] = [];
  const ticks: number[] = [];
  const clips: Clip[] = [];
  const problems: string[] = [];
  const rec = new VoiceRecorder(m.mic, {
    state: (s) => states.push(s),
    tick: (ms) => ticks.push(ms),
    done: (c) => clips.push(c),
    failed: (p) => problems.push(p),
  }, time.clock);
  /** recording starts a take and lets the microphone be granted. */
  const recording = async () => {
    const started = rec.start();
    m.grant();
    await started;
  };
  return { ...m, rec, time, states, ticks, clips, problems, recording };
}

describe("recording a voice message", () => {
  test("asks, records in the best type, counts the time, and hands over the clip on stop; the microphone is released", async () => {
    const r = rig();
    const started = r.rec.start();
    expect(r.rec.state).toBe("asking");
    r.grant();
    await started;
    expect(r.rec.state).toBe("recording");
    expect(r.log).toEqual(["open", "record audio/webm;codecs=opus"]);
    r.time.advance(2 * tickMs);
    r.time.advance(6_800);
    expect(r.ticks[0]).toBe(0);
    expect(r.ticks.at(-1)).toBe(7_250);
    r.time.advance(100);
    r.rec.stop();
    expect(r.states).toEqual(["asking", "recording", "stopping", "idle"]);
    expect(r.clips).toHaveLength(1);
    const clip = r.clips[0];
    expect(clip.name).toBe("voice-message.webm");
    expect(clip.durationMs).toBe(7_400);
    expect(clip.blob.type).toBe("audio/webm;codecs=opus");
    expect(await clip.blob.text()).toBe("abcdef");
    expect(r.log.slice(2)).toEqual(["stop", "release"]);
    expect(r.released()).toBe(1);
    expect(r.time.pending()).toBe(0);
    expect(r.problems).toEqual([]);
  });

  test("the browser without WebM records Ogg, and the clip is named for it", async () => {
    const r = rig(fakeMic({ supported: ["audio/ogg;codecs=opus", "audio/mp4"], chunks: [new Blob(["ogg"])] }));
    await r.recording();
    expect(r.log).toContain("record audio/ogg;codecs=opus");
    r.rec.stop();
    expect(r.clips[0].name).toBe("voice-message.ogg");
  });

  test("a browser that supports none of the types chooses; the clip takes the type the recorder says", async () => {
    const r = rig(fakeMic({ supported: [], recordedType: "audio/mp4", chunks: [new Blob(["m4a"])] }));
    await r.recording();
    expect(r.log).toContain("record (browser's choice)");
    r.rec.stop();
    expect(r.clips[0].name).toBe("voice-message.m4a");
    expect(r.clips[0].blob.type).toBe("audio/mp4");
  });

  test("at the two-minute limit recording stops by itself and the clip is kept", async () => {
    const r = rig();
    await r.recording();
    r.time.advance(voiceLimitMs - 1);
    expect(r.rec.state).toBe("recording");
    expect(r.clips).toHaveLength(0);
    r.time.advance(1);
    expect(r.rec.state).toBe("idle");
    expect(r.clips).toHaveLength(1);
    expect(r.clips[0].durationMs).toBe(voiceLimitMs);
    expect(Math.max(...r.ticks)).toBeLessThanOrEqual(voiceLimitMs);
    expect(r.released()).toBe(1);
    expect(r.time.pending()).toBe(0);
  });

  test("cancel throws the recording away and releases the microphone", async () => {
    const r = rig();
    await r.recording();
    r.time.advance(3_000);
    r.rec.cancel();
    expect(r.rec.state).toBe("idle");
    expect(r.clips).toEqual([]);
    expect(r.problems).toEqual([]);
    expect(r.released()).toBe(1);
    expect(r.log).toEqual(["open", "record audio/webm;codecs=opus", "release", "stop"]);
    expect(r.time.pending()).toBe(0);
    r.time.advance(voiceLimitMs);
    expect(r.clips).toEqual([]);
  });

  test("cancel while the browser still asks: the microphone given later is released at once, nothing recorded", async () => {
    const r = rig();
    const started = r.rec.start();
    r.rec.cancel();
    expect(r.rec.state).toBe("idle");
    r.grant();
    await started;
    expect(r.log).toEqual(["open", "release"]);
    expect(r.rec.state).toBe("idle");
    expect(r.clips).toEqual([]);
    expect(r.problems).toEqual([]);
  });

  test("permission denied or no microphone: the problem is told, nothing recorded", async () => {
    for (const [name, problem] of [["NotAllowedError", "denied"], ["NotFoundError", "missing"], ["NotReadableError", "busy"]]) {
      const r = rig();
      r.refuse(name);
      await r.rec.start();
      expect(r.problems).toEqual([problem]);
      expect(r.states).toEqual(["asking", "idle"]);
      expect(r.clips).toEqual([]);
      expect(r.log).toEqual(["open"]);
    }
  });

  test("a recorder that cannot start fails and releases the microphone", async () => {
    const r = rig(fakeMic({ recordThrows: true }));
    await r.recording();
    expect(r.problems).toEqual(["failed"]);
    expect(r.rec.state).toBe("idle");
    expect(r.released()).toBe(1);
  });

  test("an error while recording fails and releases the microphone", async () => {
    const r = rig();
    await r.recording();
    r.handlers().error(new Event("error"));
    expect(r.problems).toEqual(["failed"]);
    expect(r.rec.state).toBe("idle");
    expect(r.released()).toBe(1);
    expect(r.time.pending()).toBe(0);
  });

  test("a clip with nothing in it is not sent", async () => {
    const r = rig(fakeMic({ chunks: [new Blob([])] }));
    await r.recording();
    r.rec.stop();
    expect(r.clips).toEqual([]);
    expect(r.problems).toEqual(["empty"]);
    expect(r.released()).toBe(1);
  });

  test("a recorder that stops by itself (the microphone went away) keeps what it has", async () => {
    const r = rig();
    await r.recording();
    r.time.advance(4_000);
    r.handlers().data(new Blob(["part"]));
    r.handlers().stop();
    expect(r.clips).toHaveLength(1);
    expect(r.clips[0].durationMs).toBe(4_000);
    expect(r.released()).toBe(1);
  });

  test("a recorder that never says it stopped does not hold the microphone", async () => {
    const r = rig(fakeMic({ stopsSilently: true }));
    await r.recording();
    r.rec.stop();
    expect(r.rec.state).toBe("stopping");
    r.time.advance(stopTimeoutMs);
    expect(r.rec.state).toBe("idle");
    expect(r.problems).toEqual(["failed"]);
    expect(r.released()).toBe(1);
  });

  test("one take at a time; stop and cancel do nothing when idle; a new take after the last", async () => {
    const r = rig();
    r.rec.stop();
    r.rec.cancel();
    expect(r.states).toEqual([]);
    const first = r.rec.start();
    await r.rec.start();
    expect(r.log).toEqual(["open"]);
    r.grant();
    await first;
    r.rec.stop();
    await r.recording();
    expect(r.rec.state).toBe("recording");
    r.rec.stop();
    expect(r.clips).toHaveLength(2);
    expect(r.released()).toBe(2);
  });
});
