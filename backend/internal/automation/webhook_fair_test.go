package automation

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestWebhookWorkspaceFairness (HOOK-02): a workspace's burst to slow
// receivers, on enough origins to take every slot of a replica, holds at
// most perWorkspace calls at once. Another workspace's deliveries, queued
// after the whole burst, arrive while the burst makes a few more calls,
// not after its backlog; and the burst goes on being delivered.
func TestWebhookWorkspaceFairness(t *testing.T) {
	t.Parallel()
	const (
		origins   = maxInFlight / perDestination // enough to fill the replica without a share
		perOrigin = 20
		hold      = 200 * time.Millisecond // each slow call's answer time
		quick     = 3
	)
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		k := newHookKit(t, db)
		other := k.workspace()
		s := k.replica()

		var (
			mu             sync.Mutex
			inFlight, most int
			slow           []*hookReceiver
		)
		for range origins {
			slow = append(slow, newHookReceiver(t, func(_ int, _ http.ResponseWriter, r *http.Request) {
				mu.Lock()
				inFlight++
				most = max(most, inFlight)
				mu.Unlock()
				defer func() {
					mu.Lock()
					defer mu.Unlock()
					inFlight--
				}()
				select { // a slow receiver, not a signal to wait for
				case <-time.After(hold):
				case <-r.Context().Done():
				}
			}))
		}
		heard := func() int {
			n := 0
			for _, r := range slow {
				n += r.count()
			}
			return n
		}
		var burst []string
		for range perOrigin {
			for _, r := range slow {
				burst = append(burst, k.queue(s, r.srv.URL+"/hook"))
			}
		}

		ctx, stop := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- s.RunDeliveries(ctx) }()
		waitFor(t, "the burst under way", func() bool { return heard() >= perWorkspace })

		// The other workspace's events come after the whole burst: taken
		// oldest first alone, they would wait for all of it.
		k.clock.Add(time.Second)
		fast := newHookReceiver(t, nil)
		var quickIDs []string
		before, began := heard(), time.Now()
		for range quick {
			quickIDs = append(quickIDs, other.queue(s, fast.srv.URL+"/hook"))
		}
		waitFor(t, "the other workspace's calls", func() bool { return fast.count() == quick })
		waited, lag := heard()-before, time.Since(began)
		t.Logf("the other workspace waited %v, while the burst made %d calls", lag, waited)
		if waited > len(burst)/4 {
			t.Fatalf("the other workspace waited behind %d of the burst's %d calls: want a few rounds of its share (%d)",
				waited, len(burst), perWorkspace)
		}
		waitFor(t, "the other workspace's deliveries", func() bool { return all(other.statuses(quickIDs), DeliveryDelivered) })
		waitFor(t, "the burst to go on", func() bool { return len(burst)-k.undelivered() >= 2*perWorkspace })
		stop()
		if err := <-done; err != nil {
			t.Fatal(err)
		}

		mu.Lock()
		defer mu.Unlock()
		if most > perWorkspace {
			t.Fatalf("the burst had %d calls at once, more than perWorkspace (%d)", most, perWorkspace)
		}
		for _, r := range slow {
			r.mu.Lock()
			n := r.maxInFlight
			r.mu.Unlock()
			if n > perDestination {
				t.Fatalf("a slow receiver had %d calls at once, more than perDestination (%d)", n, perDestination)
			}
		}
	})
}

// workspace is another workspace on the kit's database and clock.
func (k *hookKit) workspace() *hookKit {
	return &hookKit{t: k.t, db: k.db, ws: storetest.AddWorkspace(k.t, k.db, 0), clock: k.clock}
}

// undelivered counts the kit workspace's deliveries not delivered yet.
func (k *hookKit) undelivered() int {
	k.t.Helper()
	var n int
	if err := k.db.GetContext(k.t.Context(), &n, `SELECT COUNT(*) FROM webhook_deliveries WHERE workspace_id = ? AND status <> ?`,
		k.ws, DeliveryDelivered); err != nil {
		k.t.Fatal(err)
	}
	return n
}
