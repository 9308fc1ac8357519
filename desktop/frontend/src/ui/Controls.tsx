import { useEffect, useState } from "preact/hooks";
import { ConversationState, Priority, type Conversation } from "../api";
import { go } from "../bridge";
import { act, changed, directory, me, session } from "../state";

const ranks: Record<string, number> = { agent: 1, supervisor: 2, admin: 3, owner: 4 };

/** supervises reports whether the signed-in role is supervisor or above. */
export function supervises(): boolean {
  return (ranks[session.value?.role ?? ""] ?? 0) >= 2;
}

const priorities: [Priority, string][] = [
  [Priority.NONE, "No priority"],
  [Priority.LOW, "Low"],
  [Priority.MEDIUM, "Medium"],
  [Priority.HIGH, "High"],
  [Priority.URGENT, "Urgent"],
];

function snoozeOptions(now: Date): [string, number][] {
  const tomorrow = new Date(now);
  tomorrow.setDate(now.getDate() + 1);
  tomorrow.setHours(9, 0, 0, 0);
  const week = new Date(tomorrow);
  week.setDate(tomorrow.getDate() + 6);
  return [
    ["1 hour", now.getTime() + 3600_000],
    ["4 hours", now.getTime() + 4 * 3600_000],
    ["Tomorrow 9:00", tomorrow.getTime()],
    ["In a week", week.getTime()],
  ];
}

type Dialog = "more" | "transfer" | "tags" | "snooze" | null;

/**
 * Controls is the conversation's action bar: the main actions (claim, take
 * over, close) as buttons and the rest in a "More" menu, so it stays one
 * row at any window width. A popover closes on Esc and when another
 * conversation opens (the bar is keyed by conversation). Shortcuts are
 * named in aria-keyshortcuts and the sheet, not in title tooltips, which
 * WebKitGTK leaves floating when their button disappears.
 */
export function Controls({ c }: { c: Conversation }) {
  const [dialog, setDialog] = useState<Dialog>(null);
  useEffect(() => {
    if (!dialog) return;
    const close = (e: KeyboardEvent) => {
      if (e.key !== "Escape") return;
      e.preventDefault();
      setDialog(null);
    };
    window.addEventListener("keydown", close, true);
    return () => window.removeEventListener("keydown", close, true);
  }, [dialog]);
  const closed = c.state === ConversationState.CLOSED;
  const spam = c.state === ConversationState.SPAM;
  const mine = c.assigneeUserId === me.value;
  const joined = c.participantUserIds.includes(me.value);
  const run = (f: () => Promise<unknown>) => void act(f).then(changed);
  const item = (label: string, f: () => void) => (
    <button role="menuitem" onClick={f}>
      {label}
    </button>
  );
  if (spam) {
    // Held as spam: nothing but letting it out (into the queue, as a new one) or tagging it.
    return (
      <div class="controls" role="toolbar" aria-label="Conversation controls">
        <button class="primary" onClick={() => run(() => go("Release", c.id))}>
          Not spam
        </button>
        <button aria-haspopup="true" aria-expanded={dialog === "tags"} onClick={() => setDialog(dialog ? null : "tags")}>
          Tags ▾
        </button>
        {dialog === "tags" && <Tags c={c} />}
      </div>
    );
  }
  return (
    <div class="controls" role="toolbar" aria-label="Conversation controls">
      {!closed && !c.assigneeUserId && c.state !== ConversationState.BOT && (
        <button onClick={() => run(() => go("Claim", c.id))} aria-keyshortcuts="c">
          Claim <kbd>c</kbd>
        </button>
      )}
      {!closed && !mine && (c.assigneeUserId === "" || supervises()) && (
        <button class="primary" onClick={() => run(() => go("TakeOver", c.id))} aria-keyshortcuts="t">
          Take over <kbd>t</kbd>
        </button>
      )}
      {closed ? (
        <button onClick={() => run(() => go("Reopen", c.id))}>Reopen</button>
      ) : (
        <button onClick={() => run(() => go("Close", c.id))} aria-keyshortcuts="x">
          Close <kbd>x</kbd>
        </button>
      )}
      <button aria-haspopup="menu" aria-expanded={dialog === "more"} onClick={() => setDialog(dialog ? null : "more")} id="more-actions">
        More ▾
      </button>
      {dialog === "more" && (
        <div class="popover menu" role="menu" aria-label="More actions">
          {!closed && supervises() && !mine && !joined && c.assigneeUserId !== "" && item("Join", () => (setDialog(null), run(() => go("Join", c.id))))}
          {joined && item("Leave", () => (setDialog(null), run(() => go("Leave", c.id))))}
          {!closed && item("Transfer…", () => setDialog("transfer"))}
          {item("Tags…", () => setDialog("tags"))}
          {!closed && item("Snooze…", () => setDialog("snooze"))}
          {(c.assigneeUserId === "" || mine || supervises()) && item("Mark as spam", () => (setDialog(null), run(() => go("MarkSpam", c.id))))}
          <label>
            Priority{" "}
            <select aria-label="Priority" value={c.priority === Priority.UNSPECIFIED ? Priority.NONE : c.priority} onChange={(e) => run(() => go("SetPriority", c.id, Number(e.currentTarget.value)))}>
              {priorities.map(([p, label]) => (
                <option key={p} value={p}>
                  {label}
                </option>
              ))}
            </select>
          </label>
        </div>
      )}
      {dialog === "transfer" && <Transfer c={c} done={() => setDialog(null)} />}
      {dialog === "tags" && <Tags c={c} />}
      {dialog === "snooze" && (
        <div class="popover" role="menu" aria-label="Snooze until">
          {snoozeOptions(new Date()).map(([label, until]) => (
            <button
              key={label}
              role="menuitem"
              onClick={() => {
                setDialog(null);
                run(() => go("Snooze", c.id, until));
              }}
            >
              {label}
            </button>
          ))}
        </div>
      )}
    </div>
  );
}

