// @vitest-environment happy-dom
// Voice messages on screen (happy-dom): the microphone button where the
// browser can record and files are allowed, the recording bar in the
// composer's place, and the player an audio attachment shows, labelled
// with its length, also when the file does not say it.
import { beforeEach, describe, expect, test } from "vitest";
import { create } from "@bufbuild/protobuf";
import { GetWidgetConfigResponseSchema } from "@api/widget_pb.js";
import { strings } from "../logic/strings";
import { Timeline, type FileRef } from "../logic/timeline";
import { buildUI, type UI } from "./layout";
import { View, type ViewEvents } from "./view";
import { voicePlayer, type MediaHooks } from "./voice";

let ui: UI;
let view: View;

beforeEach(() => {
  document.body.innerHTML = "";
  const root = document.createElement("div");
  document.body.append(root);
  ui = buildUI(root);
  view = new View(ui);
});

const clip: FileRef = { id: "f1", name: "voice-message.webm", contentType: "audio/webm", size: 4000 };

function events(got: string[]): ViewEvents {
  const note = (what: string) => () => void got.push(what);
  return {
    toggle: note("toggle"), close: note("close"), end: note("end"), send: () => (got.push("send"), true), typed: note("typed"), attach: note("attach"),
    record: note("record"), recordCancel: note("recordCancel"), recordSend: note("recordSend"),
    saveEmail: note("saveEmail"), transcript: note("transcript"), online: note("online"), offline: note("offline"),
  };
}

/** media serves one blob URL (or fails) and knows the lengths given. */
function media(lengths: Record<string, number> = {}, fail = false): MediaHooks & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    url: (f) => {
      asked.push(f.id);
      return fail ? Promise.reject(new Error("offline")) : Promise.resolve(`blob:test/${f.id}`);
    },
    length: (f) => lengths[f.id],
  };
}

/** duration makes a happy-dom audio element report a duration and fires the event. */
function duration(audio: HTMLAudioElement, seconds: number, event: "loadedmetadata" | "durationchange"): void {
  Object.defineProperty(audio, "duration", { configurable: true, get: () => seconds });
  audio.dispatchEvent(new Event(event));
}

const flush = () => new Promise((r) => setTimeout(r, 0));

describe("the microphone button", () => {
  test("shows where the browser can record and the workspace takes files", () => {
    const config = (maxFileBytes: bigint) => create(GetWidgetConfigResponseSchema, { workspaceName: "Demo", maxFileBytes });
    view.config(config(10n << 20n));
    expect(ui.micButton.hidden).toBe(true);
    view.voiceAvailable(true);
    view.config(config(10n << 20n));
    expect(ui.micButton.hidden).toBe(false);
    expect(ui.micButton.getAttribute("aria-label")).toBe(strings.record);
    view.config(config(0n));
    expect(ui.micButton.hidden).toBe(true);
  });
});

describe("the recording bar", () => {
  test("takes the composer row's place while asking and recording, with the time; its buttons are reported", () => {
    const got: string[] = [];
    view.bind(events(got));
    ui.micButton.hidden = false;
    ui.micButton.click();
    expect(got).toEqual(["record"]);

    view.recorder("asking");
    expect(ui.composerRow.hidden).toBe(true);
    expect(ui.recorder.hidden).toBe(false);
    expect(ui.recorderStatus.textContent).toBe(strings.micAsking);
    expect(ui.recorderSend.disabled).toBe(true);

    view.recorder("recording");
    expect(ui.recorderSend.disabled).toBe(false);
    expect(ui.recorderStatus.textContent).toContain(strings.recording);
    expect(ui.recorderStatus.textContent).toContain("2:00");
    expect(document.activeElement).toBe(ui.recorderSend);
    view.recordingTime(0);
    expect(ui.recorderTime.textContent).toBe("0:00");
    view.recordingTime(67_900);
    expect(ui.recorderTime.textContent).toBe("1:07");
    expect(ui.recorderTime.getAttribute("role")).toBe("timer");

    ui.recorderSend.click();
    ui.recorderCancel.click();
    expect(got).toEqual(["record", "recordSend", "recordCancel"]);

    view.recorder("idle");
    expect(ui.composerRow.hidden).toBe(false);
    expect(ui.recorder.hidden).toBe(true);
    expect(document.activeElement).toBe(ui.micButton);
  });

  test("Escape in the bar cancels the recording and leaves the chat open", () => {
    const got: string[] = [];
    view.bind(events(got));
    view.recorder("recording");
    ui.recorderSend.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
    expect(got).toEqual(["recordCancel"]);
  });

  test("a microphone problem shows where upload errors do, and goes when the next recording starts", () => {
    view.voiceProblem(strings.micProblem.denied);
    expect(ui.upload.hidden).toBe(false);
    expect(ui.upload.classList.contains("error")).toBe(true);
    expect(ui.upload.textContent).toBe(strings.micProblem.denied);
    view.recorder("asking");
    expect(ui.upload.hidden).toBe(true);
  });
});

