// Notification types in plain words, for the member's settings. The server
// names each type as its NotificationType, lowercased ("sla_breach"); every
// type it has gets a label here (a test checks).

/** The labels of the notification types, by the server's names. */
export const notificationLabels: Readonly<Record<string, string>> = {
  new_conversation: "New conversations in my groups",
  handoff: "Handoffs from the AI agent",
  assigned: "Conversations assigned to me",
  mention: "Mentions in notes",
  whisper: "Whispers to me from supervisors",
  new_message: "Customer messages in my conversations",
  sla_warning: "SLA deadlines coming up",
  sla_breach: "SLA deadlines missed",
  csat: "Customer ratings",
  needs_attention: "Conversations nobody picked up in time (supervisors)",
};

/** notificationLabel is a notification type's label (its name in words when it has none yet). */
export function notificationLabel(kind: string): string {
  return notificationLabels[kind] ?? kind.replaceAll("_", " ");
}
