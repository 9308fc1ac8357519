// Voice messages (app/bind_voice.go): a clip recorded in the page becomes
// a picked file that Reply sends like any other, queued offline included;
// an audio attachment comes back as a (blob:) URL the page plays.
import type { Bound } from "../../bridge";
import type { Core } from "../core";
import { appError } from "../errors";
import { ext, safe } from "../filename";
import { download } from "../files";
import { maxFileBytes } from "../outboxitem";

/**
 * audioExt tells a recorded clip's container by its first bytes (what
 * MediaRecorder writes: WebM, Ogg, or MP4 in WebKit), or "" for anything else.
 */
export function audioExt(b: Uint8Array): string {
  if (b.length >= 4 && b[0] === 0x1a && b[1] === 0x45 && b[2] === 0xdf && b[3] === 0xa3) return ".webm";
  if (b.length >= 4 && String.fromCharCode(...b.subarray(0, 4)) === "OggS") return ".ogg";
  if (b.length >= 8 && String.fromCharCode(...b.subarray(4, 8)) === "ftyp") return ".m4a";
  return "";
}

const audioTypes: Record<string, string> = { ".webm": "audio/webm", ".ogg": "audio/ogg", ".m4a": "audio/mp4" };

/** fromBase64 decodes standard base64, or returns null when it is not. */
export function fromBase64(data: string): Uint8Array | null {
  try {
    const s = atob(data);
    const b = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
    return b;
  } catch {
    return null;
  }
}

/** clipName is the name a clip is sent with: the given name's base, or voice-message, and the container's extension. */
export function clipName(name: string, container: string): string {
  const s = safe(name);
  const e = ext(name);
  const base = e && s.endsWith(e) ? s.slice(0, s.length - e.length) : s;
  return (base || "voice-message") + container;
}

/** The most voice messages kept ready to play; older ones are let go. */
const maxPlayable = 50;

export function voiceBinds(c: Core): Pick<Bound, "AttachRecording" | "PlayAttachment"> {
  // Object URLs of the clips played, by user and attachment id, oldest first.
  const playable = new Map<string, string>();
  return {
    /** AttachRecording takes a clip recorded in the page (base64) and returns it as a picked file. */
    async AttachRecording(name, data) {
      const b = fromBase64(data);
      if (!b || b.length === 0) throw appError("invalid", "The recording is empty or damaged: record it again.");
      if (b.length > maxFileBytes) throw appError("invalid", "The recording is larger than 10 MB, the most a message can carry.");
      const container = audioExt(b);
      if (!container) throw appError("invalid", "The recording is not audio the app can send (WebM, Ogg or MP4).");
      return c.picks.add(new Blob([b as Uint8Array<ArrayBuffer>], { type: audioTypes[container] }), clipName(name, container));
    },

    /**
     * PlayAttachment returns an audio attachment as a URL the page plays
     * inline (a voice message). Only audio is handed over this way. Go
     * hands a data: URL; here it is a blob: URL, the kind the web app's
     * Content-Security-Policy lets media load (media-src 'self' blob:).
     */
    async PlayAttachment(attachmentId) {
      const { sess } = c.current();
      const key = `${sess.id.user_id} ${attachmentId}`; // another person signing in here fetches their own
      const known = playable.get(key);
      if (known) return known;
      const blob = await download(sess.net.origin, sess.net.csrf, attachmentId);
      const type = blob.type.split(";")[0]!.trim();
      if (!type.startsWith("audio/")) throw appError("invalid", "Only voice messages play here: save other files.");
      const url = URL.createObjectURL(new Blob([blob], { type }));
      playable.set(key, url);
      if (playable.size > maxPlayable) {
        const [oldest, old] = playable.entries().next().value!;
        playable.delete(oldest);
        URL.revokeObjectURL(old);
      }
      return url;
    },
  };
}
