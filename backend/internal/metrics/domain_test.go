package metrics

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tandem-inbox/tandem/backend/internal/conversation"
	"github.com/tandem-inbox/tandem/backend/internal/events"
)

// TestHandoffsCounted: every event that records a handoff counts once
// under its reason: the AI agent's handoffs (conversation.handoff) and a
// person's takeovers, which are an assignment or a state change marked
// with the handoff.
func TestHandoffsCounted(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	d := NewDomain(reg, Labels{HandoffReasons: []string{string(conversation.HandoffCustomerRequest), string(conversation.HandoffLowConfidence),
		string(conversation.HandoffAgentTakeover)}}, nil)
	conv := &conversation.Conversation{ID: "c", WorkspaceID: "w", State: conversation.StateActive}
	for _, ev := range []struct {
		typ  events.Type
		data map[string]string
	}{
		{events.ConversationHandoff, map[string]string{"reason": string(conversation.HandoffLowConfidence)}},
		{events.ConversationAssigned, map[string]string{"how": "takeover", conversation.DataHandoff: string(conversation.HandoffAgentTakeover)}},
		{events.ConversationStateChanged, map[string]string{"from": "bot", "to": "active", conversation.DataHandoff: string(conversation.HandoffAgentTakeover)}},
		{events.ConversationAssigned, map[string]string{"how": "claim"}}, // from the queue: no handoff
	} {
		payload, err := json.Marshal(conversation.Payload{Conversation: conv, Data: ev.data})
		if err != nil {
			t.Fatal(err)
		}
		if err := d.React(context.Background(), events.Event{WorkspaceID: "w", ConversationID: "c", Type: ev.typ, Payload: payload}); err != nil {
			t.Fatal(err)
		}
	}
	got := map[string]float64{}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "tandem_handoffs_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "reason" {
					got[l.GetValue()] = m.GetCounter().GetValue()
				}
			}
		}
	}
	for reason, want := range map[conversation.HandoffReason]float64{conversation.HandoffLowConfidence: 1, conversation.HandoffAgentTakeover: 2,
		conversation.HandoffCustomerRequest: 0} {
		if got[string(reason)] != want {
			t.Errorf("tandem_handoffs_total{%s} = %v, want %v", reason, got[string(reason)], want)
		}
	}
}
