import { describe, expect, test } from "vitest";
import { baseType, chooseVoiceType, clock, isAudio, mediaDuration, micProblem, voiceFileName, voiceLimitMs, voiceTypes } from "./voice";

describe("the recording format", () => {
  test("the first type the browser can record, best first; none lets the browser choose", () => {
    const only = (...ok: string[]) => (t: string) => ok.includes(t);
    expect(chooseVoiceType(() => true)).toBe("audio/webm;codecs=opus");
    expect(chooseVoiceType(only("audio/ogg;codecs=opus", "audio/mp4"))).toBe("audio/ogg;codecs=opus");
    expect(chooseVoiceType(only("audio/mp4"))).toBe("audio/mp4");
    expect(chooseVoiceType(only("audio/wav"))).toBe("");
    expect(chooseVoiceType(() => {
      throw new Error("unsupported question");
    })).toBe("");
    const asked: string[] = [];
    chooseVoiceType((t) => (asked.push(t), false));
    expect(asked).toEqual([...voiceTypes]);
  });

  test("the clip is named after its type, with an extension the server accepts for it", () => {
    expect(voiceFileName("audio/webm;codecs=opus")).toBe("voice-message.webm");
    expect(voiceFileName("audio/webm")).toBe("voice-message.webm");
    expect(voiceFileName("video/webm;codecs=opus")).toBe("voice-message.webm");
    expect(voiceFileName("audio/ogg; codecs=opus")).toBe("voice-message.ogg");
    expect(voiceFileName("audio/mp4")).toBe("voice-message.m4a");
    expect(voiceFileName("audio/mp4;codecs=mp4a.40.2")).toBe("voice-message.m4a");
    expect(voiceFileName("")).toBe("voice-message.webm");
    expect(baseType(" Audio/WebM ; codecs=opus")).toBe("audio/webm");
  });

  test("only audio attachments play", () => {
    for (const t of ["audio/webm", "audio/ogg", "audio/mpeg", "audio/mp4", "AUDIO/OGG; codecs=opus"]) expect(isAudio(t)).toBe(true);
    for (const t of ["", "video/webm", "image/png", "application/pdf", "text/plain"]) expect(isAudio(t)).toBe(false);
  });
});

describe("lengths", () => {
  test("m:ss, whole seconds rounded down, h:mm:ss from an hour; junk reads 0:00", () => {
    const cases: [number, string][] = [
      [0, "0:00"], [999, "0:00"], [1000, "0:01"], [7_400, "0:07"], [59_999, "0:59"], [60_000, "1:00"], [61_000, "1:01"],
      [voiceLimitMs, "2:00"], [10 * 60_000 + 5_000, "10:05"], [3_600_000, "1:00:00"], [3_725_000, "1:02:05"],
      [-5, "0:00"], [Number.NaN, "0:00"], [Number.POSITIVE_INFINITY, "0:00"],
    ];
    for (const [ms, want] of cases) expect(clock(ms), String(ms)).toBe(want);
  });

  test("the limit is two minutes", () => {
    expect(voiceLimitMs).toBe(120_000);
  });

  test("a media element's duration counts once it is finite and positive", () => {
    expect(mediaDuration(Number.NaN)).toBeNull();
    expect(mediaDuration(Number.POSITIVE_INFINITY)).toBeNull();
    expect(mediaDuration(0)).toBeNull();
    expect(mediaDuration(7.2)).toBe(7200);
    expect(mediaDuration(0.0004)).toBeNull();
  });
});

describe("microphone problems", () => {
  test("getUserMedia's errors, by name, in the customer's terms", () => {
    const err = (name: string) => Object.assign(new Error(name), { name });
    expect(micProblem(err("NotAllowedError"))).toBe("denied");
    expect(micProblem(err("SecurityError"))).toBe("denied");
    expect(micProblem(err("NotFoundError"))).toBe("missing");
    expect(micProblem(err("OverconstrainedError"))).toBe("missing");
    expect(micProblem(err("NotReadableError"))).toBe("busy");
    expect(micProblem(err("TypeError"))).toBe("failed");
    expect(micProblem("boom")).toBe("failed");
    expect(micProblem(null)).toBe("failed");
  });
});
