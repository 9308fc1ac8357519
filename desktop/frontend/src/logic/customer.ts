// How the inbox names and previews a customer. The server generates a
// stable name for anonymous visitors (Contact.display_name, "Teal Otter"),
// so every client shows the same one; these only choose what to show.
import type { Contact, Conversation, EmailDelivery, EmailMessage } from "../api";
import { Channel, ConversationOutcome, ConversationState } from "../api";

/** customerName is the contact's name as the server says to show it. */
export function customerName(c: Contact | undefined | null): string {
  if (!c) return "Customer";
  return c.displayName || c.name || c.email || "Customer";
}

/** preview is what a row shows: the customer's own last words, else the latest message. */
export function preview(c: Conversation): string {
  return c.lastCustomerMessagePreview || c.lastMessagePreview;
}

/** byEmail reports whether the conversation came by email: replies to it are mailed. */
export function byEmail(c: Conversation): boolean {
  return c.channel === Channel.EMAIL;
}

/** replyHint is the composer's placeholder for a reply: where it goes. */
export function replyHint(c: Conversation, contact: Contact | null | undefined): string {
  if (c.state === ConversationState.SPAM) return "Held as spam: choose Not spam to reply (internal notes work).";
  if (!byEmail(c)) return "Reply to the customer. Type / for canned responses.";
  const to = contact?.email || c.contact?.email;
  return `Reply by email${to ? ` to ${to}` : ""}. Type / for canned responses.`;
}

/** pageLabel shortens a page URL to host and path ("shop.example/cart"). */
export function pageLabel(url: string): string {
  try {
    const u = new URL(url);
    const path = u.pathname === "/" ? "" : u.pathname;
    return u.host + path;
  } catch {
    return url;
  }
}

const outcomes: Record<number, string> = {
  [ConversationOutcome.OPEN]: "open",
  [ConversationOutcome.RESOLVED_BY_AI]: "resolved by AI",
  [ConversationOutcome.RESOLVED_BY_AGENT]: "resolved by an agent",
  [ConversationOutcome.ABANDONED]: "abandoned",
};

/** outcomeLabel says how a past conversation ended. */
export function outcomeLabel(o: ConversationOutcome): string {
  return outcomes[o] ?? "";
}

/** localTime is the time now in the visitor's IANA zone ("14:05 (Europe/Berlin)"), or "" when unknown. */
export function localTime(timeZone: string, now: Date): string {
  if (!timeZone) return "";
  try {
    const t = new Intl.DateTimeFormat("en-GB", { timeZone, hour: "2-digit", minute: "2-digit", weekday: "short" }).format(now);
    return `${t} (${timeZone})`;
  } catch {
    return "";
  }
}

/** SenderLine is how the view marks who sent a mail. */
export interface SenderLine {
  label: string;
  tone: "verified" | "unverified";
  /** How it was verified, or why not. */
  detail: string;
}

/** senderLine says whether a mail's sender is who the From address claims. */
export function senderLine(m: EmailMessage): SenderLine {
  return m.senderVerified
    ? { label: "Verified sender", tone: "verified", detail: m.senderCheck }
    : { label: "Unverified sender", tone: "unverified", detail: m.senderCheck ? `${m.senderCheck}: anyone may have sent this` : "anyone may have sent this" };
}

/** addressList splits what an agent typed as addresses (commas, semicolons or spaces between them). */
export function addressList(typed: string): string[] {
  return typed
    .split(/[\s,;]+/)
    .map((a) => a.trim())
    .filter((a) => a !== "");
}

/** deliveryLine says whether a reply on an email conversation was mailed, and why not. */
export function deliveryLine(d: EmailDelivery): { text: string; tone: "sent" | "pending" | "failed" } {
  switch (d.status) {
    case "sent":
      return { text: "✓ Emailed", tone: "sent" };
    case "failed":
      return { text: `✗ Could not be emailed: ${d.lastError || "the server refused it"}`, tone: "failed" };
    default:
      return d.attempts > 0 && d.lastError
        ? { text: `Not emailed yet (${d.lastError}): trying again`, tone: "pending" }
        : { text: "Emailing…", tone: "pending" };
  }
}
