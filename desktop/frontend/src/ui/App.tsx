import { signal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { ConversationState } from "../api";
import { go } from "../bridge";
import { resolve, type Action } from "../logic/keys";
import { neighbour } from "../logic/views";
import { act, changed, opened, select, selected, session, show, shown, toast } from "../state";
import { focusComposer, noteMode, openCanned, sendDraft } from "./Composer";
import { ConversationList, searchBoxId } from "./ConversationList";
import { AgentAdmin, agentOpen } from "./AgentAdmin";
import { EmailAdmin, emailOpen } from "./EmailAdmin";
import { Webhooks, webhooksOpen } from "./Webhooks";
import { ConversationView } from "./ConversationView";
import { Header } from "./Header";
import { BottomBar, profileShown, useBackStack, viewsShown } from "./Phone";
import { ShortcutSheet, sheetOpen } from "./ShortcutSheet";
import { Sidebar } from "./Sidebar";
import { SignIn } from "./SignIn";
import { ConfirmLink, pendingLink } from "./Text";

/** tick re-renders time-dependent bits (typing, "5m ago") every few seconds. */
export const tick = signal(0);

const pendingKey = { value: null as string | null };

function run(action: Action): void {
  const o = opened.value;
  const id = o?.conversation.id;
  switch (action) {
    case "next":
    case "prev": {
      const next = neighbour(
        shown.value.map((c) => c.id),
        selected.value,
        action === "next" ? 1 : -1,
      );
      if (next) void select(next);
      return;
    }
    case "claim":
      if (id) void act(() => go("Claim", id)).then(changed);
      return;
    case "takeover":
      if (id) void act(() => go("TakeOver", id)).then(changed);
      return;
    case "close":
      if (id && o.conversation.state !== ConversationState.CLOSED) void act(() => go("Close", id)).then(changed);
      return;
    case "reply":
    case "note":
      if (id) focusComposer(action === "note");
      return;
    case "toggleNote":
      if (id) focusComposer(!noteMode.value);
      return;
    case "send":
      sendDraft();
      return;
    case "canned":
      if (id) openCanned();
      return;
    case "search":
      document.getElementById(searchBoxId)?.focus();
      return;
    case "sheet":
      sheetOpen.value = !sheetOpen.value;
      return;
    case "escape":
      if (sheetOpen.value || pendingLink.value || toast.value) {
        sheetOpen.value = false;
        pendingLink.value = null;
        toast.value = null;
      } else (document.activeElement as HTMLElement | null)?.blur();
      return;
  }
  void show(action.slice(5) as Parameters<typeof show>[0]);
}

function onKey(e: KeyboardEvent): void {
  // The AI agent's screens are a modal dialog: the inbox's keys rest.
  if (!session.value?.ready || e.defaultPrevented || agentOpen.value || emailOpen.value || webhooksOpen.value) return;
  const el = document.activeElement;
  const typing = el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement || el instanceof HTMLSelectElement;
  const r = resolve(e, typing, pendingKey.value);
  pendingKey.value = r.pending;
  if (!r.action) return;
  e.preventDefault();
  run(r.action);
}

export function App() {
  useEffect(() => {
    window.addEventListener("keydown", onKey);
    const t = setInterval(() => tick.value++, 2000);
    return () => {
      window.removeEventListener("keydown", onKey);
      clearInterval(t);
    };
  }, []);
  const s = session.value;
  useBackStack();
  useEffect(() => {
    if (!s?.ready) agentOpen.value = emailOpen.value = webhooksOpen.value = false;
  }, [s?.ready]);
  void tick.value;
  if (!s) return <main class="loading">Starting…</main>;
  if (!s.signed_in) return <SignIn />;
  return (
    <div class="app">
      <Header />
      {!s.ready ? (
        <main class="loading">
          <p>{s.connection_message || "Connecting to the server…"}</p>
          <p class="hint">Anything you queued is kept and sent when the server answers.</p>
        </main>
      ) : (
        <main class={["panes", opened.value && "has-open", profileShown.value && "show-profile", viewsShown.value && "show-views"].filter(Boolean).join(" ")}>
          <Sidebar />
          <ConversationList />
          <ConversationView />
          {!opened.value && <BottomBar />}
        </main>
      )}
      {toast.value && (
        <div class="toast" role="alert" onClick={() => (toast.value = null)}>
          {toast.value}
        </div>
      )}
      <ShortcutSheet />
      <AgentAdmin />
      <EmailAdmin />
      <Webhooks />
      <ConfirmLink />
    </div>
  );
}
