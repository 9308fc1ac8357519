// The agent app on a phone: the inbox, a conversation and its customer are
// stacked screens (one at a time, with Back, and the browser's or phone's
// back gesture doing the same), and the views sit in a bottom bar within
// thumb's reach. On a wide window none of this shows: the panes sit side
// by side.
import { signal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { counts, fixedViews, type ViewId } from "../logic/views";
import { conversations, me, opened, select, show, view } from "../state";

/** The customer's screen is shown over the conversation (narrow windows). */
export const profileShown = signal(false);
/** The full list of views (groups, tags) is shown over the inbox (narrow windows). */
export const viewsShown = signal(false);

/** narrow tells whether the window shows one screen at a time (as the stylesheet decides). */
export function narrow(): boolean {
  return typeof matchMedia === "function" && matchMedia("(max-width: 760px)").matches;
}

/** The screens above the inbox, top last: what Back closes, in order. */
function depth(): number {
  return (opened.value ? 1 : 0) + (profileShown.value ? 1 : 0) + (viewsShown.value ? 1 : 0);
}

/** closeTop closes the topmost screen. */
function closeTop(): void {
  if (viewsShown.value) viewsShown.value = false;
  else if (profileShown.value) profileShown.value = false;
  else if (opened.value) void select(null);
}

/** back is the in-app Back button: through the history on a narrow window, so the back gesture and the button agree. */
export function back(): void {
  if (narrow() && history.state?.tandem) history.back();
  else closeTop();
}

/**
 * useBackStack keeps one history entry per screen opened on a narrow
 * window, so the browser's back (or the phone's gesture) closes the top
 * screen instead of leaving the app.
 */
export function useBackStack(): void {
  const d = depth();
  useEffect(() => {
    const onPop = () => {
      if (depth() > 0) closeTop();
    };
    addEventListener("popstate", onPop);
    return () => removeEventListener("popstate", onPop);
  }, []);
  useEffect(() => {
    if (!narrow()) return;
    const pushed = (history.state?.tandem as number | undefined) ?? 0;
    if (d > pushed) history.pushState({ tandem: d }, "");
  }, [d]);
  // A conversation closed or switched: its customer screen goes with it.
  useEffect(() => {
    if (!opened.value) profileShown.value = false;
  }, [opened.value?.conversation.id]);
}

const barViews: ViewId[] = ["mine", "unassigned", "pending", "all"];

/** BottomBar is the views within thumb's reach, with a button for the rest. */
export function BottomBar() {
  const n = counts(conversations.value.values(), barViews, me.value);
  return (
    <nav class="bottombar" aria-label="Views">
      {fixedViews
        .filter((v) => barViews.includes(v.id))
        .map((v) => {
          const c = n.get(v.id);
          return (
            <button key={v.id} class={view.value === v.id ? "current" : ""} aria-current={view.value === v.id} onClick={() => void show(v.id)}>
              <span class="label">{v.label}</span>
              {c && c.unread > 0 && <span class="badge">{c.unread}</span>}
            </button>
          );
        })}
      <button class={viewsShown.value ? "current" : ""} aria-expanded={viewsShown.value} onClick={() => (viewsShown.value = !viewsShown.value)}>
        <span class="label">More</span>
      </button>
    </nav>
  );
}
