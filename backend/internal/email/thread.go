package email

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// maxCc caps the addresses an email conversation's replies copy.
const maxCc = 10

// ErrNotEmail answers a thread asked of a conversation that is not email.
var ErrNotEmail = apperr.New(apperr.FailedPrecondition, "this conversation is not by email")

// Thread is where an email conversation's replies go.
type Thread struct {
	ConversationID  string
	InboxID         string
	CustomerAddress string
	// Cc is copied on every reply.
	Cc []string
	// Subject is the replies' subject; "" for "Re: " and the
	// conversation's.
	Subject string
}

func (t thread) public() Thread {
	return Thread{ConversationID: t.ConversationID, InboxID: t.InboxID, CustomerAddress: t.CustomerAddress, Cc: strings.Fields(t.Cc),
		Subject: t.Subject}
}

// Thread returns where the workspace's email conversation's replies go.
func (s *Service) Thread(ctx context.Context, workspaceID, conversationID string) (Thread, error) {
	t, err := threadOf(ctx, s.db, conversationID)
	if store.ErrNoRows(err) || (err == nil && t.WorkspaceID != workspaceID) {
		return Thread{}, ErrNotEmail
	}
	if err != nil {
		return Thread{}, fmt.Errorf("email thread: %w", err)
	}
	return t.public(), nil
}

// SetReply sets the CC and the subject of the replies to come on an email
// conversation, as given: addresses are checked and lower-cased, the
// customer's own and repeats left out; the subject is one line.
func (s *Service) SetReply(ctx context.Context, workspaceID, conversationID string, cc []string, subject string) (Thread, error) {
	if len(cc) > maxCc {
		return Thread{}, apperr.Invalid("cc", fmt.Sprintf("must be at most %d addresses", maxCc))
	}
	subject, err := cleanLine("subject", subject, MaxSubject)
	if err != nil {
		return Thread{}, err
	}
	var out Thread
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		t, err := threadOf(ctx, tx, conversationID)
		if store.ErrNoRows(err) || (err == nil && t.WorkspaceID != workspaceID) {
			return ErrNotEmail
		}
		if err != nil {
			return fmt.Errorf("email thread: %w", err)
		}
		var list []string
		for _, a := range cc {
			addr, err := cleanAddress(a)
			if err != nil {
				return apperr.Invalid("cc", fmt.Sprintf("%q is not an email address", a))
			}
			if addr != t.CustomerAddress && !slices.Contains(list, addr) {
				list = append(list, addr)
			}
		}
		t.Cc, t.Subject = strings.Join(list, " "), subject
		if err := setThreadReply(ctx, tx, conversationID, t.Cc, t.Subject, store.NowMillis(s.now())); err != nil {
			return fmt.Errorf("set email thread: %w", err)
		}
		out = t.public()
		return nil
	})
	return out, err
}

// messages returns what a conversation's received mails carried and how
// mailing its replies went, oldest first (none for a chat).
func (s *Service) messages(ctx context.Context, workspaceID, conversationID string) ([]emailMessage, []outboxRow, error) {
	ms, err := emailMessagesOf(ctx, s.db, workspaceID, conversationID)
	if err != nil {
		return nil, nil, fmt.Errorf("list email messages: %w", err)
	}
	ds, err := deliveriesOf(ctx, s.db, workspaceID, conversationID)
	if err != nil {
		return nil, nil, fmt.Errorf("list email deliveries: %w", err)
	}
	return ms, ds, nil
}
