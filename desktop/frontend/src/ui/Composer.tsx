import { signal } from "@preact/signals";
import { useEffect, useRef, useState } from "preact/hooks";
import { decode, type CannedResponse, type Member } from "../api";
import { go, type PickedFile } from "../bridge";
import { Recorder } from "./Recorder";
import { size } from "../logic/format";
import { insert, rank, render, slashQuery, variables, type SlashQuery } from "../logic/canned";
import { replyHint } from "../logic/customer";
import { mentionQuery, mentioned, suggest } from "../logic/mentions";
import { act, directory, me, opened, session } from "../state";
import { PaperclipIcon } from "./Attachments";
import { supervises } from "./Controls";

/** The composer's mode, drafts per conversation, and requests from shortcuts. */
export const noteMode = signal(false);
const drafts = signal<Map<string, string>>(new Map());
const focusRequest = signal(0);
const cannedRequest = signal(0);
// The requests already served: a composer mounted later (another
// conversation opened) must not take the focus for an old request.
const served = { focus: 0, canned: 0 };

export const composerId = "composer";

/** focusComposer puts the caret in the composer, in reply or note mode. */
export function focusComposer(note: boolean): void {
  noteMode.value = note;
  focusRequest.value++;
}

/** openCanned opens the canned-response search. */
export function openCanned(): void {
  cannedRequest.value++;
}

/** editDraft puts an unsent item's text back in the composer. */
export function editDraft(body: string, note: boolean): void {
  const o = opened.value;
  if (!o) return;
  const next = new Map(drafts.value);
  next.set(o.conversation.id, body);
  drafts.value = next;
  focusComposer(note);
}

/** sendDraft sends what the composer holds (Ctrl+Enter). */
export let sendDraft: () => void = () => {};

type Picker = { kind: "canned"; at: SlashQuery | null; query: string; items: CannedResponse[]; index: number } | { kind: "mention"; start: number; items: Member[]; index: number };

/** quickReplies is how many canned responses the phone's composer offers as one-tap chips. */
const quickReplies = 4;

