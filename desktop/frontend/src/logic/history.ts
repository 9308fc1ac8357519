// The conversation history as the agent reads it: messages, notes and
// activity, in the order of the event log, each said in plain words.
import { AuthorKind, MessageKind, type Message } from "../api";

/** intentLabels name the AI agent's escalation intents, from a handoff's detail ("intent: refund"). */
const intentLabels: Record<string, string> = {
  human: "asked for a person",
  refund: "refund",
  chargeback: "chargeback",
  fraud: "fraud",
  legal: "legal threat",
  cancellation: "cancellation",
  anger: "anger",
  model: "the AI model judged a person must handle it",
};

/** merge adds items (from a page or the stream) to a history, once each, in log order. */
export function merge(history: Message[], items: Message[]): Message[] {
  const byId = new Map(history.map((m) => [m.id, m]));
  for (const m of items) byId.set(m.id, m);
  return [...byId.values()].sort((a, b) => Number(a.seq - b.seq) || a.id.localeCompare(b.id));
}

export type Kind = "customer" | "agent" | "bot" | "note" | "whisper" | "activity";

/** kindOf says how an item is drawn. */
export function kindOf(m: Message): Kind {
  if (m.kind === MessageKind.ACTIVITY) return "activity";
  if (m.kind === MessageKind.NOTE) return m.activityData["whisper_to"] ? "whisper" : "note";
  switch (m.authorKind) {
    case AuthorKind.CUSTOMER:
      return "customer";
    case AuthorKind.BOT:
      return "bot";
    default:
      return "agent";
  }
}

/**
 * noteLabel is the badge of a note: "Internal note", or for a whisper whom
 * it is addressed to ("Whisper to Ada", "Whisper to you"). Only its author,
 * its addressee and supervisors ever receive a whisper.
 */
export function noteLabel(m: Message, names: Map<string, string>, me: string): string {
  const to = m.activityData["whisper_to"];
  if (!to) return "Internal note";
  if (to === me) return "Whisper to you";
  return `Whisper to ${names.get(to) ?? "the owner"}`;
}

const states: Record<string, string> = {
  bot: "the AI agent",
  pending: "the queue",
  active: "active",
  snoozed: "snoozed",
  closed: "closed",
};

/** activityText says what an activity record records. names maps user and group ids to names. */
export function activityText(m: Message, names: Map<string, string>): string {
  const d = m.activityData;
  const who = m.authorName || "Someone";
  const name = (id: string | undefined, fallback: string) => (id && names.get(id)) || fallback;
  switch (m.activity) {
    case "agent_joined":
      switch (d["how"]) {
        case "claim":
          return `${who} claimed the conversation`;
        case "takeover":
          return `${who} took over${d["from"] === "bot" ? " from the AI agent" : ""}`;
        case "transfer":
          return `${who} transferred it to ${d["assignee_name"] || "a teammate"}`;
        case "assign":
          return `${who} assigned it to ${d["assignee_name"] || "a teammate"}`;
        case "auto":
          return `Assigned to ${d["assignee_name"] || "an agent"} automatically`;
        case "join":
          return `${who} joined`;
      }
      return `${d["assignee_name"] || who} joined`;
    case "agent_left":
      return `${who} left`;
    case "state_changed": {
      const to = d["to"] ?? "";
      if (to === "closed") return `${who} closed the conversation`;
      if (to === "snoozed") return `${who} snoozed the conversation`;
      if (d["reason"] === "snooze_ended") return "The snooze ended";
      if (d["from"] === "closed") return `Reopened into ${states[to] ?? to}`;
      if (d["from"] === "bot" && to === "pending") return "The AI agent handed the conversation to the team";
      return `Moved to ${states[to] ?? to}`;
    }
    case "handoff": {
      if (d["reason"] === "escalation_intent") {
        const intent = (d["detail"] ?? "").replace(/^intent: /, "");
        return `The AI agent handed the conversation to the team: Escalation: ${intentLabels[intent] ?? intent}`;
      }
      if (d["reason"] === "ai_budget") {
        // The detail says which budget (the workspace's day, or the conversation's).
        return `The AI agent handed the conversation to the team without asking the model: ${d["detail"] || "its AI token budget is spent"}`;
      }
      const why = d["detail"] ?? (d["reason"] ?? "").replaceAll("_", " ");
      return `The AI agent handed the conversation to the team${why ? `: ${why}` : ""}`;
    }
    case "unassigned":
      return `${who} put it back in the queue`;
    case "transferred":
      return `${who} transferred it to ${name(d["group_id"], "the queue")}`;
    case "priority_changed":
      return `${who} set the priority to ${d["to"] ?? "none"}`;
    case "tagged":
      return `${who} tagged it ${d["tag_name"] ?? name(d["tag_id"], "")}`.trim();
    case "untagged":
      return `${who} removed the tag ${d["tag_name"] ?? name(d["tag_id"], "")}`.trim();
  }
  return `${who}: ${m.activity.replaceAll("_", " ")}`;
}
