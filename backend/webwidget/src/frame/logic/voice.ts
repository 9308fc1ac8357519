// Voice messages, the rules without the browser: which recording format to
// ask MediaRecorder for, what the clip is called, how long it may run, how
// a length reads, and what a microphone failure means to the customer.

/** The longest clip: recording stops by itself here and the clip is kept. */
export const voiceLimitMs = 2 * 60 * 1000;

/**
 * The formats asked for, best first: Opus in WebM (Chromium, Firefox), Opus
 * in Ogg (Firefox), AAC in MP4 (Safari). The server accepts all three.
 */
export const voiceTypes = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/mp4"] as const;

/**
 * chooseVoiceType is the first format the browser can record, or "" to let
 * MediaRecorder pick (the clip's type is then read from the recorder).
 */
export function chooseVoiceType(isTypeSupported: (type: string) => boolean): string {
  for (const t of voiceTypes) {
    try {
      if (isTypeSupported(t)) return t;
    } catch {
      // A browser that throws on the question cannot record it either.
    }
  }
  return "";
}

/** baseType drops a type's parameters: "audio/webm;codecs=opus" is "audio/webm". */
export function baseType(type: string): string {
  return type.split(";")[0].trim().toLowerCase();
}

/**
 * voiceFileName names a clip after its type, with an extension the server
 * accepts for it (it checks the name against the sniffed content).
 */
export function voiceFileName(type: string): string {
  switch (baseType(type)) {
    case "audio/ogg":
      return "voice-message.ogg";
    case "audio/mp4":
    case "video/mp4":
      return "voice-message.m4a";
    case "audio/mpeg":
      return "voice-message.mp3";
    default:
      return "voice-message.webm";
  }
}

/** isAudio says whether an attachment plays in the chat (its sniffed type is audio). */
export function isAudio(contentType: string): boolean {
  return baseType(contentType).startsWith("audio/");
}

/**
 * clock writes a length as m:ss ("0:07", "2:00"), or h:mm:ss from an hour;
 * unknown or negative lengths read "0:00". Seconds are whole, rounded down,
 * so a running timer never shows a second not yet reached.
 */
export function clock(ms: number): string {
  const total = Number.isFinite(ms) && ms > 0 ? Math.floor(ms / 1000) : 0;
  const s = total % 60;
  const m = Math.floor(total / 60) % 60;
  const h = Math.floor(total / 3600);
  const ss = String(s).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

/**
 * mediaDuration turns a media element's duration (seconds) into ms, or null
 * while it is unknown: NaN before metadata, Infinity for a MediaRecorder
 * WebM, which carries no length until it is read to the end.
 */
export function mediaDuration(seconds: number): number | null {
  const ms = Number.isFinite(seconds) ? Math.round(seconds * 1000) : 0;
  return ms > 0 ? ms : null;
}

/** What went wrong with the microphone, in the customer's terms. */
export type MicProblem = "denied" | "missing" | "busy" | "failed";

/** micProblem reads getUserMedia's (or MediaRecorder's) error. */
export function micProblem(err: unknown): MicProblem {
  const name = typeof err === "object" && err !== null && "name" in err ? String((err as { name: unknown }).name) : "";
  switch (name) {
    case "NotAllowedError":
    case "PermissionDeniedError":
    case "SecurityError":
      return "denied";
    case "NotFoundError":
    case "DevicesNotFoundError":
    case "OverconstrainedError":
      return "missing";
    case "NotReadableError":
    case "TrackStartError":
    case "AbortError":
      return "busy";
    default:
      return "failed";
  }
}
