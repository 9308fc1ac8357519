import { useEffect, useState } from "preact/hooks";
import { decode, PresenceStatus, type AgentStatus } from "../api";
import { go } from "../bridge";
import { duration } from "../logic/format";
import { overview } from "../logic/overview";
import { act, conversations, me, myAgent, refreshStats, session, stats } from "../state";
import { settingsButtonId } from "./AgentAdmin";
import { Settings } from "./Settings";

export function Header() {
  const s = session.value!;
  const mine = myAgent.value;
  const setMine = (a: AgentStatus) => (myAgent.value = a);
  const [settings, setSettings] = useState(false);
  const [menu, setMenu] = useState(false);
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => {
      setNow(Date.now());
      refreshStats();
    }, 30_000);
    return () => clearInterval(t);
  }, []);
  useEffect(() => {
    if (!menu) return;
    const close = (e: KeyboardEvent) => e.key === "Escape" && setMenu(false);
    window.addEventListener("keydown", close);
    return () => window.removeEventListener("keydown", close);
  }, [menu]);
  const o = overview(conversations.value.values(), me.value, now);
  const st = stats.value;
  const conn = s.connection === "live" ? "Live" : s.connection === "connecting" ? "Connecting…" : "Offline";
  return (
    <header class="top">
      <select
        aria-label="Workspace"
        value={s.workspace_id}
        onChange={(e) => void act(() => go("SwitchWorkspace", e.currentTarget.value)).then((v) => v && (session.value = v))}
      >
        {(s.workspaces ?? []).map((w) => (
          <option key={w.id} value={w.id}>
            {w.name}
          </option>
        ))}
      </select>
      <ul class="overview" aria-label="Overview">
        {st && (
          <>
            <li title="Average first response, conversations of the last 7 days">
              first response <b>{st.avgFirstResponseMs > 0n ? duration(Number(st.avgFirstResponseMs)) : "–"}</b>
            </li>
            <li title="With the AI agent, waiting or with an agent">
              <b>{String(st.activeConversations)}</b> active
            </li>
            <li>
              <b>{String(st.waitingConversations)}</b> waiting
            </li>
            <li title={`${st.csatCount} ratings in the last 30 days`}>
              CSAT <b>{st.csatCount > 0n ? st.csatAverage.toFixed(1) : "–"}</b>
            </li>
            <li>
              <b>{String(st.resolvedToday)}</b> resolved today
            </li>
          </>
        )}
        <li>
          <b>{o.mine}</b> yours
        </li>
        {o.waiting > 0 && (
          <li>
            longest wait <b>{duration(o.longestWaitMs)}</b>
          </li>
        )}
      </ul>
      <span class={`conn ${s.connection}`} title={s.connection_message || conn}>
        ● {conn}
      </span>
      <PresenceChip agent={mine} open={menu} setOpen={setMenu} onAgent={setMine} />
      <button id={settingsButtonId} onClick={() => setSettings(!settings)} aria-expanded={settings}>
        {s.user_name || s.email} ▾
      </button>
      {settings && <Settings agent={mine} onAgent={setMine} onClose={() => setSettings(false)} />}
    </header>
  );
}

const statuses: [PresenceStatus, "online" | "away" | "offline", string][] = [
  [PresenceStatus.ONLINE, "online", "Online"],
  [PresenceStatus.AWAY, "away", "Away"],
  [PresenceStatus.OFFLINE, "offline", "Offline"],
];

/** PresenceChip shows status and open chats (the server's count) and opens a menu to change them. */
function PresenceChip({ agent, open, setOpen, onAgent }: { agent: AgentStatus | null; open: boolean; setOpen: (o: boolean) => void; onAgent: (a: AgentStatus) => void }) {
  const label = statuses.find(([st]) => st === agent?.status)?.[2] ?? "Offline";
  const cls = agent?.status === PresenceStatus.ONLINE ? "online" : agent?.status === PresenceStatus.AWAY ? "away" : "offline";
  const [cap, setCap] = useState(String(agent?.maxChats ?? ""));
  useEffect(() => setCap(String(agent?.maxChats ?? "")), [agent?.maxChats, open]);
  return (
    <div class="presence-wrap">
      <button class={`presence ${cls}`} aria-haspopup="menu" aria-expanded={open} onClick={() => setOpen(!open)} id="presence-chip">
        {label}
        {agent ? ` · ${agent.openChats}/${agent.maxChats} chats` : ""} ▾
      </button>
      {open && (
        <div class="popover presence-menu" role="menu" aria-label="Presence">
          {statuses.map(([st, name, text]) => (
            <button
              key={name}
              role="menuitemradio"
              aria-checked={agent?.status === st}
              onClick={() => {
                setOpen(false);
                void act(() => go("SetStatus", name)).then((raw) => raw && onAgent(decode.agent(raw)));
              }}
            >
              <i class={`dot ${name}`} /> {text}
            </button>
          ))}
          <form
            class="row"
            onSubmit={(e) => {
              e.preventDefault();
              const n = Number(cap);
              void act(() => go("SetCapacity", n)).then((raw) => {
                if (!raw) return;
                onAgent(decode.agent(raw));
                setOpen(false);
              });
            }}
          >
            <label>
              Capacity{" "}
              <input type="number" min={1} max={50} value={cap} onInput={(e) => setCap(e.currentTarget.value)} aria-label="Most chats at once" />
            </label>
            <button type="submit">Set</button>
          </form>
        </div>
      )}
    </div>
  );
}
