import { ConversationState } from "../api";
import { ago } from "../logic/format";
import { opened, select } from "../state";
import { Text } from "./Text";

export function Profile() {
  const o = opened.value!;
  const c = o.contact ?? o.conversation.contact;
  if (!c) return null;
  const verified = Object.entries(c.verifiedAttributes);
  const unverified = Object.entries(c.unverifiedAttributes);
  const now = Date.now();
  return (
    <aside class="profile" aria-label="Customer">
      <h2>{c.name || c.email || "Customer"}</h2>
      {c.email && <p>{c.email}</p>}
      {c.identityVerified && <p class="verified">Identity verified by the store</p>}
      {c.externalId && <p class="hint">Store id {c.externalId}</p>}
      {o.conversation.pageUrl && (
        <p class="hint">
          On <Text text={o.conversation.pageUrl} />
        </p>
      )}
      {(verified.length > 0 || unverified.length > 0) && (
        <dl>
          {verified.map(([k, v]) => (
            <div key={`v-${k}`}>
              <dt>{k} ✓</dt>
              <dd>{v}</dd>
            </div>
          ))}
          {unverified.map(([k, v]) => (
            <div key={`u-${k}`} title="Sent by the browser, not verified">
              <dt>{k}</dt>
              <dd>{v}</dd>
            </div>
          ))}
        </dl>
      )}
      <h3>Conversations</h3>
      <ul class="past">
        {o.past.map((p) => (
          <li key={p.id}>
            <button class={p.id === o.conversation.id ? "current" : ""} onClick={() => void select(p.id)}>
              <span>{p.lastMessagePreview || "(no messages)"}</span>
              <span class="hint">
                {p.state === ConversationState.CLOSED ? "closed" : "open"} · {ago(Number(p.lastActivityTimeMs), now)}
              </span>
            </button>
          </li>
        ))}
      </ul>
    </aside>
  );
}
