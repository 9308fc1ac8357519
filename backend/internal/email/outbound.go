package email

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/google/uuid"
	"github.com/jhillyerd/enmime/v2"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/contact"
	"github.com/tandem-inbox/tandem/backend/internal/conversation"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// Outbox states.
const (
	outboxPending = "pending"
	outboxSent    = "sent"
	outboxFailed  = "failed"
	// outboxSkipped: an unseen reply the customer saw in the widget before
	// it fell due (or nobody and nothing is left to mail it to or from).
	outboxSkipped = "skipped"
)

// Kinds of outbox rows.
const (
	kindReply  = "reply"  // an agent's (or the AI agent's) reply on an email conversation
	kindUnseen = "unseen" // a reply in a chat that its customer has not seen in the widget
)

// ReactorName is the outbound mail reactor's cursor key.
const ReactorName = "email"

// OutboundConversations is what sending needs of the conversation service:
// the conversation, and a note to the team when a reply could not be sent.
type OutboundConversations interface {
	Get(ctx context.Context, workspaceID, id string) (conversation.Conversation, error)
	SeenSeq(ctx context.Context, workspaceID, id string) (int64, error)
	History(ctx context.Context, id string, size int32, token string, publicOnly bool) ([]conversation.Message, string, error)
	Note(ctx context.Context, p *access.Principal, scope *access.Scope, id, clientID, body string, opts conversation.NoteOptions) (conversation.Message, conversation.Conversation, error)
}

