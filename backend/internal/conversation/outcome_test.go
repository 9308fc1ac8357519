package conversation_test

import (
	"testing"

	"github.com/tandem-inbox/tandem/backend/internal/conversation"
)

func TestOutcome(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		c    conversation.Conversation
		want conversation.Outcome
	}{
		{"open with the AI", conversation.Conversation{State: conversation.StateBot}, conversation.OutcomeOpen},
		{"waiting", conversation.Conversation{State: conversation.StatePending}, conversation.OutcomeOpen},
		{"closed by the AI", conversation.Conversation{State: conversation.StateClosed, ClosedFrom: conversation.StateBot}, conversation.OutcomeResolvedByAI},
		{"closed after an agent answered", conversation.Conversation{State: conversation.StateClosed, ClosedFrom: conversation.StateActive,
			SLA: conversation.SLA{FirstResponseAt: 5}}, conversation.OutcomeResolvedByAgent},
		{"closed while waiting", conversation.Conversation{State: conversation.StateClosed, ClosedFrom: conversation.StatePending}, conversation.OutcomeAbandoned},
		{"closed by a claim without a word", conversation.Conversation{State: conversation.StateClosed, ClosedFrom: conversation.StateActive}, conversation.OutcomeAbandoned},
	} {
		if got := tt.c.Outcome(); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
}
