package automation

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestRetryAfter: a 429 or 503 answer's Retry-After, in seconds or as an
// HTTP date, is how long to wait, never below zero nor above an hour;
// other answers' Retry-After, and headers that say nothing usable, count
// for nothing.
func TestRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	date := func(d time.Duration) string { return now.Add(d).Format(http.TimeFormat) }
	for _, c := range []struct {
		code   int
		header string
		want   time.Duration
	}{
		{429, "120", 2 * time.Minute},
		{503, " 30 ", 30 * time.Second},
		{429, date(10 * time.Minute), 10 * time.Minute},
		{503, now.Add(time.Minute).Format(time.RFC850), time.Minute},
		{429, "7200", time.Hour},
		{429, "99999999999999999", time.Hour},
		{503, date(48 * time.Hour), time.Hour},
		{429, date(-time.Minute), 0},
		{429, "-5", 0},
		{429, "soon", 0},
		{429, "", 0},
		{500, "120", 0},
		{200, "120", 0},
		{301, date(time.Minute), 0},
	} {
		if got := retryAfter(c.code, c.header, now); got != c.want {
			t.Errorf("retryAfter(%d, %q) = %v, want %v", c.code, c.header, got, c.want)
		}
	}
}

// TestBackoffJitter: each retry waits a random time between half and all
// of its doubled base, so deliveries that failed together spread out.
func TestBackoffJitter(t *testing.T) {
	t.Parallel()
	for attempts := 1; attempts <= 8; attempts++ {
		full := time.Minute << (attempts - 1)
		seen := map[time.Duration]bool{}
		for range 200 {
			d := backoff(time.Minute, attempts)
			if d < full/2 || d > full {
				t.Fatalf("attempt %d: waits %v, want between %v and %v", attempts, d, full/2, full)
			}
			seen[d] = true
		}
		if len(seen) < 150 {
			t.Errorf("attempt %d: 200 waits took only %d values: not spread", attempts, len(seen))
		}
	}
	if d := backoff(time.Minute, 1000); d > time.Minute<<20 {
		t.Errorf("a thousandth attempt waits %v, more than the cap", d)
	}
}

// TestWebhookRetryAfter (HOOK-02): a receiver answering 429 or 503 with a
// Retry-After is not called again before the time it asks for, however
// given, at most an hour on; the exponential backoff still holds where it
// is the later; and the delivery goes through once the receiver takes it.
func TestWebhookRetryAfter(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		k := newHookKit(t, db)
		s := k.replica()
		steps := []struct {
			code       int
			retryAfter func(now time.Time) string
			wait       time.Duration // until the next attempt
		}{
			// Backoff 1 min: the receiver's 2 min win.
			{http.StatusTooManyRequests, func(time.Time) string { return "120" }, 2 * time.Minute},
			// Backoff 2 min: the date, 10 min on, wins.
			{http.StatusServiceUnavailable, func(now time.Time) string { return now.Add(10 * time.Minute).Format(http.TimeFormat) }, 10 * time.Minute},
			// Backoff 4 min: two hours asked, one given.
			{http.StatusTooManyRequests, func(time.Time) string { return "7200" }, time.Hour},
			// Backoff 8 min, jittered to between 4 and 8: later than the
			// second asked for.
			{http.StatusTooManyRequests, func(time.Time) string { return "1" }, 8 * time.Minute},
		}
		r := newHookReceiver(t, func(n int, w http.ResponseWriter, _ *http.Request) {
			if n < len(steps) {
				w.Header().Set("Retry-After", steps[n].retryAfter(k.clock.Now()))
				w.WriteHeader(steps[n].code)
			}
		})
		id := k.queue(s, r.srv.URL+"/hook")
		for i, st := range steps {
			if n := k.pass(s); n != 1 {
				t.Fatalf("step %d: %d calls, want 1", i, n)
			}
			d := k.delivery(id)
			got := time.UnixMilli(d.NextAttemptAt).Sub(k.clock.Now())
			if jittered := i == len(steps)-1; d.Status != DeliveryPending || (!jittered && got != st.wait) || (jittered && (got < st.wait/2 || got > st.wait)) {
				t.Fatalf("step %d: %s, next attempt in %v, want pending, in %v (jittered: %v)", i, d.Status, got, st.wait, jittered)
			}
			k.clock.Add(got - time.Millisecond)
			if n := k.pass(s); n != 0 {
				t.Fatalf("step %d: called again a millisecond early", i)
			}
			k.clock.Add(time.Millisecond)
		}
		if n := k.pass(s); n != 1 {
			t.Fatalf("%d calls at the end, want 1", n)
		}
		if d := k.delivery(id); d.Status != DeliveryDelivered || d.Attempts != len(steps)+1 || r.count() != len(steps)+1 {
			t.Fatalf("%s after %d attempts, %d calls: want delivered after %d", d.Status, d.Attempts, r.count(), len(steps)+1)
		}
	})
}

