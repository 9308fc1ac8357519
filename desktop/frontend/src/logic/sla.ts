// SLA time left, and how urgent it looks: the server stores each
// conversation's deadlines (Conversation.sla, absolute UTC milliseconds);
// the inbox row and the conversation header show the nearest one still
// running.
import type { ConversationSla } from "../api";

export type SlaTone = "ok" | "soon" | "breached";

export interface SlaState {
  tone: SlaTone;
  /** "12m left", "3m over". */
  label: string;
}

/** slaState says how much time is left before deadlineMs, as of nowMs; under warnMs left it turns "soon". */
export function slaState(deadlineMs: number, nowMs: number, warnMs = 5 * 60_000): SlaState {
  const left = deadlineMs - nowMs;
  if (left <= 0) return { tone: "breached", label: `${span(-left)} over` };
  return { tone: left <= warnMs ? "soon" : "ok", label: `${span(left)} left` };
}

function span(ms: number): string {
  const m = Math.floor(ms / 60_000);
  if (m < 1) return `${Math.max(1, Math.floor(ms / 1000))}s`;
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  return h < 48 ? `${h}h ${String(m % 60).padStart(2, "0")}m` : `${Math.floor(h / 24)}d`;
}

/** Due is the nearest running SLA target of a conversation. */
export interface Due {
  target: "first response" | "next response" | "resolution";
  atMs: number;
}

/** nextDue picks the earliest deadline whose target is still open (not met or missed). */
export function nextDue(sla: ConversationSla | undefined): Due | null {
  if (!sla) return null;
  const running: Due[] = [];
  if (sla.firstResponseDueMs > 0n && sla.firstResponse === "") running.push({ target: "first response", atMs: Number(sla.firstResponseDueMs) });
  if (sla.nextResponseDueMs > 0n && sla.nextResponse === "") running.push({ target: "next response", atMs: Number(sla.nextResponseDueMs) });
  if (sla.resolutionDueMs > 0n && sla.resolution === "") running.push({ target: "resolution", atMs: Number(sla.resolutionDueMs) });
  running.sort((a, b) => a.atMs - b.atMs);
  return running[0] ?? null;
}
