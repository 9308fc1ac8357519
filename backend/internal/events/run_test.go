package events_test

import (
	"context"
	"database/sql"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// handling is what a test reactor's handler saw: per workspace, the seqs it
// handled in order, and by which replica.
type handling struct {
	mu      sync.Mutex
	seqs    map[string][]int64
	by      map[string][]string
	running map[string]int
	changed chan struct{}
	t       *testing.T
}

func newHandling(t *testing.T) *handling {
	return &handling{seqs: map[string][]int64{}, by: map[string][]string{}, running: map[string]int{},
		changed: make(chan struct{}, 1), t: t}
}

// handler returns replica's handler; before, if set, runs first (it may
// block).
func (h *handling) handler(replica string, before func(ctx context.Context, ev events.Event)) func(context.Context, events.Event) error {
	return func(ctx context.Context, ev events.Event) error {
		h.mu.Lock()
		h.running[ev.WorkspaceID]++
		if n := h.running[ev.WorkspaceID]; n > 1 {
			h.t.Errorf("workspace %s: %d events handled at once", ev.WorkspaceID, n)
		}
		h.mu.Unlock()
		if before != nil {
			before(ctx, ev)
		}
		h.mu.Lock()
		h.running[ev.WorkspaceID]--
		h.seqs[ev.WorkspaceID] = append(h.seqs[ev.WorkspaceID], ev.Seq)
		h.by[ev.WorkspaceID] = append(h.by[ev.WorkspaceID], replica)
		h.mu.Unlock()
		select {
		case h.changed <- struct{}{}:
		default:
		}
		return nil
	}
}

// await waits until cond holds of the handled seqs, failing after limit.
func (h *handling) await(limit time.Duration, what string, cond func(seqs map[string][]int64) bool) {
	h.t.Helper()
	deadline := time.After(limit)
	for {
		h.mu.Lock()
		ok := cond(h.seqs)
		h.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-h.changed:
		case <-deadline:
			h.mu.Lock()
			defer h.mu.Unlock()
			h.t.Fatalf("after %s: %s; handled %v", limit, what, h.seqs)
		}
	}
}

func appendN(t *testing.T, db *store.DB, log *events.Log, ws string, n int) {
	t.Helper()
	for range n {
		if err := db.InTx(context.Background(), func(tx *store.Tx) error {
			return log.Append(context.Background(), tx, &events.Event{WorkspaceID: ws, Type: "test.event", ActorKind: events.ActorSystem})
		}); err != nil {
			t.Error(err)
			return
		}
	}
}

// upTo reports whether seqs is exactly 1..n.
func upTo(seqs []int64, n int) bool {
	if len(seqs) != n {
		return false
	}
	for i, s := range seqs {
		if s != int64(i+1) {
			return false
		}
	}
	return true
}

// inOrderAtLeastOnce reports whether seqs holds 1..n in order, an event
// repeated only right after itself: what a crash may cause (the crashed
// replica handled it, and died before its cursor moved past it).
func inOrderAtLeastOnce(seqs []int64, n int) bool {
	return upTo(slices.Compact(slices.Clone(seqs)), n)
}

// replica is one replica's shards and reactor, running until stop.
type replica struct {
	shards *events.Shards
	stop   func()
}

func startReplica(t *testing.T, db *store.DB, hub *events.Hub, log *events.Log, name string, opts events.ShardOptions,
	handle func(context.Context, events.Event) error, run events.RunOptions) *replica {
	t.Helper()
	logger := slog.New(slog.DiscardHandler)
	opts.Replica = name
	shards := events.NewShards(db, "test", logger, opts)
	r := events.NewReactor("test", log, hub, handle, logger)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = shards.Run(ctx) })
	wg.Go(func() { _ = r.Run(ctx, shards, run) })
	var once sync.Once
	stop := func() { once.Do(func() { cancel(); wg.Wait() }) }
	t.Cleanup(stop)
	return &replica{shards: shards, stop: stop}
}

