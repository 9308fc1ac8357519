package metrics_test

import (
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/automation"
	"github.com/tandem-inbox/tandem/backend/internal/bot"
	"github.com/tandem-inbox/tandem/backend/internal/conversation"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestTakeoverMetric (issue 15, item 18): tandem_handoffs_total counts each
// handoff ListHandoffs and the report list, by reason, agent takeovers
// included: a person taking the chat over, and a person answering a chat
// the AI agent had.
func TestTakeoverMetric(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		srv := rpctest.Start(t, opts, rpctest.Quiet) // only the test drains the reactors
		w := rpctest.BotWorld(t, srv)
		c := srv.Clients(rpcclient.Connect)

		takenOver, a := w.Ask("Do you ship to Canada?")
		answered, b := w.Ask("How long does standard shipping take?")
		requested, _ := w.Ask("When are supplier invoices paid?")
		if a == nil || b == nil {
			t.Fatal("the AI agent did not answer")
		}
		if _, err := c.Conversation.TakeOverConversation(w.As("agent"), &tandemv1.TakeOverConversationRequest{ConversationId: takenOver.ID}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Conversation.SendMessage(w.As("agent"), &tandemv1.SendMessageRequest{ConversationId: answered.ID, ClientId: uuid.NewString(),
			Body: "Let me help you with that."}); err != nil {
			t.Fatal(err)
		}
		if ok, err := srv.Domain().Bot.HandOff(w.Ctx, w.Visitor, w.W1.ID, requested.ID, conversation.HandoffCustomerRequest, "", ""); err != nil || !ok {
			t.Fatalf("hand off: %v %v", ok, err)
		}
		for _, id := range []string{takenOver.ID, answered.ID} {
			if got := w.Handoffs(id); len(got) != 1 || got[0] != conversation.HandoffAgentTakeover {
				t.Fatalf("handoffs of %s: %v, want one agent_takeover", id, got)
			}
		}

		if err := srv.MetricsReactor().Drain(w.Ctx, w.W1.ID); err != nil {
			t.Fatal(err)
		}
		samples := rpctest.Scrape(t, srv)
		listed, err := c.Bot.ListHandoffs(w.As("admin"), &tandemv1.ListHandoffsRequest{WorkspaceId: w.W1.ID})
		if err != nil {
			t.Fatal(err)
		}
		report, err := c.Stats.GetReport(w.As("admin"), &tandemv1.GetReportRequest{WorkspaceId: w.W1.ID, StartTimeMs: 1,
			EndTimeMs: time.Now().Add(time.Hour).UnixMilli()})
		if err != nil {
			t.Fatal(err)
		}
		reported := map[tandemv1.HandoffReason]int64{}
		for _, r := range report.GetHandoffsByReason() {
			reported[conversation.HandoffReasonToProto(conversation.HandoffReason(r.GetReason()))] = r.GetCount()
		}
		total := int64(0)
		for _, hc := range listed.GetCounts() {
			reason := conversation.HandoffReasonFromProto(hc.GetReason())
			got, _ := rpctest.Find(samples, "tandem_handoffs_total", map[string]string{"reason": string(reason)})
			if int64(got) != hc.GetCount() || reported[hc.GetReason()] != hc.GetCount() {
				t.Errorf("%s: /metrics %v, report %d, ListHandoffs %d", reason, got, reported[hc.GetReason()], hc.GetCount())
			}
			total += hc.GetCount()
		}
		if takeovers, _ := rpctest.Find(samples, "tandem_handoffs_total", map[string]string{"reason": string(conversation.HandoffAgentTakeover)}); takeovers != 2 || total != 3 {
			t.Errorf("tandem_handoffs_total{agent_takeover} = %v, handoffs listed %d; want 2 of 3", takeovers, total)
		}
	})
}

