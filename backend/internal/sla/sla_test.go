package sla_test

import (
	"slices"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/config"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/notify"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/sla"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestSLA: a policy's clocks start when a conversation reaches the team,
// its deadlines show on the conversation, warnings and breaches fire exactly
// once even with two replicas scanning at the same moment, a replica that
// starts after a deadline passed fires it, and each target's outcome is kept.
func TestSLA(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		srv := rpctest.Start(t, opts, rpctest.Quiet) // the test drains the clocks and scans the timers itself
		w := rpctest.WorldOn(t, srv)
		c := srv.Clients(rpcclient.Connect)
		admin := w.As("admin")
		if _, err := c.SLA.CreateSlaPolicy(admin, &tandemv1.CreateSlaPolicyRequest{WorkspaceId: w.W1.ID, Policy: &tandemv1.SlaPolicyInput{
			Name: "Urgent", Priorities: []tandemv1.Priority{tandemv1.Priority_PRIORITY_URGENT}, FirstResponseSeconds: 3600,
			WarningPercent: 80}}); err != nil {
			t.Fatal(err)
		}
		fast, err := c.SLA.CreateSlaPolicy(admin, &tandemv1.CreateSlaPolicyRequest{WorkspaceId: w.W1.ID, Policy: &tandemv1.SlaPolicyInput{
			Name: "Everyone", Position: 1, FirstResponseSeconds: 3, NextResponseSeconds: 60, ResolutionSeconds: 3600, WarningPercent: 50}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.SLA.CreateSlaPolicy(admin, &tandemv1.CreateSlaPolicyRequest{WorkspaceId: w.W1.ID, Policy: &tandemv1.SlaPolicyInput{Name: "none", WarningPercent: 50}})
		rpctest.WantCode(t, err, connect.CodeInvalidArgument)
		drain := func() {
			t.Helper()
			if err := srv.SLAReactor().Drain(w.Ctx, w.W1.ID); err != nil {
				t.Fatal(err)
			}
		}

		late, onTime := w.Conversation(w.Visitor), w.Conversation(w.Other)
		drain()
		s := w.SLA(late.ID)
		if s.GetPolicyId() != fast.GetPolicy().GetId() || s.GetFirstResponseDueMs() < late.CreatedAt || s.GetFirstResponseDueMs() > late.CreatedAt+4000 ||
			s.GetResolutionDueMs() == 0 || s.GetNextResponseDueMs() != 0 {
			t.Fatalf("sla = %v (created %d)", s, late.CreatedAt)
		}
		// onTime is answered at once; late is not.
		for _, id := range []string{onTime.ID} {
			if _, err := c.Conversation.SendMessage(w.As("agent"), &tandemv1.SendMessageRequest{ConversationId: id, ClientId: uuid.NewString(), Body: "Hi!"}); err != nil {
				t.Fatal(err)
			}
		}
		drain()
		time.Sleep(3100 * time.Millisecond)

		// Two replicas scan at once: each timer fires once.
		other := rpctest.Start(t, opts, rpctest.Quiet)
		var wg sync.WaitGroup
		for _, r := range []*rpctest.Server{srv, other, srv, other} {
			wg.Go(func() {
				if _, err := r.Domain().SLA.FireDue(w.Ctx); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		count := func(typ events.Type, conv string) int {
			return storetest.Count(t, srv.DB(), "events", "workspace_id = ? AND type = ? AND conversation_id = ?", w.W1.ID, typ, conv)
		}
		if count(events.SLAWarning, late.ID) != 1 || count(events.SLABreach, late.ID) != 1 || count(events.SLABreach, onTime.ID) != 0 {
			t.Fatalf("late: %d warnings, %d breaches; on time: %d breaches", count(events.SLAWarning, late.ID), count(events.SLABreach, late.ID),
				count(events.SLABreach, onTime.ID))
		}
		if err := srv.NotifyReactor().Drain(w.Ctx, w.W1.ID); err != nil {
			t.Fatal(err)
		}
		if n := storetest.Count(t, srv.DB(), "notifications", "conversation_id = ? AND type = ?", late.ID, notify.SLABreach); n == 0 {
			t.Error("nobody was told of the breach")
		}

		// Outcomes: the late reply missed, the prompt one met; the customer
		// writing again starts the next-response clock; closing settles the
		// resolution.
		if _, err := c.Conversation.SendMessage(w.As("agent"), &tandemv1.SendMessageRequest{ConversationId: late.ID, ClientId: uuid.NewString(), Body: "Sorry!"}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Widget.SendMessage(rpcclient.WithToken(w.Ctx, w.TokenOf(w.Other)), &tandemv1.WidgetServiceSendMessageRequest{
			ConversationId: onTime.ID, ClientId: uuid.NewString(), Body: "one more thing"}); err != nil {
			t.Fatal(err)
		}
		drain()
		if s := w.SLA(late.ID); s.GetFirstResponse() != "missed" {
			t.Errorf("late first response: %v", s)
		}
		s = w.SLA(onTime.ID)
		if s.GetFirstResponse() != "met" || s.GetNextResponseDueMs() == 0 {
			t.Errorf("on-time conversation after the customer wrote again: %v", s)
		}
		if _, err := c.Conversation.CloseConversation(w.As("agent"), &tandemv1.CloseConversationRequest{ConversationId: onTime.ID}); err != nil {
			t.Fatal(err)
		}
		drain()
		if s := w.SLA(onTime.ID); s.GetResolution() != "met" || s.GetNextResponseDueMs() != 0 {
			t.Errorf("closed conversation: %v", s)
		}
		if n := storetest.Count(t, srv.DB(), "sla_timers", "conversation_id = ? AND fired_at = 0", onTime.ID); n != 0 {
			t.Errorf("%d timers still armed on a closed conversation", n)
		}

		// A deadline that passes while no replica scans fires at the next start.
		down := w.Conversation(w.Visitor)
		drain()
		time.Sleep(3100 * time.Millisecond)
		third := rpctest.Start(t, opts) // its timer loop scans at once
		deadline := time.Now().Add(5 * time.Second)
		for count(events.SLABreach, down.ID) == 0 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if _, err := third.Domain().SLA.FireDue(w.Ctx); err != nil {
			t.Fatal(err)
		}
		if count(events.SLABreach, down.ID) != 1 {
			t.Errorf("%d breaches for a deadline passed while down", count(events.SLABreach, down.ID))
		}

		// Business hours are checked.
		_, err = c.SLA.SetBusinessHours(admin, &tandemv1.SetBusinessHoursRequest{WorkspaceId: w.W1.ID, Hours: &tandemv1.BusinessHours{TimeZone: "Mars/Olympus"}})
		rpctest.WantCode(t, err, connect.CodeInvalidArgument)
		hours, err := c.SLA.SetBusinessHours(admin, &tandemv1.SetBusinessHoursRequest{WorkspaceId: w.W1.ID, Hours: &tandemv1.BusinessHours{
			TimeZone: "Europe/Berlin", Ranges: []*tandemv1.BusinessHours_Range{{Weekday: 1, StartMinute: 540, EndMinute: 1020}},
			Holidays: []string{"2026-12-25"}}})
		if err != nil || len(hours.GetHours().GetRanges()) != 1 {
			t.Fatalf("set hours: %v %v", hours, err)
		}
		got, err := c.SLA.GetBusinessHours(w.As("agent"), &tandemv1.GetBusinessHoursRequest{WorkspaceId: w.W1.ID})
		if err != nil || got.GetHours().GetTimeZone() != "Europe/Berlin" || got.GetHours().GetHolidays()[0] != "2026-12-25" {
			t.Fatalf("get hours: %v %v", got, err)
		}
	})
}

// TestFollowUps: after an answer, a silent customer gets one reminder and
// then the conversation closes, as resolved by the AI agent when it never
// left it; a customer who writes back cancels both.
func TestFollowUps(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		srv := rpctest.Start(t, opts)
		w := rpctest.BotWorld(t, srv)
		if _, err := srv.Domain().SLA.SetFollowUps(w.Ctx, w.Principal("admin"), w.W1.ID, sla.FollowUp{RemindAfter: time.Second,
			CloseAfter: time.Second, Message: "Still there?"}); err != nil {
			t.Fatal(err)
		}
		silent, a := w.Ask("How long does standard shipping take?")
		replied, b := w.Ask("Do you ship to Canada?")
		if a == nil || b == nil {
			t.Fatal("the AI agent did not answer")
		}
		if err := srv.SLAReactor().Drain(w.Ctx, w.W1.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := srv.Clients(rpcclient.Connect).Widget.SendMessage(rpcclient.WithToken(w.Ctx, w.VisitorToken), &tandemv1.WidgetServiceSendMessageRequest{
			ConversationId: replied.ID, ClientId: uuid.NewString(), Body: "thanks"}); err != nil {
			t.Fatal(err)
		}
		w.BotAnswer(replied.ID) // small talk: the AI agent answers, which arms new follow-ups
		if err := srv.SLAReactor().Drain(w.Ctx, w.W1.ID); err != nil {
			t.Fatal(err)
		}
		before := storetest.Count(t, srv.DB(), "sla_timers", "conversation_id = ? AND fired_at = 0", replied.ID)
		time.Sleep(2100 * time.Millisecond)
		for range 3 { // replicas and restarts repeat the scan
			if _, err := srv.Domain().SLA.FireDue(w.Ctx); err != nil {
				t.Fatal(err)
			}
		}
		reminders := storetest.Count(t, srv.DB(), "messages", "conversation_id = ? AND body = 'Still there?'", silent.ID)
		got := w.State(silent.ID)
		if reminders != 1 || got.State != "closed" || got.ClosedFrom != "bot" {
			t.Fatalf("silent customer: %d reminders, state %s from %q", reminders, got.State, got.ClosedFrom)
		}
		if before != 2 {
			t.Errorf("the customer's reply left %d follow-up timers, want the 2 armed by the newer answer", before)
		}
	})
}

// TestSLABusinessHours: with business hours (Mondays 9:00-17:00 UTC) the
// clock runs only inside them, and with an injected clock the warning and
// the breach fire exactly at their instants, once.
func TestSLABusinessHours(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		srv := rpctest.Start(t, opts, func(c *config.Config) { c.Reactors = false })
		w := rpctest.WorldOn(t, srv)
		c := srv.Clients(rpcclient.Connect)
		admin := w.As("admin")
		if _, err := c.SLA.SetBusinessHours(admin, &tandemv1.SetBusinessHoursRequest{WorkspaceId: w.W1.ID, Hours: &tandemv1.BusinessHours{
			TimeZone: "UTC", Ranges: []*tandemv1.BusinessHours_Range{{Weekday: 1, StartMinute: 9 * 60, EndMinute: 17 * 60}}}}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.SLA.CreateSlaPolicy(admin, &tandemv1.CreateSlaPolicyRequest{WorkspaceId: w.W1.ID, Policy: &tandemv1.SlaPolicyInput{
			Name: "Business hours", FirstResponseSeconds: 3600, WarningPercent: 50, BusinessHours: true}}); err != nil {
			t.Fatal(err)
		}
		conv := w.Conversation(w.Visitor)
		if err := srv.SLAReactor().Drain(w.Ctx, w.W1.ID); err != nil {
			t.Fatal(err)
		}
		// Independently: walk minute by minute, counting Monday 9-17 minutes.
		working := func(from time.Time, minutes int) time.Time {
			at := from.UTC()
			for minutes > 0 {
				at = at.Add(time.Minute)
				prev := at.Add(-time.Minute)
				if prev.Weekday() == time.Monday && prev.Hour() >= 9 && prev.Hour() < 17 {
					minutes--
				}
			}
			return at
		}
		got := w.State(conv.ID)
		created := time.UnixMilli(got.CreatedAt).Truncate(time.Minute) // the walk is in whole minutes
		due, warn := working(created, 60), working(created, 30)
		if d := time.UnixMilli(got.FirstResponseDue).Sub(due); d < 0 || d >= time.Minute {
			t.Fatalf("due %s, want %s (within the minute the conversation started)", time.UnixMilli(got.FirstResponseDue).UTC(), due)
		}
		count := func(typ events.Type) int {
			return storetest.Count(t, srv.DB(), "events", "workspace_id = ? AND type = ? AND conversation_id = ?", w.W1.ID, typ, conv.ID)
		}
		fireAt := func(at time.Time) {
			t.Helper()
			srv.Domain().SLA.SetClock(func() time.Time { return at })
			if _, err := srv.Domain().SLA.FireDue(w.Ctx); err != nil {
				t.Fatal(err)
			}
		}
		fireAt(warn.Add(-2 * time.Minute))
		if count(events.SLAWarning) != 0 {
			t.Fatal("the warning fired early")
		}
		fireAt(warn.Add(time.Minute))
		fireAt(warn.Add(time.Minute))
		if count(events.SLAWarning) != 1 || count(events.SLABreach) != 0 {
			t.Fatalf("at the warning: %d warnings, %d breaches", count(events.SLAWarning), count(events.SLABreach))
		}
		fireAt(due.Add(time.Minute))
		fireAt(due.Add(2 * time.Minute))
		if count(events.SLAWarning) != 1 || count(events.SLABreach) != 1 {
			t.Fatalf("after the deadline: %d warnings, %d breaches", count(events.SLAWarning), count(events.SLABreach))
		}
	})
}

// TestSLARuleActions: rules react to an SLA breach (raise the priority, tag
// it), once, attributed to the rule.
func TestSLARuleActions(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		srv := rpctest.Start(t, opts, func(c *config.Config) { c.Reactors = false })
		w := rpctest.WorldOn(t, srv)
		c := srv.Clients(rpcclient.Connect)
		if _, err := c.SLA.CreateSlaPolicy(w.As("admin"), &tandemv1.CreateSlaPolicyRequest{WorkspaceId: w.W1.ID,
			Policy: &tandemv1.SlaPolicyInput{Name: "Fast", FirstResponseSeconds: 1, WarningPercent: 50}}); err != nil {
			t.Fatal(err)
		}
		w.Rule(&tandemv1.RuleSpec{Name: "Escalate breaches", Enabled: true, Trigger: tandemv1.RuleTrigger_RULE_TRIGGER_SLA_BREACH,
			Actions: []*tandemv1.Action{{Kind: &tandemv1.Action_SetPriority{SetPriority: tandemv1.Priority_PRIORITY_URGENT}}, rpctest.AddTag("sla-breached")}})
		conv := w.Conversation(w.Visitor)
		if err := srv.SLAReactor().Drain(w.Ctx, w.W1.ID); err != nil {
			t.Fatal(err)
		}
		w.RunRules()
		if got := w.State(conv.ID); got.Priority == "urgent" {
			t.Fatal("escalated before the breach")
		}
		time.Sleep(1100 * time.Millisecond)
		for range 2 {
			if _, err := srv.Domain().SLA.FireDue(w.Ctx); err != nil {
				t.Fatal(err)
			}
			w.RunRules()
		}
		got := w.State(conv.ID)
		if got.Priority != "urgent" || !slices.Contains(w.TagNames(conv.ID), "sla-breached") {
			t.Fatalf("after the breach: priority %s, tags %v", got.Priority, w.TagNames(conv.ID))
		}
		if n := storetest.Count(t, srv.DB(), "events", "conversation_id = ? AND type = ? AND actor_kind = 'rule'", conv.ID, events.ConversationPriorityChanged); n != 1 {
			t.Errorf("%d priority changes by the rule, want 1", n)
		}
	})
}
