import { useEffect, useState } from "preact/hooks";
import { decode, PresenceStatus, type AgentStatus } from "../api";
import { go } from "../bridge";
import { duration } from "../logic/format";
import { overview } from "../logic/overview";
import { act, conversations, me, refreshStats, session, stats } from "../state";
import { Settings } from "./Settings";

export function Header() {
  const s = session.value!;
  const [mine, setMine] = useState<AgentStatus | null>(null);
  const [settings, setSettings] = useState(false);
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => {
      setNow(Date.now());
      refreshStats();
    }, 30_000);
    return () => clearInterval(t);
  }, []);
  useEffect(() => {
    if (!s.ready) return;
    void act(() => go("Agents")).then((list) => {
      const found = list?.map(decode.agent).find((a) => a.userId === s.user_id);
      if (found) setMine(found);
    });
  }, [s.ready, s.workspace_id]);
  const o = overview(conversations.value.values(), me.value, now);
  const st = stats.value;
  const away = mine?.status === PresenceStatus.AWAY;
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
      <button
        class={away ? "presence away" : "presence"}
        title="Switch between online and away"
        onClick={() =>
          void act(() => go("SetStatus", away ? "online" : "away")).then((raw) => raw && setMine(decode.agent(raw)))
        }
      >
        {away ? "Away" : "Online"}
        {mine ? ` · ${mine.openChats}/${mine.maxChats} chats` : ""}
      </button>
      <button onClick={() => setSettings(!settings)} aria-expanded={settings}>
        {s.user_name || s.email} ▾
      </button>
      {settings && <Settings agent={mine} onAgent={setMine} onClose={() => setSettings(false)} />}
    </header>
  );
}
