package email

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/contact"
	"github.com/tandem-inbox/tandem/backend/internal/conversation"
	"github.com/tandem-inbox/tandem/backend/internal/files"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// Conversations is what inbound mail needs of the conversation service.
type Conversations interface {
	ThreadOf(ctx context.Context, workspaceID string, ids, clientIDs []string) (string, error)
	Get(ctx context.Context, workspaceID, id string) (conversation.Conversation, error)
	StartEmail(ctx context.Context, p *access.Principal, clientID, subject, body, groupID string, aiAnswers bool) (conversation.Conversation, *conversation.Message, error)
	Post(ctx context.Context, p *access.Principal, workspaceID, conversationID, clientID, body, kind string) (conversation.Message, conversation.Conversation, error)
	PostFiles(ctx context.Context, p *access.Principal, workspaceID, conversationID, clientID, body string, fileIDs []string) (conversation.Message, conversation.Conversation, error)
}

// Files stores a mail's attachments under the files service's rules (10
// MiB, sniffed types, quotas) (files.Service).
type Files interface {
	Put(ctx context.Context, up files.Upload, r io.Reader) (files.File, error)
}

// Contacts finds or makes the contact of a sender (contact.Service).
type Contacts interface {
	ForEmail(ctx context.Context, workspaceID, address, name string) (contact.Contact, error)
}

// Outcomes of an inbound mail, the label of tandem_mail_received_total.
const (
	OutcomeStarted   = "started"   // a new conversation
	OutcomeThreaded  = "threaded"  // a message in an existing one
	OutcomeIgnored   = "ignored"   // machine-made: stored nowhere
	OutcomeMalformed = "malformed" // unreadable: refused
)

// maxBody is the longest text a mail puts in a conversation message, the
// API's limit for one message; the full text stays in FullText.
const maxBody = 16384

// Delivery is what became of an inbound mail.
type Delivery struct {
	Outcome        string
	ConversationID string
	// Automated is why an ignored mail was ignored.
	Automated Automated
}

// Inbound turns mail received for an inbox into conversations: a new mail
// starts one (channel email, its subject kept, its sender the contact), a
// reply joins its conversation by In-Reply-To / References or by the reply
// token of the address it was sent to. Each mail is stored once per inbox,
// keyed by its Message-ID: the conversation's (or message's) client id is
// derived from it, and that id's unique key makes a redelivery, however
// concurrent, store nothing twice.
type Inbound struct {
	inboxes  *Service
	convs    Conversations
	contacts Contacts
	files    Files
	secret   []byte
	verifier Verifier
	logger   *slog.Logger
	received *prometheus.CounterVec
}

// WithVerifier sets how senders are checked (the default: DKIM through the
// system's resolver, no trusted receiving servers).
func (in *Inbound) WithVerifier(v Verifier) *Inbound {
	in.verifier = v
	return in
}

// NewInbound returns the inbound mail path. fs keeps attachments (nil:
// none are kept); secret signs reply tokens (nil: replies thread by their
// headers only); reg takes its counter.
func NewInbound(inboxes *Service, convs Conversations, contacts Contacts, fs Files, secret []byte, logger *slog.Logger, reg prometheus.Registerer) *Inbound {
	received := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tandem_mail_received_total",
		Help: "Mails received for an inbox (by the SMTP receiver or from its IMAP mailbox), by outcome (started, threaded, ignored, malformed)."}, []string{"outcome"})
	for _, o := range []string{OutcomeStarted, OutcomeThreaded, OutcomeIgnored, OutcomeMalformed} {
		received.WithLabelValues(o)
	}
	if reg != nil {
		reg.MustRegister(received)
	}
	return &Inbound{inboxes: inboxes, convs: convs, contacts: contacts, files: fs, secret: secret, logger: logger, received: received}
}

