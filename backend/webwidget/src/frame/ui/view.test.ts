// @vitest-environment happy-dom
// The view in a DOM (happy-dom): the list redraws only what changed, the
// new-messages pill, the buttons and notes logic/chrome decides, the rating
// area, and the composer's keys.
import { beforeEach, describe, expect, test } from "vitest";
import { create } from "@bufbuild/protobuf";
import { WidgetCustomActionSchema } from "@api/widget_pb.js";
import { strings } from "../logic/strings";
import { Timeline, type ServerRow } from "../logic/timeline";
import { buildUI, type UI } from "./layout";
import { View, type ViewEvents } from "./view";

const msg = (id: string, seq: number, body: string, clientId = ""): ServerRow => ({
  id, clientId, seq, activity: "", author: clientId ? "customer" : "agent", authorName: "Sam", body, createdAt: 1_700_000_000_000 + seq, attachments: [], citations: [],
});
const noHooks = { download: () => {}, retry: () => {} };

let ui: UI;
let view: View;

beforeEach(() => {
  document.body.innerHTML = "";
  const root = document.createElement("div");
  document.body.append(root);
  ui = buildUI(root);
  view = new View(ui);
});

describe("the list", () => {
  test("keeps the elements of unchanged rows, redraws a confirmed one in place, drops gone ones", () => {
    const t = new Timeline();
    t.upsert(msg("m1", 1, "hello"));
    t.addPending("c2", "hi there", strings.you, 1_800_000_000_000);
    view.sync(t.list(), noHooks);
    const [first, pending] = [...ui.list.children];
    expect(pending.textContent).toContain(strings.deliverySending);

    t.confirm("c2", msg("m2", 2, "hi there", "c2"));
    t.upsert(msg("m3", 3, "how can I help?"));
    view.sync(t.list(), noHooks);
    const items = [...ui.list.children];
    expect(items).toHaveLength(3);
    expect(items[0]).toBe(first);
    expect(items[1]).not.toBe(pending);
    expect((items[1] as HTMLElement).dataset.key).toBe("c2");
    expect(items[1].textContent).toContain(strings.deliverySent);
    expect(items[2].textContent).toContain("how can I help?");

    t.clear();
    view.sync(t.list(), noHooks);
    expect(ui.list.children).toHaveLength(0);
  });

  test("scrolled up on purpose, new messages show the pill; sending follows the list again", () => {
    const box = ui.scrollBox;
    Object.defineProperty(box, "scrollHeight", { configurable: true, value: 1000 });
    Object.defineProperty(box, "clientHeight", { configurable: true, value: 200 });
    const t = new Timeline();
    view.bind(events());
    box.scrollTop = 100;
    box.dispatchEvent(new Event("scroll"));
    t.upsert(msg("m1", 1, "news"));
    view.sync(t.list(), noHooks);
    expect(ui.newMessages.hidden).toBe(false);

    view.stick();
    t.upsert(msg("m2", 2, "more"));
    view.sync(t.list(), noHooks);
    expect(ui.newMessages.hidden).toBe(true);
    expect(box.scrollTop).toBe(1000);
  });
});

describe("chrome", () => {
  test("draws the buttons logic/chrome chose and reports presses; shows the offline note", () => {
    const pressed: string[] = [];
    const action = create(WidgetCustomActionSchema, { id: "a1", label: "Track order" });
    const base = { closed: false, endButton: false, askName: true, askEmail: false, askGroup: false, prechat: true, offline: "", composer: true, transcript: false };
    view.chrome({ ...base, buttons: [{ kind: "action", action }, { kind: "talk" }], offline: "Back at 9" }, {
      press: (a) => pressed.push(a.id),
      talk: () => pressed.push("talk"),
    });
    const buttons = [...ui.actions.querySelectorAll("button")];
    expect(buttons.map((b) => b.textContent)).toEqual(["Track order", strings.talkToPerson]);
    for (const b of buttons) b.click();
    expect(pressed).toEqual(["a1", "talk"]);
    expect(ui.actions.hidden).toBe(false);
    expect(ui.notice.textContent).toBe("Back at 9");
    expect(ui.prechat.hidden).toBe(false);
    expect(ui.nameField.hidden).toBe(false);
    expect(ui.emailField.hidden).toBe(true);

    view.chrome({ ...base, prechat: false, buttons: [], closed: true, composer: false }, { press: () => {}, talk: () => {} });
    expect(ui.actions.hidden).toBe(true);
    expect(ui.composer.hidden).toBe(true);
    expect(ui.prechat.hidden).toBe(true);
    expect(view.prechat()).toBeNull();
  });

  test("the copy by email: shown where chrome says, the known address filled in, the send reported, the outcome said", () => {
    const got: string[] = [];
    view.bind(events(got));
    const base = { closed: false, endButton: true, askName: false, askEmail: false, askGroup: false, prechat: false, offline: "", composer: true, buttons: [] };
    view.chrome({ ...base, transcript: false }, { press: () => {}, talk: () => {} });
    expect(ui.transcript.hidden).toBe(true);
    view.chrome({ ...base, transcript: true }, { press: () => {}, talk: () => {} });
    expect(ui.transcript.hidden).toBe(false);
    view.transcriptAddress("ada@example.com");
    expect(view.transcriptAsked()).toBe("ada@example.com");
    view.transcriptAddress("other@example.com"); // what is there stays
    expect(ui.transcriptEmail.value).toBe("ada@example.com");
    ui.transcriptEmail.value = "not an address";
    expect(view.transcriptAsked()).toBe("");
    ui.transcriptForm.requestSubmit();
    expect(got).toEqual(["transcript"]);
    view.transcriptDone(strings.transcriptSent("ada@example.com"), true);
    expect(ui.transcriptNote.hidden).toBe(false);
    expect(ui.transcriptNote.textContent).toContain("ada@example.com");
    view.transcriptDone(strings.emailInvalid, false);
    expect(ui.transcriptEmail.getAttribute("aria-invalid")).toBe("true");
  });
});

