import { useEffect, useMemo, useState } from "preact/hooks";
import { ConversationState, Priority, type Conversation } from "../api";
import { byEmail, customerName, pageLabel, preview } from "../logic/customer";
import { ago } from "../logic/format";
import { debounce } from "../logic/presence";
import { attention, attentionHint, fixedViews, isQueue, waitingSince } from "../logic/views";
import { directory, fetched, me, query, search, select, selected, shown, view } from "../state";
import { Sla } from "./Sla";

const stateLabel: Record<number, string> = {
  [ConversationState.BOT]: "AI",
  [ConversationState.PENDING]: "Waiting",
  [ConversationState.ACTIVE]: "Active",
  [ConversationState.SNOOZED]: "Snoozed",
  [ConversationState.CLOSED]: "Closed",
  [ConversationState.SPAM]: "Spam",
};

/** searchBox is the search field, focused by the "/" shortcut. */
export const searchBoxId = "search";

export function ConversationList() {
  const [text, setText] = useState(query.value);
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 15_000);
    return () => clearInterval(t);
  }, []);
  // The search runs as the agent types, 250 ms after the last key.
  const live = useMemo(() => debounce((q: string) => void search(q), 250), []);
  useEffect(() => () => live.cancel(), [live]);
  const v = view.value;
  const rows = shown.value;
  const title =
    v === "search"
      ? `Search: ${query.value}`
      : (fixedViews.find((f) => f.id === v)?.label ??
        (v.startsWith("group:") ? directory.value.names.get(v.slice(6)) : directory.value.tags.find((t) => `tag:${t.id}` === v)?.name) ??
        "");
  const loading = (v === "search" || v === "closed" || v === "spam") && fetched.value === null;
  return (
    <section class="list" aria-label="Conversations">
      <form
        class="search"
        onSubmit={async (e) => {
          e.preventDefault();
          live.cancel();
          const found = await search(text);
          (document.activeElement as HTMLElement | null)?.blur();
          if (found[0]) void select(found[0].id);
        }}
      >
        <input
          id={searchBoxId}
          type="search"
          placeholder="Search messages, names, emails  ( / )"
          value={text}
          onInput={(e) => {
            const q = e.currentTarget.value;
            setText(q);
            if (q.trim()) live(q);
            else live.cancel();
          }}
        />
      </form>
      <h2>{title}</h2>
      {loading && <p class="empty">Loading…</p>}
      {!loading && rows.length === 0 && <p class="empty">Nothing here.</p>}
      <ul>
        {rows.map((c) => (
          <Row key={c.id} c={c} now={now} queue={isQueue(v)} />
        ))}
      </ul>
    </section>
  );
}

function Row({ c, now, queue }: { c: Conversation; now: number; queue: boolean }) {
  const name = customerName(c.contact);
  const where = !c.contact?.name && !c.contact?.email && c.pageUrl ? pageLabel(c.pageUrl) : "";
  const owner = c.assigneeUserId === me.value ? "You" : directory.value.names.get(c.assigneeUserId) ?? "";
  const time = queue ? waitingSince(c) : Number(c.lastActivityTimeMs);
  const flag = attention(c);
  return (
    <li>
      <button
        class={["row-item", selected.value === c.id ? "current" : "", c.unread ? "unread" : ""].join(" ")}
        onClick={() => void select(c.id)}
        aria-current={selected.value === c.id}
        data-id={c.id}
      >
        <span class="who">
          {c.unread && <i class="unread-dot" aria-label="unread" />}
          {name}
          {where && <span class="where"> · {where}</span>}
        </span>
        <span class="when" title={queue ? "waiting for" : "last activity"}>
          {ago(time, now)}
        </span>
        <span class="preview">
          {c.subject && <b class="subject">{c.subject}</b>}
          {c.subject && " · "}
          {preview(c)}
        </span>
        <span class="meta">
          <span class={`state s${c.state}`}>{stateLabel[c.state] ?? ""}</span>
          {byEmail(c) && <span class="channel">Email</span>}
          {flag && (
            <span class="attention" title={attentionHint}>
              {flag}
            </span>
          )}
          {c.priority >= Priority.HIGH && <span class={`prio p${c.priority}`}>{c.priority === Priority.URGENT ? "Urgent" : "High"}</span>}
          {owner && <span class="owner">{owner}</span>}
          <Sla c={c} now={now} />
        </span>
      </button>
    </li>
  );
}
