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
	t.Parallel()
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

// TestWindowHoldsWhatWasWoken is the promise the shared window must keep
// for the followers it serves: the read after a wake-up sees the commit it
// was for. A window filled before the commits (by another follower's read)
// is not enough: served from it, a woken follower would get the older
// events only and wait for a wake-up that already came, the end of a burst
// stuck until the next commit (tandembench S6 saw 19 such deliveries).
func TestWindowHoldsWhatWasWoken(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		hub := events.NewHub(db, time.Hour) // no polling: only wake-ups and reads
		log := events.NewLog(db, hub, nil)
		f := events.NewFollower(log, hub, time.Hour, nil, slog.New(slog.DiscardHandler))
		ws := newWorkspace(t, db)
		sub := hub.Subscribe(ws) // a follower waiting for wake-ups
		defer sub.Close()
		for range 10 {
			if err := appendOther(ctx, db, log, ws); err != nil {
				t.Fatal(err)
			}
		}
		read, release := f.Window(ws)
		defer release()
		if evs, err := read(ctx, 0); err != nil || len(evs) != 10 {
			t.Fatalf("first read: %d events, %v; want 10", len(evs), err)
		}
		for range 10 {
			if err := appendOther(ctx, db, log, ws); err != nil {
				t.Fatal(err)
			}
		}
		select {
		case <-sub.Wake:
		default:
			t.Fatal("the commits woke nobody")
		}
		evs, err := read(ctx, 0) // the woken follower's read, the window holding 1..10
		if err != nil {
			t.Fatal(err)
		}
		if n := len(evs); n != 20 || evs[n-1].Seq != 20 {
			t.Fatalf("after the wake-up for seq 20 a read got %d events, want 20: the window served what it held before the commits", n)
		}
		// And the window serves the next follower, once it holds it all.
		if evs, err := read(ctx, 5); err != nil || len(evs) != 15 {
			t.Fatalf("read after 5: %d events, %v; want 15", len(evs), err)
		}
	})
}
