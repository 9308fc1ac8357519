import { describe, expect, it } from "vitest";
import { canRecord, clock, isAudio, recordingType, toBase64 } from "../src/logic/recorder";

describe("voice messages", () => {
  it("records the first type the browser supports, Opus in WebM first", () => {
    expect(recordingType(() => true)).toBe("audio/webm;codecs=opus");
    expect(recordingType((t) => t === "audio/mp4")).toBe("audio/mp4");
    expect(recordingType((t) => t.startsWith("audio/ogg"))).toBe("audio/ogg;codecs=opus");
    expect(recordingType(() => false)).toBe("");
  });

  it("reads the clock as m:ss", () => {
    expect(clock(0)).toBe("0:00");
    expect(clock(7_900)).toBe("0:07");
    expect(clock(65_000)).toBe("1:05");
    expect(clock(120_000)).toBe("2:00");
    expect(clock(Infinity)).toBe("0:00");
    expect(clock(-5)).toBe("0:00");
  });

  it("records only where the window has a microphone API and MediaRecorder", () => {
    expect(canRecord({ navigator: { mediaDevices: { getUserMedia: () => undefined } }, MediaRecorder: class {} })).toBe(true);
    expect(canRecord({ navigator: {}, MediaRecorder: class {} })).toBe(false);
    expect(canRecord({ navigator: { mediaDevices: { getUserMedia: () => undefined } } })).toBe(false);
  });

  it("plays audio inline and nothing else", () => {
    expect(isAudio("audio/webm")).toBe(true);
    expect(isAudio("video/webm")).toBe(false);
    expect(isAudio("application/pdf")).toBe(false);
  });

  it("hands the recorded bytes over as base64, large clips included", async () => {
    const bytes = new Uint8Array(100_000).map((_, i) => i % 251);
    const b64 = await toBase64(new Blob([bytes]));
    const back = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    expect(back).toEqual(bytes);
  });
});
