package conversation_test

import (
	"testing"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/conversation"
)

// TestHandoffReasonsMatchTheAPI holds the one list of reasons to the API's
// enum: each reason has its own value and comes back from it, and every
// value but unspecified is a reason.
func TestHandoffReasonsMatchTheAPI(t *testing.T) {
	t.Parallel()
	seen := map[tandemv1.HandoffReason]conversation.HandoffReason{}
	for _, r := range conversation.HandoffReasons() {
		p := conversation.HandoffReasonToProto(r)
		if p == tandemv1.HandoffReason_HANDOFF_REASON_UNSPECIFIED {
			t.Errorf("%s has no API value", r)
		}
		if other, dup := seen[p]; dup {
			t.Errorf("%s and %s are both %s", other, r, p)
		}
		seen[p] = r
		if back := conversation.HandoffReasonFromProto(p); back != r {
			t.Errorf("%s comes back from %s as %q", r, p, back)
		}
	}
	for v := range tandemv1.HandoffReason_name {
		p := tandemv1.HandoffReason(v)
		if _, ok := seen[p]; !ok && p != tandemv1.HandoffReason_HANDOFF_REASON_UNSPECIFIED {
			t.Errorf("the API's %s is no handoff reason", p)
		}
	}
	if got := conversation.HandoffReasonFromProto(tandemv1.HandoffReason_HANDOFF_REASON_UNSPECIFIED); got != "" {
		t.Errorf("unspecified is %q, want none", got)
	}
}
