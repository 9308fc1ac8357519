package conversation

import "testing"

// TestSettleRouting: what routing remembers of a waiting conversation (the
// needs-attention flag, the agent whose timeout it just was) lasts while it
// waits unowned; an owner or the close ends it, and the close also starts
// the re-route count again.
func TestSettleRouting(t *testing.T) {
	t.Parallel()
	flagged := func(state State, assignee string) Conversation {
		return Conversation{State: state, AssigneeID: assignee, NeedsAttention: true, LapsedBy: "ann", Reroutes: 4}
	}
	for _, tc := range []struct {
		name     string
		c        Conversation
		keep     bool
		reroutes int
	}{
		{"waiting in the queue", flagged(StatePending, ""), true, 4},
		{"snoozed unowned", flagged(StateSnoozed, ""), true, 4},
		{"owned", flagged(StateActive, "bob"), false, 4},
		{"closed", flagged(StateClosed, ""), false, 0},
	} {
		c := tc.c
		settleRouting(&c)
		if c.NeedsAttention != tc.keep || (c.LapsedBy == "ann") != tc.keep || c.Reroutes != tc.reroutes {
			t.Errorf("%s: needs attention %v, lapsed by %q, %d re-routes", tc.name, c.NeedsAttention, c.LapsedBy, c.Reroutes)
		}
	}
}