// Inbox finds the inbox of a receiving address ("in-…" or "in-…+token" at
// any domain) and returns its reply token; NotFound for any other address.
func (in *Inbound) Inbox(ctx context.Context, address string) (Inbox, string, error) {
	receiving, token, ok := SplitRecipient(address)
	if !ok {
		return Inbox{}, "", ErrUnknownRecipient
	}
	i, err := in.inboxes.byReceivingToken(ctx, receiving)
	return i, token, err
}

// Deliver stores a mail received for the inbox. A malformed mail is refused
// with ErrMalformed and stores nothing; a machine-made one (auto-reply,
// bounce, list mail) is logged, counted and stored nowhere.
func (in *Inbound) Deliver(ctx context.Context, inbox Inbox, replyToken, envelopeFrom string, raw []byte) (Delivery, error) {
	log := in.logger.With("email_inbox_id", inbox.ID, "workspace_id", inbox.WorkspaceID)
	m, err := Parse(raw, envelopeFrom)
	if err != nil {
		in.received.WithLabelValues(OutcomeMalformed).Inc()
		log.Info("mail refused", "reason", err.Error(), "bytes", len(raw))
		return Delivery{Outcome: OutcomeMalformed}, err
	}
	if m.Automated != "" {
		in.received.WithLabelValues(OutcomeIgnored).Inc()
		log.Info("mail ignored: machine-made", "reason", string(m.Automated), "message_id", m.MessageID)
		return Delivery{Outcome: OutcomeIgnored, Automated: m.Automated}, nil
	}
	key := m.MessageID
	if key == "" {
		// Without a Message-ID the mail's bytes are its identity: the same
		// mail redelivered is still stored once.
		key = fmt.Sprintf("sha256:%x", sha256.Sum256(raw))
	}
	ct, err := in.contacts.ForEmail(ctx, inbox.WorkspaceID, m.FromAddress, m.FromName)
	if err != nil {
		return Delivery{}, fmt.Errorf("contact of %s: %w", inbox.ID, err)
	}
	customer := &access.Principal{Kind: access.KindVisitor, VisitorID: ct.ID, WorkspaceID: inbox.WorkspaceID}
	body := bodyOf(m)
	check := in.verifier.Check(ctx, raw, m.FromAddress)
	convID, err := in.thread(ctx, inbox, replyToken, m, ct.ID)
	if err != nil {
		return Delivery{}, err
	}
	if convID != "" {
		fileIDs := in.keepFiles(ctx, log, customer, convID, inbox.ID, key, m.Attachments)
		msg, conv, err := in.convs.PostFiles(ctx, customer, inbox.WorkspaceID, convID, MailClientID(inbox.ID, key), body, fileIDs)
		if err != nil {
			return Delivery{}, fmt.Errorf("post mail to %s: %w", convID, err)
		}
		if err := in.keepMessage(ctx, inbox, conv.ID, msg.ID, m, check); err != nil {
			return Delivery{}, err
		}
		if err := in.keepThread(ctx, inbox, conv.ID, m); err != nil {
			return Delivery{}, err
		}
		in.received.WithLabelValues(OutcomeThreaded).Inc()
		return Delivery{Outcome: OutcomeThreaded, ConversationID: conv.ID}, nil
	}
	conv, first, err := in.convs.StartEmail(ctx, customer, MailClientID(inbox.ID, key), m.Subject, body, inbox.GroupID, inbox.AIAnswers)
	if errors.Is(err, conversation.ErrNotGroup) {
		// The inbox's group was deleted since: the mail goes to the queue.
		conv, first, err = in.convs.StartEmail(ctx, customer, MailClientID(inbox.ID, key), m.Subject, body, "", inbox.AIAnswers)
	}
	if err != nil {
		return Delivery{}, fmt.Errorf("start email conversation: %w", err)
	}
	if first != nil {
		if err := in.keepMessage(ctx, inbox, conv.ID, first.ID, m, check); err != nil {
			return Delivery{}, err
		}
	}
	if fileIDs := in.keepFiles(ctx, log, customer, conv.ID, inbox.ID, key, m.Attachments); len(fileIDs) > 0 {
		// The files come in a second message: they are stored for a
		// conversation, which the first message started.
		if _, _, err := in.convs.PostFiles(ctx, customer, inbox.WorkspaceID, conv.ID, MailClientID(inbox.ID, key+"#files"), "",
			fileIDs); err != nil {
			return Delivery{}, fmt.Errorf("post attachments to %s: %w", conv.ID, err)
		}
	}
	if err := in.keepThread(ctx, inbox, conv.ID, m); err != nil {
		return Delivery{}, err
	}
	in.received.WithLabelValues(OutcomeStarted).Inc()
	return Delivery{Outcome: OutcomeStarted, ConversationID: conv.ID}, nil
}

