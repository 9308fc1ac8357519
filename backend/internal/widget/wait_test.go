package widget

import (
	"testing"
	"time"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
)

func TestEstimateWait(t *testing.T) {
	t.Parallel()
	m := time.Minute
	for _, tc := range []struct {
		name             string
		pickups          []time.Duration
		position, online int
		want             time.Duration
		wantRange        tandemv1.QueueWait
	}{
		{"nobody online: no estimate", []time.Duration{m, m, m}, 3, 0, 0, tandemv1.QueueWait_QUEUE_WAIT_UNSPECIFIED},
		{"too few pick-ups to tell", []time.Duration{m, m}, 1, 1, 0, tandemv1.QueueWait_QUEUE_WAIT_UNSPECIFIED},
		{"next, quick team", []time.Duration{2 * m, 3 * m, 90 * m}, 1, 1, 3 * m, tandemv1.QueueWait_QUEUE_WAIT_FEW_MINUTES},
		{"median of an even count", []time.Duration{4 * m, 8 * m, 12 * m, 60 * m}, 1, 1, 10 * m, tandemv1.QueueWait_QUEUE_WAIT_5_TO_10_MINUTES},
		{"one agent, third in line", []time.Duration{5 * m, 6 * m, 7 * m}, 3, 1, 18 * m, tandemv1.QueueWait_QUEUE_WAIT_10_TO_20_MINUTES},
		{"two agents share the queue", []time.Duration{5 * m, 6 * m, 7 * m}, 3, 2, 12 * m, tandemv1.QueueWait_QUEUE_WAIT_10_TO_20_MINUTES},
		{"sixth in line, not 20 minutes a place", []time.Duration{8 * m, 9 * m, 10 * m}, 6, 2, 27 * m, tandemv1.QueueWait_QUEUE_WAIT_20_TO_40_MINUTES},
		{"within the hour", []time.Duration{25 * m, 25 * m, 25 * m}, 2, 1, 50 * m, tandemv1.QueueWait_QUEUE_WAIT_WITHIN_HOUR},
		{"more than an hour", []time.Duration{40 * m, 40 * m, 40 * m}, 6, 1, 240 * m, tandemv1.QueueWait_QUEUE_WAIT_OVER_HOUR},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, r := EstimateWait(tc.pickups, tc.position, tc.online)
			if got != tc.want || r != tc.wantRange {
				t.Errorf("EstimateWait = %v %v, want %v %v", got, r, tc.want, tc.wantRange)
			}
		})
	}
	// The caller's samples are left as they were.
	s := []time.Duration{3 * m, 1 * m, 2 * m}
	EstimateWait(s, 1, 1)
	if s[0] != 3*m {
		t.Error("EstimateWait sorted the caller's slice")
	}
}
