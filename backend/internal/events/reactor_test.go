package events_test

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestReactorDrainSerialized drains one workspace from several goroutines
// at once, as the reactor loop and the automation rules' Settle do. The
// handler must never run twice at once in a workspace, and each event is
// handled once, in seq order: a drain that lagged behind another would
// otherwise redo an old event after a newer one undid its effect (a rule
// timer re-armed after the close that cancelled it).
func TestReactorDrainSerialized(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		log := events.NewLog(db, &recorder{seqs: map[string][]int64{}}, nil)
		ws := newWorkspace(t, db)
		const n = 12
		for range n {
			if err := db.InTx(ctx, func(tx *store.Tx) error {
				return log.Append(ctx, tx, &events.Event{WorkspaceID: ws, Type: "test.event", ActorKind: events.ActorSystem})
			}); err != nil {
				t.Fatal(err)
			}
		}
		var (
			inFlight, most atomic.Int32
			mu             sync.Mutex
			handled        []int64
		)
		r := events.NewReactor("test", log, nil, func(_ context.Context, ev events.Event) error {
			now := inFlight.Add(1)
			defer inFlight.Add(-1)
			for m := most.Load(); now > m; m = most.Load() {
				if most.CompareAndSwap(m, now) {
					break
				}
			}
			time.Sleep(2 * time.Millisecond) // long enough for another drain to overlap
			mu.Lock()
			handled = append(handled, ev.Seq)
			mu.Unlock()
			return nil
		}, slog.New(slog.NewTextHandler(io.Discard, nil)))
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				if err := r.Drain(ctx, ws); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if m := most.Load(); m != 1 {
			t.Errorf("the handler ran %d at once in one workspace", m)
		}
		want := make([]int64, n)
		for i := range want {
			want[i] = int64(i + 1)
		}
		if !slices.Equal(handled, want) {
			t.Errorf("handled %v, want each of 1..%d once, in order", handled, n)
		}
	})
}
