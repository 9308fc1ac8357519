package stats_test

import (
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/conversation"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestStats: the overview and a report over conversations handled every
// way: by an agent (rated), handed off by the customer, resolved by the AI
// agent, and still waiting with a tag. The reactors are drained by hand: a
// running AI agent would race the customer's "Talk to a person" with its own
// low-confidence handoff (it has no documents here).
func TestStats(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		srv := rpctest.Start(t, opts, rpctest.Quiet)
		w := rpctest.WorldOn(t, srv)
		c := srv.Clients(rpcclient.Connect)
		agent := w.As("agent")
		start := time.Now().Add(-time.Minute).UnixMilli()
		reply := func(id string) {
			t.Helper()
			if _, err := c.Conversation.SendMessage(agent, &tandemv1.SendMessageRequest{ConversationId: id, ClientId: uuid.NewString(), Body: "On it"}); err != nil {
				t.Fatal(err)
			}
		}
		closeAs := func(id string) {
			t.Helper()
			if _, err := c.Conversation.CloseConversation(agent, &tandemv1.CloseConversationRequest{ConversationId: id}); err != nil {
				t.Fatal(err)
			}
		}
		vctx := rpcclient.WithToken(w.Ctx, w.VisitorToken)

		byAgent := w.Conversation(w.Visitor) // the AI agent is off: pending
		reply(byAgent.ID)
		closeAs(byAgent.ID)
		if _, err := c.Widget.RateConversation(vctx, &tandemv1.RateConversationRequest{ConversationId: byAgent.ID, Rating: 5}); err != nil {
			t.Fatal(err)
		}
		waiting := w.Conversation(w.Visitor)
		tag := w.Tag(w.W1)
		if _, err := c.Conversation.TagConversation(agent, &tandemv1.TagConversationRequest{ConversationId: waiting.ID, TagId: tag}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Bot.UpdateBotSettings(w.As("admin"), &tandemv1.UpdateBotSettingsRequest{WorkspaceId: w.W1.ID, Enabled: proto.Bool(true)}); err != nil {
			t.Fatal(err)
		}
		handedOff := w.Conversation(w.Visitor)
		if _, err := c.Widget.RequestHuman(vctx, &tandemv1.RequestHumanRequest{ConversationId: handedOff.ID}); err != nil {
			t.Fatal(err)
		}
		reply(handedOff.ID)
		closeAs(handedOff.ID)
		byAI := w.Conversation(w.Visitor)
		if _, err := c.Widget.CloseConversation(vctx, &tandemv1.WidgetServiceCloseConversationRequest{ConversationId: byAI.ID}); err != nil {
			t.Fatal(err)
		}
		if err := srv.SLAReactor().Drain(w.Ctx, w.W1.ID); err != nil { // records first responses
			t.Fatal(err)
		}

		report, err := c.Stats.GetReport(w.As("supervisor"), &tandemv1.GetReportRequest{WorkspaceId: w.W1.ID, StartTimeMs: start,
			EndTimeMs: time.Now().Add(time.Minute).UnixMilli()})
		if err != nil {
			t.Fatal(err)
		}
		if report.GetConversations() != 4 || report.GetResolved() != 3 || report.GetAiResolved() != 1 || report.GetHandedOff() != 1 ||
			report.GetFirstResponse().GetCount() != 2 || report.GetResolution().GetCount() != 3 || report.GetCsatAverage() != 5 ||
			report.GetCsatDistribution()[4] != 1 || len(report.GetHandoffsByReason()) != 1 ||
			report.GetHandoffsByReason()[0].GetReason() != string(conversation.HandoffCustomerRequest) || len(report.GetTags()) != 2 {
			t.Fatalf("report = %v", report)
		}
		for _, tg := range report.GetTags() { // the handoff tag and ours, once each
			if tg.GetCount() != 1 || (tg.GetTagId() != tag && tg.GetName() != "handoff") {
				t.Errorf("tag frequency %v", tg)
			}
		}
		for _, a := range report.GetAgents() {
			if a.GetUserId() == w.Users["agent"].ID && (a.GetHandled() != 2 || a.GetOpenConversations() != 0) {
				t.Errorf("agent workload = %v", a)
			}
		}
		// Narrowed to the tag: only the waiting conversation.
		tagged, err := c.Stats.GetReport(w.As("supervisor"), &tandemv1.GetReportRequest{WorkspaceId: w.W1.ID, StartTimeMs: start,
			EndTimeMs: time.Now().Add(time.Minute).UnixMilli(), TagId: tag})
		if err != nil || tagged.GetConversations() != 1 || tagged.GetResolved() != 0 {
			t.Fatalf("tag report = %v, %v", tagged, err)
		}
		_, err = c.Stats.GetReport(agent, &tandemv1.GetReportRequest{WorkspaceId: w.W1.ID, EndTimeMs: 1})
		rpctest.WantCode(t, err, connect.CodePermissionDenied)

		o, err := c.Stats.GetOverview(agent, &tandemv1.GetOverviewRequest{WorkspaceId: w.W1.ID})
		if err != nil {
			t.Fatal(err)
		}
		if o.GetActiveConversations() != 1 || o.GetWaitingConversations() != 1 || o.GetResolvedToday() != 3 || o.GetCsatAverage() != 5 ||
			o.GetAvgFirstResponseMs() < 0 {
			t.Fatalf("overview = %v", o)
		}
	})
}
