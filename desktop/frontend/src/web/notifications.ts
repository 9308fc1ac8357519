// The server's notifications shown by the browser (desktop/internal/notify).
// The server decides who hears of what, under each member's preferences;
// each arrives as a notification.created event on the member's own Watch
// stream. The page shows it while it is hidden (otherwise the agent sees
// the inbox change), if the person allowed notifications: asking is the
// views' job, from a click. Clicking one brings the page back and opens
// the conversation.
import type { Event } from "@api/conversation_pb.js";
import { NotificationType, NotificationTypeSchema } from "@api/notification_pb.js";

/** The stream event that carries a notification. */
export const notificationEvent = "notification.created";

/** Note is one notification to show. */
export interface Note {
  /** The server's id: clicking marks it read. */
  id: string;
  kind: string;
  conversationId: string;
  title: string;
  body: string;
}

const oneLine = (s: string) => s.split(/\s+/u).filter(Boolean).join(" ");

/** clip makes a body fit a notification: one line, at most 160 characters. */
export function clip(s: string): string {
  const r = [...oneLine(s)];
  return r.length <= 160 ? r.join("") : r.slice(0, 159).join("") + "…";
}

/** noteOf returns the notification an event carries, if it carries one. */
export function noteOf(ev: Event): Note | null {
  if (ev.type !== notificationEvent) return null;
  const d = ev.data;
  const n: Note = {
    id: d["notification_id"] ?? "",
    kind: d["type"] ?? "",
    conversationId: d["conversation_id"] ?? "",
    title: oneLine(d["title"] ?? ""),
    body: clip(d["body"] ?? ""),
  };
  return n.id && n.title ? n : null;
}

/** kindOf names a NotificationType as the server's events do ("sla_breach"). */
export function kindOf(t: NotificationType): string {
  const name = NotificationTypeSchema.value[t]?.name ?? String(t);
  return name.replace(/^NOTIFICATION_TYPE_/, "").toLowerCase();
}

/** typeOf is the inverse of kindOf (UNSPECIFIED for an unknown kind). */
export function typeOf(kind: string): NotificationType {
  const v = NotificationTypeSchema.values.find((x) => x.name === "NOTIFICATION_TYPE_" + kind.toUpperCase());
  return v ? (v.number as NotificationType) : NotificationType.UNSPECIFIED;
}

/** What showing a notification needs from the page. */
export interface Page {
  hidden(): boolean;
  permitted(): boolean;
  show(n: Note, onClick: () => void): void;
}

/** browserPage shows notifications with the Notification API. */
export const browserPage: Page = {
  hidden: () => typeof document !== "undefined" && document.visibilityState === "hidden",
  permitted: () => typeof Notification !== "undefined" && Notification.permission === "granted",
  show(n, onClick) {
    // One per conversation: a newer one replaces the last (tag).
    const shown = new Notification(n.title, { body: n.body, tag: n.conversationId ? `tandem-${n.conversationId}` : `tandem-${n.id}` });
    shown.onclick = () => {
      window.focus();
      shown.close();
      onClick();
    };
  },
};

/** notify shows an event's notification when the page is hidden and allowed to; it reports whether it did. */
export function notify(ev: Event, page: Page, onClick: (n: Note) => void): boolean {
  const n = noteOf(ev);
  if (!n || !page.hidden() || !page.permitted()) return false;
  try {
    page.show(n, () => onClick(n));
  } catch {
    return false; // a browser that refuses page notifications (Android Chrome wants a service worker)
  }
  return true;
}