// TestWebhookSlowDestination (HOOK-02): a receiver that hangs holds at
// most perDestination calls, and no more of its deliveries are started
// while they hang; another receiver's deliveries, queued before and after,
// all arrive meanwhile. Once the slow one answers, its others follow.
func TestWebhookSlowDestination(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		k := newHookKit(t, db)
		s := k.replica()
		stuck := newGate(t)
		slow := newHookReceiver(t, func(_ int, _ http.ResponseWriter, r *http.Request) { stuck.wait(r.Context()) })
		healthy := newHookReceiver(t, nil)
		var slowIDs, quickIDs []string
		for range perDestination + 2 {
			slowIDs = append(slowIDs, k.queue(s, slow.srv.URL+"/hook"))
		}
		quickIDs = append(quickIDs, k.queue(s, healthy.srv.URL+"/hook"))

		ctx, stop := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- s.RunDeliveries(ctx) }()
		waitFor(t, "the slow receiver to hold its calls", func() bool {
			_, inFlight := slow.calls()
			return inFlight == perDestination
		})
		for range 2 * perDestination {
			quickIDs = append(quickIDs, k.queue(s, healthy.srv.URL+"/hook"))
		}
		waitFor(t, "the healthy receiver's deliveries", func() bool { return all(k.statuses(quickIDs), DeliveryDelivered) })
		if ids, inFlight := slow.calls(); len(ids) != perDestination || inFlight != perDestination {
			t.Fatalf("the slow receiver got %d calls, %d in flight: want %d hanging", len(ids), inFlight, perDestination)
		}
		if got := healthy.count(); got != len(quickIDs) {
			t.Fatalf("the healthy receiver got %d calls, want %d", got, len(quickIDs))
		}

		stuck.open()
		waitFor(t, "the slow receiver's deliveries", func() bool { return all(k.statuses(slowIDs), DeliveryDelivered) })
		stop()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if slow.count() != len(slowIDs) || slow.maxInFlight > perDestination {
			t.Fatalf("the slow receiver got %d calls, at most %d at once: want %d, at most %d",
				slow.count(), slow.maxInFlight, len(slowIDs), perDestination)
		}
	})
}

// TestWebhookCircuitBreaker (HOOK-02): breakerAfter failures in a row
// open a destination's breaker: its deliveries wait, not called, spending
// no attempt and not dead, while the workspace's other destinations are
// called. After the cool-down one probe goes, from one replica only (the
// breaker is in the database); its failure opens the breaker again, its
// success closes it and the waiting deliveries go.
func TestWebhookCircuitBreaker(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		k := newHookKit(t, db)
		s, other := k.replica(), k.replica()
		const (
			failing = iota
			holding // hold the call until the gate opens, then fail it
			healthy
		)
		var mode atomic.Int32
		hold := newGate(t)
		down := newHookReceiver(t, func(_ int, w http.ResponseWriter, r *http.Request) {
			switch mode.Load() {
			case holding:
				hold.wait(r.Context())
				fallthrough
			case failing:
				w.WriteHeader(http.StatusInternalServerError)
			}
		})
		up := newHookReceiver(t, nil)
		start := k.clock.Now()

		var ids []string
		for range breakerAfter {
			ids = append(ids, k.queue(s, down.srv.URL+"/hook"))
		}
		// One pass calls perDestination of them, the next the rest: the
		// breaker is still closed after breakerAfter-1 failures.
		k.drain(s)
		if down.count() != breakerAfter {
			t.Fatalf("%d calls, want %d", down.count(), breakerAfter)
		}
		late := []string{k.queue(s, down.srv.URL+"/hook"), k.queue(s, down.srv.URL+"/late")}
		ids = append(ids, late...)
		elsewhere := k.queue(s, up.srv.URL+"/hook")
		if n := k.pass(s); n != 1 || down.count() != breakerAfter || k.delivery(elsewhere).Status != DeliveryDelivered {
			t.Fatalf("with the breaker open: %d calls, %d to the failing receiver; want only the other receiver's", n, down.count()-breakerAfter)
		}
		// Their backoff over, the failed ones wait for the cool-down too.
		k.clock.Set(start.Add(testRetryBase))
		for _, p := range []*Service{s, other} {
			if n := k.pass(p); n != 0 {
				t.Fatalf("%d calls during the cool-down", n)
			}
		}
		for _, id := range late {
			if d := k.delivery(id); d.Status != DeliveryPending || d.Attempts != 0 {
				t.Fatalf("a delivery held back: %s after %d attempts, want pending after none", d.Status, d.Attempts)
			}
		}

		// Half-open: one probe, which holds the others back on every
		// replica until it ends.
		k.clock.Set(start.Add(2 * testRetryBase))
		mode.Store(holding)
		probed := make(chan int, 1)
		go func() { n, _ := s.DeliverDue(t.Context()); probed <- n }()
		waitFor(t, "the probe", func() bool { return down.count() == breakerAfter+1 })
		for _, p := range []*Service{other, s} {
			if n := k.pass(p); n != 0 {
				t.Fatalf("%d calls beside the probe", n)
			}
		}
		hold.open()
		if n := <-probed; n != 1 {
			t.Fatalf("the probing pass made %d calls, want 1", n)
		}

		// The probe failed: open again for a cool-down from then.
		k.clock.Set(start.Add(4*testRetryBase - time.Millisecond))
		if n := k.pass(other); n != 0 {
			t.Fatalf("%d calls before the second cool-down ended", n)
		}
		k.clock.Set(start.Add(4 * testRetryBase))
		mode.Store(healthy)
		if n := k.pass(other); n != 1 {
			t.Fatalf("%d calls half-open, want 1 probe", n)
		}
		k.drain(s)
		if got := k.statuses(ids); !all(got, DeliveryDelivered) {
			t.Fatalf("after the breaker closed: %v", got)
		}
		attempts := 0
		for _, id := range ids {
			attempts += k.delivery(id).Attempts
		}
		if want := breakerAfter + 1 + len(ids); down.count() != want || attempts != want {
			t.Fatalf("%d calls, %d attempts: want %d of each", down.count(), attempts, want)
		}
	})
}

