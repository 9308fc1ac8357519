package server_test

import (
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/contact"
	"github.com/tandem-inbox/tandem/backend/internal/conversation"
	"github.com/tandem-inbox/tandem/backend/internal/demo"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestDemoFirstMinute is the "done when" on the demo data: a
// question the documents cover gets a cited answer; a refund request, the
// "Talk to a person" button and a cart of 250 each land the chat in the
// human queue with the right tag and reason.
func TestDemoFirstMinute(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		srv := rpctest.Start(t, opts)
		d, err := demo.Seed(t.Context(), srv.Domain().Demo(), demo.Banner{}, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		w := &world{&rpctest.World{T: t, Srv: srv, Ctx: t.Context(), W1: d.Workspace}}
		sess, err := srv.Domain().Contacts.StartSession(w.Ctx, contact.SessionRequest{PublicKey: d.Workspace.PublicKey, Name: "Sam"})
		if err != nil {
			t.Fatal(err)
		}
		visitor, err := srv.Domain().Contacts.AuthenticateVisitor(w.Ctx, sess.Token)
		if err != nil {
			t.Fatal(err)
		}
		start := func(body string, fields map[string]string) conversation.Conversation {
			c, _, err := srv.Domain().Conversations.Start(w.Ctx, visitor, uuid.NewString(), "https://shop.example/", fields, body)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}

		answered := start("How long does standard delivery take?", nil)
		if a := w.BotAnswer(answered.ID); a == nil || len(a.Meta.Bot.Citations) == 0 {
			t.Fatalf("no cited answer: %v", a)
		}

		// A shopper's wording, not the policy's: the return passage answers
		// it, with its own sentence, not the whole section.
		returns := start("Can I return an item I bought 3 weeks ago?", nil)
		if a := w.BotAnswer(returns.ID); a == nil || len(a.Meta.Bot.Citations) == 0 ||
			a.Meta.Bot.Citations[0].DocumentTitle != "Return policy" || !strings.Contains(a.Body, "within 30 days") ||
			strings.Contains(a.Body, "Refund timing") {
			t.Fatalf("return question: %+v", a)
		}

		refund := start("I want a refund for my last order", nil)
		if a := w.BotAnswer(refund.ID); a != nil {
			t.Fatalf("the AI agent answered a refund request: %q", a.Body)
		}
		cart := start("Hello", map[string]string{"cart_value": "250"})
		w.BotAnswer(cart.ID)

		widget := srv.Clients(rpcclient.Connect).Widget
		ctx := rpcclient.WithToken(w.Ctx, sess.Token)
		buttons, err := widget.ListCustomActions(ctx, &tandemv1.WidgetServiceListCustomActionsRequest{})
		if err != nil || len(buttons.GetActions()) != 1 || buttons.GetActions()[0].GetLabel() != "Talk to a person" {
			t.Fatalf("buttons %v (%v)", buttons.GetActions(), err)
		}
		if _, err := widget.PressCustomAction(ctx, &tandemv1.PressCustomActionRequest{ConversationId: answered.ID,
			CustomActionId: buttons.GetActions()[0].GetId()}); err != nil {
			t.Fatal(err)
		}

		for _, tc := range []struct {
			conv   conversation.Conversation
			reason conversation.HandoffReason
			tag    string
		}{
			{refund, conversation.HandoffKeywordRule, "billing"},
			{cart, conversation.HandoffAttributeRule, "big cart"},
			{answered, conversation.HandoffCustomerRequest, "handoff"},
		} {
			c := w.State(tc.conv.ID)
			if c.State != conversation.StatePending || !slices.Equal(w.Handoffs(c.ID), []conversation.HandoffReason{tc.reason}) ||
				!slices.Contains(w.TagNames(c.ID), tc.tag) {
				t.Errorf("%q: state %s, handoffs %v, tags %v; want pending, %s, %s", tc.conv.LastMessagePreview, c.State,
					w.Handoffs(c.ID), w.TagNames(c.ID), tc.reason, tc.tag)
			}
		}
	})
}
