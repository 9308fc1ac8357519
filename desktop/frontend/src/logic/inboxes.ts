// The email inbox form: what it starts from, and the change it sends
// (only what differs from the inbox as loaded; passwords only when typed).
import { ImapTlsMode, SmtpTlsMode, type EmailInbox } from "../api";
import type { InboxChange } from "../bridge";

type Mode = "starttls" | "implicit" | "none";

/** InboxForm is what the form's fields hold. Ports are text as typed. */
export interface InboxForm {
  name: string;
  supportAddress: string;
  smtpHost: string;
  smtpPort: string;
  smtpTlsMode: Mode;
  smtpUsername: string;
  /** Typed only to change it; "" keeps the stored one. */
  smtpPassword: string;
  signature: string;
  aiAnswers: boolean;
  imap: boolean;
  imapHost: string;
  imapPort: string;
  imapTlsMode: Mode;
  imapUsername: string;
  imapPassword: string;
  imapMailbox: string;
}

const smtpMode: Record<number, Mode> = { [SmtpTlsMode.STARTTLS]: "starttls", [SmtpTlsMode.IMPLICIT]: "implicit", [SmtpTlsMode.NONE]: "none" };
const imapMode: Record<number, Mode> = { [ImapTlsMode.IMPLICIT]: "implicit", [ImapTlsMode.STARTTLS]: "starttls", [ImapTlsMode.NONE]: "none" };

/** formOf fills the form from an inbox, or with a new inbox's defaults. */
export function formOf(i?: EmailInbox): InboxForm {
  return {
    name: i?.name ?? "Support",
    supportAddress: i?.supportAddress ?? "",
    smtpHost: i?.smtpHost ?? "",
    smtpPort: i ? String(i.smtpPort) : "587",
    smtpTlsMode: (i && smtpMode[i.smtpTlsMode]) || "starttls",
    smtpUsername: i?.smtpUsername ?? "",
    smtpPassword: "",
    signature: i?.signature ?? "",
    aiAnswers: i?.aiAnswers ?? false,
    imap: !!i?.imapHost,
    imapHost: i?.imapHost ?? "",
    imapPort: i && i.imapPort ? String(i.imapPort) : "",
    imapTlsMode: (i && imapMode[i.imapTlsMode]) || "implicit",
    imapUsername: i?.imapUsername ?? "",
    imapPassword: "",
    imapMailbox: i?.imapMailbox ?? "",
  };
}

/** port reads a typed port: a whole number in range, or null. */
function port(typed: string, least: number): number | null {
  const t = typed.trim();
  if (t === "") return least === 0 ? 0 : null;
  const n = Number(t);
  return Number.isInteger(n) && n >= least && n <= 65535 ? n : null;
}

/**
 * changeOf is what saving the form sends: all fields for a new inbox, the
 * changed ones for an existing one; a string says in plain words what to
 * fix first.
 */
export function changeOf(f: InboxForm, original?: EmailInbox): InboxChange | string {
  if (!f.name.trim()) return "Give the inbox a name.";
  if (!/^[^@\s]+@[^@\s]+$/.test(f.supportAddress.trim())) return "The support address must be an email address, such as support@example.com.";
  if (!f.smtpHost.trim()) return "Name the SMTP server replies are sent through.";
  const smtpPort = port(f.smtpPort, 1);
  if (smtpPort === null) return "The SMTP port must be a number from 1 to 65535.";
  const imapPort = port(f.imapPort, 0);
  if (f.imap) {
    if (!f.imapHost.trim()) return "Name the IMAP server, or turn reading a mailbox off.";
    if (!f.imapUsername.trim()) return "Give the user name to sign in to the IMAP server with.";
    if (imapPort === null) return "The IMAP port must be a number from 1 to 65535, or empty for the usual one.";
  }
  const next: InboxChange = {
    name: f.name.trim(),
    support_address: f.supportAddress.trim(),
    smtp_host: f.smtpHost.trim(),
    smtp_port: smtpPort,
    smtp_tls_mode: f.smtpTlsMode,
    smtp_username: f.smtpUsername.trim(),
    signature: f.signature,
    ai_answers: f.aiAnswers,
    imap_host: f.imap ? f.imapHost.trim() : "",
    imap_port: f.imap ? (imapPort ?? 0) : 0,
    imap_tls_mode: f.imapTlsMode,
    imap_username: f.imap ? f.imapUsername.trim() : "",
    imap_mailbox: f.imap ? f.imapMailbox.trim() : "",
  };
  if (f.smtpPassword) next.smtp_password = f.smtpPassword;
  if (f.imap && f.imapPassword) next.imap_password = f.imapPassword;
  if (!original) return next;
  const was = changeOf(formOf(original));
  if (typeof was === "string") return { ...next, id: original.id }; // what is stored does not pass: send it all
  const change: InboxChange = { id: original.id };
  for (const k of Object.keys(next) as (keyof InboxChange)[]) {
    if (next[k] !== was[k]) (change as Record<string, unknown>)[k] = next[k];
  }
  return change;
}

/** imapStatus says how reading an inbox's mailbox last went, "" when it reads none. */
export function imapStatus(i: EmailInbox, now: number): string {
  if (!i.imapHost) return "";
  if (i.imapError) return `Reading ${i.imapHost} failed: ${i.imapError}`;
  const at = Number(i.imapCheckedTimeMs);
  if (!at) return `Not read from ${i.imapHost} yet.`;
  const minutes = Math.max(0, Math.round((now - at) / 60_000));
  return `Read from ${i.imapHost} ${minutes === 0 ? "just now" : `${minutes} min ago`}.`;
}
