import { ConversationState } from "../api";
import { byEmail, customerName } from "../logic/customer";
import { typingLine } from "../logic/typing";
import { directory, me, opened, typing } from "../state";
import { Composer } from "./Composer";
import { Controls } from "./Controls";
import { History } from "./History";
import { ReplyTo } from "./Mail";
import { back, profileShown } from "./Phone";
import { Profile } from "./Profile";
import { Sla } from "./Sla";

const states: Record<number, string> = {
  [ConversationState.BOT]: "The AI agent is handling it",
  [ConversationState.PENDING]: "Waiting in the queue",
  [ConversationState.ACTIVE]: "Active",
  [ConversationState.SNOOZED]: "Snoozed",
  [ConversationState.CLOSED]: "Closed",
  [ConversationState.SPAM]: "Held as spam: nobody is notified and the AI agent does not answer until it is released (the customer is not told)",
};

export function ConversationView() {
  const o = opened.value;
  if (!o) {
    return (
      <section class="conversation empty-state">
        <p>Choose a conversation. Press ? for shortcuts.</p>
      </section>
    );
  }
  const c = o.conversation;
  const names = directory.value.names;
  const owner = c.assigneeUserId === me.value ? "you" : names.get(c.assigneeUserId) ?? "";
  const tags = directory.value.tags.filter((t) => c.tagIds.includes(t.id));
  const group = names.get(c.groupId);
  const who = typingLine(typing.value, c.id, Date.now());
  return (
    <>
      <section class="conversation" aria-label="Conversation">
        <header>
          <h2>
            <button class="back" onClick={back} aria-label="Back to the inbox">
              ←
            </button>
            {customerName(o.contact ?? c.contact)}
            <button class="narrow-only customer" onClick={() => (profileShown.value = true)}>
              Customer
            </button>
          </h2>
          {byEmail(c) && (
            <p class="subject">
              <span class="channel">Email</span> {c.subject || "(no subject)"}
            </p>
          )}
          {byEmail(c) && o.thread && <ReplyTo key={c.id} conversationId={c.id} thread={o.thread} />}
          <p class="hint">
            {states[c.state]}
            {owner && ` · owned by ${owner}`}
            {group && ` · ${group}`}
            {c.participantUserIds.length > 0 && ` · with ${c.participantUserIds.map((u) => (u === me.value ? "you" : names.get(u) ?? "a teammate")).join(", ")}`}
          </p>
          {c.state !== ConversationState.CLOSED && c.state !== ConversationState.SPAM && (
            <p>
              <Sla c={c} now={Date.now()} long />
            </p>
          )}
          {tags.length > 0 && (
            <p class="tags">
              {tags.map((t) => (
                <span key={t.id} class="tag">
                  {t.name}
                </span>
              ))}
            </p>
          )}
          <Controls key={c.id} c={c} />
        </header>
        <History />
        <p class="typing" aria-live="polite">
          {who}
        </p>
        <Composer />
      </section>
      <Profile />
    </>
  );
}
