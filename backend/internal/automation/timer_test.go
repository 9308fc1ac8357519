package automation

import (
	"testing"

	"github.com/tandem-inbox/tandem/backend/internal/conversation"
)

// TestStillArmed: pending_for timers hold while the conversation waits in
// the queue; reply timers (and those armed as "open" before them) only
// while it is with the team: never while the AI agent has it, snoozed or
// closed.
func TestStillArmed(t *testing.T) {
	t.Parallel()
	states := []conversation.State{conversation.StateBot, conversation.StatePending, conversation.StateActive,
		conversation.StateSnoozed, conversation.StateClosed}
	want := map[string][]bool{
		armedPending: {false, true, false, false, false},
		armedTeam:    {false, true, true, false, false},
		armedOpen:    {false, true, true, false, false},
	}
	for armed, holds := range want {
		for i, st := range states {
			if got := stillArmed(armed, st); got != holds[i] {
				t.Errorf("stillArmed(%q, %s) = %v, want %v", armed, st, got, holds[i])
			}
		}
	}
}