describe("the player", () => {
  test("audio attachments from anyone play in the list; other files stay downloads", async () => {
    const m = media();
    const t = new Timeline();
    const base = { clientId: "", activity: "", authorName: "Alex", body: "", createdAt: 1, citations: [] };
    t.upsert({ ...base, id: "m1", seq: 1, author: "agent", attachments: [clip, { id: "f2", name: "r.pdf", contentType: "application/pdf", size: 10 }] });
    t.upsert({ ...base, id: "m2", seq: 2, author: "customer", attachments: [{ ...clip, id: "f3", contentType: "audio/ogg" }] });
    view.sync(t.list(), { download: () => {}, retry: () => {}, media: m });
    await flush();
    const players = [...ui.list.querySelectorAll("audio")];
    expect(players).toHaveLength(2);
    expect(players.map((a) => a.getAttribute("src"))).toEqual(["blob:test/f1", "blob:test/f3"]);
    expect(players[0].hasAttribute("controls")).toBe(true);
    expect(players[0].getAttribute("preload")).toBe("metadata");
    expect(ui.list.querySelectorAll("button.file")).toHaveLength(1);
    expect(m.asked).toEqual(["f1", "f3"]);

    // Without media hooks (the older callers), audio is a download like any file.
    view.sync([], { download: () => {}, retry: () => {} });
    view.sync(t.list(), { download: () => {}, retry: () => {} });
    expect(ui.list.querySelectorAll("audio")).toHaveLength(0);
  });

  test("the length comes from the metadata and labels the player", () => {
    const el = voicePlayer(clip, media());
    const audio = el.querySelector("audio")!;
    expect(audio.getAttribute("aria-label")).toBe(strings.voiceMessage(""));
    duration(audio, 7.4, "loadedmetadata");
    expect(audio.getAttribute("aria-label")).toBe("Voice message, 0:07");
    expect(el.querySelector(".voice-length")!.textContent).toBe("0:07");
  });

  test("an endless WebM: the recorded length shows at once, the player seeks to the end to learn it and back", () => {
    const el = voicePlayer(clip, media({ f1: 2_300 }));
    const audio = el.querySelector("audio")!;
    expect(audio.getAttribute("aria-label")).toBe("Voice message, 0:02");
    const seeks: number[] = [];
    Object.defineProperty(audio, "currentTime", { configurable: true, get: () => seeks.at(-1) ?? 0, set: (v: number) => void seeks.push(v) });
    duration(audio, Number.POSITIVE_INFINITY, "loadedmetadata");
    expect(seeks).toEqual([Number.MAX_SAFE_INTEGER]);
    expect(audio.getAttribute("aria-label")).toBe("Voice message, 0:02");
    duration(audio, 3.1, "durationchange");
    expect(seeks).toEqual([Number.MAX_SAFE_INTEGER, 0]);
    expect(audio.getAttribute("aria-label")).toBe("Voice message, 0:03");
    duration(audio, 3.1, "durationchange");
    expect(seeks).toHaveLength(2);
  });

  test("an agent's endless WebM, length unknown here, is labelled once the browser has read it", () => {
    const el = voicePlayer(clip, media());
    const audio = el.querySelector("audio")!;
    Object.defineProperty(audio, "currentTime", { configurable: true, get: () => 0, set: () => {} });
    duration(audio, Number.POSITIVE_INFINITY, "loadedmetadata");
    expect(el.querySelector(".voice-length")!.textContent).toBe("");
    duration(audio, 1.9, "durationchange");
    expect(audio.getAttribute("aria-label")).toBe("Voice message, 0:01");
  });

  test("a file that cannot be fetched says so", async () => {
    const el = voicePlayer(clip, media({}, true));
    await flush();
    expect(el.classList.contains("error")).toBe(true);
    expect(el.textContent).toContain(strings.voiceFailed);
    expect(el.querySelector(".voice-length")!.hasAttribute("aria-hidden")).toBe(false);
  });
});
