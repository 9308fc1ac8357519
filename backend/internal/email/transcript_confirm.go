package email

import (
	"context"
	"fmt"
	"html"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jhillyerd/enmime/v2"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/conversation"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// kindTranscriptConfirm is the outbox row of a mail asking an address to
// confirm it wants a transcript; its id is its confirmation's.
const kindTranscriptConfirm = "confirm" // email_outbox.kind holds 16 characters

// ConfirmationTTL is how long a confirmation link works.
const ConfirmationTTL = 24 * time.Hour

// confirmPrefix marks a confirmation link's token (access.NewSecret).
const confirmPrefix = "tdm_"

// confirmation is a transcript_confirmations row: an address a contact
// asked a conversation's transcript for, bound to all three.
type confirmation struct {
	ID             string `db:"id"`
	WorkspaceID    string `db:"workspace_id"`
	ConversationID string `db:"conversation_id"`
	ContactID      string `db:"contact_id"`
	Email          string `db:"email"`
	CreatedAt      int64  `db:"created_at"`
	ExpiresAt      int64  `db:"expires_at"`
	ConfirmedAt    int64  `db:"confirmed_at"`
}

const confirmationColumns = `id, workspace_id, conversation_id, contact_id, email, created_at, expires_at, confirmed_at`

// verifiedAddress says whether a conversation's customer may be mailed the
// chat at address without confirming it. Only someone who can read that
// mailbox can vouch for it:
//   - the conversation is an email conversation from that address (its
//     customer wrote from it, and is mailed the replies anyway);
//   - this contact confirmed the address through a confirmation link.
//
// A signed identity does not vouch for it: the contact does not record
// which of its fields were signed, and a signed identity without an email
// leaves the one the visitor typed in place.
func (s *Sender) verifiedAddress(ctx context.Context, conv conversation.Conversation, address string) (bool, error) {
	t, err := threadOf(ctx, s.db, conv.ID)
	switch {
	case err == nil && strings.EqualFold(t.CustomerAddress, address):
		return true, nil
	case err != nil && !store.ErrNoRows(err):
		return false, fmt.Errorf("thread: %w", err)
	}
	var n int
	if err := s.db.GetContext(ctx, &n, `SELECT COUNT(*) FROM transcript_confirmations WHERE contact_id = ? AND email = ? AND confirmed_at > 0`,
		conv.ContactID, address); err != nil {
		return false, fmt.Errorf("count confirmed addresses: %w", err)
	}
	return n > 0, nil
}

// requestConfirmation queues a mail asking the address to confirm that it
// wants the conversation's transcript, unless a link for the same
// conversation and address is still live. It counts against the address's
// daily cap.
func (s *Sender) requestConfirmation(ctx context.Context, conv conversation.Conversation, address string) error {
	now := s.opts.Now()
	var live int
	if err := s.db.GetContext(ctx, &live, `SELECT COUNT(*) FROM transcript_confirmations
		WHERE conversation_id = ? AND contact_id = ? AND email = ? AND confirmed_at = 0 AND expires_at > ?`,
		conv.ID, conv.ContactID, address, store.NowMillis(now)); err != nil {
		return fmt.Errorf("find confirmations: %w", err)
	}
	if live > 0 {
		return nil // its link is on its way or in the mailbox already
	}
	if err := s.checkAddressCap(ctx, address); err != nil {
		return err
	}
	c := confirmation{ID: uuid.NewString(), WorkspaceID: conv.WorkspaceID, ConversationID: conv.ID, ContactID: conv.ContactID,
		Email: address, CreatedAt: store.NowMillis(now), ExpiresAt: store.NowMillis(now.Add(ConfirmationTTL))}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO transcript_confirmations (`+confirmationColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.WorkspaceID, c.ConversationID, c.ContactID, c.Email, c.CreatedAt, c.ExpiresAt, c.ConfirmedAt); err != nil {
		return fmt.Errorf("insert confirmation: %w", err)
	}
	if err := enqueue(ctx, s.db, &outboxRow{ID: c.ID, WorkspaceID: c.WorkspaceID, ConversationID: c.ConversationID, Status: outboxPending,
		NextAt: c.CreatedAt, CreatedAt: c.CreatedAt, Kind: kindTranscriptConfirm, Seq: conv.LastSeq, Body: address}); err != nil {
		return fmt.Errorf("enqueue confirmation: %w", err)
	}
	return nil
}

// sendConfirmation mails a confirmation's link. Its token is made here,
// and only its hash kept: a retry makes a new one, so the token is never
// stored anywhere, the outbox included.
func (s *Sender) sendConfirmation(ctx context.Context, r outboxRow) error {
	var c confirmation
	err := s.db.GetContext(ctx, &c, `SELECT `+confirmationColumns+` FROM transcript_confirmations WHERE id = ?`, r.ID)
	switch {
	case store.ErrNoRows(err):
		return errSkip("the confirmation is gone")
	case err != nil:
		return fmt.Errorf("confirmation: %w", err)
	case c.ConfirmedAt > 0:
		return errSkip("confirmed already")
	case store.NowMillis(s.opts.Now()) >= c.ExpiresAt:
		return errSkip("expired")
	}
	if s.opts.PublicURL == "" { // config.Load always sets one; a server built without it has no link to send
		return errSkip("no public address for the link")
	}
	inboxes, err := inboxesOf(ctx, s.db, r.WorkspaceID)
	if err != nil {
		return fmt.Errorf("inboxes: %w", err)
	}
	if len(inboxes) == 0 {
		return errSkip("the workspace has no email inbox")
	}
	token, hash := access.NewSecret(confirmPrefix)
	if _, err := s.db.ExecContext(ctx, `UPDATE transcript_confirmations SET token_hash = ? WHERE id = ?`, hash, c.ID); err != nil {
		return fmt.Errorf("store the token's hash: %w", err)
	}
	raw, err := s.composeConfirmation(inboxes[0], r, token)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	return deliver(ctx, inboxes[0], []string{c.Email}, raw)
}

// composeConfirmation builds the mail: fixed text, the team's name (set by
// the workspace, never by a visitor) and the link, so that nobody can use
// it to carry their own words to someone else's mailbox.
func (s *Sender) composeConfirmation(inbox Inbox, r outboxRow, token string) ([]byte, error) {
	team := "the team"
	if inbox.Name != "" {
		team = inbox.Name
	}
	link := strings.TrimRight(s.opts.PublicURL, "/") + "/transcripts/confirm?token=" + url.QueryEscape(token)
	text := fmt.Sprintf("Someone asked %s to email a copy of a chat to this address.\n\n"+
		"If it was you, confirm the address to receive it (the link works for 24 hours):\n%s\n\n"+
		"If it was not you, ignore this mail: nothing more will be sent.\n", oneLine(team), link)
	page := "<!DOCTYPE html><html><body><p>Someone asked " + html.EscapeString(oneLine(team)) +
		" to email a copy of a chat to this address.</p><p>If it was you, <a href=\"" + html.EscapeString(link) +
		"\">confirm the address</a> to receive it (the link works for 24 hours).</p>" +
		"<p>If it was not you, ignore this mail: nothing more will be sent.</p></body></html>"
	return encodeMail(enmime.Builder().From(oneLine(team), inbox.SupportAddress).To("", r.Body).
		Subject(oneLine("Confirm your address for "+team)).Date(s.opts.Now()).
		Header("Message-Id", "<"+r.ID+"@"+s.opts.Domain+">").
		Header("Auto-Submitted", "auto-generated").
		Text([]byte(text)).HTML([]byte(page)), thread{}, "transcript confirmation")
}

// confirmationOf finds a confirmation by its link's token.
func (s *Sender) confirmationOf(ctx context.Context, token string) (confirmation, error) {
	var c confirmation
	err := s.db.GetContext(ctx, &c, `SELECT `+confirmationColumns+` FROM transcript_confirmations WHERE token_hash = ?`,
		access.HashSecret(token))
	return c, err
}

// Confirmation outcomes.
var (
	errLinkUnknown = apperr.New(apperr.NotFound, "this confirmation link is not valid")
	errLinkUsed    = apperr.New(apperr.AlreadyExists, "this address is confirmed already; the link works once")
	errLinkExpired = apperr.New(apperr.FailedPrecondition, "this confirmation link has expired; ask for the copy again in the chat")
)

// ConfirmTranscript uses a confirmation link's token once: the address
// becomes verified for the contact, and the conversation's transcript as it
// stands is queued for it (within the caps). The token binds conversation,
// contact and address: it sends that conversation to that address, for
// that contact, and nothing else.
func (s *Sender) ConfirmTranscript(ctx context.Context, token string) error {
	c, err := s.confirmationLive(ctx, token)
	if err != nil {
		return err
	}
	now := store.NowMillis(s.opts.Now())
	conv, err := s.convs.Get(ctx, c.WorkspaceID, c.ConversationID)
	if apperr.Is(err, apperr.NotFound) || (err == nil && conv.ContactID != c.ContactID) {
		return errLinkUnknown
	}
	if err != nil {
		return err
	}
	res, err := s.db.ExecContext(ctx, `UPDATE transcript_confirmations SET confirmed_at = ? WHERE id = ? AND confirmed_at = 0 AND expires_at > ?`,
		now, c.ID, now)
	if err != nil {
		return fmt.Errorf("confirm: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("confirm: %w", err)
	} else if n == 0 {
		return errLinkUsed // another request used it first
	}
	return s.queueTranscript(ctx, conv, c.Email)
}

// confirmationLive is the confirmation a token is a usable link for; the
// error says why it is not one.
func (s *Sender) confirmationLive(ctx context.Context, token string) (confirmation, error) {
	c, err := s.confirmationOf(ctx, token)
	switch {
	case store.ErrNoRows(err):
		return c, errLinkUnknown
	case err != nil:
		return c, fmt.Errorf("confirmation: %w", err)
	case c.ConfirmedAt > 0:
		return c, errLinkUsed
	case store.NowMillis(s.opts.Now()) >= c.ExpiresAt:
		return c, errLinkExpired
	}
	return c, nil
}