export function Composer() {
  const o = opened.value!;
  const id = o.conversation.id;
  const text = drafts.value.get(id) ?? "";
  const area = useRef<HTMLTextAreaElement>(null);
  const [picker, setPicker] = useState<Picker | null>(null);
  const [whisper, setWhisper] = useState(false);
  const [files, setFiles] = useState<PickedFile[]>([]);
  const [quick, setQuick] = useState<CannedResponse[]>([]);
  const typingSent = useRef(0);
  const note = noteMode.value;
  const canWhisper = note && supervises() && o.conversation.assigneeUserId !== "" && o.conversation.assigneeUserId !== me.value;

  const setText = (t: string) => {
    const next = new Map(drafts.value);
    next.set(id, t);
    drafts.value = next;
  };
  useEffect(() => {
    if (focusRequest.value > served.focus) {
      served.focus = focusRequest.value;
      area.current?.focus();
    }
  }, [focusRequest.value]);
  useEffect(() => {
    if (cannedRequest.value > served.canned) {
      served.canned = cannedRequest.value;
      void openPicker(null, "");
    }
  }, [cannedRequest.value]);
  useEffect(() => {
    setFiles([]);
    return () => void stopTyping();
  }, [id]);
  // Quick replies: the first canned responses, one tap from an empty composer (shown on phones).
  useEffect(() => {
    go("CannedResponses", "")
      .then((rows) => setQuick(rows.map(decode.canned).slice(0, quickReplies)))
      .catch(() => undefined); // offline: none to offer, nothing to complain of
  }, []);

  const stopTyping = async () => {
    if (typingSent.current > 0) {
      typingSent.current = 0;
      await go("Typing", id, false).catch(() => undefined);
    }
  };
  const startTyping = () => {
    // Customers see "typing…" for replies only; tell the server at most every 3 s.
    if (note || Date.now() - typingSent.current < 3000) return;
    typingSent.current = Date.now();
    void go("Typing", id, true).catch(() => undefined);
  };

  const openPicker = async (at: SlashQuery | null, q: string) => {
    const rows = (await act(() => go("CannedResponses", q))) ?? [];
    setPicker({ kind: "canned", at, query: q, items: rank(rows.map(decode.canned), q), index: 0 });
  };

  const choose = async (p: Picker, index: number) => {
    setPicker(null);
    const el = area.current;
    if (p.kind === "mention") {
      const m = p.items[index];
      if (!m || !el) return;
      const r = insert(text, { start: p.start, end: el.selectionStart }, `@${m.displayName} `);
      setText(r.text);
      requestAnimationFrame(() => el.setSelectionRange(r.caret, r.caret));
      return;
    }
    const c = p.items[index];
    if (!c) return;
    const rendered = await act(() => go("RenderCanned", c.id, id));
    if (rendered === undefined) return;
    const caret = el?.selectionStart ?? text.length;
    const r = insert(text, p.at ?? { start: caret, end: el?.selectionEnd ?? caret }, rendered);
    setText(r.text);
    el?.focus();
    requestAnimationFrame(() => el?.setSelectionRange(r.caret, r.caret));
  };

  const quickReply = async (c: CannedResponse) => {
    const rendered = await act(() => go("RenderCanned", c.id, id));
    if (rendered === undefined) return;
    setText(rendered);
    area.current?.focus();
  };

  const onInput = (e: Event) => {
    const el = e.currentTarget as HTMLTextAreaElement;
    setText(el.value);
    startTyping();
    const caret = el.selectionStart;
    const slash = slashQuery(el.value, caret);
    if (slash) return void openPicker(slash, slash.query);
    const at = note ? mentionQuery(el.value, caret) : null;
    if (at) {
      const items = suggest(directory.value.members, at.query, me.value);
      return setPicker(items.length ? { kind: "mention", start: at.start, items, index: 0 } : null);
    }
    if (picker && (picker.kind === "mention" || picker.at)) setPicker(null);
  };

  const send = async () => {
    const body = text.trim();
    if (!body && (note || files.length === 0)) return;
    const item = note
      ? await act(() => go("Note", id, body, mentioned(body, directory.value.members), canWhisper && whisper))
      : await act(() => go("Reply", id, body, files.map((f) => f.id)));
    if (!item) return;
    setText("");
    setWhisper(false);
    setFiles([]);
    void stopTyping();
  };
  sendDraft = () => void send();

  const onKeyDown = (e: KeyboardEvent) => {
    if (!picker) return;
    const n = picker.items.length;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      setPicker({ ...picker, index: (picker.index + (e.key === "ArrowDown" ? 1 : n - 1)) % Math.max(n, 1) } as Picker);
    } else if ((e.key === "Enter" || e.key === "Tab") && !e.ctrlKey && !e.metaKey && n > 0) {
      e.preventDefault();
      void choose(picker, picker.index);
    } else if (e.key === "Escape") {
      e.stopPropagation();
      setPicker(null);
    }
  };

  return (
    <div class={note ? "composer note" : "composer"}>
      <div class="tabs" role="tablist">
        <button role="tab" aria-selected={!note} onClick={() => focusComposer(false)}>
          Reply
        </button>
        <button role="tab" aria-selected={note} onClick={() => focusComposer(true)} title="Ctrl+Shift+N">
          Internal note
        </button>
        {canWhisper && (
          <label class="check">
            <input type="checkbox" checked={whisper} onChange={(e) => setWhisper(e.currentTarget.checked)} /> Whisper to{" "}
            {directory.value.names.get(o.conversation.assigneeUserId) ?? "the owner"}
          </label>
        )}
      </div>
      {picker && (
        <ul class="picker" role="listbox" aria-label={picker.kind === "canned" ? "Canned responses" : "Mention"}>
          {picker.kind === "canned" && !picker.at && (
            <li>
              <input
                autoFocus
                placeholder="Search canned responses"
                value={picker.query}
                onInput={(e) => void openPicker(null, e.currentTarget.value)}
                onKeyDown={onKeyDown}
              />
            </li>
          )}
          {picker.items.length === 0 && <li class="hint">No match</li>}
          {picker.kind === "canned" && picker.items[picker.index] && <CannedPreview body={picker.items[picker.index]!.body} />}
          {picker.items.map((it, i) => (
            <li key={"id" in it ? it.id : it.userId} role="option" aria-selected={i === picker.index}>
              <button onMouseDown={(e) => e.preventDefault()} onClick={() => void choose(picker, i)}>
                {"shortcut" in it ? (
                  <>
                    <b>/{it.shortcut}</b> {it.title}
                  </>
                ) : (
                  <>
                    <b>{it.displayName}</b> {it.email}
                  </>
                )}
              </button>
            </li>
          ))}
        </ul>
      )}
      {!note && !text && quick.length > 0 && (
        <div class="quick" role="group" aria-label="Quick replies">
          {quick.map((c) => (
            <button key={c.id} onClick={() => void quickReply(c)} title={c.body}>
              {c.title}
            </button>
          ))}
        </div>
      )}
      <textarea
        id={composerId}
        ref={area}
        value={text}
        rows={3}
        placeholder={note ? "Internal note: only your team sees it. @ mentions a teammate." : replyHint(o.conversation, o.contact)}
        onInput={onInput}
        onKeyDown={onKeyDown}
        onBlur={() => void stopTyping()}
      />
      {files.length > 0 && (
        <ul class="files" aria-label="Attached files">
          {files.map((f) => (
            <li key={f.id}>
              <PaperclipIcon /> {f.name} <span class="hint">{size(f.size)}</span>
              <button aria-label={`Remove ${f.name}`} onClick={() => setFiles(files.filter((x) => x.id !== f.id))}>
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
      <div class="row end">
        {!note && (
          <button class="attach" onClick={() => void act(() => go("PickFiles")).then((more) => more && setFiles([...files, ...more].slice(0, 10)))}>
            <PaperclipIcon /> Attach…
          </button>
        )}
        {!note && <Recorder onClip={(f) => setFiles((now) => [...now, f].slice(0, 10))} />}
        <span class="hint">Ctrl+Enter to send</span>
        <button class="primary" onClick={() => void send()} disabled={!text.trim() && (note || files.length === 0)}>
          {note ? (whisper && canWhisper ? "Whisper" : "Add note") : "Send"}
        </button>
      </div>
    </div>
  );
}

/**
 * CannedPreview shows a canned reply as it will be sent to the open
 * conversation, with each variable that has no value (and no fallback)
 * highlighted, so the agent sees the gap before sending.
 */
function CannedPreview({ body }: { body: string }) {
  const o = opened.value;
  const s = session.value;
  const ws = s?.workspaces?.find((w) => w.id === s.workspace_id)?.name ?? "";
  const r = render(body, variables(o?.contact ?? o?.conversation.contact ?? null, s?.user_name ?? "", o?.conversation.id ?? "", ws));
  return (
    <li class="canned-preview" aria-label="Preview">
      {r.segments.map((seg, i) =>
        "text" in seg ? (
          <span key={i}>{seg.text}</span>
        ) : (
          <mark key={i} class="unresolved" title="No value for this customer: it will be left out">
            {`{{${seg.unresolved}}}`}
          </mark>
        ),
      )}
      {r.unresolved.length > 0 && <p class="hint">Highlighted: no value for this customer, left out when sent. Add a fallback like {"{{customer.name | there}}"}.</p>}
    </li>
  );
}