function Transfer({ c, done }: { c: Conversation; done: () => void }) {
  const [to, setTo] = useState("");
  const [note, setNote] = useState("");
  const d = directory.value;
  return (
    <form
      class="popover"
      aria-label="Transfer"
      onSubmit={(e) => {
        e.preventDefault();
        const [kind, id] = to.split(":");
        if (!id) return;
        void act(() => go("Transfer", c.id, kind === "user" ? id : "", kind === "group" ? id : "", note)).then((raw) => {
          changed(raw);
          if (raw) done();
        });
      }}
    >
      <label>
        To
        <select value={to} onChange={(e) => setTo(e.currentTarget.value)} autoFocus>
          <option value="">Choose…</option>
          <optgroup label="Group queues">
            {d.groups.map((g) => (
              <option key={g.id} value={`group:${g.id}`}>
                {g.name}
              </option>
            ))}
          </optgroup>
          <optgroup label="Teammates">
            {d.members
              .filter((m) => m.userId !== me.value)
              .map((m) => (
                <option key={m.userId} value={`user:${m.userId}`}>
                  {m.displayName}
                </option>
              ))}
          </optgroup>
        </select>
      </label>
      <label>
        Note for them (internal)
        <textarea value={note} onInput={(e) => setNote(e.currentTarget.value)} rows={2} />
      </label>
      <div class="row end">
        <button type="button" onClick={done}>
          Cancel
        </button>
        <button class="primary" type="submit" disabled={!to}>
          Transfer
        </button>
      </div>
    </form>
  );
}

function Tags({ c }: { c: Conversation }) {
  return (
    <div class="popover" role="group" aria-label="Tags">
      {directory.value.tags.map((t) => {
        const on = c.tagIds.includes(t.id);
        return (
          <label key={t.id} class="check">
            <input type="checkbox" checked={on} onChange={() => void act(() => go(on ? "Untag" : "Tag", c.id, t.id)).then(changed)} />
            {t.name}
          </label>
        );
      })}
    </div>
  );
}
