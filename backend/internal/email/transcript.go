package email

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jhillyerd/enmime/v2"

	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/conversation"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// kindTranscript is the outbox row of a copy of a conversation its
// customer asked for.
const kindTranscript = "transcript"

// Transcript limits.
const (
	// MaxTranscripts caps the copies one conversation is mailed.
	MaxTranscripts = 5
	// MaxTranscriptsPerAddress caps the copies and confirmation mails one
	// address is mailed in a day, whoever asks: the address is the
	// visitor's word, and nobody may use Tandem to flood someone else's
	// mailbox.
	MaxTranscriptsPerAddress = 10
	// transcriptItems caps the items a copy holds (the newest).
	transcriptItems = 1000
)

// Errors of transcripts.
var (
	ErrNoAddress      = apperr.Invalid("email", "is needed: no address to send the copy to is known")
	ErrNoInbox        = apperr.New(apperr.FailedPrecondition, "this workspace does not send email")
	ErrTooManyCopies  = apperr.Newf(apperr.ResourceExhausted, "a conversation is emailed at most %d copies", MaxTranscripts)
	ErrAddressFlooded = apperr.Newf(apperr.ResourceExhausted, "this address was sent %d mails today; try again tomorrow",
		MaxTranscriptsPerAddress)
)

// Emailing says whether the workspace sends mail: it has an email inbox.
func (s *Sender) Emailing(ctx context.Context, workspaceID string) (bool, error) {
	n, err := countInboxes(ctx, s.db, workspaceID)
	if err != nil {
		return false, fmt.Errorf("count email inboxes: %w", err)
	}
	return n > 0, nil
}

// RequestTranscript asks for a copy of the conversation as it stands for
// its customer's address and returns the address. A verified address
// (verifiedAddress) is queued the copy; any other is queued a confirmation
// mail instead (confirming is true), whose link sends the copy. The same
// state of a conversation is queued once (asking again sends nothing
// more); a conversation gets at most MaxTranscripts copies.
func (s *Sender) RequestTranscript(ctx context.Context, workspaceID, conversationID string) (to string, confirming bool, err error) {
	conv, err := s.convs.Get(ctx, workspaceID, conversationID)
	if err != nil {
		return "", false, err
	}
	ct, err := s.contacts.Get(ctx, workspaceID, conv.ContactID)
	if err != nil {
		return "", false, err
	}
	if ct.Email == "" {
		return "", false, ErrNoAddress
	}
	if ok, err := s.Emailing(ctx, workspaceID); err != nil {
		return "", false, err
	} else if !ok {
		return "", false, ErrNoInbox
	}
	verified, err := s.verifiedAddress(ctx, conv, ct.Email)
	if err != nil {
		return "", false, err
	}
	if !verified {
		return ct.Email, true, s.requestConfirmation(ctx, conv, ct.Email)
	}
	return ct.Email, false, s.queueTranscript(ctx, conv, ct.Email)
}

// queueTranscript puts a copy of the conversation as it stands, for the
// address, in the outbox, within the caps.
func (s *Sender) queueTranscript(ctx context.Context, conv conversation.Conversation, address string) error {
	id := uuid.NewSHA1(uuid.NameSpaceURL, []byte(fmt.Sprintf("tandem:transcript:%s:%d:%s", conv.ID, conv.LastSeq, address))).String()
	var known int
	if err := s.db.GetContext(ctx, &known, `SELECT COUNT(*) FROM email_outbox WHERE id = ?`, id); err != nil {
		return fmt.Errorf("find transcript: %w", err)
	}
	if known > 0 {
		return nil // this copy is queued or sent already
	}
	var n int
	if err := s.db.GetContext(ctx, &n, `SELECT COUNT(*) FROM email_outbox WHERE conversation_id = ? AND kind = ?`,
		conv.ID, kindTranscript); err != nil {
		return fmt.Errorf("count transcripts: %w", err)
	}
	if n >= MaxTranscripts {
		return ErrTooManyCopies
	}
	if err := s.checkAddressCap(ctx, address); err != nil {
		return err
	}
	now := store.NowMillis(s.opts.Now())
	if err := enqueue(ctx, s.db, &outboxRow{ID: id, WorkspaceID: conv.WorkspaceID, ConversationID: conv.ID, Status: outboxPending,
		NextAt: now, CreatedAt: now, Kind: kindTranscript, Seq: conv.LastSeq, Body: address}); err != nil {
		return fmt.Errorf("enqueue transcript: %w", err)
	}
	return nil
}

