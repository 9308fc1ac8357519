import { ConversationState } from "../api";
import { customerName, localTime, outcomeLabel, pageLabel } from "../logic/customer";
import { ago } from "../logic/format";
import { opened, select } from "../state";
import { back } from "./Phone";
import { Text } from "./Text";

export function Profile() {
  const o = opened.value!;
  const c = o.contact ?? o.conversation.contact;
  if (!c) return null;
  const verified = Object.entries(c.verifiedAttributes);
  const unverified = Object.entries(c.unverifiedAttributes);
  const now = Date.now();
  const since = (t: bigint) => {
    const a = ago(Number(t), now);
    return a === "now" ? "just now" : `${a} ago`;
  };
  const local = localTime(c.timeZone, new Date(now));
  const device = [c.browser, c.os, c.device].filter(Boolean).join(" · ");
  return (
    <aside class="profile" aria-label="Customer">
      <h2>
        <button class="back" onClick={back} aria-label="Back to the conversation">
          ←
        </button>
        {customerName(c)}
      </h2>
      {!c.name && !c.email && <p class="hint">Anonymous visitor (name generated)</p>}
      {c.email && <p>{c.email}</p>}
      {c.identityVerified && <p class="verified">Identity verified by the store</p>}
      {c.externalId && <p class="hint">Store id {c.externalId}</p>}
      <dl class="facts">
        {local && (
          <div>
            <dt>Local time</dt>
            <dd>{local}</dd>
          </div>
        )}
        {device && (
          <div title={c.userAgent}>
            <dt>Browser and device</dt>
            <dd>{device}</dd>
          </div>
        )}
        {c.firstSeenTimeMs > 0n && (
          <div>
            <dt>First seen</dt>
            <dd>
              {since(c.firstSeenTimeMs)} · {new Date(Number(c.firstSeenTimeMs)).toLocaleDateString()}
            </dd>
          </div>
        )}
      </dl>
      {o.conversation.pageUrl && (
        <p class="hint">
          On <Text text={o.conversation.pageUrl} />
        </p>
      )}
      {c.pagesVisited.length > 0 && (
        <>
          <h3>Pages visited</h3>
          <ul class="pages">
            {c.pagesVisited.map((p) => (
              <li key={p.url} title={p.url}>
                {pageLabel(p.url)} <span class="hint">{since(p.timeMs)}</span>
              </li>
            ))}
          </ul>
        </>
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
              <span>{p.lastCustomerMessagePreview || p.lastMessagePreview || "(no messages)"}</span>
              <span class="hint">
                {outcomeLabel(p.outcome) || (p.state === ConversationState.CLOSED ? "closed" : "open")} · {ago(Number(p.lastActivityTimeMs), now)}
              </span>
            </button>
          </li>
        ))}
      </ul>
    </aside>
  );
}