// SenderOptions tune the sender.
type SenderOptions struct {
	// Domain is the mail domain of the receiving addresses (Reply-To) and
	// of the Message-IDs of the mails sent.
	Domain string
	// Secret signs reply tokens (nil: Reply-To is the support address).
	Secret []byte
	// RetryBase is the delay before the first retry, doubled for each
	// next one; MaxAttempts the attempts before a reply is given up.
	RetryBase   time.Duration
	MaxAttempts int
	// Timeout bounds one delivery (connect, TLS, AUTH, DATA).
	Timeout time.Duration
	// UnseenAfter is how long a reply in a chat may go unseen in the widget
	// before it is emailed to the customer (when they left an address and
	// the workspace has an email inbox), and how long after a conversation
	// closes its customer is mailed links to rate it; 0 emails neither.
	UnseenAfter time.Duration
	// PublicURL is the address customers reach the server at, for the
	// links of rating mails ("": no rating mails).
	PublicURL string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// OutboundContacts finds a conversation's customer (contact.Service).
type OutboundContacts interface {
	Get(ctx context.Context, workspaceID, id string) (contact.Contact, error)
}

// Sender sends agents' replies on email conversations by SMTP, from the
// inbox's support address through its SMTP server: React puts each reply
// in the outbox (once, however often it sees the event), SendDue sends
// what is due under a lease, so that replicas never send one reply side by
// side; a failed send is retried with backoff, and after the last attempt
// the reply is marked failed and the team gets a note on the conversation.
type Sender struct {
	db       *store.DB
	inboxes  *Service
	convs    OutboundConversations
	contacts OutboundContacts
	opts     SenderOptions
	logger   *slog.Logger
}

// NewSender returns the outbound mail sender.
func NewSender(db *store.DB, inboxes *Service, convs OutboundConversations, contacts OutboundContacts, opts SenderOptions,
	logger *slog.Logger) *Sender {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.RetryBase <= 0 {
		opts.RetryBase = 30 * time.Second
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 8
	}
	if opts.Timeout <= 0 {
		opts.Timeout = time.Minute
	}
	if opts.Domain == "" {
		opts.Domain = "localhost"
	}
	return &Sender{db: db, inboxes: inboxes, convs: convs, contacts: contacts, opts: opts, logger: logger}
}

// React puts an agent's reply on an email conversation in the outbox, and
// an answer of the AI agent (which takes mail only where the inbox lets it)
// with its sources as footnotes.
func (s *Sender) React(ctx context.Context, ev events.Event) error {
	if ev.Type == events.ConversationStateChanged {
		return s.reactClosed(ctx, ev)
	}
	if ev.Type != events.MessageCreated || ev.ConversationID == "" {
		return nil
	}
	var pl conversation.Payload
	if err := json.Unmarshal(ev.Payload, &pl); err != nil {
		return fmt.Errorf("decode event: %w", err)
	}
	m := pl.Message
	if m == nil || m.Kind != conversation.KindText || (m.AuthorKind != conversation.AuthorAgent && m.AuthorKind != conversation.AuthorBot) ||
		m.Visibility != string(events.Public) {
		return nil
	}
	if _, err := threadOf(ctx, s.db, ev.ConversationID); store.ErrNoRows(err) {
		return s.reactUnseen(ctx, ev, m) // a chat: mailed if the customer does not see it
	} else if err != nil {
		return fmt.Errorf("thread of %s: %w", ev.ConversationID, err)
	}
	now := store.NowMillis(s.opts.Now())
	if err := enqueue(ctx, s.db, &outboxRow{ID: m.ID, WorkspaceID: ev.WorkspaceID, ConversationID: ev.ConversationID,
		AuthorName: oneLine(m.AuthorName), Body: withSources(m), Status: outboxPending, NextAt: now, CreatedAt: now,
		Kind: kindReply, Seq: ev.Seq, AuthorID: agentOf(m)}); err != nil {
		return fmt.Errorf("enqueue reply %s: %w", m.ID, err)
	}
	return nil
}

// SendDue sends the replies that are due, and returns how many it tried.
func (s *Sender) SendDue(ctx context.Context) (int, error) {
	now := store.NowMillis(s.opts.Now())
	rows, err := dueOutbox(ctx, s.db, now, 20)
	if err != nil {
		return 0, fmt.Errorf("due replies: %w", err)
	}
	n := 0
	for _, r := range rows {
		lease := now + (s.opts.Timeout + 30*time.Second).Milliseconds()
		if ok, err := claimOutbox(ctx, s.db, r.ID, now, lease); err != nil {
			return n, fmt.Errorf("claim reply %s: %w", r.ID, err)
		} else if !ok {
			continue // another sender has it
		}
		n++
		r.Attempts++
		send := s.send
		switch r.Kind {
		case kindUnseen:
			send = s.sendUnseen
		case kindCSAT:
			send = s.sendCSAT
		case kindTranscript:
			send = s.sendTranscript
		case kindTranscriptConfirm:
			send = s.sendConfirmation
		}
		if err := s.finish(ctx, r, send(ctx, r)); err != nil {
			return n, err
		}
	}
	return n, nil
}

// finish records a send's outcome: sent, a retry with backoff, or failed
// with a note to the team after the last attempt.
func (s *Sender) finish(ctx context.Context, r outboxRow, sendErr error) error {
	now := s.opts.Now()
	var skip errSkip
	switch {
	case sendErr == nil:
		return finishOutbox(ctx, s.db, r.ID, outboxSent, "", r.NextAt, store.NowMillis(now))
	case errors.As(sendErr, &skip):
		return finishOutbox(ctx, s.db, r.ID, outboxSkipped, string(skip), r.NextAt, 0)
	}
	reason := store.Truncate(oneLine(sendErr.Error()), 500)
	s.logger.Warn("reply not emailed", "message_id", r.ID, "workspace_id", r.WorkspaceID, "attempt", r.Attempts, "err", reason)
	if r.Attempts < s.opts.MaxAttempts {
		next := now.Add(s.opts.RetryBase << min(r.Attempts-1, 16))
		return finishOutbox(ctx, s.db, r.ID, outboxPending, reason, store.NowMillis(next), 0)
	}
	if err := finishOutbox(ctx, s.db, r.ID, outboxFailed, reason, r.NextAt, 0); err != nil {
		return err
	}
	// The note mentions the reply's author, which notifies them; one who
	// left the workspace since gets the note without the mention.
	note := func(mentions []string) error {
		_, _, err := s.convs.Note(ctx, &access.Principal{Kind: access.KindSystem, WorkspaceID: r.WorkspaceID, Name: "Email"},
			&access.Scope{WorkspaceID: r.WorkspaceID, Role: access.RoleOwner}, r.ConversationID,
			uuid.NewSHA1(uuid.NameSpaceURL, []byte("tandem:mail-failed:"+r.ID)).String(),
			failedNote(r, reason), conversation.NoteOptions{Mentions: mentions})
		return err
	}
	var mentions []string
	if r.AuthorID != "" {
		mentions = []string{r.AuthorID}
	}
	err := note(mentions)
	if apperr.Is(err, apperr.InvalidArgument) && mentions != nil {
		err = note(nil)
	}
	if err != nil {
		return fmt.Errorf("note the failed reply %s: %w", r.ID, err)
	}
	return nil
}

// agentOf is the member who wrote a message, "" when no member did.
func agentOf(m *conversation.Message) string {
	if m.AuthorKind != conversation.AuthorAgent {
		return ""
	}
	return m.AuthorID
}

// failedNote tells the team a mail could not be sent.
func failedNote(r outboxRow, reason string) string {
	if r.Kind == kindCSAT {
		return fmt.Sprintf("The customer could not be emailed the links to rate this conversation after %d attempts: %s", r.Attempts, reason)
	}
	return fmt.Sprintf("This reply could not be emailed to the customer after %d attempts: %s\n\n> %s", r.Attempts, reason,
		store.Truncate(r.Body, 200))
}

// send delivers one reply through its inbox's SMTP server.
func (s *Sender) send(ctx context.Context, r outboxRow) error {
	t, err := threadOf(ctx, s.db, r.ConversationID)
	if err != nil {
		return fmt.Errorf("thread: %w", err)
	}
	inbox, err := inboxByID(ctx, s.db, t.InboxID, "")
	if err != nil {
		return fmt.Errorf("inbox %s: %w", t.InboxID, err)
	}
	conv, err := s.convs.Get(ctx, r.WorkspaceID, r.ConversationID)
	if err != nil {
		return fmt.Errorf("conversation: %w", err)
	}
	raw, err := s.compose(inbox, t, conv, r)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	return deliver(ctx, inbox, append([]string{t.CustomerAddress}, strings.Fields(t.Cc)...), raw)
}

// compose builds the reply: from the inbox's address under the agent's
// name, to the customer, threaded under their latest mail, with the
// signature, as plain text and HTML. Every header value is one line.
func (s *Sender) compose(inbox Inbox, t thread, conv conversation.Conversation, r outboxRow) ([]byte, error) {
	subject := conv.Subject
	if !strings.HasPrefix(strings.ToLower(subject), "re:") {
		subject = strings.TrimSpace("Re: " + subject)
	}
	if t.Subject != "" { // an agent changed it
		subject = t.Subject
	}
	name := r.AuthorName
	if inbox.Name != "" {
		name = strings.TrimSpace(name + " (" + inbox.Name + ")")
	}
	text := r.Body
	switch sig := strings.TrimSpace(inbox.Signature); {
	case sig == "":
	case strings.HasPrefix(inbox.Signature, "-- \n"): // it has its own separator
		text += "\n\n" + inbox.Signature
	default:
		text += "\n\n-- \n" + inbox.Signature
	}
	b := enmime.Builder().From(oneLine(name), inbox.SupportAddress).To("", t.CustomerAddress).ReplyTo("", s.replyTo(inbox, conv.ID))
	for _, cc := range strings.Fields(t.Cc) {
		b = b.CC("", cc)
	}
	b = b.
		Subject(oneLine(subject)).Date(s.opts.Now()).
		Header("Message-Id", "<"+r.ID+"@"+s.opts.Domain+">").
		Header("Auto-Submitted", "no").
		Text([]byte(text)).HTML([]byte(htmlBody(text)))
	return encodeMail(b, t, "reply")
}

// encodeMail threads a mail under the thread's ids (In-Reply-To and
// References, when it has them) and encodes it; what names it in errors.
func encodeMail(b enmime.MailBuilder, t thread, what string) ([]byte, error) {
	if t.LastMessageID != "" {
		b = b.Header("In-Reply-To", "<"+t.LastMessageID+">")
	}
	if refs := strings.Fields(t.Refs); len(refs) > 0 {
		b = b.Header("References", "<"+strings.Join(refs, "> <")+">")
	}
	p, err := b.Build()
	if err != nil {
		return nil, fmt.Errorf("compose %s: %w", what, err)
	}
	var buf bytes.Buffer
	if err := p.Encode(&buf); err != nil {
		return nil, fmt.Errorf("encode %s: %w", what, err)
	}
	return buf.Bytes(), nil
}

// replyTo is where the customer's answers to a mail about the
// conversation go. An inbox read by IMAP has them come back to its
// mailbox (they thread by their headers); others to its receiving address
// with a token naming the conversation, where the server signs tokens.
func (s *Sender) replyTo(inbox Inbox, conversationID string) string {
	if len(s.opts.Secret) == 0 || inbox.IMAPHost != "" {
		return inbox.SupportAddress
	}
	return ReplyAddress(inbox, s.opts.Domain, ReplyToken(s.opts.Secret, inbox.ID, conversationID))
}

// htmlBody is the reply's text as HTML: escaped, line breaks kept.
func htmlBody(text string) string {
	return "<!DOCTYPE html><html><body><div style=\"white-space: pre-wrap\">" +
		strings.ReplaceAll(html.EscapeString(text), "\n", "<br>\n") + "</div></body></html>"
}

// deliver sends raw to its recipients through the inbox's SMTP server.
func deliver(ctx context.Context, inbox Inbox, to []string, raw []byte) error {
	addr := net.JoinHostPort(inbox.SMTPHost, strconv.Itoa(inbox.SMTPPort))
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", addr, err)
	}
	if d, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(d)
	}
	tlsConfig := &tls.Config{ServerName: inbox.SMTPHost, MinVersion: tls.VersionTLS12}
	var c *smtp.Client
	switch inbox.SMTPTLSMode {
	case TLSImplicit:
		c = smtp.NewClient(tls.Client(conn, tlsConfig))
	case TLSStartTLS:
		if c, err = smtp.NewClientStartTLS(conn, tlsConfig); err != nil {
			_ = conn.Close()
			return fmt.Errorf("STARTTLS with %s: %w", addr, err)
		}
	default:
		c = smtp.NewClient(conn)
	}
	defer func() { _ = c.Close() }() // after QUIT, or after the error returned
	if inbox.SMTPUsername != "" {
		if err := c.Auth(sasl.NewPlainClient("", inbox.SMTPUsername, inbox.SMTPPassword)); err != nil {
			return fmt.Errorf("sign in to %s: %w", addr, err)
		}
	}
	if err := c.SendMail(inbox.SupportAddress, to, bytes.NewReader(raw)); err != nil {
		return fmt.Errorf("send through %s: %w", addr, err)
	}
	// The server took the mail: a failing QUIT must not send it again.
	_ = c.Quit()
	return nil
}

// withSources is a message's text as mailed: an AI agent's answer gets the
// documents it cites as numbered footnotes, each with its address when the
// document has one.
func withSources(m *conversation.Message) string {
	if m.Meta.Bot == nil || len(m.Meta.Bot.Citations) == 0 {
		return m.Body
	}
	var b strings.Builder
	b.WriteString(strings.TrimRight(m.Body, "\n"))
	b.WriteString("\n\nSources:")
	for i, c := range m.Meta.Bot.Citations {
		fmt.Fprintf(&b, "\n[%d] %s", i+1, oneLine(c.DocumentTitle))
		if c.Heading != "" && c.Heading != c.DocumentTitle {
			b.WriteString(" - " + oneLine(c.Heading))
		}
		if c.URL != "" {
			b.WriteString(" <" + oneLine(c.URL) + ">")
		}
	}
	return b.String()
}