// checkAddressCap refuses a mail to an address that was sent
// MaxTranscriptsPerAddress transcripts and confirmations in the last day:
// both count, so that neither can be used to flood a mailbox.
func (s *Sender) checkAddressCap(ctx context.Context, address string) error {
	var today int
	if err := s.db.GetContext(ctx, &today, `SELECT COUNT(*) FROM email_outbox WHERE kind IN (?, ?) AND body = ? AND created_at > ?`,
		kindTranscript, kindTranscriptConfirm, address, store.NowMillis(s.opts.Now().Add(-24*time.Hour))); err != nil {
		return fmt.Errorf("count transcripts: %w", err)
	}
	if today >= MaxTranscriptsPerAddress {
		return ErrAddressFlooded
	}
	return nil
}

// sendTranscript mails the copy: the conversation's public items up to the
// moment it was asked for, oldest first, each with its time and author, to
// the address it was asked for (in Body), from the workspace's first inbox.
func (s *Sender) sendTranscript(ctx context.Context, r outboxRow) error {
	conv, err := s.convs.Get(ctx, r.WorkspaceID, r.ConversationID)
	if apperr.Is(err, apperr.NotFound) {
		return errSkip("the conversation is gone")
	}
	if err != nil {
		return fmt.Errorf("conversation: %w", err)
	}
	inboxes, err := inboxesOf(ctx, s.db, r.WorkspaceID)
	if err != nil {
		return fmt.Errorf("inboxes: %w", err)
	}
	if len(inboxes) == 0 {
		return errSkip("the workspace has no email inbox")
	}
	var items []conversation.Message
	for token := ""; len(items) < transcriptItems; {
		page, next, err := s.convs.History(ctx, conv.ID, 200, token, true)
		if err != nil {
			return fmt.Errorf("history: %w", err)
		}
		for _, m := range page {
			if m.Seq <= r.Seq && len(items) < transcriptItems {
				items = append(items, m)
			}
		}
		if next == "" {
			break
		}
		token = next
	}
	raw, err := s.composeTranscript(inboxes[0], conv, r, items)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	return deliver(ctx, inboxes[0], []string{r.Body}, raw)
}

// composeTranscript builds the copy; items are newest first.
func (s *Sender) composeTranscript(inbox Inbox, conv conversation.Conversation, r outboxRow, items []conversation.Message) ([]byte, error) {
	team := "the team"
	if inbox.Name != "" {
		team = inbox.Name
	}
	var text strings.Builder
	fmt.Fprintf(&text, "Here is a copy of your conversation with %s, as you asked.\n", team)
	if len(items) == transcriptItems {
		fmt.Fprintf(&text, "(Its latest %d messages.)\n", transcriptItems)
	}
	for i := len(items) - 1; i >= 0; i-- {
		m := items[i]
		at := time.UnixMilli(m.CreatedAt).UTC().Format("2 Jan 2006 15:04 UTC")
		switch {
		case m.Kind == conversation.KindActivity:
			continue
		case m.AuthorKind == conversation.AuthorCustomer:
			fmt.Fprintf(&text, "\n[%s] You:\n", at)
		default:
			fmt.Fprintf(&text, "\n[%s] %s:\n", at, oneLine(m.AuthorName))
		}
		if strings.TrimSpace(m.Body) != "" {
			text.WriteString(strings.TrimRight(withSources(&m), "\n") + "\n")
		}
		for _, a := range m.Meta.Attachments {
			fmt.Fprintf(&text, "(file: %s)\n", oneLine(a.Name))
		}
	}
	if sig := strings.TrimSpace(inbox.Signature); sig != "" {
		text.WriteString("\n-- \n" + strings.TrimPrefix(inbox.Signature, "-- \n"))
	}
	return encodeMail(enmime.Builder().From(oneLine(team), inbox.SupportAddress).To("", r.Body).
		ReplyTo("", s.replyTo(inbox, conv.ID)).Subject(oneLine("Your conversation with "+team)).Date(s.opts.Now()).
		Header("Message-Id", "<"+r.ID+"@"+s.opts.Domain+">").
		Header("Auto-Submitted", "auto-generated").
		Text([]byte(text.String())).HTML([]byte(htmlBody(text.String()))), thread{}, "transcript")
}