// TestReactorLagWhenOff (issue 15, item 18): a reactor whose feature is off
// in a workspace has nothing to do there, so /metrics shows it no lag
// however many events the workspace logs: the AI agent's reactor once the AI
// agent is turned off (even after its loop looked at the workspace again),
// the rules' reactor once the last enabled rule is turned off. Turned on
// again, each reacts from then on, lagging only behind what it has yet to
// handle.
func TestReactorLagWhenOff(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		srv := rpctest.Start(t, opts, rpctest.Quiet) // the reactors run only when the test drains them
		w := rpctest.BotWorld(t, srv)
		c := srv.Clients(rpcclient.Connect)
		lag := func(reactor string) float64 {
			t.Helper()
			v, ok := rpctest.Find(rpctest.Scrape(t, srv), "tandem_reactor_lag_events", map[string]string{"reactor": reactor})
			if !ok {
				t.Fatalf("no tandem_reactor_lag_events{reactor=%q}", reactor)
			}
			return v
		}
		setBot := func(on bool) {
			t.Helper()
			if _, err := c.Bot.UpdateBotSettings(w.As("admin"), &tandemv1.UpdateBotSettingsRequest{WorkspaceId: w.W1.ID,
				Enabled: proto.Bool(on)}); err != nil {
				t.Fatal(err)
			}
		}
		busy := func() { // a workspace going about its day
			t.Helper()
			for range 3 {
				w.ConversationWith(w.Visitor, "hello")
			}
		}
		rule := w.Rule(&tandemv1.RuleSpec{Name: "tag refunds", Enabled: true, Trigger: tandemv1.RuleTrigger_RULE_TRIGGER_CUSTOMER_MESSAGE,
			Conditions: []*tandemv1.Condition{rpctest.Keywords("refund")}, Actions: []*tandemv1.Action{rpctest.AddTag("refund")}})
		busy()
		if lag(bot.ReactorName) == 0 || lag(automation.ReactorName) == 0 {
			t.Fatalf("undrained reactors show no lag: bot %v, automation %v", lag(bot.ReactorName), lag(automation.ReactorName))
		}

		// The AI agent off: its reactor has nothing to do, even after its
		// loop (or a drain) comes round the workspace again.
		setBot(false)
		if err := srv.BotReactor().Drain(w.Ctx, w.W1.ID); err != nil {
			t.Fatal(err)
		}
		busy()
		if got := lag(bot.ReactorName); got != 0 {
			t.Fatalf("AI agent off: tandem_reactor_lag_events{bot} = %v, want 0", got)
		}
		// The rules off.
		spec := &tandemv1.RuleSpec{Name: "tag refunds", Enabled: false, Trigger: tandemv1.RuleTrigger_RULE_TRIGGER_CUSTOMER_MESSAGE,
			Conditions: []*tandemv1.Condition{rpctest.Keywords("refund")}, Actions: []*tandemv1.Action{rpctest.AddTag("refund")}}
		if _, err := c.Automation.UpdateRule(w.As("admin"), &tandemv1.UpdateRuleRequest{RuleId: rule.GetId(), Rule: spec}); err != nil {
			t.Fatal(err)
		}
		w.RunRules()
		busy()
		if got := lag(automation.ReactorName); got != 0 {
			t.Fatalf("rules off: tandem_reactor_lag_events{automation} = %v, want 0", got)
		}

		// On again: they react to what comes next.
		setBot(true)
		spec.Enabled = true
		if _, err := c.Automation.UpdateRule(w.As("admin"), &tandemv1.UpdateRuleRequest{RuleId: rule.GetId(), Rule: spec}); err != nil {
			t.Fatal(err)
		}
		if got := lag(bot.ReactorName); got != 1 { // the rule's update, after the AI agent's
			t.Fatalf("AI agent on again: lag %v, want 1", got)
		}
		conv := w.ConversationWith(w.Visitor, "I want a refund")
		w.RunRules()
		if err := srv.BotReactor().Drain(w.Ctx, w.W1.ID); err != nil {
			t.Fatal(err)
		}
		if lag(bot.ReactorName) != 0 || lag(automation.ReactorName) != 0 {
			t.Fatalf("drained: bot %v, automation %v", lag(bot.ReactorName), lag(automation.ReactorName))
		}
		if got := w.TagNames(conv.ID); !slices.Contains(got, "refund") {
			t.Fatalf("the rule on again tagged %v", got)
		}
	})
}
