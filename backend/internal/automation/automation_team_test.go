package automation_test

import (
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/conversation"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestReplyRulesOnlyWithTeam (issue 15, item 15): a no_agent_reply rule
// waits for an agent's reply only once the chat is with the team. A chat
// the AI agent answers and never hands off arms nothing, whatever the
// customer writes; a handoff arms it (the customer waits for a person from
// then on) and it fires; a close after the handoff cancels it; and a timer
// armed while the AI agent had the chat (before this rule) does not fire.
func TestReplyRulesOnlyWithTeam(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := botWorld(t, rpctest.Start(t, opts, rpctest.Quiet)) // only the test drains the reactors
		rule := w.Rule(rpctest.DelayedRule("no answer", tandemv1.RuleTrigger_RULE_TRIGGER_NO_AGENT_REPLY, 5, "unanswered"))
		handOff := func(id string) {
			t.Helper()
			if ok, err := w.Srv.Domain().Bot.HandOff(w.Ctx, w.Visitor, w.W1.ID, id, conversation.HandoffCustomerRequest, "", ""); err != nil || !ok {
				t.Fatalf("hand off: %v %v", ok, err)
			}
		}

		// The AI agent answers twice; the chat never reaches the team.
		aiOnly, answer := w.Ask("Do you ship to Canada?")
		if answer == nil {
			t.Fatal("the AI agent did not answer")
		}
		if _, _, err := w.Srv.Domain().Conversations.Post(w.Ctx, w.Visitor, w.W1.ID, aiOnly.ID, uuid.NewString(), "How long does standard shipping take?",
			conversation.KindText); err != nil {
			t.Fatal(err)
		}
		w.BotAnswer(aiOnly.ID)
		w.RunRules()
		if got := w.Timers(); got != nil {
			t.Fatalf("armed %v while the AI agent had the chat (%s, handoffs %v)", got, w.State(aiOnly.ID).State, w.Handoffs(aiOnly.ID))
		}

		// Handed off after the AI agent answered: armed at the handoff.
		handed, _ := w.Ask("When are supplier invoices paid?")
		handOff(handed.ID)
		// Handed off, then closed: cancelled.
		closed, _ := w.Ask("How do I reset my password?")
		handOff(closed.ID)
		w.RunRules()
		if got := w.Timers(); !slices.Equal(got, []string{"no answer", "no answer"}) {
			t.Fatalf("armed %v after two handoffs", got)
		}
		if _, err := w.Srv.Domain().Conversations.Close(w.Ctx, w.Principal("agent"), w.W1.ID, closed.ID); err != nil {
			t.Fatal(err)
		}
		w.RunRules()

		// A timer armed before this rule, while the AI agent had the chat.
		legacy, _ := w.Ask("Do you ship internationally?")
		if w.State(legacy.ID).State != conversation.StateBot {
			t.Fatalf("legacy chat in %s", w.State(legacy.ID).State)
		}
		if _, err := w.Srv.DB().ExecContext(w.Ctx, `INSERT INTO rule_timers (rule_id, conversation_id, workspace_id, armed_state, armed_by,
			due_at, lease_until) VALUES (?, ?, ?, 'open', ?, ?, 0)`, rule.GetId(), legacy.ID, w.W1.ID, uuid.NewString(),
			store.NowMillis(time.Now())); err != nil {
			t.Fatal(err)
		}

		if n, err := w.Srv.Domain().Automation.FireDue(w.Ctx, time.Now().Add(10*time.Minute)); err != nil || n != 1 {
			t.Fatalf("fired %d, want 1: the handed-off chat (%v)", n, err)
		}
		for id, want := range map[string][]string{aiOnly.ID: nil, handed.ID: {"handoff", "unanswered"}, closed.ID: {"handoff"}, legacy.ID: nil} {
			if got := w.TagNames(id); !slices.Equal(got, want) {
				t.Errorf("conversation %s tagged %v, want %v", id, got, want)
			}
		}
	})
}
