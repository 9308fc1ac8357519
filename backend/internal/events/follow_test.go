package events_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// follow runs a follower on the workspace from after, sending what it
// delivers to the returned channel, until the test ends.
func follow(t *testing.T, f *events.Follower, ws string, after int64) <-chan int64 {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan int64, 100)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = f.Follow(ctx, ws, "", events.Position{Seq: after}, events.Sink{
			Event:     func(ev events.Event) error { out <- ev.Seq; return nil },
			Ephemeral: func(events.Ephemeral) error { return nil },
			Heartbeat: func(events.Position) error { return nil },
		})
	}()
	t.Cleanup(func() { cancel(); <-done })
	return out
}

func next(t *testing.T, ch <-chan int64) int64 {
	t.Helper()
	select {
	case seq := <-ch:
		return seq
	case <-time.After(5 * time.Second):
		t.Fatal("no event within 5s")
		return 0
	}
}

func quiet(t *testing.T, ch <-chan int64) {
	t.Helper()
	select {
	case seq := <-ch:
		t.Fatalf("unexpected event %d", seq)
	case <-time.After(300 * time.Millisecond):
	}
}

// TestLateCommit is the hazard of resuming by auto-increment ids: a
// transaction that started first but commits last. Whichever of the two
// transactions reaches the log first, a reader that has seen the other's
// event still receives it, exactly once and in seq order.
//
// On SQLite a write transaction locks the database at BEGIN, so a second
// writer waits for the first to commit and the interleaving cannot happen;
// the test runs on MySQL, where it can.
func TestLateCommit(t *testing.T) {
	t.Parallel()
	storetest.NeedMySQL(t)
	for _, d := range []string{"mysql"} {
		t.Run(d, func(t *testing.T) {
			db := storetest.New(t, d)
			ctx := context.Background()
			hub := events.NewHub(db, time.Hour) // no polling: only wake-ups and reads
			log := events.NewLog(db, hub, nil)
			f := events.NewFollower(log, hub, time.Hour, nil, slog.New(slog.DiscardHandler))
			ws := newWorkspace(t, db)
			got := follow(t, f, ws, 0)

			t.Run("A starts first, B appends and commits first", func(t *testing.T) {
				aStarted, bDone := make(chan struct{}), make(chan struct{})
				aErr := make(chan error, 1)
				go func() {
					aErr <- db.InTx(ctx, func(tx *store.Tx) error {
						// A's own work first (not the workspace row, whose lock allocates seqs).
						if _, err := tx.ExecContext(ctx, `INSERT INTO users (id, email, display_name, password_hash, created_at, updated_at)
							VALUES (?, ?, 'a', 'x', 0, 0)`, ws, ws+"@late.test"); err != nil {
							return err
						}
						close(aStarted)
						<-bDone
						return log.Append(ctx, tx, &events.Event{WorkspaceID: ws, Type: "test.a", ActorKind: events.ActorSystem})
					})
				}()
				<-aStarted
				if err := appendOther(ctx, db, log, ws); err != nil {
					t.Fatal(err)
				}
				b := next(t, got)
				close(bDone)
				if err := <-aErr; err != nil {
					t.Fatal(err)
				}
				if a := next(t, got); a != b+1 {
					t.Fatalf("A delivered as %d after B %d", a, b)
				}
			})

			t.Run("A appends first but commits late", func(t *testing.T) {
				aAppended, release := make(chan struct{}), make(chan struct{})
				aErr, bErr := make(chan error, 1), make(chan error, 1)
				go func() {
					aErr <- db.InTx(ctx, func(tx *store.Tx) error {
						if err := log.Append(ctx, tx, &events.Event{WorkspaceID: ws, Type: "test.a", ActorKind: events.ActorSystem}); err != nil {
							return err
						}
						close(aAppended)
						<-release
						return nil
					})
				}()
				<-aAppended
				go func() { bErr <- appendOther(ctx, db, log, ws) }() // blocks on A's seq lock
				quiet(t, got)                                         // nothing committed yet: nothing to see
				close(release)
				if err := <-aErr; err != nil {
					t.Fatal(err)
				}
				if err := <-bErr; err != nil {
					t.Fatal(err)
				}
				a, b := next(t, got), next(t, got)
				if b != a+1 {
					t.Fatalf("delivered %d then %d", a, b)
				}
				quiet(t, got)
			})
		})
	}
}

func appendOther(ctx context.Context, db *store.DB, log *events.Log, ws string) error {
	err := db.InTx(ctx, func(tx *store.Tx) error {
		return log.Append(ctx, tx, &events.Event{WorkspaceID: ws, Type: "test.b", ActorKind: events.ActorSystem})
	})
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}
