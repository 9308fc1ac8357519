// What the panel's chrome shows, from the config and the conversation: the
// helper in the header, the pre-chat fields, the buttons, the offline note,
// the composer, and the launcher's label. Decisions only; ui/ draws them.

import { ConversationState } from "@api/conversation_pb.js";
import type { GetWidgetConfigResponse, WidgetConversation, WidgetCustomAction } from "@api/widget_pb.js";
import type { Identity } from "../../protocol";
import { strings } from "./strings";

/** Who is helping now. kind is "" when nobody is named. */
export interface Helper {
  text: string;
  avatar: string;
  kind: "" | "agent" | "team" | "bot";
}

/** helperOf names who is helping: the agent, the team (while queued) or the AI assistant. */
export function helperOf(c: GetWidgetConfigResponse | null, conv: WidgetConversation | null): Helper {
  if (conv?.agentName) return { text: `${conv.agentName} · ${strings.helperAgent}`, avatar: initials(conv.agentName), kind: "agent" };
  if (conv && conv.state !== ConversationState.BOT && conv.state !== ConversationState.CLOSED) return { text: strings.waitingForTeam, avatar: "", kind: "team" };
  if (c?.botEnabled && c.botName && (!conv || conv.state === ConversationState.BOT)) {
    return { text: strings.helperBot(c.botName), avatar: initials(c.botName), kind: "bot" };
  }
  return { text: "", avatar: "", kind: "" };
}

/** A button under the list: a custom action, or "Talk to a person". */
export type Button = { kind: "action"; action: WidgetCustomAction } | { kind: "talk" };

/** Chrome is what the panel shows around the list. */
export interface Chrome {
  closed: boolean;
  endButton: boolean;
  askName: boolean;
  askEmail: boolean;
  askGroup: boolean;
  prechat: boolean;
  buttons: Button[];
  /** offline is the note to show when nobody can answer now, else "". */
  offline: string;
  composer: boolean;
  /** transcript offers to email a copy of the chat (the workspace sends email). */
  transcript: boolean;
}

/** What chromeOf looks at. */
export interface ChromeInput {
  config: GetWidgetConfigResponse | null;
  conv: WidgetConversation | null;
  identity: Identity | null;
  /** savedName is the name the visitor gave earlier in this browser. */
  savedName: string;
  actions: WidgetCustomAction[];
}

/** chromeOf decides the parts that depend on the conversation's state. */
export function chromeOf({ config: c, conv, identity, savedName, actions }: ChromeInput): Chrome {
  const state = conv?.state;
  const closed = state === ConversationState.CLOSED;
  // Pre-chat fields before the first message only.
  const askName = !!c?.settings?.askName && !identity?.name && !savedName;
  const askEmail = !!c?.settings?.askEmail && !identity?.email;
  const askGroup = !!c?.settings?.chooseGroup && (c?.groups.length ?? 0) > 0;
  // Buttons: the workspace's custom actions, or "Talk to a person" while
  // the AI agent has the chat; once with the team, none that hand off.
  const buttons: Button[] = [];
  const withAI = !conv || state === ConversationState.BOT;
  if (c && !closed) {
    if (actions.length > 0) {
      for (const a of actions) if (!a.handsOff || withAI) buttons.push({ kind: "action", action: a });
    } else if (c.botEnabled && withAI) {
      buttons.push({ kind: "talk" });
    }
  }
  return {
    closed,
    endButton: !!conv && !closed,
    askName,
    askEmail,
    askGroup,
    prechat: !conv && !!c && (askName || askEmail || askGroup),
    buttons,
    offline: c && !c.agentsOnline && !c.botEnabled && !conv ? c.offlineMessage || strings.offlineDefault : "",
    // Composer off once closed; rating prompt instead.
    composer: !closed,
    transcript: !!conv && !!c?.emailTranscripts,
  };
}

/** launcherLabel is the launcher's accessible name. */
export function launcherLabel(open: boolean, unread: number): string {
  if (unread > 0) return `${strings.launcherOpen}, ${strings.unread(unread)}`;
  return open ? strings.launcherClose : strings.launcherOpen;
}

/** badgeText is the unread count as the badge shows it. */
export function badgeText(unread: number): string {
  return unread > 9 ? "9+" : String(unread);
}

/** initials returns up to two initials of a display name. */
export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  if (parts.length === 0) return "?";
  const first = [...parts[0]][0] ?? "";
  const last = parts.length > 1 ? ([...parts[parts.length - 1]][0] ?? "") : "";
  return (first + last).toUpperCase();
}

/** accentColor is the workspace's accent colour when it is a plain #rrggbb, else "". */
export function accentColor(c: GetWidgetConfigResponse): string {
  const accent = c.settings?.accentColor ?? "";
  return /^#[0-9a-fA-F]{6}$/.test(accent) ? accent : "";
}
