// Email inboxes, for admins (app/bind_email.go).
import { EmailInboxSchema, ImapTlsMode, SmtpTlsMode } from "@api/email_pb.js";
import type { Bound, InboxChange } from "../../bridge";
import type { Core } from "../core";
import { appError } from "../errors";
import { wire, wires } from "../wire";

const smtpModes: Record<string, SmtpTlsMode> = { starttls: SmtpTlsMode.STARTTLS, implicit: SmtpTlsMode.IMPLICIT, none: SmtpTlsMode.NONE };
const imapModes: Record<string, ImapTlsMode> = { implicit: ImapTlsMode.IMPLICIT, starttls: ImapTlsMode.STARTTLS, none: ImapTlsMode.NONE };

/** mode maps a TLS mode's name: absent is undefined, an unknown name null. */
export function mode<E>(names: Record<string, E>, name: string | null | undefined): E | undefined | null {
  if (name === undefined || name === null) return undefined;
  return Object.hasOwn(names, name) ? names[name]! : null;
}

/** present is a field of the change, null (as Go reads JSON null) taken as absent. */
const present = <T>(v: T | null | undefined): T | undefined => (v === null ? undefined : v);

export function emailBinds(c: Core): Pick<Bound, "EmailInboxes" | "SaveEmailInbox" | "DeleteEmailInbox"> {
  return {
    /** EmailInboxes lists the workspace's email inboxes. */
    async EmailInboxes() {
      const { sess, ws } = c.current();
      const res = await sess.net.clients.email.listEmailInboxes({ workspaceId: ws.id });
      return wires(EmailInboxSchema, res.emailInboxes);
    },

    /** SaveEmailInbox creates an inbox (no id) or changes one, and returns it as it now stands. */
    async SaveEmailInbox(ch: InboxChange) {
      const { sess, ws } = c.current();
      const smtpMode = mode(smtpModes, ch.smtp_tls_mode);
      if (smtpMode === null) throw appError("invalid", "Choose how to connect to the SMTP server: STARTTLS, TLS or none.");
      const imapMode = mode(imapModes, ch.imap_tls_mode);
      if (imapMode === null) throw appError("invalid", "Choose how to connect to the IMAP server: TLS, STARTTLS or none.");
      const email = sess.net.clients.email;
      if (!ch.id) {
        const res = await email.createEmailInbox({
          workspaceId: ws.id, name: ch.name ?? "", supportAddress: ch.support_address ?? "", smtpHost: ch.smtp_host ?? "", smtpPort: ch.smtp_port ?? 0,
          smtpUsername: ch.smtp_username ?? "", smtpPassword: ch.smtp_password ?? "", signature: ch.signature ?? "", aiAnswers: ch.ai_answers ?? false,
          imapHost: ch.imap_host ?? "", imapPort: ch.imap_port ?? 0, imapUsername: ch.imap_username ?? "", imapPassword: ch.imap_password ?? "",
          imapMailbox: ch.imap_mailbox ?? "", smtpTlsMode: smtpMode ?? SmtpTlsMode.UNSPECIFIED, imapTlsMode: imapMode ?? ImapTlsMode.UNSPECIFIED,
        });
        return wire(EmailInboxSchema, res.emailInbox);
      }
      const res = await email.updateEmailInbox({
        emailInboxId: ch.id, name: present(ch.name), supportAddress: present(ch.support_address), smtpHost: present(ch.smtp_host),
        smtpPort: present(ch.smtp_port), smtpTlsMode: smtpMode, smtpUsername: present(ch.smtp_username), smtpPassword: present(ch.smtp_password),
        signature: present(ch.signature), aiAnswers: present(ch.ai_answers), imapHost: present(ch.imap_host), imapPort: present(ch.imap_port),
        imapTlsMode: imapMode, imapUsername: present(ch.imap_username), imapPassword: present(ch.imap_password), imapMailbox: present(ch.imap_mailbox),
      });
      return wire(EmailInboxSchema, res.emailInbox);
    },

    /** DeleteEmailInbox removes an inbox; its conversations stay. */
    async DeleteEmailInbox(id) {
      const { sess } = c.current();
      await sess.net.clients.email.deleteEmailInbox({ emailInboxId: id });
    },
  };
}
