import { counts, fixedViews, type ViewId } from "../logic/views";
import { conversations, directory, me, show, view } from "../state";
import { viewsShown } from "./Phone";

export function Sidebar() {
  const d = directory.value;
  const groupViews = d.groups.map((g) => ({ id: `group:${g.id}` as ViewId, label: g.name, mine: d.myGroups.has(g.id) }));
  const tagViews = d.tags.map((t) => ({ id: `tag:${t.id}` as ViewId, label: t.name, color: t.color }));
  const all: ViewId[] = [...fixedViews.map((v) => v.id), ...groupViews.map((v) => v.id), ...tagViews.map((v) => v.id)];
  const n = counts(conversations.value.values(), all, me.value);
  const item = (id: ViewId, label: string, extra?: preact.ComponentChildren, after?: preact.ComponentChildren) => {
    const c = n.get(id);
    return (
      <li key={id}>
        <button class={view.value === id ? "view current" : "view"} onClick={() => {
            viewsShown.value = false;
            void show(id);
          }} aria-current={view.value === id}>
          {extra}
          <span class="label">
            {label}
            {after}
          </span>
          {id !== "closed" && id !== "spam" && c && c.total > 0 && (
            <span class={c.unread > 0 ? "count unread" : "count"} title={`${c.total} conversations, ${c.unread} unread`}>
              {c.total}
            </span>
          )}
        </button>
      </li>
    );
  };
  return (
    <nav class="sidebar" aria-label="Views">
      <ul>{fixedViews.map((v) => item(v.id, v.label))}</ul>
      {groupViews.length > 0 && (
        <>
          <h3>Groups</h3>
          <ul>{groupViews.map((g) => item(g.id, g.label, undefined, g.mine ? <span class="yours" title="You are in this group"> · yours</span> : null))}</ul>
        </>
      )}
      {tagViews.length > 0 && (
        <>
          <h3>Tags</h3>
          <ul>{tagViews.map((t) => item(t.id, t.label, <i class="dot" style={{ background: /^#[0-9a-f]{6}$/i.test(t.color) ? t.color : "#999" }} />))}</ul>
        </>
      )}
    </nav>
  );
}
