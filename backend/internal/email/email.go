// Package email owns the email channel's inboxes: per workspace, the
// support address customers write to, the receiving address Tandem's SMTP
// receiver takes that inbox's mail at (the support address forwards there,
// or its MX points at Tandem), the SMTP server agents' replies go out
// through, the signature under them and the group new mail lands in.
//
// Inbound mail is read by Parse (enmime; HTML as text through bluemonday;
// the quoted history cut from the body shown, the full text kept; header
// values made one line, so no CR or LF reaches a header Tandem writes), which
// also says why a mail is machine-made (auto-replies, bounces, list mail:
// never a conversation). ReplyToken signs a conversation (HMAC) for the
// Reply-To address of the mails sent from it.
//
// Receiver is the built-in SMTP receiver (TANDEM_SMTP_ADDR): it takes mail
// for the receiving addresses only, refusing any other recipient at RCPT,
// and hands it to Inbound, which starts or threads email conversations
// through the conversation and contact services; a mail is stored once per
// inbox and Message-ID (the client id of its conversation or message).
//
// Verifier checks each inbound mail's sender (DKIM aligned with From, or
// a trusted receiving server's Authentication-Results); Inbound keeps the
// check with the mail's recipients, CC and full text (email_messages).
//
// Poller reads the IMAP mailboxes of inboxes that connect one, on the
// replicas that run the reactors: one replica per mailbox under a lease
// (email_imap_state), new mail taken as IDLE announces it, each once by UID
// and then by Message-ID, handed to Inbound like mail the receiver takes.
//
// Sender sends agents' replies, and the AI agent's answers where the inbox
// lets it answer mail (AIAnswers), on email conversations through the
// inbox's SMTP server: its reactor puts each reply in the outbox (email_outbox),
// its job sends what is due under a lease, retries with backoff and, when
// the attempts run out, marks the reply failed and notes it on the
// conversation. It also mails a chat's customer who left an address the
// replies the widget has not shown them within UnseenAfter (conversation
// MarkSeen), from the workspace's first inbox, threaded so that their
// answer by mail lands in the chat. After a conversation closes, it mails a
// customer who did not see the close in the widget links to rate it, which
// lead to RatingPage.
//
// The SMTP and IMAP passwords are write-only: stored to sign in to the servers,
// never returned by the API nor written to the event log.
//
// Tables owned: email_inboxes, email_threads, email_outbox, email_imap_state,
// email_messages, transcript_confirmations.
// Events emitted: email_inbox.created, email_inbox.updated,
// email_inbox.deleted (visibility agents).
// RPCs served: EmailService (CreateEmailInbox, ListEmailInboxes,
// GetEmailInbox, UpdateEmailInbox, DeleteEmailInbox, ListEmailMessages,
// GetEmailThread, UpdateEmailThread).
package email

import (
	"strconv"
	"strings"
)

// TLSMode is how Tandem secures its connection to an outbound SMTP server.
type TLSMode string

// TLS modes.
const (
	// TLSStartTLS upgrades a plain connection with STARTTLS, and refuses a
	// server that does not offer it.
	TLSStartTLS TLSMode = "starttls"
	// TLSImplicit speaks TLS from the first byte.
	TLSImplicit TLSMode = "implicit"
	// TLSNone sends in the clear: a relay on a trusted network only.
	TLSNone TLSMode = "none"
)

// Inbox is one email inbox of a workspace.
type Inbox struct {
	ID          string `db:"id"`
	WorkspaceID string `db:"workspace_id"`
	Name        string `db:"name"`
	// SupportAddress is the address customers write to and replies come
	// from, lower-cased; unique in its workspace.
	SupportAddress string `db:"support_address"`
	// ReceivingToken is the local part of the receiving address; unique
	// across workspaces, made by the server, never changed.
	ReceivingToken string  `db:"receiving_token"`
	SMTPHost       string  `db:"smtp_host"`
	SMTPPort       int     `db:"smtp_port"`
	SMTPTLSMode    TLSMode `db:"smtp_tls_mode"`
	SMTPUsername   string  `db:"smtp_username"`
	// SMTPPassword is write-only in the API.
	SMTPPassword string `db:"smtp_password"`
	Signature    string `db:"signature"`
	// GroupID is the group new mail lands in; "" for the workspace's queue.
	GroupID string `db:"group_id"`
	// AIAnswers lets the workspace's AI agent (when on) take new mail.
	AIAnswers bool  `db:"ai_answers"`
	CreatedAt int64 `db:"created_at"`
	UpdatedAt int64 `db:"updated_at"`
	// IMAPHost, when set, is the IMAP server the inbox's mail is fetched
	// from (Poller); the other IMAP fields say how. IMAPPort 0 is the
	// TLS mode's usual port, IMAPMailbox "" is INBOX.
	IMAPHost     string  `db:"imap_host"`
	IMAPPort     int     `db:"imap_port"`
	IMAPTLSMode  TLSMode `db:"imap_tls_mode"`
	IMAPUsername string  `db:"imap_username"`
	// IMAPPassword is write-only in the API.
	IMAPPassword string `db:"imap_password"`
	IMAPMailbox  string `db:"imap_mailbox"`
	// IMAP is how reading the mailbox went (not a column).
	IMAP IMAPStatus `db:"-"`
}

// mailbox is what names the inbox's IMAP mailbox: the server, the account
// and the folder.
func (i Inbox) mailbox() [4]string {
	return [4]string{i.IMAPHost, strconv.Itoa(i.IMAPPort), strings.ToLower(i.IMAPUsername), i.IMAPMailbox}
}

// IMAPStatus is how reading an inbox's IMAP mailbox last went.
type IMAPStatus struct {
	// CheckedAt is when the mailbox was last read without an error (Unix
	// ms; 0: not yet).
	CheckedAt int64
	// Error is the last error since then ("" when none).
	Error string
}

// ReceivingAddress is where the SMTP receiver takes the inbox's mail, at
// the server's mail domain.
func (i Inbox) ReceivingAddress(domain string) string { return i.ReceivingToken + "@" + domain }

// Settings are an inbox's fields an admin sets. In an update, nil leaves a
// field as it is.
type Settings struct {
	Name           *string
	SupportAddress *string
	SMTPHost       *string
	SMTPPort       *int
	SMTPTLSMode    *TLSMode
	SMTPUsername   *string
	SMTPPassword   *string
	Signature      *string
	GroupID        *string
	AIAnswers      *bool
	// IMAP: an empty IMAPHost turns fetching off.
	IMAPHost     *string
	IMAPPort     *int
	IMAPTLSMode  *TLSMode
	IMAPUsername *string
	IMAPPassword *string
	IMAPMailbox  *string
}

// Limits of an inbox's fields, as the API states them.
const (
	MaxName      = 100  // characters
	MaxAddress   = 254  // bytes
	MaxHost      = 253  // bytes
	MaxUsername  = 256  // characters
	MaxPassword  = 256  // characters
	MaxSignature = 4096 // bytes
	MaxMailbox   = 200  // characters
	// MaxInboxes caps a workspace's inboxes.
	MaxInboxes = 50
)
