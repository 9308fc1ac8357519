package email

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jhillyerd/enmime/v2"

	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/conversation"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// kindCSAT is the outbox row of a closed conversation's rating mail.
const kindCSAT = "csat"

// reactClosed puts the rating mail of a conversation that closed in the
// outbox, due UnseenAfter later, when its customer has an email address
// and rating links can be made (a mail secret and a public address): the
// customer of an email conversation, or of a chat who did not see it close
// in the widget (which asks them there), can rate it from the mail. One
// per conversation, however often it closes.
func (s *Sender) reactClosed(ctx context.Context, ev events.Event) error {
	if s.opts.UnseenAfter <= 0 || len(s.opts.Secret) == 0 || s.opts.PublicURL == "" || s.contacts == nil {
		return nil
	}
	var pl conversation.Payload
	if err := json.Unmarshal(ev.Payload, &pl); err != nil {
		return fmt.Errorf("decode event: %w", err)
	}
	c := pl.Conversation
	if c == nil || c.State != conversation.StateClosed || (pl.Before != nil && pl.Before.State == conversation.StateClosed) {
		return nil
	}
	ct, err := s.contacts.Get(ctx, ev.WorkspaceID, c.ContactID)
	if apperr.Is(err, apperr.NotFound) || (err == nil && ct.Email == "") {
		return nil
	}
	if err != nil {
		return fmt.Errorf("customer of a closed conversation: %w", err)
	}
	now := s.opts.Now()
	if err := enqueue(ctx, s.db, &outboxRow{ID: uuid.NewSHA1(uuid.NameSpaceURL, []byte("tandem:csat:"+c.ID)).String(),
		WorkspaceID: ev.WorkspaceID, ConversationID: c.ID, AuthorName: "", Body: "", Status: outboxPending,
		NextAt: store.NowMillis(now.Add(s.opts.UnseenAfter)), CreatedAt: store.NowMillis(now), Kind: kindCSAT, Seq: ev.Seq}); err != nil {
		return fmt.Errorf("enqueue rating mail of %s: %w", c.ID, err)
	}
	return nil
}

// sendCSAT mails the customer of a closed conversation links to rate it
// (RatingPage), unless they rated it already, it is open again, or it was
// a chat whose close the widget showed them.
func (s *Sender) sendCSAT(ctx context.Context, r outboxRow) error {
	conv, err := s.convs.Get(ctx, r.WorkspaceID, r.ConversationID)
	if apperr.Is(err, apperr.NotFound) {
		return errSkip("the conversation is gone")
	}
	if err != nil {
		return fmt.Errorf("conversation: %w", err)
	}
	switch {
	case conv.CSATRating != 0:
		return errSkip("rated already")
	case conv.State != conversation.StateClosed:
		return errSkip("open again")
	case s.opts.Now().Sub(time.UnixMilli(conv.ClosedAt)) > conversation.CSATWindow:
		return errSkip("too late to rate")
	}
	t, thErr := threadOf(ctx, s.db, conv.ID)
	if thErr != nil && !store.ErrNoRows(thErr) {
		return fmt.Errorf("thread: %w", thErr)
	}
	if thErr != nil { // a chat: the widget asks for the rating when it shows the close
		seen, err := s.convs.SeenSeq(ctx, r.WorkspaceID, r.ConversationID)
		if err != nil {
			return err
		}
		if seen >= r.Seq {
			return errSkip("the widget showed the close")
		}
	}
	ct, err := s.contacts.Get(ctx, r.WorkspaceID, conv.ContactID)
	if apperr.Is(err, apperr.NotFound) || (err == nil && ct.Email == "") {
		return errSkip("the customer has no email address")
	}
	if err != nil {
		return fmt.Errorf("customer: %w", err)
	}
	var inbox Inbox
	if thErr == nil {
		inbox, err = inboxByID(ctx, s.db, t.InboxID, "")
	} else {
		var inboxes []Inbox
		if inboxes, err = inboxesOf(ctx, s.db, r.WorkspaceID); err == nil && len(inboxes) == 0 {
			return errSkip("the workspace has no email inbox")
		} else if err == nil {
			inbox = inboxes[0]
		}
	}
	if store.ErrNoRows(err) {
		return errSkip("the inbox is gone")
	}
	if err != nil {
		return fmt.Errorf("inbox: %w", err)
	}
	raw, err := s.composeCSAT(inbox, t, conv, ct.Name, ct.Email, r)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	return deliver(ctx, inbox, []string{ct.Email}, raw)
}

// composeCSAT builds the rating mail: a line per rating, each a link to
// the rating page with it chosen, threaded under an email conversation's
// mails.
func (s *Sender) composeCSAT(inbox Inbox, t thread, conv conversation.Conversation, name, address string, r outboxRow) ([]byte, error) {
	link := strings.TrimRight(s.opts.PublicURL, "/") + "/rate/" + RatingToken(s.opts.Secret, conv.ID)
	team := "the team"
	if inbox.Name != "" {
		team = inbox.Name
	}
	var text, page strings.Builder
	fmt.Fprintf(&text, "Your conversation with %s is closed. How did we do?\n\n", team)
	page.WriteString("<!DOCTYPE html><html><body><p>Your conversation with " + html.EscapeString(team) + " is closed. How did we do?</p><p>")
	for n := 5; n >= 1; n-- {
		u := link + "?rating=" + url.QueryEscape(fmt.Sprint(n))
		fmt.Fprintf(&text, "%s: %s\n", ratingLabels[n], u)
		fmt.Fprintf(&page, `<a href="%s" style="display:inline-block;margin:0 .5em .5em 0">%s</a>`, html.EscapeString(u), html.EscapeString(ratingLabels[n]))
	}
	text.WriteString("\nThe link opens a page where you can also leave a comment.")
	page.WriteString("</p><p>The link opens a page where you can also leave a comment.</p></body></html>")
	subject := "How did we do?"
	if conv.Subject != "" {
		subject += " (" + conv.Subject + ")"
	}
	b := enmime.Builder().From(oneLine(team), inbox.SupportAddress).To(oneLine(name), address).
		Subject(oneLine(subject)).Date(s.opts.Now()).
		Header("Message-Id", "<"+r.ID+"@"+s.opts.Domain+">").
		Header("Auto-Submitted", "auto-generated").
		Text([]byte(text.String())).HTML([]byte(page.String()))
	return encodeMail(b, t, "rating mail")
}
