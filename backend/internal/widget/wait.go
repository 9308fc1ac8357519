package widget

import (
	"slices"
	"time"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
)

// How the expected wait is measured: the pick-up times of the workspace's
// conversations handed to the team in the window just past, at most
// waitSamples of them, and no estimate from fewer than waitMinSamples.
const (
	waitWindow     = 7 * 24 * time.Hour
	waitSamples    = 100
	waitMinSamples = 3
)

// EstimateWait is the expected wait of a conversation at a position in the
// queue (1 when next) with online agents: the median recent pick-up time
// once per round of agents ahead of it (position 1 to online waits one
// median, the next online conversations two, ...). It is 0 and unspecified
// when nobody is online or there are too few pick-ups to tell: then the
// widget gives no estimate rather than a made-up one. The range says it as
// customers can use it ("a few minutes", "about 10-20 minutes").
func EstimateWait(pickups []time.Duration, position, online int) (time.Duration, tandemv1.QueueWait) {
	if online <= 0 || position <= 0 || len(pickups) < waitMinSamples {
		return 0, tandemv1.QueueWait_QUEUE_WAIT_UNSPECIFIED
	}
	sorted := slices.Clone(pickups)
	slices.Sort(sorted)
	median := sorted[len(sorted)/2]
	if len(sorted)%2 == 0 {
		median = (sorted[len(sorted)/2-1] + sorted[len(sorted)/2]) / 2
	}
	rounds := (position + online - 1) / online
	est := median * time.Duration(rounds)
	return est, WaitRange(est)
}

// WaitRange says an expected wait as a range.
func WaitRange(d time.Duration) tandemv1.QueueWait {
	switch {
	case d <= 5*time.Minute:
		return tandemv1.QueueWait_QUEUE_WAIT_FEW_MINUTES
	case d <= 10*time.Minute:
		return tandemv1.QueueWait_QUEUE_WAIT_5_TO_10_MINUTES
	case d <= 20*time.Minute:
		return tandemv1.QueueWait_QUEUE_WAIT_10_TO_20_MINUTES
	case d <= 40*time.Minute:
		return tandemv1.QueueWait_QUEUE_WAIT_20_TO_40_MINUTES
	case d <= time.Hour:
		return tandemv1.QueueWait_QUEUE_WAIT_WITHIN_HOUR
	default:
		return tandemv1.QueueWait_QUEUE_WAIT_OVER_HOUR
	}
}