// awaitHeld waits until each replica holds the number of shards given.
func awaitHeld(t *testing.T, limit time.Duration, want map[*replica]int) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		ok := true
		for r, n := range want {
			if len(r.shards.Held()) != n {
				ok = false
			}
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			got := map[int]int{}
			i := 0
			for r := range want {
				got[i] = len(r.shards.Held())
				i++
			}
			t.Fatalf("after %s the replicas hold %v shards", limit, got)
		}
		time.Sleep(10 * time.Millisecond) // polling a condition, not waiting for time to pass
	}
}

// TestReactorIsolation: one workspace's handler blocks (a model call that
// stalls); the other workspaces' events are handled meanwhile, and the
// stalled workspace's later events wait for it, in order.
func TestReactorIsolation(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		hub := events.NewHub(db, time.Hour)
		log := events.NewLog(db, hub, nil)
		h := newHandling(t)
		slow := newWorkspace(t, db)
		blocked, release := make(chan struct{}), make(chan struct{})
		var once sync.Once
		startReplica(t, db, hub, log, "a", events.ShardOptions{}, h.handler("a", func(ctx context.Context, ev events.Event) {
			if ev.WorkspaceID == slow && ev.Seq == 1 {
				once.Do(func() { close(blocked) })
				select {
				case <-release:
				case <-ctx.Done():
				}
			}
		}), events.RunOptions{Workers: 4, Sweep: time.Hour})
		appendN(t, db, log, slow, 1)
		select {
		case <-blocked:
		case <-time.After(10 * time.Second):
			t.Fatal("the slow workspace's first event was never handled")
		}
		others := make([]string, 6)
		for i := range others {
			others[i] = newWorkspace(t, db)
		}
		var wg sync.WaitGroup
		for _, ws := range others {
			wg.Go(func() { appendN(t, db, log, ws, 3) })
		}
		appendN(t, db, log, slow, 1)
		wg.Wait()
		h.await(10*time.Second, "the other workspaces' events handled while one stalls", func(seqs map[string][]int64) bool {
			for _, ws := range others {
				if !upTo(seqs[ws], 3) {
					return false
				}
			}
			return true
		})
		h.mu.Lock()
		if n := len(h.seqs[slow]); n != 0 {
			t.Errorf("the stalled workspace handled %v while its first event stalled", h.seqs[slow])
		}
		h.mu.Unlock()
		close(release)
		h.await(10*time.Second, "the stalled workspace's events handled in order once it is released", func(seqs map[string][]int64) bool {
			return upTo(seqs[slow], 2)
		})
	})
}

// TestReactorOrderPerWorkspace: events committed concurrently in several
// workspaces are each handled once, one at a time and in seq order within
// a workspace, while workspaces are handled side by side.
func TestReactorOrderPerWorkspace(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		hub := events.NewHub(db, time.Hour)
		log := events.NewLog(db, hub, nil)
		h := newHandling(t)
		startReplica(t, db, hub, log, "a", events.ShardOptions{}, h.handler("a", func(context.Context, events.Event) {
			time.Sleep(time.Millisecond) // some work, so that drains overlap
		}), events.RunOptions{Workers: 4, Sweep: 50 * time.Millisecond})
		const n, each = 8, 20
		ws := make([]string, n)
		for i := range ws {
			ws[i] = newWorkspace(t, db)
		}
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				for k := range each {
					appendN(t, db, log, ws[(i+k)%n], 1)
				}
			})
		}
		wg.Wait()
		h.await(30*time.Second, "every event handled once, in order", func(seqs map[string][]int64) bool {
			for _, w := range ws {
				if len(seqs[w]) < each {
					return false
				}
			}
			return true
		})
		h.mu.Lock()
		defer h.mu.Unlock()
		for _, w := range ws {
			if !upTo(h.seqs[w], each) {
				t.Errorf("workspace %s handled %v, want 1..%d once each in order", w, h.seqs[w], each)
			}
		}
	})
}

// fanout delivers each commit's wake-up to every replica's hub, as NATS
// does between replicas.
type fanout []*events.Hub

func (f fanout) Notify(ws string, seq int64) {
	for _, h := range f {
		h.Deliver(ws, seq)
	}
}

