package app

import (
	"encoding/json"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/desktop/internal/apiclient"
)

// InboxChange is what an admin set in an email inbox's form: for an
// existing inbox (ID set) only the fields present change; a new inbox
// (no ID) gets them all, absent ones empty. Passwords are write-only: one
// absent keeps what is stored, "" removes it. TLS modes are "starttls",
// "implicit" or "none"; an empty IMAP host turns IMAP off.
type InboxChange struct {
	ID             string  `json:"id,omitempty"`
	Name           *string `json:"name,omitempty"`
	SupportAddress *string `json:"support_address,omitempty"`
	SMTPHost       *string `json:"smtp_host,omitempty"`
	SMTPPort       *int32  `json:"smtp_port,omitempty"`
	SMTPTLSMode    *string `json:"smtp_tls_mode,omitempty"`
	SMTPUsername   *string `json:"smtp_username,omitempty"`
	SMTPPassword   *string `json:"smtp_password,omitempty"`
	Signature      *string `json:"signature,omitempty"`
	AIAnswers      *bool   `json:"ai_answers,omitempty"`
	IMAPHost       *string `json:"imap_host,omitempty"`
	IMAPPort       *int32  `json:"imap_port,omitempty"`
	IMAPTLSMode    *string `json:"imap_tls_mode,omitempty"`
	IMAPUsername   *string `json:"imap_username,omitempty"`
	IMAPPassword   *string `json:"imap_password,omitempty"`
	IMAPMailbox    *string `json:"imap_mailbox,omitempty"`
}

var smtpModes = map[string]tandemv1.SmtpTlsMode{ //nolint:gochecknoglobals // constant table
	"starttls": tandemv1.SmtpTlsMode_SMTP_TLS_MODE_STARTTLS, "implicit": tandemv1.SmtpTlsMode_SMTP_TLS_MODE_IMPLICIT,
	"none": tandemv1.SmtpTlsMode_SMTP_TLS_MODE_NONE,
}

var imapModes = map[string]tandemv1.ImapTlsMode{ //nolint:gochecknoglobals // constant table
	"implicit": tandemv1.ImapTlsMode_IMAP_TLS_MODE_IMPLICIT, "starttls": tandemv1.ImapTlsMode_IMAP_TLS_MODE_STARTTLS,
	"none": tandemv1.ImapTlsMode_IMAP_TLS_MODE_NONE,
}

// EmailInboxes lists the workspace's email inboxes (protobuf JSON
// EmailInboxes, by support address), for admins: where each receives
// mail, how it sends, and how reading its IMAP mailbox last went.
func (a *App) EmailInboxes() ([]json.RawMessage, error) {
	sess, ws, err := a.c.current()
	if err != nil {
		return nil, err
	}
	res, err := sess.client.Email.ListEmailInboxes(a.c.ctx(), &tandemv1.ListEmailInboxesRequest{WorkspaceId: ws.id})
	if err != nil {
		return nil, err
	}
	return wires(res.GetEmailInboxes()), nil
}

// SaveEmailInbox creates an inbox (no ID) or changes one, and returns it
// as it now stands.
func (a *App) SaveEmailInbox(ch InboxChange) (json.RawMessage, error) {
	sess, ws, err := a.c.current()
	if err != nil {
		return nil, err
	}
	smtpMode, ok := mode(smtpModes, ch.SMTPTLSMode)
	if !ok {
		return nil, apiclient.Errorf(apiclient.KindInvalid, "Choose how to connect to the SMTP server: STARTTLS, TLS or none.")
	}
	imapMode, ok := mode(imapModes, ch.IMAPTLSMode)
	if !ok {
		return nil, apiclient.Errorf(apiclient.KindInvalid, "Choose how to connect to the IMAP server: TLS, STARTTLS or none.")
	}
	if ch.ID == "" {
		req := &tandemv1.CreateEmailInboxRequest{WorkspaceId: ws.id, Name: val(ch.Name), SupportAddress: val(ch.SupportAddress),
			SmtpHost: val(ch.SMTPHost), SmtpPort: val(ch.SMTPPort), SmtpUsername: val(ch.SMTPUsername), SmtpPassword: val(ch.SMTPPassword),
			Signature: val(ch.Signature), AiAnswers: val(ch.AIAnswers), ImapHost: val(ch.IMAPHost), ImapPort: val(ch.IMAPPort),
			ImapUsername: val(ch.IMAPUsername), ImapPassword: val(ch.IMAPPassword), ImapMailbox: val(ch.IMAPMailbox)}
		if smtpMode != nil {
			req.SmtpTlsMode = *smtpMode
		}
		if imapMode != nil {
			req.ImapTlsMode = *imapMode
		}
		res, err := sess.client.Email.CreateEmailInbox(a.c.ctx(), req)
		if err != nil {
			return nil, err
		}
		return wire(res.GetEmailInbox()), nil
	}
	res, err := sess.client.Email.UpdateEmailInbox(a.c.ctx(), &tandemv1.UpdateEmailInboxRequest{EmailInboxId: ch.ID, Name: ch.Name,
		SupportAddress: ch.SupportAddress, SmtpHost: ch.SMTPHost, SmtpPort: ch.SMTPPort, SmtpTlsMode: smtpMode,
		SmtpUsername: ch.SMTPUsername, SmtpPassword: ch.SMTPPassword, Signature: ch.Signature, AiAnswers: ch.AIAnswers,
		ImapHost: ch.IMAPHost, ImapPort: ch.IMAPPort, ImapTlsMode: imapMode, ImapUsername: ch.IMAPUsername,
		ImapPassword: ch.IMAPPassword, ImapMailbox: ch.IMAPMailbox})
	if err != nil {
		return nil, err
	}
	return wire(res.GetEmailInbox()), nil
}

// DeleteEmailInbox removes an inbox: its receiving address refuses mail
// from then on; its conversations stay.
func (a *App) DeleteEmailInbox(id string) error {
	sess, _, err := a.c.current()
	if err != nil {
		return err
	}
	_, err = sess.client.Email.DeleteEmailInbox(a.c.ctx(), &tandemv1.DeleteEmailInboxRequest{EmailInboxId: id})
	return err
}

// mode maps a TLS mode's name; absent is nil, an unknown name not ok.
func mode[E any](names map[string]E, name *string) (*E, bool) {
	if name == nil {
		return nil, true
	}
	m, ok := names[*name]
	if !ok {
		return nil, false
	}
	return &m, true
}

// val is *p, or the zero value for nil.
func val[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
