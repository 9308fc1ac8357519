package events_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

type recorder struct {
	mu   sync.Mutex
	seqs map[string][]int64
}

func (r *recorder) Notify(ws string, seq int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seqs[ws] = append(r.seqs[ws], seq)
}

func newWorkspace(t *testing.T, db *store.DB) string {
	t.Helper()
	id := uuid.NewString()
	storetest.MustExec(t, db, `INSERT INTO workspaces (id, name, public_key, widget_secret, last_seq, created_at, updated_at)
		VALUES (?, 'w', ?, 's', 0, 0, 0)`, id, "pk_"+id)
	return id
}

// TestAppendGapFree appends from many goroutines at once, with some
// transactions rolled back, and checks that the committed events of each
// workspace are numbered 1..n with no gap and no repeat, and that each commit
// (and no rollback) woke the notifier.
func TestAppendGapFree(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		rec := &recorder{seqs: map[string][]int64{}}
		log := events.NewLog(db, rec, nil)
		ws := []string{newWorkspace(t, db), newWorkspace(t, db)}
		const workers, each = 8, 15
		var wg sync.WaitGroup
		rollback := errors.New("rollback")
		for w := range workers {
			wg.Go(func() {
				for i := range each {
					err := db.InTx(ctx, func(tx *store.Tx) error {
						if err := log.Append(ctx, tx, &events.Event{WorkspaceID: ws[(w+i)%2], Type: "test.event", ActorKind: events.ActorSystem}); err != nil {
							return err
						}
						if i%5 == 4 {
							return rollback
						}
						return nil
					})
					if err != nil && !errors.Is(err, rollback) {
						t.Errorf("append: %v", err)
					}
				}
			})
		}
		wg.Wait()
		total := 0
		for _, w := range ws {
			var seqs []int64
			if err := db.SelectContext(ctx, &seqs, `SELECT seq FROM events WHERE workspace_id = ? ORDER BY seq`, w); err != nil {
				t.Fatal(err)
			}
			for i, s := range seqs {
				if s != int64(i+1) {
					t.Fatalf("workspace %s: seq %d at position %d: %v", w, s, i, seqs)
				}
			}
			if got := len(rec.seqs[w]); got != len(seqs) {
				t.Errorf("workspace %s: %d wake-ups for %d events", w, got, len(seqs))
			}
			total += len(seqs)
		}
		if want := workers * each * 4 / 5; total != want {
			t.Errorf("%d events committed, want %d", total, want)
		}
	})
}
