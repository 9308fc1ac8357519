// Voice messages: which audio type to record, how long, and how the clock
// reads. The recording itself (MediaRecorder) is in ui/Recorder.tsx.

/** The longest voice message: two minutes, then recording stops and keeps the clip. */
export const MAX_RECORDING_MS = 120_000;

/** Containers in order of preference: Opus in WebM (Chromium, Firefox), in Ogg, then MP4 (WebKit). */
const TYPES = ["audio/webm;codecs=opus", "audio/webm", "audio/ogg;codecs=opus", "audio/mp4"];

/** recordingType is the first type the browser can record, or "" to let it choose. */
export function recordingType(isSupported: (t: string) => boolean): string {
  return TYPES.find((t) => isSupported(t)) ?? "";
}

/** clock reads a duration as m:ss. */
export function clock(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "0:00";
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

/** canRecord tells whether this window can record audio at all. */
export function canRecord(g: { navigator?: { mediaDevices?: { getUserMedia?: unknown } }; MediaRecorder?: unknown } = globalThis): boolean {
  return typeof g.MediaRecorder === "function" && typeof g.navigator?.mediaDevices?.getUserMedia === "function";
}

/** isAudio tells an attachment that plays inline (a voice message) from other files. */
export function isAudio(contentType: string): boolean {
  return contentType.startsWith("audio/");
}

/** toBase64 turns recorded bytes into base64, the way the host takes them. */
export async function toBase64(blob: Blob): Promise<string> {
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}
