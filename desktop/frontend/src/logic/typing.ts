// Typing indicators: ephemeral events, shown for a few seconds unless
// renewed, cleared when the person stops or sends.

/** How long a typing event lasts without renewal. */
export const typingTTL = 6000;

/** Typing maps conversation id to who is typing there and until when. */
export type Typing = Map<string, Map<string, { name: string; until: number }>>;

/** applyTyping folds a typing event in. */
export function applyTyping(t: Typing, conversationId: string, actorId: string, name: string, typing: boolean, now: number): Typing {
  const next = new Map(t);
  const here = new Map(next.get(conversationId) ?? []);
  if (typing) here.set(actorId, { name: name || "Someone", until: now + typingTTL });
  else here.delete(actorId);
  if (here.size === 0) next.delete(conversationId);
  else next.set(conversationId, here);
  return next;
}

/** typingLine says who is typing in a conversation now, or "". */
export function typingLine(t: Typing, conversationId: string, now: number): string {
  const names = [...(t.get(conversationId)?.values() ?? [])].filter((x) => x.until > now).map((x) => x.name);
  if (names.length === 0) return "";
  if (names.length === 1) return `${names[0]} is typing…`;
  return `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]} are typing…`;
}
