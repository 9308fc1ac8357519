package faulttest_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
)

// natsOutage is how long NATS stays down.
const natsOutage = 30 * time.Second

// TestNATSDown stops the NATS server between two replicas for 30 s while a
// visitor writes through replica A and agents watch on replica B over each
// protocol. Without NATS, B's poller still delivers every message (within
// about a poll interval); once NATS is back, wake-ups are fast again. No
// message is lost, doubled or out of order on any stream.
func TestNATSDown(t *testing.T) {
	if testing.Short() {
		t.Skip("runs tandemd replicas and nats-server for 30s")
	}
	t.Parallel()
	const poll = 500 * time.Millisecond
	nats := rpctest.NATS(t)
	c := startCluster(t, sharedDatabase(t), 2, map[string]string{
		"TANDEM_NATS_URL":      nats.URL(),
		"TANDEM_POLL_INTERVAL": poll.String(),
		"TANDEM_HEARTBEAT":     "30s", // a heartbeat also re-reads the log: keep it out of the way
	})
	a, b := c.replicas[0], c.replicas[1]
	v := c.visitors(t, a.URL, 1)[0]
	cursor := c.cursor(t, b.URL)
	var watchers []*watcher
	for _, p := range rpcclient.Protocols() {
		watchers = append(watchers, c.watch(t, cursor, p, func() string { return b.URL }))
	}
	client := rpcclient.New(a.URL, rpcclient.GRPCWeb)
	var sent []string
	// roundTrip sends the next message through A and returns how long it
	// took to reach every watcher on B.
	roundTrip := func(phase string) time.Duration {
		t.Helper()
		body := fmt.Sprintf("%s-%04d", phase, len(sent))
		start := time.Now()
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		if _, err := v.Send(ctx, client, uuid.NewString(), body); err != nil {
			t.Fatalf("send %s through A: %v", body, err)
		}
		sent = append(sent, body)
		var slowest time.Duration
		for i, w := range watchers {
			if missing := w.WaitFor([]string{body}, 5*time.Second); len(missing) > 0 {
				t.Fatalf("%s did not reach watcher %d on B within 5s", body, i)
			}
			at, _ := w.Has(body)
			slowest = max(slowest, at.Sub(start))
		}
		return slowest
	}

	var up []time.Duration
	for range 10 {
		up = append(up, roundTrip("up"))
	}
	t.Logf("with NATS: %v", up)

	nats.Kill()
	outage := natsOutage
	var down []time.Duration
	for end := time.Now().Add(outage); time.Now().Before(end); {
		down = append(down, roundTrip("down"))
		time.Sleep(100 * time.Millisecond)
	}
	slices.Sort(down)
	if worst := down[len(down)-1]; worst > 2*poll+time.Second {
		t.Errorf("without NATS the slowest delivery took %v; the poll interval is %v", worst, poll)
	}
	t.Logf("NATS down %v: %d messages, median %v, slowest %v", outage, len(down), down[len(down)/2], down[len(down)-1])

	if err := nats.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	// Through the poll, a message sent right after the previous one arrived
	// waits for the next tick (about poll/2 on average); several fast ones
	// in a row mean NATS carries wake-ups again.
	const fast, wantFast = poll / 5, 5
	back := time.Now()
	var again []time.Duration
	for streak := 0; streak < wantFast; {
		if time.Since(back) > 20*time.Second {
			t.Fatalf("delivery not fast again 20s after NATS returned: %v", again)
		}
		lat := roundTrip("again")
		again = append(again, lat)
		if lat < fast {
			streak++
		} else {
			streak = 0
		}
	}
	t.Logf("NATS back: fast again after %v (%d sends: %v)", time.Since(back).Round(time.Millisecond), len(again), again)

	roundTrip("end")
	for i, w := range watchers {
		if got := w.Bodies(); !slices.Equal(got, sent) {
			t.Errorf("watcher %d received %d messages, sent %d (missing, doubled or reordered)", i, len(got), len(sent))
		}
		if err := w.Check(); err != nil {
			t.Errorf("watcher %d: %v", i, err)
		}
		if e := w.endings(); len(e) > 0 {
			t.Errorf("watcher %d's stream ended during the outage: %v", i, e)
		}
	}
}
