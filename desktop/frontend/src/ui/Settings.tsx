import { useEffect, useState } from "preact/hooks";
import { decode, type AgentStatus } from "../api";
import { go, type PushView } from "../bridge";
import { canManageAgent } from "../logic/agent";
import { notificationLabel } from "../logic/notifications";
import { act, session } from "../state";
import { agentOpen } from "./AgentAdmin";
import { emailOpen } from "./EmailAdmin";
import { webhooksOpen } from "./Webhooks";

export function Settings({ agent, onAgent, onClose }: { agent: AgentStatus | null; onAgent: (a: AgentStatus) => void; onClose: () => void }) {
  const [prefs, setPrefs] = useState<Record<string, boolean>>({});
  const [push, setPush] = useState<PushView | null>(null);
  const [capacity, setCapacity] = useState(agent?.maxChats ?? 5);
  useEffect(() => void act(() => go("NotificationPrefs")).then((p) => p && setPrefs(p)), []);
  useEffect(() => void act(() => go("PushState")).then((p) => p && setPush(p)), []);
  const s = session.value!;
  return (
    <div class="popover" role="dialog" aria-label="Settings" onKeyDown={(e) => e.key === "Escape" && onClose()}>
      <p class="hint">
        Signed in as {s.email} on {s.server}
        {s.token_storage === "file" ? " (no system keychain here: the session is kept in a private file)" : ""}.
      </p>
      <fieldset>
        <legend>Notify me of</legend>
        {Object.keys(prefs).map((k) => (
          <label key={k} class="check">
            <input
              type="checkbox"
              checked={prefs[k] ?? true}
              onChange={(e) => void act(() => go("SetNotificationPref", k, e.currentTarget.checked)).then((p) => p && setPrefs(p))}
            />
            {notificationLabel(k)}
          </label>
        ))}
        {push?.supported && (
          <label class="check">
            <input
              type="checkbox"
              checked={push.on}
              disabled={push.blocked}
              aria-describedby="push-note"
              onChange={(e) => void act(() => go("SetPush", e.currentTarget.checked)).then((p) => p && setPush(p))}
            />
            On this device while Tandem is closed
          </label>
        )}
        {push?.supported && (
          <p class="hint" id="push-note">
            {push.note}
          </p>
        )}
      </fieldset>
      <form
        class="row"
        onSubmit={(e) => {
          e.preventDefault();
          void act(() => go("SetCapacity", capacity)).then((raw) => raw && onAgent(decode.agent(raw)));
        }}
      >
        <label>
          Chats I take at once
          <input type="number" min={1} max={50} value={capacity} onInput={(e) => setCapacity(Number(e.currentTarget.value))} />
        </label>
        <button type="submit">Save</button>
      </form>
      {canManageAgent(s.role) && (
        <div class="row">
          <span class="hint grow">Settings, knowledge and unanswered questions of this workspace's AI agent.</span>
          <button
            onClick={() => {
              agentOpen.value = true;
              onClose();
            }}
          >
            AI agent…
          </button>
        </div>
      )}
      {canManageAgent(s.role) && (
        <div class="row">
          <span class="hint grow">The addresses customers email, and the servers that send and fetch that mail.</span>
          <button
            onClick={() => {
              emailOpen.value = true;
              onClose();
            }}
          >
            Email inboxes…
          </button>
        </div>
      )}
      {canManageAgent(s.role) && (
        <div class="row">
          <span class="hint grow">The calls rules and buttons make to other systems, and the ones that failed.</span>
          <button
            onClick={() => {
              webhooksOpen.value = true;
              onClose();
            }}
          >
            Webhook deliveries…
          </button>
        </div>
      )}
      <div class="row end">
        <button onClick={() => void act(() => go("SignOut")).then((v) => v && (session.value = v))}>Sign out</button>
        <button onClick={onClose}>Close</button>
      </div>
    </div>
  );
}
