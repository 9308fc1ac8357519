// Presence, notification preferences, the overview strip and links
// (app/bind_presence.go).
import { NotificationType, type NotificationPreference } from "@api/notification_pb.js";
import { AgentStatusSchema, PresenceStatus } from "@api/presence_pb.js";
import { GetOverviewResponseSchema } from "@api/stats_pb.js";
import type { Bound } from "../../bridge";
import type { Core } from "../core";
import { appError } from "../errors";
import { kindOf, typeOf } from "../notifications";
import { wire, wires } from "../wire";

type Methods = "Agents" | "SetStatus" | "SetCapacity" | "NotificationPrefs" | "SetNotificationPref" | "PushState" | "SetPush" | "Overview" | "OpenLink";

const statuses: Record<string, PresenceStatus> = { online: PresenceStatus.ONLINE, away: PresenceStatus.AWAY, offline: PresenceStatus.OFFLINE };

/** prefsMap names each preference by its kind ("handoff", "mention"...). */
export function prefsMap(ps: NotificationPreference[]): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  for (const p of ps) out[kindOf(p.type)] = p.enabled;
  return out;
}

/** webLink returns an http(s) link as the browser should open it, or null for anything else (javascript:, file:, data:...). */
export function webLink(link: string): string | null {
  let u: URL;
  try {
    u = new URL(link);
  } catch {
    return null;
  }
  return (u.protocol === "http:" || u.protocol === "https:") && u.host !== "" ? u.href : null;
}

export function presenceBinds(c: Core): Pick<Bound, Methods> {
  return {
    /** Agents lists the workspace's members with status, capacity and open chats. */
    async Agents() {
      const { sess, ws } = c.current();
      const res = await sess.net.clients.presence.listAgents({ workspaceId: ws.id });
      return wires(AgentStatusSchema, res.agents);
    },

    /** SetStatus sets the agent's presence: "online", "away" or "offline". */
    async SetStatus(status) {
      const st = Object.hasOwn(statuses, status) ? statuses[status] : undefined;
      if (st === undefined) throw appError("invalid", "Choose online, away or offline.");
      const { sess, ws } = c.current();
      const res = await sess.net.clients.presence.setPresence({ workspaceId: ws.id, status: st });
      return wire(AgentStatusSchema, res.agent);
    },

    /** SetCapacity sets how many chats the agent takes at once (1 to 50), keeping their skills. */
    async SetCapacity(maxChats) {
      if (!(maxChats >= 1 && maxChats <= 50)) throw appError("invalid", "Capacity must be between 1 and 50 chats.");
      const { sess, ws } = c.current();
      const list = await sess.net.clients.presence.listAgents({ workspaceId: ws.id });
      const skills = list.agents.find((a) => a.userId === sess.id.user_id)?.skills ?? [];
      const res = await sess.net.clients.presence.setAgentSettings({ workspaceId: ws.id, maxChats: Math.trunc(maxChats), skills });
      return wire(AgentStatusSchema, res.agent);
    },

    /** PushState says whether this device gets push notifications while the app is closed. */
    async PushState() {
      return c.push.state();
    },

    /** SetPush switches push notifications on this device, in every workspace of the account (on asks the browser's permission). */
    async SetPush(on) {
      const { sess } = c.current();
      return on ? c.push.enable(sess.net.clients, sess.memberships) : c.push.disable(sess.net.clients, sess.memberships);
    },

    /** NotificationPrefs says which kinds of notification are on in this workspace. */
    async NotificationPrefs() {
      const { sess, ws } = c.current();
      const res = await sess.net.clients.notifications.getNotificationPreferences({ workspaceId: ws.id });
      return prefsMap(res.preferences);
    },

    /** SetNotificationPref switches a kind of notification on or off. */
    async SetNotificationPref(kind, on) {
      const type = typeOf(kind);
      if (type === NotificationType.UNSPECIFIED) throw appError("invalid", "Unknown kind of notification.");
      const { sess, ws } = c.current();
      const res = await sess.net.clients.notifications.updateNotificationPreferences({ workspaceId: ws.id, preferences: [{ type, enabled: on }] });
      return prefsMap(res.preferences);
    },

    /** Overview returns the workspace's overview strip. */
    async Overview() {
      const { sess, ws } = c.current();
      return wire(GetOverviewResponseSchema, await sess.net.clients.stats.getOverview({ workspaceId: ws.id }));
    },

    /** OpenLink opens an http(s) link in a new tab, without giving it this page. */
    async OpenLink(url) {
      const href = webLink(url);
      if (!href) throw appError("invalid", "Only web links (http or https) can be opened.");
      window.open(href, "_blank", "noopener,noreferrer");
    },
  };
}