// TestWebhookCrashMidDelivery (HOOK-02): a replica that dies after its
// call reached the receiver, before recording the outcome, leaves the
// delivery leased: no replica calls again before the lease ends, then one
// does, once, with the same event id, and the delivery is delivered. A
// delivery whose calls are cut off that way until its attempts are used up
// is dead, not called again.
func TestWebhookCrashMidDelivery(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		k := newHookKit(t, db)
		first, second := k.replica(), k.replica()
		ctx, crash := context.WithCancel(t.Context())
		r := newHookReceiver(t, func(n int, _ http.ResponseWriter, req *http.Request) {
			if n == 0 { // the first replica dies with the call made
				crash()
				<-req.Context().Done()
			}
		})
		id := k.queue(first, r.srv.URL+"/hook")
		if _, err := first.DeliverDue(ctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("the crashing pass: %v, want canceled", err)
		}
		d := k.delivery(id)
		if d.Status != DeliveryPending || d.Attempts != 1 || d.LeaseUntil <= store.NowMillis(k.clock.Now()) {
			t.Fatalf("after the crash: %s, %d attempts, lease until %d: want pending, 1, leased", d.Status, d.Attempts, d.LeaseUntil)
		}
		k.clock.Set(time.UnixMilli(d.LeaseUntil))
		if n := k.pass(second); n != 0 {
			t.Fatalf("another replica called %d times within the lease", n)
		}
		k.clock.Add(time.Millisecond)
		if n := k.pass(second); n != 1 {
			t.Fatalf("another replica called %d times after the lease, want 1", n)
		}
		k.clock.Add(time.Hour)
		for _, p := range []*Service{k.replica(), second} { // the first, restarted, and the second
			if n := k.pass(p); n != 0 {
				t.Fatalf("%d more calls", n)
			}
		}
		if d := k.delivery(id); d.Status != DeliveryDelivered || d.Attempts != 2 {
			t.Fatalf("%s after %d attempts, want delivered after 2", d.Status, d.Attempts)
		}
		if ids, _ := r.calls(); !slices.Equal(ids, []string{id, id}) {
			t.Fatalf("the receiver heard %v, want %s twice", ids, id)
		}

		// Cut off every time: dead once the attempts are used up.
		cut := k.queue(second, r.srv.URL+"/hook")
		storetest.MustExec(t, db, `UPDATE webhook_deliveries SET attempts = ?, lease_until = ? WHERE id = ?`,
			maxAttempts, store.NowMillis(k.clock.Now())-1, cut)
		storetest.Appends(t, db, events.AutomationWebhookDead, func() error {
			if n := k.pass(second); n != 1 {
				return fmt.Errorf("%d passes over the used-up delivery, want 1", n)
			}
			return nil
		})
		if d := k.delivery(cut); d.Status != DeliveryDead || !strings.Contains(d.LastError, "cut off") || r.count() != 2 {
			t.Fatalf("%s, %q, %d calls in all: want dead, cut off, no call", d.Status, d.LastError, r.count())
		}
	})
}
