// The overview strip: the server's overview (StatsService: average first
// response, active and waiting conversations, CSAT, resolved today, agents
// online) next to what only the live inbox knows (yours, longest wait).
import { ConversationState, type Conversation } from "../api";
import { waitingSince } from "./views";

export interface Overview {
  /** Conversations a person owns now. */
  active: number;
  /** Conversations waiting in the queue. */
  waiting: number;
  /** Open conversations the reader owns or joined. */
  mine: number;
  /** How long the longest-waiting queued customer has waited, in ms (0 when none). */
  longestWaitMs: number;
}

export function overview(all: Iterable<Conversation>, me: string, now: number): Overview {
  const o: Overview = { active: 0, waiting: 0, mine: 0, longestWaitMs: 0 };
  for (const c of all) {
    if (c.state === ConversationState.ACTIVE) o.active++;
    if (c.state === ConversationState.PENDING && c.assigneeUserId === "") {
      o.waiting++;
      o.longestWaitMs = Math.max(o.longestWaitMs, now - waitingSince(c));
    }
    if (c.state !== ConversationState.CLOSED && (c.assigneeUserId === me || c.participantUserIds.includes(me))) o.mine++;
  }
  return o;
}
