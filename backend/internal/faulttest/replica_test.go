package faulttest_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
)

// TestReplicaKilledMidWrite SIGKILLs replica A while eight visitors write
// through it as fast as they can, so that some sends die in flight (before
// or after their commit). Each writer retries on replica B with the same
// client id; an agent watching on A resumes on B from its last cursor.
// Afterwards every acknowledged message is stored exactly once, under the
// id its client was given, and the agent received each once, in order.
func TestReplicaKilledMidWrite(t *testing.T) {
	needProcesses(t)
	t.Parallel()
	// A short heartbeat, so that some cursors come from heartbeats.
	dbURL, c := replicasOnNATS(t, 2, map[string]string{"TANDEM_HEARTBEAT": "300ms"})
	a, b := c.replicas[0], c.replicas[1]
	visitors := c.visitors(t, a.URL, 8)
	var aDead atomic.Bool
	w := c.watch(t, c.cursor(t, a.URL), rpcclient.GRPC, func() string {
		if aDead.Load() {
			return b.URL
		}
		return a.URL
	})

	l := newLedger()
	load, stop := context.WithCancel(context.Background())
	wait := l.write(load, visitors, 0, func(attempt int) string {
		if attempt == 0 && !aDead.Load() {
			return a.URL
		}
		return b.URL
	})
	time.Sleep(1500 * time.Millisecond)
	a.Kill()
	aDead.Store(true)
	killedAt := len(l.bodies())
	time.Sleep(1500 * time.Millisecond)
	stop()
	wait()
	t.Logf("A killed after %d acknowledged messages; %s", killedAt, l.summary())

	if len(l.gaveUp) > 0 {
		t.Errorf("writers gave up on %v", l.gaveUp)
	}
	if l.retried == 0 {
		t.Log("no send was in flight when A died (nothing was retried); the exactly-once checks still ran")
	}
	checkExactlyOnce(t, dbURL, c.ws.ID, l)
	if missing := w.WaitFor(l.bodies(), 20*time.Second); len(missing) > 0 {
		t.Errorf("the agent never received %d acknowledged messages: %v", len(missing), missing)
	}
	if err := w.Check(); err != nil {
		t.Error(err)
	}
	if got, want := len(w.Bodies()), len(l.bodies()); got != want {
		t.Errorf("the agent received %d messages, %d were acknowledged", got, want)
	}
	t.Logf("the agent's stream ended and resumed, by code: %v", w.endings())
}
