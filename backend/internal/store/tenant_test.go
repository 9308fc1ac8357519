package store_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestTenantShare (CHAOS-01): on MySQL, one workspace's write transactions
// hold at most a quarter of the pool (8 of 32) at once, whatever their
// number; the rest wait outside the pool, and one whose deadline passes
// while it waits fails with the deadline and never runs. Another
// workspace's and untagged transactions go on meanwhile. Workspaces with
// nothing in flight are forgotten.
func TestTenantShare(t *testing.T) {
	t.Parallel()
	db, err := store.Open(t.Context(), storetest.Options(t, "mysql"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	busy := store.WithTenant(t.Context(), "w-busy")

	// Twenty transactions of one workspace, each held open until release.
	h := hold(busy, t, db, 20)
	h.reach(8)

	// Its share is taken: another of its transactions waits, and gives up
	// at its deadline without running.
	ctx, cancel := context.WithTimeout(busy, 200*time.Millisecond)
	ran := false
	err = db.InTx(ctx, func(*store.Tx) error { ran = true; return nil })
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) || ran {
		t.Errorf("a transaction past the workspace's share: ran %v, error %v; want it to wait and fail with its deadline", ran, err)
	}
	// Another workspace, and work of no workspace, are served at once.
	for name, ctx := range map[string]context.Context{"another workspace": store.WithTenant(t.Context(), "w-other"), "no workspace": t.Context()} {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		if err := db.InTx(ctx, func(tx *store.Tx) error { _, err := tx.ExecContext(ctx, `SELECT 1`); return err }); err != nil {
			t.Errorf("%s while one workspace's share is taken: %v", name, err)
		}
		cancel()
	}
	if n := h.running(); n != 8 {
		t.Errorf("%d of the workspace's transactions in flight, want its share of 8", n)
	}

	if most := h.release(); most != 8 {
		t.Errorf("at most %d of one workspace's transactions ran at once, want 8", most)
	}
	if n := store.Tenants(db); n != 0 {
		t.Errorf("%d workspaces still counted with nothing in flight", n)
	}
}

// TestLockWait (CHAOS-01): on MySQL a statement waits for a row lock
// LockWait at most (1 s here), well inside its call's deadline: the
// transaction fails on its own and is not retried into the deadline, the
// connection stays in the pool, and MySQL is left with no thread still
// waiting for the lock, as it is when a call's deadline ends the wait by
// dropping the connection.
func TestLockWait(t *testing.T) {
	t.Parallel()
	opts := storetest.Options(t, "mysql")
	opts.LockWait = time.Second
	db, err := store.Open(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	ws := storetest.AddWorkspace(t, db, 0)
	holder, err := db.BeginTx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = holder.Rollback() }()
	if _, err := holder.ExecContext(t.Context(), `SELECT id FROM workspaces WHERE id = ? FOR UPDATE`, ws); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	start := time.Now()
	attempts := 0
	err = db.InTx(ctx, func(tx *store.Tx) error {
		attempts++
		_, err := tx.ExecContext(ctx, `UPDATE workspaces SET last_seq = last_seq + 1 WHERE id = ?`, ws)
		return err
	})
	took := time.Since(start)
	if err == nil || !strings.Contains(err.Error(), "Error 1205") {
		t.Fatalf("a write to a locked row: %v, want MySQL's lock wait timeout", err)
	}
	if took > 5*time.Second || attempts != 1 {
		t.Errorf("the write gave up after %v and %d attempts, want one wait of about 1 s", took, attempts)
	}
	var waiting int
	if err := db.GetContext(t.Context(), &waiting,
		`SELECT COUNT(*) FROM information_schema.processlist WHERE info LIKE 'UPDATE workspaces SET last_seq%'`); err != nil {
		t.Fatal(err)
	}
	if waiting != 0 {
		t.Errorf("%d statements still wait for the lock after the call gave up", waiting)
	}
}

// TestAnonymousShare (RATE-01): on MySQL (a pool of 32, a workspace's share
// of 8), anonymous callers' transactions (widget visitors, new sessions)
// hold at most a quarter of a workspace's share (2) at once, however many
// wait; the team's transactions of the same workspace take the rest at
// once meanwhile, instead of queueing behind the flood.
func TestAnonymousShare(t *testing.T) {
	t.Parallel()
	db, err := store.Open(t.Context(), storetest.Options(t, "mysql"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	anonymous := store.WithAnonymousTenant(t.Context(), "w-flooded")
	team := store.WithTenant(t.Context(), "w-flooded")

	h := hold(anonymous, t, db, 30)
	h.reach(2)
	// Six of the team's at once, held open together: the share's rest.
	held := make(chan struct{})
	var team6 sync.WaitGroup
	started := make(chan struct{}, 6)
	for range 6 {
		team6.Go(func() {
			ctx, cancel := context.WithTimeout(team, 5*time.Second)
			defer cancel()
			if err := db.InTx(ctx, func(tx *store.Tx) error {
				started <- struct{}{}
				<-held
				_, err := tx.ExecContext(ctx, `SELECT 1`)
				return err
			}); err != nil {
				t.Errorf("the team's transaction during an anonymous flood: %v", err)
			}
		})
	}
	for range 6 {
		select {
		case <-started:
		case <-time.After(5 * time.Second):
			t.Fatal("the team's transactions queued behind the anonymous flood")
		}
	}
	close(held)
	team6.Wait()
	if n := h.running(); n != 2 {
		t.Errorf("%d anonymous transactions in flight, want 2", n)
	}
	if most := h.release(); most != 2 {
		t.Errorf("at most %d anonymous transactions ran at once, want 2", most)
	}
	if n := store.Tenants(db); n != 0 {
		t.Errorf("%d workspaces still counted with nothing in flight", n)
	}
}

// held is n transactions of ctx's tenant, each held open until release.
type held struct {
	t       *testing.T
	running func() int // how many are in flight now
	release func() int // lets them all end, and says how many ran at once at most
}

// reach waits up to 10 s for n of them in flight.
func (h held) reach(n int) {
	h.t.Helper()
	for deadline := time.Now().Add(10 * time.Second); h.running() < n; {
		if time.Now().After(deadline) {
			h.t.Fatalf("%d transactions in flight after 10 s, want %d", h.running(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// hold starts n transactions of ctx's tenant on db, each held open once in
// flight until release.
func hold(ctx context.Context, t *testing.T, db *store.DB, n int) held {
	t.Helper()
	done := make(chan struct{})
	var (
		mu             sync.Mutex
		inFlight, most int
		wg             sync.WaitGroup
	)
	for range n {
		wg.Go(func() {
			err := db.InTx(ctx, func(tx *store.Tx) error {
				mu.Lock()
				inFlight++
				most = max(most, inFlight)
				mu.Unlock()
				defer func() {
					mu.Lock()
					inFlight--
					mu.Unlock()
				}()
				if _, err := tx.ExecContext(ctx, `SELECT 1`); err != nil {
					return err
				}
				<-done
				return nil
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	return held{t: t,
		running: func() int {
			mu.Lock()
			defer mu.Unlock()
			return inFlight
		},
		release: func() int {
			close(done)
			wg.Wait()
			return most
		},
	}
}
