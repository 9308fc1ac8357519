import { signal } from "@preact/signals";
import { useRef, useState } from "preact/hooks";
import { canManageAgent } from "../logic/agent";
import { session } from "../state";
import { AgentSettings } from "./AgentSettings";
import { useEscape } from "./escape";
import { Knowledge } from "./Knowledge";
import { KnowledgeGaps } from "./KnowledgeGaps";
import { useFocusTrap } from "./trap";

/** agentOpen shows the AI agent's screens (for admins and owners; Settings opens them). */
export const agentOpen = signal(false);

/** settingsButtonId names the header's button that opens the settings menu, where focus returns when the AI agent's screens close. */
export const settingsButtonId = "settings-button";

const tabs = [
  ["settings", "Settings"],
  ["knowledge", "Knowledge"],
  ["gaps", "Knowledge gaps"],
] as const;
type Tab = (typeof tabs)[number][0];

/**
 * AgentAdmin is where admins tune the AI agent: its settings and
 * escalation intents, the knowledge it answers from, and the questions it
 * could not answer. Esc closes it (or first whatever it has open); Tab
 * stays in it; the inbox's shortcuts are off while it shows. On close,
 * focus goes back to what opened it, or to the settings button when that
 * was the settings menu's item (the menu closes as this opens).
 */
export function AgentAdmin() {
  const s = session.value;
  const shown = agentOpen.value && !!s?.ready && canManageAgent(s.role);
  const [tab, setTab] = useState<Tab>("settings");
  const [seen, setSeen] = useState<Tab[]>(["settings"]);
  const show = (t: Tab) => {
    setTab(t);
    setSeen((was) => (was.includes(t) ? was : [...was, t]));
  };
  const close = () => (agentOpen.value = false);
  useEscape(close, shown);
  const box = useRef<HTMLDivElement>(null);
  useFocusTrap(box, shown, { fallback: () => document.getElementById(settingsButtonId) });
  if (!shown) return null;
  const move = (e: KeyboardEvent) => {
    const i = tabs.findIndex(([id]) => id === tab);
    const step = e.key === "ArrowRight" ? 1 : e.key === "ArrowLeft" ? -1 : 0;
    if (!step) return;
    e.preventDefault();
    const next = tabs[(i + step + tabs.length) % tabs.length]![0];
    show(next);
    document.getElementById(`agent-tab-${next}`)?.focus();
  };
  return (
    <div class="modal">
      <div class="modal-box admin" role="dialog" aria-modal="true" aria-labelledby="agent-admin-title" tabIndex={-1} ref={box}>
        <div class="row">
          <h2 id="agent-admin-title" class="grow">
            AI agent
          </h2>
          <button onClick={close}>Close</button>
        </div>
        <div class="tabs" role="tablist" aria-label="AI agent" onKeyDown={move}>
          {tabs.map(([id, label]) => (
            <button
              key={id}
              id={`agent-tab-${id}`}
              role="tab"
              aria-selected={tab === id}
              aria-controls={`agent-panel-${id}`}
              tabIndex={tab === id ? 0 : -1}
              onClick={() => show(id)}
            >
              {label}
            </button>
          ))}
        </div>
        {/* Each tab stays mounted once seen, so that unsaved settings survive a look at another tab. */}
        <div class="admin-panels" key={s!.workspace_id}>
          {tabs
            .filter(([id]) => seen.includes(id))
            .map(([id]) => (
              <div class="admin-panel" key={id} id={`agent-panel-${id}`} role="tabpanel" aria-labelledby={`agent-tab-${id}`} hidden={tab !== id}>
                {id === "settings" && <AgentSettings />}
                {id === "knowledge" && <Knowledge visible={tab === id} />}
                {id === "gaps" && <KnowledgeGaps />}
              </div>
            ))}
        </div>
      </div>
    </div>
  );
}