// thread finds the conversation of the workspace a reply belongs to: the
// one its reply token names, else the newest its In-Reply-To or References
// point at (mails Tandem stored, by their client ids, or sent, by their
// message ids). Only a conversation of the same sender is joined: anyone
// else's mail starts its own.
func (in *Inbound) thread(ctx context.Context, inbox Inbox, replyToken string, m Mail, contactID string) (string, error) {
	var candidate string
	if replyToken != "" && len(in.secret) > 0 {
		if id, ok := ConversationOfToken(in.secret, inbox.ID, replyToken); ok {
			candidate = id
		}
	}
	if candidate == "" {
		var ids, clientIDs []string
		for _, ref := range append(append([]string(nil), m.InReplyTo...), m.References...) {
			clientIDs = append(clientIDs, MailClientID(inbox.ID, ref))
			if local, _, _ := strings.Cut(ref, "@"); uuid.Validate(local) == nil {
				ids = append(ids, local)
			}
		}
		id, err := in.convs.ThreadOf(ctx, inbox.WorkspaceID, ids, clientIDs)
		if err != nil {
			return "", err
		}
		candidate = id
	}
	if candidate == "" {
		return "", nil
	}
	conv, err := in.convs.Get(ctx, inbox.WorkspaceID, candidate)
	switch {
	case apperr.Is(err, apperr.NotFound):
		return "", nil // the thread is gone: the mail starts its own
	case err != nil:
		// Not a new conversation: the receiver answers a temporary failure
		// and the sending server tries again.
		return "", fmt.Errorf("conversation %s of a reply: %w", candidate, err)
	case conv.ContactID != contactID:
		return "", nil // not the sender's: the mail starts its own
	}
	// A chat joins too: its customer answers the mail of replies they had
	// not seen in the widget (Sender.sendUnseen).
	return conv.ID, nil
}

// keepFiles stores a mail's attachments for the conversation under the
// files service's rules and returns their ids. One it refuses (too big, a
// type it does not take, a quota used up) is left out and logged: the mail
// itself is still delivered. Each file's client id derives from the mail's
// key, so a redelivery stores none twice.
func (in *Inbound) keepFiles(ctx context.Context, log *slog.Logger, customer *access.Principal, conversationID, inboxID, key string, as []Attachment) []string {
	if in.files == nil {
		return nil
	}
	kind, id := customer.Actor()
	var ids []string
	for n, a := range as {
		name := a.FileName
		if name == "" || files.CheckName(name) != nil {
			name = fmt.Sprintf("attachment-%d", n+1)
		}
		f, err := in.files.Put(ctx, files.Upload{WorkspaceID: customer.WorkspaceID, ConversationID: conversationID, UploaderKind: kind,
			UploaderID: id, ClientID: MailClientID(inboxID, fmt.Sprintf("%s#file%d", key, n)), Name: name}, bytes.NewReader(a.Data))
		if err != nil {
			log.Info("mail attachment not kept", "name", name, "bytes", len(a.Data), "reason", err.Error())
			continue
		}
		ids = append(ids, f.ID)
	}
	return ids
}

// maxOriginal caps the full text kept of a mail, in bytes.
const maxOriginal = 256 << 10

