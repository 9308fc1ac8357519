package limit_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tandem-inbox/tandem/backend/internal/limit"
	"github.com/tandem-inbox/tandem/backend/internal/servicetest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// replicas opens n Limits on one database, each with a pool of its own,
// as n tandemd processes would.
func replicas(t *testing.T, opts store.Options, c *servicetest.Clock, n int) []*limit.Limits {
	t.Helper()
	out := make([]*limit.Limits, n)
	for i := range out {
		db, err := store.Open(t.Context(), opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		out[i] = limit.New(limit.Options{DB: db, Now: c.Now, Logger: quiet})
	}
	return out
}

// allowedAtOnce counts the takes allowed when calls goroutines take from
// key at once, spread over the replicas in turn.
func allowedAtOnce(ls []*limit.Limits, r limit.Rule, key string, calls int) int {
	var allowed atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range calls {
		wg.Go(func() {
			<-start
			if ok, _ := ls[i%len(ls)].Take(context.Background(), r, key); ok {
				allowed.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	return int(allowed.Load())
}

// TestBudgetHoldsAcrossReplicas: three replicas on one database, taking
// from one bucket at once, are allowed the burst together, then the
// refill, and the wait they are told is when the next token comes. The
// in-memory limits of the same three allow three times as much: what the
// shared ones exist to prevent.
func TestBudgetHoldsAcrossReplicas(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		c := servicetest.NewClock(time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC))
		ls := replicas(t, opts, c, 3)
		r := limit.Rule{Name: "test", Every: 2 * time.Second, Burst: 10}

		if got := allowedAtOnce(ls, r, "203.0.113.9", 40); got != 10 {
			t.Fatalf("burst of 10 across 3 replicas: %d allowed", got)
		}
		ok, wait := ls[1].Take(t.Context(), r, "203.0.113.9")
		if ok || wait <= 0 || wait > 2*time.Second {
			t.Fatalf("empty bucket: ok %v, wait %v; want refused with a wait up to 2s", ok, wait)
		}
		if ok, _ := ls[2].Take(t.Context(), r, "198.51.100.7"); !ok {
			t.Fatal("another key shares the flooded one's bucket")
		}

		c.Advance(5 * time.Second) // 2.5 tokens: 2 whole ones
		if got := allowedAtOnce(ls, r, "203.0.113.9", 20); got != 2 {
			t.Fatalf("5s later (one token every 2s): %d allowed, want 2", got)
		}
		c.Advance(time.Hour)
		if got := allowedAtOnce(ls, r, "203.0.113.9", 40); got != 10 {
			t.Fatalf("an hour later the bucket is full again: %d allowed, want 10", got)
		}

		alone := make([]*limit.Limits, 3)
		for i := range alone {
			alone[i] = limit.New(limit.Options{Now: c.Now})
		}
		if got := allowedAtOnce(alone, r, "203.0.113.9", 40); got != 30 {
			t.Fatalf("memory limits of 3 replicas: %d allowed, want 30 (10 each)", got)
		}
	})
}

// TestRefusalCachedLocally: once the database refused a bucket, the
// replica refuses it again without asking until the wait is over: the
// flood costs the database nothing. Proven by taking the database away.
func TestRefusalCachedLocally(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		c := servicetest.NewClock(time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC))
		db, err := store.Open(t.Context(), opts)
		if err != nil {
			t.Fatal(err)
		}
		l := limit.New(limit.Options{DB: db, Now: c.Now, Logger: quiet})
		r := limit.Rule{Name: "test", Every: time.Minute, Burst: 2}
		for range 2 {
			if ok, _ := l.Take(t.Context(), r, "k"); !ok {
				t.Fatal("the burst was refused")
			}
		}
		if ok, _ := l.Take(t.Context(), r, "k"); ok {
			t.Fatal("over the burst, allowed")
		}
		_ = db.Close() // from here a question to the database would fail
		c.Advance(30 * time.Second)
		ok, wait := l.Take(t.Context(), r, "k")
		if ok || wait != 30*time.Second {
			t.Fatalf("refused bucket with the database gone: ok %v wait %v; want refused for 30s from the cache", ok, wait)
		}
	})
}

// TestDatabaseDownLimitsLocally: with the database failing, the limits
// hold in the replica's memory instead of letting everything through.
func TestDatabaseDownLimitsLocally(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		c := servicetest.NewClock(time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC))
		db, err := store.Open(t.Context(), opts)
		if err != nil {
			t.Fatal(err)
		}
		_ = db.Close()
		var failures failureLines
		l := limit.New(limit.Options{DB: db, Now: c.Now, Logger: slog.New(slog.NewTextHandler(&failures, nil))})
		r := limit.Rule{Name: "test", Every: time.Minute, Burst: 3}
		if got := allowedAtOnce([]*limit.Limits{l}, r, "k", 10); got != 3 {
			t.Fatalf("database down: %d allowed, want the burst of 3", got)
		}
		// A flood while the database is down logs its failure once.
		if n := failures.Load(); n != 1 {
			t.Fatalf("10 takes with the database down logged %d failures, want 1", n)
		}
	})
}

// failureLines counts the log lines that report the database failing.
type failureLines struct{ atomic.Int64 }

