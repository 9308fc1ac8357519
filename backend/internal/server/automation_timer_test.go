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

// timers lists the names of the rules armed in W1, sorted.
func (w *world) timers() []string {
	w.t.Helper()
	var out []string
	if err := w.srv.DB().SelectContext(w.ctx, &out, `SELECT r.name FROM rule_timers t JOIN automation_rules r ON r.id = t.rule_id
		WHERE t.workspace_id = ? ORDER BY r.name`, w.w1.ID); err != nil {
		w.t.Fatal(err)
	}
	return out
}

func delayedRule(name string, trigger tandemv1.RuleTrigger, minutes int32, tag string) *tandemv1.RuleSpec {
	return &tandemv1.RuleSpec{Name: name, Enabled: true, Trigger: trigger, DelayMinutes: minutes,
		Actions: []*tandemv1.Action{addTag(tag)}}
}

// TestDelayedRules: delayed rules are armed by events, cancelled when the
// conversation leaves the state that armed them (or the awaited reply
// comes), and fire once when due: a second server on the same database (as
// after a restart, or a replica) fires what the first armed, and the first
// then finds nothing left to fire.
func TestDelayedRules(t *testing.T) {
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := worldOn(t, rpctest.Start(t, opts))
		w.rule(delayedRule("queue wait", tandemv1.RuleTrigger_RULE_TRIGGER_PENDING_FOR, 10, "waited"))
		w.rule(delayedRule("no answer", tandemv1.RuleTrigger_RULE_TRIGGER_NO_AGENT_REPLY, 5, "unanswered"))
		w.rule(delayedRule("quiet customer", tandemv1.RuleTrigger_RULE_TRIGGER_NO_CUSTOMER_REPLY, 30, "quiet"))
		_, err := w.srv.Clients(rpctest.Connect).Automation.CreateRule(w.as("admin"), &tandemv1.CreateRuleRequest{WorkspaceId: w.w1.ID,
			Rule: delayedRule("no delay", tandemv1.RuleTrigger_RULE_TRIGGER_PENDING_FOR, 0, "x")})
		if err == nil {
			t.Fatal("a delayed rule without a delay was accepted")
		}

		waiting := w.conversation2(w.visitor, "hello?")
		answered := w.conversation2(w.other, "hi")
		agent := w.principal("agent")
		if _, err := w.srv.Conversations.Claim(w.ctx, agent, w.w1.ID, answered.ID); err != nil { // leaves pending
			t.Fatal(err)
		}
		if _, _, err := w.srv.Conversations.Post(w.ctx, agent, w.w1.ID, answered.ID, uuid.NewString(), "Hi, how can I help?",
			conversation.KindText); err != nil {
			t.Fatal(err)
		}
		w.runRules()
		if got, want := w.timers(), []string{"no answer", "queue wait", "quiet customer"}; !slices.Equal(got, want) {
			t.Fatalf("armed %v, want %v", got, want)
		}

		now := time.Now()
		if n, err := w.srv.Automation.FireDue(w.ctx, now.Add(4*time.Minute)); err != nil || n != 0 {
			t.Fatalf("fired %d early (%v)", n, err)
		}
		second := rpctest.Start(t, opts) // the same database: a restart, or a replica
		if n, err := second.Automation.FireDue(w.ctx, now.Add(11*time.Minute)); err != nil || n != 2 {
			t.Fatalf("the second server fired %d, want 2 (%v)", n, err)
		}
		if n, err := w.srv.Automation.FireDue(w.ctx, now.Add(11*time.Minute)); err != nil || n != 0 {
			t.Fatalf("the first server fired %d more, want 0 (%v)", n, err)
		}
		if got := w.tagNames(waiting.ID); !slices.Equal(got, []string{"unanswered", "waited"}) {
			t.Fatalf("waiting conversation tagged %v", got)
		}
		if got := w.tagNames(answered.ID); got != nil {
			t.Fatalf("answered conversation tagged %v", got)
		}
		if got := w.timers(); !slices.Equal(got, []string{"quiet customer"}) {
			t.Fatalf("left armed %v", got)
		}

		// The customer answers: they are no longer the quiet one, the team is.
		if _, _, err := w.srv.Conversations.Post(w.ctx, w.other, w.w1.ID, answered.ID, uuid.NewString(), "my order is late",
			conversation.KindText); err != nil {
			t.Fatal(err)
		}
		w.runRules()
		if got := w.timers(); !slices.Equal(got, []string{"no answer"}) {
			t.Fatalf("armed %v after the customer's answer", got)
		}
		// Closing cancels it.
		if _, err := w.srv.Conversations.Close(w.ctx, agent, w.w1.ID, answered.ID); err != nil {
			t.Fatal(err)
		}
		w.runRules()
		if got := w.timers(); got != nil {
			t.Fatalf("left armed %v after closing", got)
		}
		if n, err := second.Automation.FireDue(w.ctx, now.Add(2*time.Hour)); err != nil || n != 0 {
			t.Fatalf("fired %d after cancelling (%v)", n, err)
		}
	})
}
