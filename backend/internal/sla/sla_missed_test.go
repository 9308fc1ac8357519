package sla_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/conversation"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestSLAMissedAtBreach (issue 15, item 16): a breach records the target's
// outcome, missed, as it fires: the API, the report and /metrics show it at
// once, before anyone replies; the reply that comes later leaves it missed
// and counts nothing twice. A reply made before the deadline that the SLA
// clocks have yet to see is not a breach: the breach waits for them.
func TestSLAMissedAtBreach(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		srv := rpctest.Start(t, opts, rpctest.Quiet) // the test drains the reactors and scans the timers itself
		w := rpctest.WorldOn(t, srv)
		c := srv.Clients(rpcclient.Connect)
		if _, err := c.SLA.CreateSlaPolicy(w.As("admin"), &tandemv1.CreateSlaPolicyRequest{WorkspaceId: w.W1.ID, Policy: &tandemv1.SlaPolicyInput{
			Name: "Everyone", FirstResponseSeconds: 60, NextResponseSeconds: 60, ResolutionSeconds: 3600, WarningPercent: 50}}); err != nil {
			t.Fatal(err)
		}
		drain := func() {
			t.Helper()
			if err := srv.SLAReactor().Drain(w.Ctx, w.W1.ID); err != nil {
				t.Fatal(err)
			}
		}
		base := time.Now()
		fireAt := func(d time.Duration) {
			t.Helper()
			srv.Domain().SLA.SetClock(func() time.Time { return base.Add(d) })
			if _, err := srv.Domain().SLA.FireDue(w.Ctx); err != nil {
				t.Fatal(err)
			}
		}
		report := func() map[string][2]int64 {
			t.Helper()
			r, err := c.Stats.GetReport(w.As("admin"), &tandemv1.GetReportRequest{WorkspaceId: w.W1.ID, StartTimeMs: 1,
				EndTimeMs: time.Now().Add(time.Hour).UnixMilli()})
			if err != nil {
				t.Fatal(err)
			}
			out := map[string][2]int64{}
			for _, o := range r.GetSla() {
				out[o.GetTarget()] = [2]int64{o.GetMet(), o.GetMissed()}
			}
			return out
		}
		breaches := func(target string) float64 {
			t.Helper()
			if err := srv.MetricsReactor().Drain(w.Ctx, w.W1.ID); err != nil {
				t.Fatal(err)
			}
			v, _ := rpctest.Find(rpctest.Scrape(t, srv), "tandem_sla_events_total", map[string]string{"target": target, "kind": "breach"})
			return v
		}
		agentSays := func(id string) {
			t.Helper()
			if _, err := c.Conversation.SendMessage(w.As("agent"), &tandemv1.SendMessageRequest{ConversationId: id, ClientId: uuid.NewString(),
				Body: "Sorry for the wait!"}); err != nil {
				t.Fatal(err)
			}
		}
		// settled counts the clocks' records of an outcome of the target.
		settled := func(id, target, outcome string) int {
			t.Helper()
			var payloads [][]byte
			if err := srv.DB().SelectContext(w.Ctx, &payloads, `SELECT payload FROM events WHERE conversation_id = ?
				AND type = ?`, id, events.ConversationSLAUpdated); err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, p := range payloads {
				var pl conversation.Payload
				if err := json.Unmarshal(p, &pl); err != nil {
					t.Fatal(err)
				}
				if pl.Data[target] == outcome {
					n++
				}
			}
			return n
		}

		late := w.Conversation(w.Visitor)
		drain()
		fireAt(2 * time.Minute) // nobody answered within the minute
		if s := w.SLA(late.ID); s.GetFirstResponse() != "missed" {
			t.Fatalf("right after the breach: %v, want first_response missed", s)
		}
		if got := report()["first_response"]; got != [2]int64{0, 1} {
			t.Fatalf("report right after the breach: first_response met, missed = %v, want [0 1]", got)
		}
		if got := breaches("first_response"); got != 1 {
			t.Fatalf("tandem_sla_events_total{first_response, breach} = %v, want 1", got)
		}

		// The late reply leaves it missed, once.
		agentSays(late.ID)
		drain()
		if s := w.SLA(late.ID); s.GetFirstResponse() != "missed" {
			t.Fatalf("after the late reply: %v", s)
		}
		// The customer writes again and waits past the next-response target.
		if _, _, err := srv.Domain().Conversations.Post(w.Ctx, w.Visitor, w.W1.ID, late.ID, uuid.NewString(), "Hello? Still there?",
			conversation.KindText); err != nil {
			t.Fatal(err)
		}
		drain()
		fireAt(4 * time.Minute)
		if s := w.SLA(late.ID); s.GetNextResponse() != "missed" || s.GetNextResponseDueMs() == 0 {
			t.Fatalf("right after the next-response breach: %v, want missed with its deadline shown", s)
		}
		agentSays(late.ID)
		drain()
		if s := w.SLA(late.ID); s.GetNextResponse() != "missed" || s.GetNextResponseDueMs() != 0 {
			t.Fatalf("after the second late reply: %v, want missed and the clock stopped", s)
		}
		for target, want := range map[string][2]int64{"first_response": {0, 1}, "next_response": {0, 1}} {
			if got := report()[target]; got != want {
				t.Errorf("report: %s met, missed = %v, want %v", target, got, want)
			}
			if n := settled(late.ID, target, "missed"); n != 1 {
				t.Errorf("%s recorded missed %d times, want once", target, n)
			}
			if got := breaches(target); got != 1 {
				t.Errorf("tandem_sla_events_total{%s, breach} = %v, want 1", target, got)
			}
		}

		// A reply in time that the clocks have yet to see: no breach.
		prompt := w.Conversation(w.Other)
		drain()
		agentSays(prompt.ID)
		fireAt(75 * time.Second) // past the deadline (and the warning), the reply unseen by the clocks
		if n := storetest.Count(t, srv.DB(), "events", "conversation_id = ? AND type IN (?, ?)", prompt.ID, events.SLABreach, events.SLAWarning); n != 0 {
			t.Fatalf("%d warnings and breaches for a conversation answered in time", n)
		}
		drain()
		fireAt(75 * time.Second)
		if s := w.SLA(prompt.ID); s.GetFirstResponse() != "met" {
			t.Fatalf("answered in time: %v", s)
		}
		if n := storetest.Count(t, srv.DB(), "events", "conversation_id = ? AND type IN (?, ?)", prompt.ID, events.SLABreach, events.SLAWarning); n != 0 {
			t.Fatalf("%d warnings and breaches for a conversation answered in time", n)
		}
	})
}
