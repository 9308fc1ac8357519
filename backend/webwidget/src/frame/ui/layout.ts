// The widget's static DOM: launcher, panel, list, composer, and the parts
// shown on demand. Built once; app.ts fills and toggles the parts.

import { h, icon } from "./dom";
import { strings } from "../logic/strings";

/** UI holds the elements app.ts works with. */
export interface UI {
  root: HTMLElement;
  launcher: HTMLButtonElement;
  badge: HTMLElement;
  panel: HTMLElement;
  title: HTMLElement;
  subtitle: HTMLElement;
  helperAvatar: HTMLElement;
  endButton: HTMLButtonElement;
  closeButton: HTMLButtonElement;
  connection: HTMLElement;
  notice: HTMLElement;
  greeting: HTMLElement;
  list: HTMLOListElement;
  typing: HTMLElement;
  queue: HTMLElement;
  queueText: HTMLElement;
  emailForm: HTMLFormElement;
  emailAsk: HTMLInputElement;
  emailNote: HTMLElement;
  scrollBox: HTMLElement;
  newMessages: HTMLButtonElement;
  actions: HTMLElement;
  prechat: HTMLElement;
  nameInput: HTMLInputElement;
  nameField: HTMLElement;
  emailInput: HTMLInputElement;
  emailField: HTMLElement;
  groupSelect: HTMLSelectElement;
  groupField: HTMLElement;
  csat: HTMLElement;
  composer: HTMLFormElement;
  textarea: HTMLTextAreaElement;
  attachButton: HTMLButtonElement;
  fileInput: HTMLInputElement;
  composerRow: HTMLElement;
  micButton: HTMLButtonElement;
  recorder: HTMLElement;
  recorderStatus: HTMLElement;
  recorderTime: HTMLElement;
  recorderCancel: HTMLButtonElement;
  recorderSend: HTMLButtonElement;
  sendButton: HTMLButtonElement;
  upload: HTMLElement;
  fileHint: HTMLElement;
  transcript: HTMLDetailsElement;
  transcriptForm: HTMLFormElement;
  transcriptEmail: HTMLInputElement;
  transcriptNote: HTMLElement;
}

