// Webhook deliveries in words, as the admin's screen shows them (the API:
// AutomationService.ListWebhookDeliveries in proto/tandem/v1/automation.proto).
import { ms, WebhookDeliveryStatus, type WebhookDelivery } from "../api";
import type { WebhookFilter, WebhookSource } from "../bridge";
import { clock, duration } from "./format";
import { count } from "./knowledge";

/** The filters the screen offers, in order. */
export const webhookFilters: readonly (readonly [WebhookFilter, string])[] = [
  ["", "All"],
  ["dead", "Dead letters"],
  ["pending", "Pending"],
  ["delivered", "Delivered"],
];

/** statusLabel names where a delivery stands. */
export function statusLabel(s: WebhookDeliveryStatus): string {
  switch (s) {
    case WebhookDeliveryStatus.PENDING:
      return "Pending";
    case WebhookDeliveryStatus.DELIVERED:
      return "Delivered";
    case WebhookDeliveryStatus.DEAD:
      return "Dead letter";
  }
  return "Unknown";
}

/** statusClass is the delivery's status as a CSS class. */
export function statusClass(s: WebhookDeliveryStatus): string {
  return s === WebhookDeliveryStatus.DEAD ? "dead" : s === WebhookDeliveryStatus.DELIVERED ? "delivered" : "pending";
}

// What each rule trigger reacts to, by its protobuf name (app.WebhookSource).
const triggers: Record<string, string> = {
  RULE_TRIGGER_CONVERSATION_CREATED: "new conversation",
  RULE_TRIGGER_CUSTOMER_MESSAGE: "customer message",
  RULE_TRIGGER_AGENT_MESSAGE: "agent message",
  RULE_TRIGGER_STATE_CHANGED: "status changed",
  RULE_TRIGGER_TAG_ADDED: "tag added",
  RULE_TRIGGER_HANDOFF: "handed to the team",
  RULE_TRIGGER_NO_AGENT_REPLY: "no agent reply",
  RULE_TRIGGER_NO_CUSTOMER_REPLY: "no customer reply",
  RULE_TRIGGER_PENDING_FOR: "waiting in the queue",
  RULE_TRIGGER_SLA_WARNING: "SLA warning",
  RULE_TRIGGER_SLA_BREACH: "SLA breach",
};

/** sourceText says what made the call and on which event: a rule and its trigger, or a button pressed. */
export function sourceText(src: WebhookSource | undefined): string {
  if (!src) return "A rule or button deleted since";
  if (src.kind === "button") return `Button “${src.name}” pressed`;
  const on = src.trigger ? triggers[src.trigger] : undefined;
  return on ? `Rule “${src.name}” on ${on}` : `Rule “${src.name}”`;
}

/** resultText says how the last attempt went: the receiver's HTTP status, or why it was not reached. */
export function resultText(d: WebhookDelivery): string {
  if (d.attempts === 0) return "Not tried yet";
  const tries = count(d.attempts, "attempt");
  const code = d.lastStatusCode ? `HTTP ${d.lastStatusCode}` : "";
  if (!d.lastError) return code ? `${tries}, last: ${code}` : tries;
  // The server words a refused answer with its status ("the receiver answered 500").
  const status = code && !d.lastError.includes(String(d.lastStatusCode)) ? ` (${code})` : "";
  return `${tries}, last: ${d.lastError}${status}`;
}

/** whenText says when the call was made and, for a pending one, when it is tried next. */
export function whenText(d: WebhookDelivery, now: number): string {
  const made = `Queued ${clock(ms(d.createTimeMs), now)}`;
  switch (d.status) {
    case WebhookDeliveryStatus.DELIVERED:
      return d.deliveredTimeMs ? `${made}, delivered ${clock(ms(d.deliveredTimeMs), now)}` : made;
    case WebhookDeliveryStatus.PENDING: {
      const wait = ms(d.nextAttemptTimeMs) - now;
      return `${made}, next attempt ${wait > 1000 ? `in ${duration(wait)}` : "now"}`;
    }
  }
  return made;
}
