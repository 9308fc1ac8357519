package rpctest

import (
	"testing"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/conversation"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
)

// The AI agent: a world with a knowledge base, asking it and reading its answers.

// KnowledgeBase is the fixture knowledge base: a small store's help center.
var KnowledgeBase = map[string]string{ //nolint:gochecknoglobals // read-only table
	"returns.md": `# Return policy

## Returns
You can return any item within 30 days of delivery for a full refund. Items must be unused and in their original packaging.
Start a return from your order page and print the prepaid return label.

## Refund timing
Refunds are issued to the original payment method within 5 business days after the returned item arrives at our warehouse.`,
	"shipping.md": `# Shipping

## Delivery times
Standard shipping takes 3 to 5 business days within the country. Express shipping delivers in 1 to 2 business days.

## International shipping
We ship to the EU, the UK and Canada. International delivery takes 7 to 14 business days and customs fees are paid by the recipient.

## Tracking
Every order gets a tracking number by email as soon as the parcel leaves our warehouse.`,
	"suppliers.md": `# Supplier FAQ

## Becoming a supplier
Suppliers apply through the partner portal. We review applications within 10 business days.

## Supplier payments
Supplier invoices are paid net 30 by bank transfer.`,
	"account.html": `<html><head><title>Your account</title><script>alert("x")</script></head><body>
<h1>Your account</h1><h2>Password reset</h2><p>To reset your password, click "Forgot password" on the sign-in page and follow the link we email you.</p>
<h2>Deleting your account</h2><p>To delete your account, write to privacy support; we erase your data within 30 days.</p></body></html>`,
}

// BotWorld is a world whose W1 has the fixture knowledge base and its AI
// agent on.
func BotWorld(t *testing.T, srv *Server) *World {
	t.Helper()
	w := WorldOn(t, srv)
	c := srv.Clients(rpcclient.Connect)
	for name, body := range KnowledgeBase {
		if _, err := c.Knowledge.UploadDocument(w.As("admin"), &tandemv1.UploadDocumentRequest{WorkspaceId: w.W1.ID,
			Filename: name, Content: []byte(body)}); err != nil {
			t.Fatalf("upload %s: %v", name, err)
		}
	}
	if _, err := c.Bot.UpdateBotSettings(w.As("admin"), &tandemv1.UpdateBotSettingsRequest{WorkspaceId: w.W1.ID,
		Enabled: proto.Bool(true), Name: proto.String("Ava")}); err != nil {
		t.Fatal(err)
	}
	return w
}

// Ask starts a conversation with the question and waits until the AI agent
// has handled it: it returns the conversation and the agent's answer, if any.
func (w *World) Ask(question string) (conversation.Conversation, *conversation.Message) {
	w.T.Helper()
	conv := w.ConversationWith(w.Visitor, question)
	return conv, w.BotAnswer(conv.ID)
}

// ConversationWith starts a conversation of the visitor with the first message.
func (w *World) ConversationWith(visitor *access.Principal, body string) conversation.Conversation {
	w.T.Helper()
	c, _, err := w.Srv.Domain().Conversations.Start(w.Ctx, visitor, uuid.NewString(), "https://shop.example/", nil, body)
	if err != nil {
		w.T.Fatal(err)
	}
	return c
}

// BotAnswer drains the AI agent's reactor and returns its newest message in
// the conversation, if any.
func (w *World) BotAnswer(conversationID string) *conversation.Message {
	w.T.Helper()
	if err := w.Srv.BotReactor().Drain(w.Ctx, w.W1.ID); err != nil {
		w.T.Fatal(err)
	}
	msgs, _, err := w.Srv.Domain().Conversations.History(w.Ctx, conversationID, 50, "", false)
	if err != nil {
		w.T.Fatal(err)
	}
	for i := range msgs { // newest first
		if msgs[i].AuthorKind == conversation.AuthorBot && msgs[i].Meta.Bot != nil {
			return &msgs[i]
		}
	}
	return nil
}

// State is the conversation in W1 as the store holds it.
func (w *World) State(id string) conversation.Conversation {
	w.T.Helper()
	c, err := w.Srv.Domain().Conversations.Get(w.Ctx, w.W1.ID, id)
	if err != nil {
		w.T.Fatal(err)
	}
	return c
}

// Handoffs are the reasons of the conversation's hand-offs, oldest first.
func (w *World) Handoffs(conversationID string) []conversation.HandoffReason {
	w.T.Helper()
	var rs []conversation.HandoffReason
	if err := w.Srv.DB().SelectContext(w.Ctx, &rs, `SELECT reason FROM handoffs WHERE conversation_id = ? ORDER BY created_at`, conversationID); err != nil {
		w.T.Fatal(err)
	}
	return rs
}
