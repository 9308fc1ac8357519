package server_test

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
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := botWorld(t, rpctest.Start(t, opts, quiet)) // only the test drains the reactors
		rule := w.rule(delayedRule("no answer", tandemv1.RuleTrigger_RULE_TRIGGER_NO_AGENT_REPLY, 5, "unanswered"))
		handOff := func(id string) {
			t.Helper()
			if ok, err := w.srv.Bot.HandOff(w.ctx, w.visitor, w.w1.ID, id, conversation.HandoffCustomerRequest, "", ""); err != nil || !ok {
				t.Fatalf("hand off: %v %v", ok, err)
			}
		}

		// The AI agent answers twice; the chat never reaches the team.
		aiOnly, answer := w.ask("Do you ship to Canada?")
		if answer == nil {
			t.Fatal("the AI agent did not answer")
		}
		if _, _, err := w.srv.Conversations.Post(w.ctx, w.visitor, w.w1.ID, aiOnly.ID, uuid.NewString(), "How long does standard shipping take?",
			conversation.KindText); err != nil {
			t.Fatal(err)
		}
		w.botAnswer(aiOnly.ID)
		w.runRules()
		if got := w.timers(); got != nil {
			t.Fatalf("armed %v while the AI agent had the chat (%s, handoffs %v)", got, w.state(aiOnly.ID).State, w.handoffs(aiOnly.ID))
		}

		// Handed off after the AI agent answered: armed at the handoff.
		handed, _ := w.ask("When are supplier invoices paid?")
		handOff(handed.ID)
		// Handed off, then closed: cancelled.
		closed, _ := w.ask("How do I reset my password?")
		handOff(closed.ID)
		w.runRules()
		if got := w.timers(); !slices.Equal(got, []string{"no answer", "no answer"}) {
			t.Fatalf("armed %v after two handoffs", got)
		}
		if _, err := w.srv.Conversations.Close(w.ctx, w.principal("agent"), w.w1.ID, closed.ID); err != nil {
			t.Fatal(err)
		}
		w.runRules()

		// A timer armed before this rule, while the AI agent had the chat.
		legacy, _ := w.ask("Do you ship internationally?")
		if w.state(legacy.ID).State != conversation.StateBot {
			t.Fatalf("legacy chat in %s", w.state(legacy.ID).State)
		}
		if _, err := w.srv.DB().ExecContext(w.ctx, `INSERT INTO rule_timers (rule_id, conversation_id, workspace_id, armed_state, armed_by,
			due_at, lease_until) VALUES (?, ?, ?, 'open', ?, ?, 0)`, rule.GetId(), legacy.ID, w.w1.ID, uuid.NewString(),
			store.NowMillis(time.Now())); err != nil {
			t.Fatal(err)
		}

		if n, err := w.srv.Automation.FireDue(w.ctx, time.Now().Add(10*time.Minute)); err != nil || n != 1 {
			t.Fatalf("fired %d, want 1: the handed-off chat (%v)", n, err)
		}
		for id, want := range map[string][]string{aiOnly.ID: nil, handed.ID: {"handoff", "unanswered"}, closed.ID: {"handoff"}, legacy.ID: nil} {
			if got := w.tagNames(id); !slices.Equal(got, want) {
				t.Errorf("conversation %s tagged %v, want %v", id, got, want)
			}
		}
	})
}
