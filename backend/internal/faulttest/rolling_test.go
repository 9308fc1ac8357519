package faulttest_test

import (
	"context"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
)

// TestRollingDeploy (STR-06) replaces two replicas one after the other, as a
// rolling deploy does, while eight visitors write through both and the
// owner watches: each replica is sent SIGTERM while calls and the stream
// are on it, must drain and exit cleanly, and is started again before the
// next one goes. Calls keep arriving at the draining replica until the
// balancer takes it out, 300 ms after the signal; a call it refuses or cuts
// is retried with its client id. The watcher is on the replica that goes
// next: each drain ends its stream Unavailable, and it resumes on the
// other. Afterwards no writer gave up, every acknowledged message is
// stored exactly once under the id its client was given, and the watcher,
// resuming from its cursor on the replica that stays, received each once,
// in log order.
func TestRollingDeploy(t *testing.T) {
	needProcesses(t)
	t.Parallel()
	dbURL, c := replicasOnNATS(t, 2, map[string]string{"TANDEM_HEARTBEAT": "300ms"})
	var mu sync.Mutex
	draining := -1 // the replica the balancer has taken out
	watchedOn := 0 // the watcher is on the replica that goes next
	// pick is where the balancer sends a call: either replica but the
	// one it has taken out.
	pick := func() string {
		mu.Lock()
		defer mu.Unlock()
		i := rand.IntN(2)
		if i == draining {
			i = 1 - i
		}
		return c.replicas[i].URL
	}
	w := c.watch(t, c.cursor(t, c.replicas[0].URL), rpcclient.GRPC, func() string {
		mu.Lock()
		defer mu.Unlock()
		return c.replicas[watchedOn].URL
	})
	visitors := c.visitors(t, c.replicas[1].URL, 8)

	l := newLedger()
	load, stop := context.WithCancel(context.Background())
	wait := l.write(load, visitors, 0, func(int) string { return pick() })
	time.Sleep(time.Second)
	for i, r := range c.replicas {
		// SIGTERM comes first; the balancer notices a moment later, so
		// calls still arrive while the replica drains.
		mu.Lock()
		watchedOn = 1 - i
		mu.Unlock()
		stopped := make(chan error, 1)
		var took time.Duration
		go func() {
			sigterm := time.Now()
			err := r.Stop(30 * time.Second)
			took = time.Since(sigterm)
			stopped <- err
		}()
		time.Sleep(300 * time.Millisecond)
		mu.Lock()
		draining = i
		mu.Unlock()
		if err := <-stopped; err != nil {
			t.Errorf("replica %d did not drain and exit cleanly after SIGTERM: %v", i, err)
		}
		t.Logf("replica %d drained and exited in %v", i, took.Round(time.Millisecond))
		if err := r.Restart(context.Background()); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		draining = -1
		mu.Unlock()
		time.Sleep(time.Second)
	}
	stop()
	wait()
	t.Logf("%s; the watcher's streams ended by code: %v", l.summary(), w.endings())

	if n := w.endings()[connect.CodeUnavailable]; n < len(c.replicas) {
		t.Errorf("the watcher's stream was ended Unavailable %d times, want once per drain (%d): %v", n, len(c.replicas), w.endings())
	}
	if len(l.gaveUp) > 0 {
		t.Errorf("writers gave up on %v", l.gaveUp)
	}
	checkExactlyOnce(t, dbURL, c.ws.ID, l)
	if missing := w.WaitFor(l.bodies(), 20*time.Second); len(missing) > 0 {
		t.Errorf("the watcher never received %d acknowledged messages: %v", len(missing), missing)
	}
	if err := w.Check(); err != nil {
		t.Error(err)
	}
	if got, want := len(w.Bodies()), len(l.bodies()); got != want {
		t.Errorf("the watcher received %d messages, %d were acknowledged", got, want)
	}
}
