package automation_test

import (
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/conversation"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestDelayedRules: delayed rules are armed by events, cancelled when the
// conversation leaves the state that armed them (or the awaited reply
// comes), and fire once when due: a second server on the same database (as
// after a restart, or a replica) fires what the first armed, and the first
// then finds nothing left to fire.
func TestDelayedRules(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := worldOn(t, rpctest.Start(t, opts))
		w.Rule(rpctest.DelayedRule("queue wait", tandemv1.RuleTrigger_RULE_TRIGGER_PENDING_FOR, 10, "waited"))
		w.Rule(rpctest.DelayedRule("no answer", tandemv1.RuleTrigger_RULE_TRIGGER_NO_AGENT_REPLY, 5, "unanswered"))
		w.Rule(rpctest.DelayedRule("quiet customer", tandemv1.RuleTrigger_RULE_TRIGGER_NO_CUSTOMER_REPLY, 30, "quiet"))
		_, err := w.Srv.Clients(rpcclient.Connect).Automation.CreateRule(w.As("admin"), &tandemv1.CreateRuleRequest{WorkspaceId: w.W1.ID,
			Rule: rpctest.DelayedRule("no delay", tandemv1.RuleTrigger_RULE_TRIGGER_PENDING_FOR, 0, "x")})
		if err == nil {
			t.Fatal("a delayed rule without a delay was accepted")
		}

		waiting := w.ConversationWith(w.Visitor, "hello?")
		answered := w.ConversationWith(w.Other, "hi")
		agent := w.Principal("agent")
		if _, err := w.Srv.Domain().Conversations.Claim(w.Ctx, agent, w.W1.ID, answered.ID); err != nil { // leaves pending
			t.Fatal(err)
		}
		if _, _, err := w.Srv.Domain().Conversations.Post(w.Ctx, agent, w.W1.ID, answered.ID, uuid.NewString(), "Hi, how can I help?",
			conversation.KindText); err != nil {
			t.Fatal(err)
		}
		w.RunRules()
		if got, want := w.Timers(), []string{"no answer", "queue wait", "quiet customer"}; !slices.Equal(got, want) {
			t.Fatalf("armed %v, want %v", got, want)
		}

		now := time.Now()
		if n, err := w.Srv.Domain().Automation.FireDue(w.Ctx, now.Add(4*time.Minute)); err != nil || n != 0 {
			t.Fatalf("fired %d early (%v)", n, err)
		}
		second := rpctest.Start(t, opts) // the same database: a restart, or a replica
		if n, err := second.Domain().Automation.FireDue(w.Ctx, now.Add(11*time.Minute)); err != nil || n != 2 {
			t.Fatalf("the second server fired %d, want 2 (%v)", n, err)
		}
		if n, err := w.Srv.Domain().Automation.FireDue(w.Ctx, now.Add(11*time.Minute)); err != nil || n != 0 {
			t.Fatalf("the first server fired %d more, want 0 (%v)", n, err)
		}
		if got := w.TagNames(waiting.ID); !slices.Equal(got, []string{"unanswered", "waited"}) {
			t.Fatalf("waiting conversation tagged %v", got)
		}
		if got := w.TagNames(answered.ID); got != nil {
			t.Fatalf("answered conversation tagged %v", got)
		}
		if got := w.Timers(); !slices.Equal(got, []string{"quiet customer"}) {
			t.Fatalf("left armed %v", got)
		}

		// The customer answers: they are no longer the rpctest.Quiet one, the team is.
		if _, _, err := w.Srv.Domain().Conversations.Post(w.Ctx, w.Other, w.W1.ID, answered.ID, uuid.NewString(), "my order is late",
			conversation.KindText); err != nil {
			t.Fatal(err)
		}
		w.RunRules()
		if got := w.Timers(); !slices.Equal(got, []string{"no answer"}) {
			t.Fatalf("armed %v after the customer's answer", got)
		}
		// Closing cancels it.
		if _, err := w.Srv.Domain().Conversations.Close(w.Ctx, agent, w.W1.ID, answered.ID); err != nil {
			t.Fatal(err)
		}
		w.RunRules()
		if got := w.Timers(); got != nil {
			t.Fatalf("left armed %v after closing", got)
		}
		if n, err := second.Domain().Automation.FireDue(w.Ctx, now.Add(2*time.Hour)); err != nil || n != 0 {
			t.Fatalf("fired %d after cancelling (%v)", n, err)
		}
	})
}
