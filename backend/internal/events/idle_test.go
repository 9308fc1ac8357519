package events_test

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// addIdle makes n workspaces by SQL, each with three events of long ago;
// every tenth has a cursor of the gated reactor at its head (its feature
// is on there).
func addIdle(t *testing.T, db *store.DB, n int, gated string) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range ids {
		id := storetest.AddWorkspace(t, db, 3)
		ids[i] = id
		if i%10 == 0 {
			storetest.MustExec(t, db, `INSERT INTO reactor_cursors (name, workspace_id, seq, lease_owner, lease_until) VALUES (?, ?, 3, '', 0)`, gated, id)
		}
	}
	return ids
}

// TestIdleWorkspacesCostNothing counts the statements (through a counting
// driver) that a reactor's sweeps (over recent events, and full), a shard
// renewal and a drain of one busy workspace issue, with 30 idle workspaces
// and then with 300: the counts are small and the same. Idle workspaces
// cost no statement of their own.
func TestIdleWorkspacesCostNothing(t *testing.T) {
	// Not parallel: it counts the statements of single passes, and on a
	// loaded machine a pass lasts long enough for timed background work on
	// the same database to land inside the count.
	storetest.EachCounted(t, func(t *testing.T, db *store.DB, c *storetest.Counter) {
		ctx := context.Background()
		logger := slog.New(slog.DiscardHandler)
		log := events.NewLog(db, nil, nil)
		var handled atomic.Int64
		handle := func(context.Context, events.Event) error { handled.Add(1); return nil }
		ungated := events.NewReactor("idle", log, nil, handle, logger)
		gated := events.NewReactor("idle-gated", log, nil, handle, logger).Gated()
		shards := events.NewShards(db, "test", logger, events.ShardOptions{})
		if err := shards.Ensure(ctx); err != nil {
			t.Fatal(err)
		}
		if err := shards.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		if n := len(shards.Held()); n != events.DefaultShards {
			t.Fatalf("one replica holds %d shards, want all %d", n, events.DefaultShards)
		}
		statements := func(what string, fn func() error) int64 {
			t.Helper()
			before := c.N()
			if err := fn(); err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			return c.N() - before
		}
		recent := func() time.Time { return time.Now().Add(-30 * time.Second) }
		pass := func(r *events.Reactor, want int, from func() time.Time) func() error {
			return func() error {
				n, err := r.Pass(ctx, shards, from())
				if err == nil && n != want {
					t.Errorf("a pass drained %d workspaces, want %d", n, want)
				}
				return err
			}
		}
		full := func() time.Time { return time.Time{} }
		type costs struct{ sweep, sweepGated, full, fullGated, tick, busy int64 }
		measure := func(total int) costs {
			t.Helper()
			busy := addIdle(t, db, total, "idle-gated")[0]
			// The ungated reactor meets them for the first time: it starts a
			// cursor in each, at its last event older than a minute, and so
			// handles none of their old history.
			if _, err := ungated.Pass(ctx, shards, full()); err != nil {
				t.Fatal(err)
			}
			if n := handled.Load(); n != 0 {
				t.Fatalf("handled %d events of old history", n)
			}
			var out costs
			out.sweep = statements("sweep", pass(ungated, 0, recent))
			out.sweepGated = statements("gated sweep", pass(gated, 0, recent))
			out.full = statements("full sweep", pass(ungated, 0, full))
			out.fullGated = statements("gated full sweep", pass(gated, 0, full))
			out.tick = statements("renew shards", func() error { return shards.Tick(ctx) })
			// The fewest of three busy drains: on a loaded machine one drain's
			// count can hold more than its own work (a transaction retried
			// after a lock timeout, a connection opened afresh), which is no
			// cost of the idle workspaces.
			for i := range 3 {
				for range 2 {
					if err := db.InTx(ctx, func(tx *store.Tx) error {
						return log.Append(ctx, tx, &events.Event{WorkspaceID: busy, Type: "test.event", ActorKind: events.ActorSystem})
					}); err != nil {
						t.Fatal(err)
					}
				}
				if n := statements("busy sweep", pass(ungated, 1, recent)); i == 0 || n < out.busy {
					out.busy = n
				}
				if n := handled.Swap(0); n != 2 {
					t.Fatalf("handled %d events in the busy workspace, want 2", n)
				}
			}
			storetest.MustExec(t, db, `DELETE FROM workspaces`) // the next round starts afresh
			return out
		}
		few, many := measure(30), measure(300)
		t.Logf("statements: %+v with 30 workspaces, %+v with 300", few, many)
		if few != many {
			t.Errorf("statements grew with idle workspaces: %+v with 30, %+v with 300", few, many)
		}
		// One query per sweep; four statements per renewal (the replica,
		// its shards, two reads); a busy workspace costs its own events.
		if many.sweep != 1 || many.sweepGated != 1 || many.full != 1 || many.fullGated != 1 || many.tick > 4 || many.busy > 7 {
			t.Errorf("statements %+v: want a sweep of 1, a renewal of at most 4, a busy drain of at most 7", many)
		}
	})
}

// TestUngatedStart: an ungated reactor meeting workspaces for the first
// time (in a sweep, which starts quiet ones' cursors in bulk) reacts to
// their last minute's events, not to older history, as Drain does one by
// one.
func TestUngatedStart(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		logger := slog.New(slog.DiscardHandler)
		var (
			mu      sync.Mutex
			handled = map[string][]int64{}
		)
		r := events.NewReactor("start", events.NewLog(db, nil, nil), nil, func(_ context.Context, ev events.Event) error {
			mu.Lock()
			defer mu.Unlock()
			handled[ev.WorkspaceID] = append(handled[ev.WorkspaceID], ev.Seq)
			return nil
		}, logger)
		shards := events.NewShards(db, "test", logger, events.ShardOptions{})
		if err := shards.Ensure(ctx); err != nil {
			t.Fatal(err)
		}
		if err := shards.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		old := time.Now().Add(-time.Hour).UnixMilli()
		quiet, busy := newWorkspace(t, db), newWorkspace(t, db)
		for ws, created := range map[string][]int64{quiet: {old, old}, busy: {old, old, time.Now().UnixMilli(), time.Now().UnixMilli()}} {
			for i, at := range created {
				storetest.MustExec(t, db, `INSERT INTO events (workspace_id, seq, id, type, conversation_id, actor_kind, actor_id, visibility, payload, created_at)
					VALUES (?, ?, ?, 'test.event', '', 'system', '', 'agents', '{}', ?)`, ws, i+1, uuid.NewString(), at)
			}
			storetest.MustExec(t, db, `UPDATE workspaces SET last_seq = ? WHERE id = ?`, len(created), ws)
		}
		if n, err := r.Pass(ctx, shards, time.Time{}); err != nil || n != 1 {
			t.Fatalf("the first sweep drained %d workspaces (%v), want the busy one only", n, err)
		}
		if !slices.Equal(handled[busy], []int64{3, 4}) || len(handled[quiet]) != 0 {
			t.Errorf("handled %v in the busy workspace and %v in the quiet one, want [3 4] and none", handled[busy], handled[quiet])
		}
		for ws, want := range map[string]int64{quiet: 2, busy: 4} {
			if seq, err := events.CursorAt(ctx, db, "start", ws); err != nil || seq != want {
				t.Errorf("cursor at %d (%v), want %d", seq, err, want)
			}
		}
	})
}
