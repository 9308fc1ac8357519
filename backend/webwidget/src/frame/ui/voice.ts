// Voice messages on screen: the recording bar that takes the composer's
// place while the microphone is on, and the player an audio attachment
// shows in the list. What to record and when to stop is logic/recorder's.

import type { RecorderState } from "../logic/recorder";
import { strings } from "../logic/strings";
import type { FileRef } from "../logic/timeline";
import { clock, mediaDuration, voiceLimitMs } from "../logic/voice";
import { clear, h } from "./dom";
import type { UI } from "./layout";

/** Where a player gets its file and, for the customer's own clips, the recorded length. */
export interface MediaHooks {
  url(file: FileRef): Promise<string>;
  length(file: FileRef): number | undefined;
}

/** showRecorder swaps the composer row and the recording bar as the recorder's state says. */
export function showRecorder(ui: UI, state: RecorderState): void {
  const on = state !== "idle";
  const hadFocus = ui.recorder.contains(document.activeElement);
  ui.composerRow.hidden = on;
  ui.recorder.hidden = !on;
  ui.recorder.dataset.state = state;
  ui.recorderSend.disabled = state !== "recording";
  clear(ui.recorderStatus);
  if (state === "asking") ui.recorderStatus.textContent = strings.micAsking;
  if (state === "recording") {
    ui.recorderStatus.append(strings.recording, h("span", { class: "visually-hidden" }, ` ${strings.recordingLimit(clock(voiceLimitMs))}`));
    ui.recorderTime.title = strings.recordingLimit(clock(voiceLimitMs));
  }
  if (state === "asking") {
    ui.recorderTime.textContent = clock(0);
    ui.recorderCancel.focus();
  }
  if (state === "recording") ui.recorderSend.focus();
  // Back to the composer: focus returns to the button that started it.
  if (!on && hadFocus) ui.micButton.focus();
}

/** showRecordingTime shows the running time (m:ss). */
export function showRecordingTime(ui: UI, elapsedMs: number): void {
  const text = clock(elapsedMs);
  if (ui.recorderTime.textContent !== text) ui.recorderTime.textContent = text;
}

/**
 * voicePlayer draws an audio attachment as a player, labelled with its
 * length once known. The file comes as a blob: URL (see logic/media). A
 * MediaRecorder WebM reports an endless duration: the player seeks far
 * past its end once, which makes the browser read it through and learn its
 * length, then goes back to the start; meanwhile the customer's own clips
 * show the length they were recorded with.
 */
export function voicePlayer(file: FileRef, media: MediaHooks): HTMLElement {
  const audio = h("audio", { controls: true, preload: "metadata", "aria-label": strings.voiceMessage("") });
  const length = h("span", { class: "voice-length", "aria-hidden": "true" });
  const box = h("div", { class: "voice", "data-file": file.id }, audio, length);
  const show = (ms: number | undefined | null) => {
    if (!ms) return;
    const text = clock(ms);
    length.textContent = text;
    audio.setAttribute("aria-label", strings.voiceMessage(text));
    box.dataset.lengthMs = String(ms);
  };
  show(media.length(file));

  let probing = false;
  audio.addEventListener("loadedmetadata", () => {
    const ms = mediaDuration(audio.duration);
    if (ms !== null) {
      show(ms);
      return;
    }
    probing = true;
    audio.currentTime = Number.MAX_SAFE_INTEGER;
  });
  audio.addEventListener("durationchange", () => {
    const ms = mediaDuration(audio.duration);
    if (ms === null) return;
    show(ms);
    if (probing) {
      probing = false;
      audio.currentTime = 0;
    }
  });
  media.url(file).then(
    (url) => {
      audio.src = url;
    },
    () => {
      box.classList.add("error");
      length.removeAttribute("aria-hidden");
      length.textContent = strings.voiceFailed;
    },
  );
  return box;
}
