import { signal } from "@preact/signals";
import { useEffect, useRef, useState } from "preact/hooks";
import { decode, WebhookDeliveryStatus, type WebhookDelivery } from "../api";
import { go, isAppError, type WebhookFilter, type WebhookSource } from "../bridge";
import { canManageAgent } from "../logic/agent";
import { plain } from "../logic/errors";
import { resultText, sourceText, statusClass, statusLabel, webhookFilters, whenText } from "../logic/webhooks";
import { session } from "../state";
import { settingsButtonId } from "./AgentAdmin";
import { useEscape } from "./escape";
import { useFocusTrap } from "./trap";

/** webhooksOpen shows the workspace's webhook deliveries (for admins and owners; Settings opens them). */
export const webhooksOpen = signal(false);

interface Listing {
  rows: WebhookDelivery[];
  sources: Record<string, WebhookSource>;
  more: string;
}

const empty: Record<WebhookFilter, string> = {
  "": "No webhook calls yet. Calls that rules and buttons make show here.",
  dead: "No dead letters: every call was delivered or is still being tried.",
  pending: "Nothing is waiting to be sent.",
  delivered: "Nothing delivered yet.",
};

/**
 * Webhooks is where admins see the calls rules and buttons made to other
 * systems: pending ones with their next attempt, delivered ones, and dead
 * letters (retries used up, or an address refused), which they can
 * redeliver. Esc closes it; Tab stays in it; the inbox's shortcuts are off
 * while it shows.
 */
export function Webhooks() {
  const s = session.value;
  const shown = webhooksOpen.value && !!s?.ready && canManageAgent(s.role);
  const [filter, setFilter] = useState<WebhookFilter>("");
  const [list, setList] = useState<Listing | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loads, setLoads] = useState(0);
  const [notice, setNotice] = useState("");
  const close = () => (webhooksOpen.value = false);
  useEscape(close, shown);
  const box = useRef<HTMLDivElement>(null);
  useFocusTrap(box, shown, { fallback: () => document.getElementById(settingsButtonId) });
  // Each listing from the top starts a generation: a page asked for before it is dropped.
  const generation = useRef(0);
  useEffect(() => {
    if (!shown) return;
    const g = ++generation.current;
    const live = () => g === generation.current;
    setList(null);
    setError(null);
    go("WebhookDeliveries", filter, "").then(
      (p) => live() && setList({ rows: p.deliveries.map(decode.webhookDelivery), sources: p.sources, more: p.more }),
      (e) => live() && setError(e),
    );
    return () => void generation.current++;
  }, [shown, s?.workspace_id, filter, loads]);
  if (!shown) return null;
  const older = () => {
    if (!list) return;
    const g = generation.current;
    setError(null);
    go("WebhookDeliveries", filter, list.more).then(
      (p) => g === generation.current && setList({ rows: [...list.rows, ...p.deliveries.map(decode.webhookDelivery)], sources: { ...list.sources, ...p.sources }, more: p.more }),
      (e) => g === generation.current && setError(e),
    );
  };
  const redelivered = (d: WebhookDelivery) => {
    setList((was) => was && { ...was, rows: was.rows.map((r) => (r.id === d.id ? d : r)) });
    setNotice(`Sent again to ${d.url}: pending.`);
  };
  const now = Date.now();
  return (
    <div class="modal">
      <div class="modal-box admin" role="dialog" aria-modal="true" aria-labelledby="webhooks-title" tabIndex={-1} ref={box}>
        <div class="row">
          <h2 id="webhooks-title" class="grow">
            Webhook deliveries
          </h2>
          <button
            onClick={() => {
              setNotice("");
              setLoads((n) => n + 1);
            }}
          >
            Refresh
          </button>
          <button onClick={close}>Close</button>
        </div>
        <fieldset class="row hook-filter">
          <legend>Show</legend>
          {webhookFilters.map(([f, label]) => (
            <label key={f} class="check">
              <input
                type="radio"
                name="hook-filter"
                value={f}
                checked={filter === f}
                onChange={() => {
                  setNotice("");
                  setFilter(f);
                }}
              />
              {label}
            </label>
          ))}
        </fieldset>
        <div class="admin-panels">
          <p role="status" class={notice ? "" : "sr-only"}>
            {notice}
          </p>
          {error !== null && <HookProblem error={error} />}
          {!list && error === null && <p class="hint">Loading the deliveries…</p>}
          {list?.rows.length === 0 && <p class="hint">{empty[filter]}</p>}
          <ul class="hooks" aria-label="Webhook deliveries">
            {list?.rows.map((d) => (
              <DeliveryRow key={d.id} d={d} source={list.sources[d.sourceId]} now={now} onRedelivered={redelivered} />
            ))}
          </ul>
          {list?.more && <button onClick={older}>Show older</button>}
        </div>
      </div>
    </div>
  );
}

function DeliveryRow({ d, source, now, onRedelivered }: { d: WebhookDelivery; source?: WebhookSource; now: number; onRedelivered: (d: WebhookDelivery) => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const item = useRef<HTMLLIElement>(null);
  const dead = d.status === WebhookDeliveryStatus.DEAD;
  const redeliver = () => {
    setBusy(true);
    setError(null);
    go("RedeliverWebhook", d.id).then(
      (raw) => {
        setBusy(false);
        onRedelivered(decode.webhookDelivery(raw));
        // The button goes with the dead letter: keep focus on its row.
        item.current?.focus();
      },
      (e) => {
        setBusy(false);
        setError(e);
      },
    );
  };
  return (
    <li class={`hook ${statusClass(d.status)}`} ref={item} tabIndex={-1}>
      <div class="row">
        <span class="hook-status">{statusLabel(d.status)}</span>
        <span class="hook-url grow" id={`hook-url-${d.id}`}>
          {d.url}
        </span>
        {dead && (
          <button onClick={redeliver} disabled={busy} aria-describedby={`hook-url-${d.id}`}>
            {busy ? "Redelivering…" : "Redeliver"}
          </button>
        )}
      </div>
      <div class="hint">{sourceText(source)}</div>
      <div class={dead ? "hint error" : "hint"}>{resultText(d)}</div>
      <div class="hint">{whenText(d, now)}</div>
      {error !== null && <HookProblem error={error} />}
    </li>
  );
}

/** HookProblem shows an error where it happened; a refusal by role says who may. */
function HookProblem({ error }: { error: unknown }) {
  const forbidden = isAppError(error) && error.kind === "forbidden";
  return (
    <div class="error problem" role="alert">
      {forbidden && <strong>Not allowed. </strong>}
      {plain(error)}
      {forbidden && " Only the workspace's admins and owners see webhook deliveries and redeliver them."}
    </div>
  );
}