// keepMessage records what the mail carried besides its words, for the
// team: sender, recipients, subject, the check of its sender and its full
// text. A redelivery keeps the first record.
func (in *Inbound) keepMessage(ctx context.Context, inbox Inbox, conversationID, messageID string, m Mail, check SenderCheck) error {
	if err := saveEmailMessage(ctx, in.inboxes.db, &emailMessage{MessageID: messageID, WorkspaceID: inbox.WorkspaceID,
		ConversationID: conversationID, InboxID: inbox.ID, FromAddress: truncate(m.FromAddress, MaxAddress), FromName: truncate(m.FromName, 200),
		ToList: strings.Join(m.To, " "), CcList: strings.Join(m.Cc, " "), Subject: m.Subject, SenderVerified: check.Verified,
		SenderCheck: truncate(oneLine(check.How), 300), OriginalText: truncate(m.FullText, maxOriginal),
		CreatedAt: store.NowMillis(in.inboxes.now())}); err != nil {
		return fmt.Errorf("keep mail of %s: %w", messageID, err)
	}
	return nil
}

// maxRefs caps the message ids a reply's References carries.
const maxRefs = 20

// keepThread records where the conversation's replies go: the inbox, the
// sender, and the ids a reply threads under (the customer's latest mail and
// its References). A redelivery writes the same again; the receiver says
// 250 only after this, so a crash before it has the mail delivered again.
func (in *Inbound) keepThread(ctx context.Context, inbox Inbox, conversationID string, m Mail) error {
	refs := append(append([]string(nil), m.References...), m.MessageID)
	if m.MessageID == "" {
		refs = refs[:len(refs)-1]
	}
	if len(refs) > maxRefs {
		refs = refs[len(refs)-maxRefs:]
	}
	t := thread{ConversationID: conversationID, WorkspaceID: inbox.WorkspaceID, InboxID: inbox.ID, CustomerAddress: m.FromAddress,
		LastMessageID: m.MessageID, Refs: strings.Join(refs, " "), UpdatedAt: store.NowMillis(in.inboxes.now()),
		Cc: strings.Join(copied(m, inbox), " ")}
	if err := saveThread(ctx, in.inboxes.db, &t); err != nil {
		return fmt.Errorf("keep thread of %s: %w", conversationID, err)
	}
	return nil
}

// copied is who a new thread's replies copy: the first mail's CC, without
// the customer, the inbox's own addresses and any beyond maxCc.
func copied(m Mail, inbox Inbox) []string {
	var cc []string
	for _, a := range m.Cc {
		if a == m.FromAddress || a == inbox.SupportAddress || strings.HasPrefix(a, inbox.ReceivingToken+"@") ||
			strings.HasPrefix(a, inbox.ReceivingToken+"+") || slices.Contains(cc, a) || len(cc) == maxCc {
			continue
		}
		cc = append(cc, a)
	}
	return cc
}

// MailClientID is the client id a mail's message (or conversation) is
// stored under: derived from the inbox and the mail's Message-ID, so that
// the same mail delivered again finds what it stored.
func MailClientID(inboxID, messageID string) string {
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte("tandem:mail:"+inboxID+"\x00"+strings.ToLower(messageID))).String()
}

// bodyOf is the text a mail's message shows: its body without the quoted
// history, else its full text, else its subject, cut to maxBody bytes.
func bodyOf(m Mail) string {
	for _, b := range []string{m.Body, m.FullText, m.Subject} {
		if strings.TrimSpace(b) != "" {
			return truncate(b, maxBody)
		}
	}
	return "(an empty mail)"
}

// byReceivingToken finds the inbox of a receiving address's local part.
func (s *Service) byReceivingToken(ctx context.Context, token string) (Inbox, error) {
	i, err := inboxByToken(ctx, s.db, token)
	if store.ErrNoRows(err) {
		return Inbox{}, ErrUnknownRecipient
	}
	if err != nil {
		return Inbox{}, fmt.Errorf("find inbox by receiving address: %w", err)
	}
	return i, nil
}
