// The presence chip's count: the server's number of open chats, refreshed
// when the stream says something that can change it.
import type { Conversation } from "../api";

/**
 * touchesMine reports whether an event can change the agent's open-chat
 * count or status: their presence or settings changed, or a conversation
 * they own (before or after the change) changed.
 */
export function touchesMine(type: string, data: Record<string, string>, before: Conversation | undefined, after: Conversation | undefined, me: string): boolean {
  if (!me) return false;
  if (type === "presence.changed" || type === "agent.settings_changed") return data["user_id"] === me;
  if (!after) return false;
  if (after.assigneeUserId === me) return before?.assigneeUserId !== me || before.state !== after.state;
  return before?.assigneeUserId === me;
}

/** debounce runs f once, wait ms after the last of a burst of calls. */
export function debounce<A extends unknown[]>(f: (...a: A) => void, wait: number): ((...a: A) => void) & { cancel(): void } {
  let t: ReturnType<typeof setTimeout> | null = null;
  const run = (...a: A) => {
    if (t) clearTimeout(t);
    t = setTimeout(() => {
      t = null;
      f(...a);
    }, wait);
  };
  run.cancel = () => {
    if (t) clearTimeout(t);
    t = null;
  };
  return run;
}
