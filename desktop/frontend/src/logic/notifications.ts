// Notification types as the agent reads them in Settings ("Notify me of").

const labels: Record<string, string> = {
  new_conversation: "New conversations in my groups",
  handoff: "Handoffs from the AI agent",
  assigned: "Conversations assigned to me",
  mention: "Mentions in notes",
  whisper: "Whispers to me from supervisors",
  new_message: "Customer messages in my conversations",
  sla_warning: "SLA deadlines coming up",
  sla_breach: "SLA deadlines missed",
  csat: "Customer ratings",
};

/** notificationLabel names a notification type (the server's name, such as "sla_warning"). */
export function notificationLabel(type: string): string {
  return labels[type] ?? type.replaceAll("_", " ");
}
