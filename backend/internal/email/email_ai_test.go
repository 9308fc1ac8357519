package email_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/conversation"
	"github.com/tandem-inbox/tandem/backend/internal/email/mailtest"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestEmailAIAnswers: with the AI agent on, an inbox that lets it answer
// mail gets one mailed answer to a question its documents cover, threaded,
// with the sources as footnotes. A question they do not cover, and the
// customer's thanks, go to the team without a mail back. An inbox that does
// not let it leaves every mail to the team, even one the agent could answer.
func TestEmailAIAnswers(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		ms := startMailServer(t, opts)
		w := rpctest.BotWorld(t, ms.Server)
		c := w.Srv.Clients(rpcclient.GRPC)
		inbox := func(address string, ai bool) string {
			t.Helper()
			in := ms.inbox(t, w, address, ai)
			if in.GetAiAnswers() != ai {
				t.Fatalf("inbox %s: ai_answers %v, want %v", address, in.GetAiAnswers(), ai)
			}
			return in.GetReceivingAddress()
		}
		answering, manual := inbox("help@shop.example", true), inbox("sales@shop.example", false)

		// mail sends a mail and returns its conversation once the AI agent
		// has dealt with it.
		mail := func(from, to, subject, body string, headers ...string) conversation.Conversation {
			t.Helper()
			mailtest.Send(w.Ctx, t, ms.smtp, from, to, subject, body, headers...)
			list, err := c.Conversation.ListConversations(w.As("agent"), &tandemv1.ListConversationsRequest{WorkspaceId: w.W1.ID,
				Filter: &tandemv1.ConversationFilter{Channels: []tandemv1.Channel{tandemv1.Channel_CHANNEL_EMAIL}}})
			if err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(list.GetConversations(), func(c *tandemv1.Conversation) bool {
				return c.GetContact().GetEmail() == from
			})
			if i < 0 {
				t.Fatalf("no email conversation of %s: %v", from, list.GetConversations())
			}
			id := list.GetConversations()[i].GetId()
			w.BotAnswer(id) // drains the AI agent's reactor
			return w.State(id)
		}
		covered := mail("ada@example.com", answering, "Shipping time", "How long does standard shipping take within the country?")
		got := ms.arrived(t, 1)
		a := got[0]
		text := strings.ReplaceAll(a.Text, "\r\n", "\n")
		if a.Subject != "Re: Shipping time" || len(a.To) != 1 || a.To[0].Address != "ada@example.com" || !strings.HasPrefix(a.From.Name, "Ava") ||
			!strings.Contains(text, "3 to 5 business days") || !strings.Contains(text, "\n\nSources:\n[1] ") || !strings.Contains(text, "Shipping") {
			t.Errorf("the AI agent's mail: from %+v to %+v, subject %q, text %q", a.From, a.To, a.Subject, a.Text)
		}
		if s := w.State(covered.ID).State; s != conversation.StateBot {
			t.Errorf("answered conversation is %s, want it still with the AI agent", s)
		}

		// The customer thanks it by replying (the support address forwards
		// it): a person looks, no mail back.
		thanked := mail("ada@example.com", answering, "Re: Shipping time", "Thanks a lot!", "In-Reply-To: <"+a.MessageID+">")
		uncovered := mail("ben@example.com", answering, "Espresso machine", "Can you repair the gold-plated espresso machine I bought in 1998?",
			"Message-Id: <ben-1@example.com>")
		// Once the team has it, the AI agent leaves it to them: a question
		// it could answer gets no mail either.
		if again := mail("ben@example.com", answering, "Re: Espresso machine", "How long does standard shipping take within the country?",
			"In-Reply-To: <ben-1@example.com>"); again.ID != uncovered.ID {
			t.Fatalf("ben's second mail started conversation %s instead of joining %s", again.ID, uncovered.ID)
		}
		waiting := mail("cy@example.com", manual, "Shipping", "How long does standard shipping take within the country?")
		for name, tc := range map[string]struct {
			conv    conversation.Conversation
			handoff []conversation.HandoffReason
			told    int // messages to the customer: the first answer only
		}{
			"thanks":             {thanked, []conversation.HandoffReason{conversation.HandoffLowConfidence}, 1},
			"uncovered question": {uncovered, []conversation.HandoffReason{conversation.HandoffLowConfidence}, 0},
			"inbox without AI":   {waiting, nil, 0},
		} {
			if tc.conv.State != conversation.StatePending {
				t.Errorf("%s: conversation is %s, want pending for the team", name, tc.conv.State)
			}
			if got := w.Handoffs(tc.conv.ID); !slices.Equal(got, tc.handoff) {
				t.Errorf("%s: hand-offs %v, want %v", name, got, tc.handoff)
			}
			msgs, _, err := w.Srv.Domain().Conversations.History(w.Ctx, tc.conv.ID, 50, "", false)
			if err != nil {
				t.Fatal(err)
			}
			told := 0
			for _, m := range msgs {
				if m.AuthorKind != conversation.AuthorCustomer && m.Visibility == "public" {
					told++
				}
			}
			if told != tc.told {
				t.Errorf("%s: %d messages to the customer, want %d", name, told, tc.told)
			}
		}
		if thanked.ID != covered.ID {
			t.Errorf("the reply started conversation %s instead of joining %s", thanked.ID, covered.ID)
		}

		// Only the one answer went out, however long the sender runs.
		time.Sleep(time.Second)
		if got := ms.mp.Messages(t); len(got) != 1 {
			t.Errorf("%d mails arrived, want only the AI agent's answer", len(got))
		}
	})
}
