package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/contact"
	"github.com/tandem-inbox/tandem/backend/internal/conversation"
	"github.com/tandem-inbox/tandem/backend/internal/workspace"
)

// seedConversations makes a few customer conversations in different states,
// as a visitor through the widget would and an agent through the app.
func seedConversations(ctx context.Context, svc Services, ws workspace.Workspace, owner, agent *access.Principal) error {
	visitor := func(name, email string, attrs map[string]string) (*access.Principal, error) {
		s, err := svc.Contacts.StartSession(ctx, contact.SessionRequest{PublicKey: ws.PublicKey, Name: name, Email: email, Attributes: attrs})
		if err != nil {
			return nil, err
		}
		return svc.Contacts.AuthenticateVisitor(ctx, s.Token)
	}
	start := func(v *access.Principal, page, body string) (conversation.Conversation, error) {
		c, _, err := svc.Conversations.Start(ctx, v, uuid.NewString(), page, nil, body)
		return c, err
	}
	say := func(p *access.Principal, c conversation.Conversation, body, kind string) error {
		_, _, err := svc.Conversations.Post(ctx, p, ws.ID, c.ID, uuid.NewString(), body, kind)
		return err
	}

	tags := map[string]string{}
	for _, t := range []struct{ name, color, description string }{
		{"refund", "#e11d48", "Refunds, returns and chargebacks"},
		{"shipping", "#2563eb", "Where is my order, delivery times"},
		{"vip", "#ca8a04", "VIP customers"},
		{"discount", "#16a34a", "Discount codes and promotions"},
	} {
		created, err := svc.Tags.Create(ctx, owner, ws.ID, t.name, t.color, t.description)
		if err != nil {
			return err
		}
		tags[t.name] = created.ID
	}
	tagIt := func(c conversation.Conversation, names ...string) error {
		for _, n := range names {
			if _, err := svc.Conversations.Tag(ctx, agent, ws.ID, c.ID, tags[n]); err != nil {
				return err
			}
		}
		return nil
	}

	// Waiting in the queue.
	sam, err := visitor("Sam Shopper", "sam@example.com", map[string]string{"cart_value": "42.50", "language": "en"})
	if err != nil {
		return err
	}
	queued, err := start(sam, "https://shop.example/orders/1042", "Hi! Where is my order #1042? It was due yesterday.")
	if err != nil {
		return err
	}
	if err := tagIt(queued, "shipping"); err != nil {
		return err
	}

	// Owned by the agent, with a reply and an internal note.
	vera, err := visitor("Vera Lindqvist", "vera@example.com", map[string]string{"vip": "true", "cart_value": "320"})
	if err != nil {
		return err
	}
	active, err := start(vera, "https://shop.example/checkout", "The discount code VIP20 is not accepted at checkout.")
	if err != nil {
		return err
	}
	if err := say(agent, active, "Sorry about that, Vera! Let me check the code for you.", conversation.KindText); err != nil {
		return err
	}
	if err := say(agent, active, "VIP customer, cart over $300: apply the discount manually if the code stays broken.", conversation.KindNote); err != nil {
		return err
	}
	if err := say(vera, active, "Thank you, I'll wait.", conversation.KindText); err != nil {
		return err
	}
	if err := tagIt(active, "vip", "discount"); err != nil {
		return err
	}
	if _, err := svc.Conversations.SetPriority(ctx, agent, ws.ID, active.ID, "high"); err != nil {
		return err
	}

	// Snoozed until tomorrow.
	noah, err := visitor("Noah Park", "", nil)
	if err != nil {
		return err
	}
	snoozed, err := start(noah, "https://shop.example/kettles/blue", "Will the blue kettle be back in stock?")
	if err != nil {
		return err
	}
	if err := say(agent, snoozed, "It's due next week; I'll get back to you as soon as it lands.", conversation.KindText); err != nil {
		return err
	}
	if _, err := svc.Conversations.Snooze(ctx, agent, ws.ID, snoozed.ID, time.Now().Add(24*time.Hour)); err != nil {
		return err
	}

	// Resolved and closed.
	mia, err := visitor("Mia Rossi", "mia@example.com", nil)
	if err != nil {
		return err
	}
	closed, err := start(mia, "https://shop.example/returns", "How do I return a pair of shoes?")
	if err != nil {
		return err
	}
	if err := say(agent, closed, "You can start a return at shop.example/returns within 30 days; the label is free.", conversation.KindText); err != nil {
		return err
	}
	if err := say(mia, closed, "Perfect, thanks!", conversation.KindText); err != nil {
		return err
	}
	if err := tagIt(closed, "refund"); err != nil {
		return err
	}
	if _, err := svc.Conversations.Close(ctx, agent, ws.ID, closed.ID); err != nil {
		return fmt.Errorf("close: %w", err)
	}
	return nil
}
