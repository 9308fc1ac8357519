package events_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestFollowersShareRecentEvents runs many followers of one workspace, from
// different cursors (some before everything, some in the middle, some at
// the head), while writers append concurrently: they share the newest
// events (see recent.go), and each must still receive exactly the events
// after its cursor, in order, once.
func TestFollowersShareRecentEvents(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		hub := events.NewHub(db, time.Hour) // no polling: only wake-ups and reads
		log := events.NewLog(db, hub, nil)
		f := events.NewFollower(log, hub, time.Hour, nil, slog.New(slog.DiscardHandler))
		ws := newWorkspace(t, db)
		for range 20 {
			if err := appendOther(ctx, db, log, ws); err != nil {
				t.Fatal(err)
			}
		}
		var streams []<-chan int64
		var starts []int64
		for i := range 12 {
			after := int64(i%3) * 10 // 0, 10 and 20 (the head)
			streams, starts = append(streams, follow(t, f, ws, after)), append(starts, after)
		}
		const more = 30
		var wg sync.WaitGroup
		for range 3 {
			wg.Go(func() {
				for range more / 3 {
					if err := appendOther(ctx, db, log, ws); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		for i, ch := range streams {
			for want := starts[i] + 1; want <= 20+more; want++ {
				if got := next(t, ch); got != want {
					t.Fatalf("follower %d (from %d) got seq %d, want %d", i, starts[i], got, want)
				}
			}
		}
		wg.Wait()
		quiet(t, streams[0]) // and nothing twice
	})
}
