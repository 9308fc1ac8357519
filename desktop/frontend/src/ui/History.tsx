import { useEffect, useRef } from "preact/hooks";
import type { Message } from "../api";
import { go } from "../bridge";
import { customerName } from "../logic/customer";
import { clock, size } from "../logic/format";
import { Attachments, PaperclipIcon } from "./Attachments";
import { Delivery, MailInfo } from "./Mail";
import { activityText, kindOf, noteLabel } from "../logic/history";
import { describe, pending } from "../logic/outbox";
import { act, directory, me, online, opened, outbox, older, session } from "../state";
import { Text } from "./Text";
import { editDraft } from "./Composer";

export function History() {
  const o = opened.value!;
  const end = useRef<HTMLDivElement>(null);
  const items = pending(outbox.value.values(), o.conversation.id, o.history);
  useEffect(() => end.current?.scrollIntoView({ block: "end" }), [o.conversation.id, o.history.length, items.length]);
  const now = Date.now();
  const names = directory.value.names;
  return (
    <div class="history" aria-label="History" aria-live="polite">
      {o.more && (
        <button class="more" onClick={() => void older()}>
          Load earlier history
        </button>
      )}
      {o.history.map((m) => (
        <Item key={m.id} m={m} now={now} names={names} />
      ))}
      {items.map((it) => {
        const d = describe(it, !!session.value?.signed_in, online.value);
        return (
          <div key={it.client_id} class={`msg mine outbox ${it.kind} ${d.tone}`}>
            <div class="body">
              <Text text={it.body} />
            </div>
            {(it.files ?? []).map((f) => (
              <div key={f.client_id} class="file">
                <PaperclipIcon /> {f.name} <span class="hint">{size(f.size)}</span>
              </div>
            ))}
            <div class="status">
              {d.label}
              {d.canRetry && <button onClick={() => void act(() => go("Retry", it.client_id))}>Retry</button>}
              {d.canEdit && (
                <button
                  onClick={() =>
                    void act(() => go("Discard", it.client_id)).then((back) => back && editDraft(back.body, back.kind === "note"))
                  }
                >
                  Edit
                </button>
              )}
            </div>
          </div>
        );
      })}
      <div ref={end} />
    </div>
  );
}

function Item({ m, now, names }: { m: Message; now: number; names: Map<string, string> }) {
  const kind = kindOf(m);
  const time = clock(Number(m.createTimeMs), now);
  if (kind === "activity") {
    return (
      <div class="activity">
        {activityText(m, names)} <time>{time}</time>
      </div>
    );
  }
  const mentions: string[] = (() => {
    try {
      const ids: unknown = JSON.parse(m.activityData["mentions"] ?? "[]");
      return Array.isArray(ids) ? ids.filter((x): x is string => typeof x === "string") : [];
    } catch {
      return [];
    }
  })();
  return (
    <div class={`msg ${kind}`}>
      <div class="author">
        {kind === "customer" ? customerName(opened.value?.contact ?? opened.value?.conversation.contact) : m.authorName || "Agent"}
        {kind === "bot" && <span class="badge">AI</span>}
        {(kind === "note" || kind === "whisper") && <span class="badge">{noteLabel(m, names, me.value)}</span>}
        <time>{time}</time>
      </div>
      <div class="body">
        <Text text={m.body} />
      </div>
      {kind === "customer" && opened.value?.mails?.get(m.id) && <MailInfo mail={opened.value.mails.get(m.id)!} />}
      {kind !== "customer" && opened.value?.deliveries?.get(m.id) && <Delivery d={opened.value.deliveries.get(m.id)!} />}
      {m.attachments.length > 0 && <Attachments list={m.attachments} />}
      {mentions.length > 0 && <div class="mentions">Mentioned: {mentions.map((id) => names.get(id) ?? "a member").join(", ")}</div>}
      {m.botAnswer && (
        <div class="bot-answer">
          <span title={m.botAnswer.method === "llm" ? "Written by the language model" : "Taken from the knowledge base"}>
            {Math.round(m.botAnswer.confidence * 100)}% confident
          </span>
          {m.botAnswer.citations.length > 0 && (
            <ul aria-label="Sources">
              {m.botAnswer.citations.map((c) => (
                <li key={c.chunkId}>
                  {c.documentTitle}
                  {c.heading && ` › ${c.heading}`}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </div>
  );
}