// TestShardFailover: two replicas on one database split the shards and
// handle each event once; one crashes (stops without giving its shards
// back) and the other takes its shards once their lease has run out, then
// handles every event: none lost, each workspace's in order.
func TestShardFailover(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		hubA, hubB := events.NewHub(db, time.Hour), events.NewHub(db, time.Hour)
		log := events.NewLog(db, fanout{hubA, hubB}, nil)
		h := newHandling(t)
		// A renewal waits behind the test's own writes on a busy machine: the
		// lease leaves it room.
		const lease = 3 * time.Second
		opts := events.ShardOptions{Lease: lease, Renew: 100 * time.Millisecond}
		run := events.RunOptions{Workers: 4, Sweep: time.Hour} // wake-ups only: a lost one would show
		a := startReplica(t, db, hubA, log, "replica-a", opts, h.handler("a", nil), run)
		awaitHeld(t, 10*time.Second, map[*replica]int{a: events.DefaultShards})
		b := startReplica(t, db, hubB, log, "replica-b", opts, h.handler("b", nil), run)
		awaitHeld(t, 10*time.Second, map[*replica]int{a: events.DefaultShards / 2, b: events.DefaultShards / 2})
		heldA := a.shards.Held()
		if slices.ContainsFunc(b.shards.Held(), func(s int) bool { return slices.Contains(heldA, s) }) {
			t.Fatalf("both replicas hold a shard: %v and %v", heldA, b.shards.Held())
		}

		ws := make([]string, 24)
		for i := range ws {
			ws[i] = newWorkspace(t, db)
		}
		var wg sync.WaitGroup
		for _, w := range ws {
			wg.Go(func() { appendN(t, db, log, w, 4) })
		}
		wg.Wait()
		h.await(20*time.Second, "every event handled by the two replicas", func(seqs map[string][]int64) bool {
			for _, w := range ws {
				if len(seqs[w]) < 4 {
					return false
				}
			}
			return true
		})
		h.mu.Lock()
		for _, w := range ws {
			want := "b"
			if slices.Contains(heldA, a.shards.Of(w)) {
				want = "a"
			}
			if !upTo(h.seqs[w], 4) || slices.ContainsFunc(h.by[w], func(r string) bool { return r != want }) {
				t.Errorf("workspace %s (shard %d): handled %v by %v, want 1..4 once each by %s", w, a.shards.Of(w), h.seqs[w], h.by[w], want)
			}
		}
		h.mu.Unlock()

		// Replica a crashes: its shards stay leased to it until the lease
		// runs out; then b takes them and handles what a left.
		// The lease b must wait out is the one a last wrote, which on a busy
		// machine may be well before the crash.
		a.shards.Crash()
		a.stop()
		var until sql.NullInt64
		if err := db.GetContext(context.Background(), &until,
			`SELECT MAX(lease_until) FROM reactor_shards WHERE name = 'test' AND owner = 'replica-a'`); err != nil {
			t.Fatal(err)
		}
		if !until.Valid {
			t.Fatal("b took the crashed replica's shards before their lease ran out")
		}
		for _, w := range ws {
			wg.Go(func() { appendN(t, db, log, w, 3) })
		}
		wg.Wait()
		awaitHeld(t, lease+5*time.Second, map[*replica]int{b: events.DefaultShards})
		if now := store.NowMillis(time.Now()); now <= until.Int64 {
			t.Errorf("b took the crashed replica's shards %d ms before their lease ran out", until.Int64-now)
		}
		h.await(20*time.Second, "every event handled after the crash", func(seqs map[string][]int64) bool {
			for _, w := range ws {
				if !inOrderAtLeastOnce(seqs[w], 7) {
					return false
				}
			}
			return true
		})
		h.mu.Lock()
		defer h.mu.Unlock()
		for _, w := range ws {
			if !inOrderAtLeastOnce(h.seqs[w], 7) {
				t.Errorf("workspace %s handled %v, want 1..7 in order, each at least once", w, h.seqs[w])
			}
		}
	})
}
