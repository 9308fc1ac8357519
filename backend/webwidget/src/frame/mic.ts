// The widget's only way to the microphone: getUserMedia and MediaRecorder,
// behind logic/recorder's Mic. Audio only; nothing is recorded until the
// customer presses the microphone button.

import type { Capture, Mic, Recording, RecordingHandlers } from "./logic/recorder";

/** Document as Chromium has it: it can say whether the embedding page allows the microphone. */
type PolicyDocument = Document & {
  permissionsPolicy?: { allowsFeature(feature: string): boolean };
  featurePolicy?: { allowsFeature(feature: string): boolean };
};

/**
 * browserMic returns the browser's microphone, or null where voice messages
 * cannot work: no getUserMedia or MediaRecorder (old browsers, pages that
 * are not secure), or a page that embeds the chat without allowing it the
 * microphone (where the browser says so).
 */
export function browserMic(): Mic | null {
  const devices = typeof navigator === "undefined" ? undefined : navigator.mediaDevices;
  if (typeof devices?.getUserMedia !== "function" || typeof MediaRecorder !== "function") return null;
  const policy = (document as PolicyDocument).permissionsPolicy ?? (document as PolicyDocument).featurePolicy;
  if (policy && !policy.allowsFeature("microphone")) return null;
  return {
    async open(): Promise<Capture> {
      const stream = await devices.getUserMedia({ audio: true, video: false });
      return {
        record: (type, on) => record(stream, type, on),
        release: () => {
          for (const t of stream.getTracks()) t.stop();
        },
      };
    },
    isTypeSupported: (type) => MediaRecorder.isTypeSupported(type),
  };
}

function record(stream: MediaStream, type: string, on: RecordingHandlers): Recording {
  const rec = new MediaRecorder(stream, type ? { mimeType: type } : undefined);
  rec.addEventListener("dataavailable", (e) => on.data(e.data));
  rec.addEventListener("stop", () => on.stop());
  rec.addEventListener("error", (e) => on.error((e as Event & { error?: unknown }).error ?? e));
  // A timeslice keeps the data coming in pieces, so a long clip is not one
  // buffer handed over at the very end.
  rec.start(1000);
  return {
    get type() {
      return rec.mimeType;
    },
    stop: () => {
      if (rec.state !== "inactive") rec.stop();
    },
  };
}