describe("the rating area", () => {
  test("a score must be chosen before sending; the comment goes trimmed; thanks replace it and stay", () => {
    const rated: [number, string][] = [];
    let newChats = 0;
    const hooks = { rate: (n: number, c: string) => rated.push([n, c]), newChat: () => newChats++ };
    view.csat("ask", "c1", hooks);
    expect(view.csatShownFor()).toBe("c1");
    const radios = [...ui.csat.querySelectorAll<HTMLButtonElement>("button.score")];
    expect(radios.map((b) => b.textContent)).toEqual(["1", "2", "3", "4", "5"]);
    const submit = ui.csat.querySelector<HTMLButtonElement>("button.csat-submit")!;
    expect(submit.disabled).toBe(true);
    radios[3].click();
    expect(radios.map((b) => b.getAttribute("aria-checked"))).toEqual(["false", "false", "false", "true", "false"]);
    ui.csat.querySelector("textarea")!.value = "  quick help  ";
    submit.click();
    expect(rated).toEqual([[4, "quick help"]]);

    view.csatThanks();
    expect(document.activeElement?.textContent).toBe(strings.csatThanks);
    view.csat("keep", "c1", hooks);
    expect(ui.csat.textContent).toBe(strings.csatThanks);

    view.csat("closed", "c2", hooks);
    expect(ui.csat.querySelector("button.score")).toBeNull();
    ui.csat.querySelector<HTMLButtonElement>("button.new-chat")!.click();
    expect(newChats).toBe(1);

    view.csat("none", "c2", hooks);
    expect(ui.csat.hidden).toBe(true);
    expect(view.csatShownFor()).toBeNull();
  });
});

describe("the composer", () => {
  test("Enter sends and clears, Shift+Enter does not; Esc closes", () => {
    const got: string[] = [];
    view.bind(events(got));
    ui.textarea.value = "line one";
    ui.textarea.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", shiftKey: true, bubbles: true }));
    expect(got).toEqual([]);
    ui.textarea.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
    expect(got).toEqual(["send: line one"]);
    expect(ui.textarea.value).toBe("");
    ui.textarea.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
    expect(got).toEqual(["send: line one", "close"]);
  });

  test("a message the app does not take stays in the composer", () => {
    const got: string[] = [];
    view.bind(events(got));
    ui.textarea.value = "too long: shorten me";
    ui.textarea.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
    expect(got).toEqual(["send: too long: shorten me"]);
    expect(ui.textarea.value).toBe("too long: shorten me");
  });
});

function events(got: string[] = []): ViewEvents {
  return {
    toggle: () => got.push("toggle"),
    close: () => got.push("close"),
    end: () => got.push("end"),
    send: (text) => {
      got.push(`send: ${text}`);
      return !text.startsWith("too long");
    },
    typed: () => got.push("typed"),
    attach: (f) => got.push(`attach: ${f.name}`),
    record: () => got.push("record"),
    recordCancel: () => got.push("recordCancel"),
    recordSend: () => got.push("recordSend"),
    saveEmail: () => got.push("saveEmail"),
    transcript: () => got.push("transcript"),
    online: () => got.push("online"),
    offline: () => got.push("offline"),
  };
}
