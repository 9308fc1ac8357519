package email

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jhillyerd/enmime/v2"

	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/contact"
	"github.com/tandem-inbox/tandem/backend/internal/conversation"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// errSkip ends an unseen reply without mailing it, saying why: the
// customer saw it in the widget in time, or there is nobody or nothing to
// mail it to or from.
type errSkip string

func (e errSkip) Error() string { return string(e) }

// reactUnseen puts a reply in a chat in the outbox, due UnseenAfter from
// now, when its customer left an email address: if the widget has not
// shown it to them by then, it is mailed (sendUnseen).
func (s *Sender) reactUnseen(ctx context.Context, ev events.Event, m *conversation.Message) error {
	if s.opts.UnseenAfter <= 0 || s.contacts == nil {
		return nil
	}
	conv, err := s.convs.Get(ctx, ev.WorkspaceID, ev.ConversationID)
	if apperr.Is(err, apperr.NotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("conversation of an unseen reply: %w", err)
	}
	if conv.Channel == conversation.ChannelEmail {
		return nil
	}
	ct, err := s.contacts.Get(ctx, ev.WorkspaceID, conv.ContactID)
	if apperr.Is(err, apperr.NotFound) || (err == nil && ct.Email == "") {
		return nil // no address to reach them at
	}
	if err != nil {
		return fmt.Errorf("customer of an unseen reply: %w", err)
	}
	now := s.opts.Now()
	if err := enqueue(ctx, s.db, &outboxRow{ID: m.ID, WorkspaceID: ev.WorkspaceID, ConversationID: ev.ConversationID,
		AuthorName: oneLine(m.AuthorName), Body: withSources(m), Status: outboxPending, NextAt: store.NowMillis(now.Add(s.opts.UnseenAfter)),
		CreatedAt: store.NowMillis(now), Kind: kindUnseen, Seq: ev.Seq}); err != nil {
		return fmt.Errorf("enqueue unseen reply %s: %w", m.ID, err)
	}
	return nil
}

// sendUnseen mails the customer of a chat the replies they have not seen
// in the widget: this one and the conversation's others still waiting, in
// one mail from the workspace's first email inbox, with a link back to the
// chat's page. Their answer by mail threads into the chat (Inbound).
// Replies the widget has shown them since are skipped.
func (s *Sender) sendUnseen(ctx context.Context, r outboxRow) error {
	seen, err := s.convs.SeenSeq(ctx, r.WorkspaceID, r.ConversationID)
	if apperr.Is(err, apperr.NotFound) {
		return errSkip("the conversation is gone")
	}
	if err != nil {
		return err
	}
	if seen >= r.Seq {
		return errSkip("seen in the widget")
	}
	conv, err := s.convs.Get(ctx, r.WorkspaceID, r.ConversationID)
	if err != nil {
		return fmt.Errorf("conversation: %w", err)
	}
	ct, err := s.contacts.Get(ctx, r.WorkspaceID, conv.ContactID)
	if apperr.Is(err, apperr.NotFound) || (err == nil && ct.Email == "") {
		return errSkip("the customer has no email address")
	}
	if err != nil {
		return fmt.Errorf("customer: %w", err)
	}
	inboxes, err := inboxesOf(ctx, s.db, r.WorkspaceID)
	if err != nil {
		return fmt.Errorf("inboxes: %w", err)
	}
	if len(inboxes) == 0 {
		return errSkip("the workspace has no email inbox")
	}
	inbox := inboxes[0]

	// The conversation's other unseen replies go in the same mail, leased
	// so that no other sender mails them too.
	rows := []outboxRow{r}
	pending, err := pendingUnseen(ctx, s.db, r.ConversationID)
	if err != nil {
		return fmt.Errorf("unseen replies: %w", err)
	}
	now := store.NowMillis(s.opts.Now())
	var taken []outboxRow
	for _, o := range pending {
		if o.ID == r.ID {
			continue
		}
		ok, err := leaseOutbox(ctx, s.db, o.ID, now, now+(s.opts.Timeout+30*time.Second).Milliseconds())
		if err != nil {
			return fmt.Errorf("lease unseen reply: %w", err)
		}
		if ok {
			taken = append(taken, o)
			if o.Seq > seen {
				rows = append(rows, o)
			}
		}
	}
	release := func(status string) {
		for _, o := range taken {
			st, sentAt := status, int64(0)
			switch {
			case o.Seq <= seen && status == outboxSent:
				st = outboxSkipped
			case status == outboxSent:
				sentAt = now
			}
			if err := finishOutbox(ctx, s.db, o.ID, st, "", o.NextAt, sentAt); err != nil {
				s.logger.Warn("unseen reply: record", "message_id", o.ID, "err", err)
			}
		}
	}
	raw, err := s.composeUnseen(inbox, conv, ct, rows)
	if err != nil {
		release(outboxPending)
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	if err := deliver(ctx, inbox, []string{ct.Email}, raw); err != nil {
		release(outboxPending)
		return err
	}
	release(outboxSent)
	return nil
}

// composeUnseen builds the mail of a chat's unseen replies: from the
// inbox's address under the (last) author's name, to the customer, each
// reply with its author, then the link back to the chat's page and the
// signature. Its Message-ID is the last reply's id, so the customer's
// answer threads into the chat by In-Reply-To as well as by the reply
// token of its Reply-To.
func (s *Sender) composeUnseen(inbox Inbox, conv conversation.Conversation, ct contact.Contact, rows []outboxRow) ([]byte, error) {
	var text strings.Builder
	if len(rows) == 1 {
		text.WriteString("You have a reply in your chat that you have not seen yet:\n")
	} else {
		fmt.Fprintf(&text, "You have %d replies in your chat that you have not seen yet:\n", len(rows))
	}
	for _, r := range rows {
		fmt.Fprintf(&text, "\n%s:\n%s\n", r.AuthorName, strings.TrimRight(r.Body, "\n"))
	}
	if u, err := url.Parse(conv.PageURL); err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" {
		fmt.Fprintf(&text, "\nContinue the chat: %s\n", u.String())
	}
	text.WriteString("\nOr reply to this email: your answer goes to the same conversation.")
	if sig := strings.TrimSpace(inbox.Signature); sig != "" {
		text.WriteString("\n\n-- \n" + strings.TrimPrefix(inbox.Signature, "-- \n"))
	}
	last := rows[len(rows)-1]
	name := last.AuthorName
	if inbox.Name != "" {
		name = strings.TrimSpace(name + " (" + inbox.Name + ")")
	}
	subject := "New reply to your chat"
	if len(rows) > 1 {
		subject = "New replies to your chat"
	}
	if inbox.Name != "" {
		subject += " with " + inbox.Name
	}
	return encodeMail(enmime.Builder().From(oneLine(name), inbox.SupportAddress).To(oneLine(ct.Name), ct.Email).
		ReplyTo("", s.replyTo(inbox, conv.ID)).Subject(oneLine(subject)).Date(s.opts.Now()).
		Header("Message-Id", "<"+last.ID+"@"+s.opts.Domain+">").
		Header("Auto-Submitted", "no").
		Text([]byte(text.String())).HTML([]byte(htmlBody(text.String()))), thread{}, "unseen replies")
}