func (f *failureLines) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte("the database failed")) {
		f.Add(1)
	}
	return len(p), nil
}

// TestBackoffAcrossReplicas: attempts on one account from two replicas
// at once are each counted once: the free ones pass, then each waits
// twice as long as the one before, wherever it lands; a success on one
// replica clears it for the other.
func TestBackoffAcrossReplicas(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		c := servicetest.NewClock(time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC))
		ls := replicas(t, opts, c, 2)
		b := limit.Backoff{Name: "pair", Free: 5, Base: time.Second, Max: 15 * time.Minute}

		var allowed atomic.Int64
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range 30 {
			wg.Go(func() {
				<-start
				if ok, _ := ls[i%2].Begin(context.Background(), b, "owner@example.com|203.0.113.9"); ok {
					allowed.Add(1)
				}
			})
		}
		close(start)
		wg.Wait()
		// Five free, and the fifth sets a 1 s wait: the sixth and later
		// at the same instant are refused.
		if got := allowed.Load(); got != 5 {
			t.Fatalf("30 attempts at once over 2 replicas: %d allowed, want 5", got)
		}
		for i, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second} {
			ok, wait := ls[i%2].Begin(t.Context(), b, "owner@example.com|203.0.113.9")
			if ok || wait != want {
				t.Fatalf("attempt %d: ok %v wait %v; want refused for %v", 6+i, ok, wait, want)
			}
			c.Advance(want)
			if ok, _ := ls[(i+1)%2].Begin(t.Context(), b, "owner@example.com|203.0.113.9"); !ok {
				t.Fatalf("attempt after waiting %v refused on the other replica", want)
			}
		}
		ls[0].Clear(t.Context(), b, "owner@example.com|203.0.113.9")
		for i := range 5 {
			if ok, wait := ls[1].Begin(t.Context(), b, "owner@example.com|203.0.113.9"); !ok {
				t.Fatalf("after a success on the other replica, attempt %d refused (wait %v)", i+1, wait)
			}
		}
	})
}

// TestSweep removes the rows that have run out and keeps the rest.
func TestSweep(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := servicetest.NewClock(time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC))
		l := limit.New(limit.Options{DB: db, Now: c.Now, Logger: quiet})
		short := limit.Rule{Name: "short", Every: time.Second, Burst: 1}
		long := limit.Rule{Name: "long", Every: time.Hour, Burst: 1}
		l.Take(t.Context(), short, "a")
		l.Take(t.Context(), long, "a")
		c.Advance(time.Minute)
		n, err := l.Sweep(t.Context())
		if err != nil || n != 1 {
			t.Fatalf("sweep: %d rows, %v; want the short rule's one", n, err)
		}
		if got := storetest.Count(t, db, "rate_limits", "1 = 1"); got != 1 {
			t.Fatalf("%d rows left, want 1", got)
		}
		if ok, _ := l.Take(t.Context(), long, "a"); ok {
			t.Fatal("the sweep emptied a live bucket")
		}
	})
}

// TestMarks: a mark one replica writes stands on every replica for its
// time, then lapses and is swept; a flood of marks of one key writes its
// row once per half period; in memory alone it stands in its process.
func TestMarks(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		c := servicetest.NewClock(time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC))
		ls := replicas(t, opts, c, 2)
		ctx := t.Context()
		flood, calm := limit.Mark{Rule: "flood-address", Key: "198.51.100.1"}, limit.Mark{Rule: "flood-address", Key: "198.51.100.2"}
		other := limit.Mark{Rule: "flood-chat", Key: "198.51.100.1"} // another rule's key of the same spelling
		marked := func(l *limit.Limits, ms ...limit.Mark) bool {
			t.Helper()
			ok, err := l.Marked(ctx, ms...)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		for range 1000 {
			ls[0].Mark(ctx, flood, 10*time.Minute)
		}
		if !marked(ls[1], calm, flood) || marked(ls[1], calm) || marked(ls[1], other) || marked(ls[1]) {
			t.Fatal("the mark on the other replica: want the flooding key marked, and nothing else")
		}
		db, err := store.Open(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		if n := storetest.Count(t, db, "rate_limits", "1 = 1"); n != 1 {
			t.Fatalf("a thousand marks of one key: %d rows, want 1", n)
		}
		c.Advance(6 * time.Minute) // past half its time: marking again extends it
		ls[1].Mark(ctx, flood, 10*time.Minute)
		c.Advance(9 * time.Minute)
		if !marked(ls[0], flood) {
			t.Fatal("the extended mark lapsed at its first end")
		}
		c.Advance(2 * time.Minute)
		if marked(ls[0], flood) || marked(ls[1], flood) {
			t.Fatal("a mark past its time still stands")
		}
		if n, err := ls[0].Sweep(ctx); err != nil || n != 1 {
			t.Fatalf("sweep: %d rows, %v; want the lapsed mark's", n, err)
		}

		alone := limit.New(limit.Options{Now: c.Now})
		alone.Mark(ctx, flood, time.Minute)
		if !marked(alone, flood) || marked(alone, calm) {
			t.Fatal("in memory: want the flooding key alone marked")
		}
		c.Advance(time.Minute)
		if marked(alone, flood) {
			t.Fatal("in memory: a mark past its time still stands")
		}
	})
}