/** buildUI creates the widget's DOM inside root. */
export function buildUI(root: HTMLElement): UI {
  const title = h("h1", { id: "tw-title", class: "title" });
  const subtitle = h("p", { class: "subtitle", id: "tw-subtitle" });
  const endButton = h("button", { type: "button", class: "header-button end", hidden: true }, strings.endChat);
  const closeButton = h("button", { type: "button", class: "header-button close", "aria-label": strings.close }, icon("close"));
  // Who is helping now: the AI assistant, the team (while queued) or the agent.
  const helperAvatar = h("span", { class: "avatar helper-avatar", "aria-hidden": "true", hidden: true });
  const header = h("header", { class: "header" }, helperAvatar, h("div", { class: "heading" }, title, subtitle), endButton, closeButton);

  const connection = h("div", { class: "connection", role: "status", "aria-live": "polite" });
  const notice = h("div", { class: "notice", role: "status", "aria-live": "polite", hidden: true });
  const greeting = h("div", { class: "greeting", hidden: true });
  const list = h("ol", { class: "messages", role: "log", "aria-live": "polite", "aria-relevant": "additions", "aria-label": strings.panelTitle(""), tabindex: "0" });
  const typing = h("div", { class: "typing", "aria-live": "polite" });
  const queueText = h("p", { class: "queue-text", role: "status", "aria-live": "polite" });
  const emailAsk = h("input", { id: "tw-queue-email", type: "email", autocomplete: "email", maxlength: "254", placeholder: strings.emailPlaceholder, required: true });
  const emailNote = h("p", { class: "queue-email-note", role: "status", "aria-live": "polite" });
  const emailForm = h("form", { class: "queue-email", novalidate: true, hidden: true },
    h("label", { for: "tw-queue-email" }, strings.askEmail),
    h("div", { class: "queue-email-row" }, emailAsk, h("button", { type: "submit", class: "primary" }, strings.saveEmail)));
  const queue = h("div", { class: "queue", hidden: true }, queueText, emailForm, emailNote);
  const newMessages = h("button", { type: "button", class: "new-messages", hidden: true }, strings.newMessages);
  const actions = h("div", { class: "actions", hidden: true });

  const nameInput = h("input", { id: "tw-name", type: "text", autocomplete: "name", maxlength: "100" });
  const emailInput = h("input", { id: "tw-email", type: "email", autocomplete: "email", maxlength: "254" });
  const groupSelect = h("select", { id: "tw-group" });
  const nameField = h("div", { class: "field" }, h("label", { for: "tw-name" }, strings.nameLabel), nameInput);
  const emailField = h("div", { class: "field" }, h("label", { for: "tw-email" }, strings.emailLabel), emailInput);
  const groupField = h("div", { class: "field" }, h("label", { for: "tw-group" }, strings.groupLabel), groupSelect);
  const prechat = h("fieldset", { class: "prechat", hidden: true }, h("legend", {}, strings.prechatIntro), nameField, emailField, groupField);

  const csat = h("div", { class: "csat", role: "group", "aria-label": strings.csatQuestion, hidden: true });

  // A copy of the chat by email, where the workspace sends email.
  const transcriptEmail = h("input", { id: "tw-transcript-email", type: "email", autocomplete: "email", maxlength: "254", placeholder: strings.emailPlaceholder, required: true });
  const transcriptNote = h("p", { class: "transcript-note", role: "status", "aria-live": "polite", hidden: true });
  const transcriptForm = h("form", { class: "transcript-form", novalidate: true },
    h("label", { for: "tw-transcript-email" }, strings.transcriptLabel),
    h("div", { class: "queue-email-row" }, transcriptEmail, h("button", { type: "submit", class: "primary" }, strings.transcriptSend)));
  const transcript = h("details", { class: "transcript", hidden: true }, h("summary", {}, strings.transcriptToggle), transcriptForm, transcriptNote);

  const textarea = h("textarea", { id: "tw-input", rows: "1", placeholder: strings.composerPlaceholder, "aria-label": strings.composerLabel, maxlength: "16000" });
  const fileInput = h("input", { type: "file", class: "visually-hidden", tabindex: "-1", "aria-hidden": "true" });
  const attachButton = h("button", { type: "button", class: "attach", "aria-label": strings.attach, title: strings.attach, hidden: true }, icon("attach"));
  const sendButton = h("button", { type: "submit", class: "send", "aria-label": strings.send, title: strings.send }, icon("send"));
  // Voice messages: the microphone button (shown where the browser can
  // record and files are allowed) and, while recording, the bar that takes
  // the composer row's place.
  const micButton = h("button", { type: "button", class: "mic", "aria-label": strings.record, title: strings.record, hidden: true }, icon("mic"));
  const recorderStatus = h("span", { class: "recorder-status", role: "status", "aria-live": "polite" });
  const recorderTime = h("span", { class: "recorder-time", role: "timer" }, "0:00");
  const recorderCancel = h("button", { type: "button", class: "recorder-cancel" }, strings.recordingCancel);
  const recorderSend = h("button", { type: "button", class: "send recorder-send", "aria-label": strings.recordingSend, title: strings.recordingSend }, icon("send"));
  const recorder = h("div", { class: "recorder", hidden: true },
    h("span", { class: "recorder-dot", "aria-hidden": "true" }), recorderStatus, recorderTime, recorderCancel, recorderSend);
  const upload = h("div", { class: "upload", role: "status", "aria-live": "polite", hidden: true });
  const fileHint = h("span", { class: "file-hint visually-hidden" });
  const composerRow = h("div", { class: "composer-row" }, attachButton, textarea, micButton, sendButton);
  const composer = h("form", { class: "composer", novalidate: true }, composerRow, recorder, fileInput, fileHint);

  // The pre-chat form scrolls with the greeting, above the buttons, so a
  // short screen never squeezes it under them.
  const scrollBox = h("div", { class: "scroll" }, greeting, prechat, list, typing);
  const panel = h("section", { class: "panel", role: "dialog", "aria-labelledby": "tw-title", "aria-describedby": "tw-subtitle", hidden: true },
    header, connection, notice, h("div", { class: "scroll-wrap" }, scrollBox, newMessages), queue, actions, csat, transcript, upload, composer);

  const badge = h("span", { class: "badge", hidden: true });
  const launcher = h("button", { type: "button", class: "launcher", "aria-label": strings.launcherOpen, "aria-expanded": "false" }, icon("chat"), icon("close"), badge);

  root.append(panel, launcher);
  return {
    root, launcher, badge, panel, title, subtitle, helperAvatar, queueText, emailForm, emailAsk, emailNote, scrollBox, newMessages, endButton, closeButton, connection, notice, greeting, list, typing, queue, actions,
    prechat, nameInput, nameField, emailInput, emailField, groupSelect, groupField, csat, composer, textarea, attachButton, fileInput,
    sendButton, upload, fileHint, transcript, transcriptForm, transcriptEmail, transcriptNote,
    composerRow, micButton, recorder, recorderStatus, recorderTime, recorderCancel, recorderSend,
  };
}
