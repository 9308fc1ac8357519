import { useEffect, useRef, useState } from "preact/hooks";
import { go, type PickedFile } from "../bridge";
import { canRecord, clock, MAX_RECORDING_MS, recordingType, toBase64 } from "../logic/recorder";
import { act, fail } from "../state";

type Take = { recorder: MediaRecorder; stream: MediaStream; started: number; keep: boolean; chunks: Blob[] };

/**
 * Recorder records a voice message: the microphone button starts it, a
 * running clock shows its length, Cancel throws it away and Attach (or the
 * two-minute limit) adds it to the reply like a picked file. The
 * microphone is released whenever recording ends.
 */
export function Recorder({ onClip }: { onClip: (f: PickedFile) => void }) {
  const take = useRef<Take | null>(null);
  const [recording, setRecording] = useState(false);
  const [elapsed, setElapsed] = useState(0);
  const [saving, setSaving] = useState(false);

  const start = async () => {
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch (e) {
      const denied = e instanceof DOMException && (e.name === "NotAllowedError" || e.name === "SecurityError");
      const message = denied ? "The microphone is blocked: allow it for Tandem to record a voice message." : "No microphone was found to record with.";
      fail({ kind: "forbidden", message });
      return;
    }
    const type = recordingType((t) => MediaRecorder.isTypeSupported(t));
    const recorder = new MediaRecorder(stream, type ? { mimeType: type } : undefined);
    const cur: Take = { recorder, stream, started: Date.now(), keep: false, chunks: [] };
    recorder.ondataavailable = (e) => e.data.size > 0 && cur.chunks.push(e.data);
    recorder.onstop = () => void finish(cur);
    take.current = cur;
    recorder.start(250);
    setElapsed(0);
    setRecording(true);
  };

  const stop = (keep: boolean) => {
    const cur = take.current;
    if (!cur) return;
    take.current = null;
    cur.keep = keep;
    setRecording(false);
    if (cur.recorder.state !== "inactive") cur.recorder.stop();
    else void finish(cur);
  };

  const finish = async (cur: Take) => {
    for (const t of cur.stream.getTracks()) t.stop();
    if (!cur.keep || cur.chunks.length === 0) return;
    setSaving(true);
    const blob = new Blob(cur.chunks, { type: cur.recorder.mimeType || cur.chunks[0]?.type || "audio/webm" });
    const file = await act(async () => go("AttachRecording", "voice-message", await toBase64(blob)));
    setSaving(false);
    if (file) onClip(file);
  };

  useEffect(() => {
    if (!recording) return;
    const t = setInterval(() => {
      const cur = take.current;
      if (!cur) return;
      const ms = Date.now() - cur.started;
      setElapsed(ms);
      if (ms >= MAX_RECORDING_MS) stop(true);
    }, 250);
    return () => clearInterval(t);
  }, [recording]);
  // Leaving the conversation mid-recording discards the clip.
  useEffect(() => () => stop(false), []);

  if (!canRecord()) return null;
  if (recording) {
    return (
      <span class="recording" role="status" aria-live="polite">
        <span class="dot" aria-hidden="true" /> Recording <span class="clock">{clock(elapsed)}</span>
        <button onClick={() => stop(false)}>Cancel</button>
        <button class="primary" onClick={() => stop(true)}>
          Attach
        </button>
      </span>
    );
  }
  return (
    <button class="attach" aria-label="Record a voice message" disabled={saving} onClick={() => void start()}>
      <MicIcon /> {saving ? "Saving…" : "Voice"}
    </button>
  );
}

function MicIcon() {
  return (
    <svg class="icon" width="14" height="14" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true">
      <rect x="9" y="2" width="6" height="12" rx="3" />
      <path d="M5 10a7 7 0 0 0 14 0M12 17v4M8 21h8" />
    </svg>
  );
}
