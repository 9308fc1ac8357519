package faulttest_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tandem-inbox/tandem/backend/internal/fleet"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
)

// TestNATSPartition cuts replica C off from NATS while replicas A and B
// keep it: a proxy between C and NATS drops every packet, closing nothing.
// Visitors write through all three replicas throughout, and an agent
// watches on each replica over each protocol. During the cut every write
// succeeds and every message reaches every watcher within two poll
// intervals and a second; C's tandem_nats_connected turns 0 (A's and B's
// stay 1) once its pings go unanswered. After healing, C reconnects (the
// gauge is 1 again) and wake-ups are fast again both ways. In the end
// every watcher holds exactly the database's messages, in log order.
func TestNATSPartition(t *testing.T) {
	needProcesses(t)
	t.Parallel()
	const poll = time.Second
	nats := rpctest.NATS(t)
	proxy := startProxy(t, nats.Addr)
	dbURL := sharedDatabase(t)
	env := map[string]string{
		"TANDEM_NATS_URL":      nats.URL(),
		"TANDEM_POLL_INTERVAL": poll.String(),
		"TANDEM_HEARTBEAT":     "30s", // a heartbeat also re-reads the log: keep it out of the way
	}
	c := startCluster(t, dbURL, 2, env)
	env["TANDEM_NATS_URL"] = "nats://" + proxy.Addr()
	cut := startCluster(t, dbURL, 1, env).replicas[0] // its own workspace is not used
	c.replicas = append(c.replicas, cut)
	replicas := c.replicas
	names := []string{"A", "B", "C"}

	cursor := c.cursor(t, replicas[0].URL)
	var watchers []*watcher
	var watcherNames []string
	for i, r := range replicas {
		for _, p := range rpcclient.Protocols() {
			watchers = append(watchers, c.watch(t, cursor, p, func() string { return r.URL }))
			watcherNames = append(watcherNames, fmt.Sprintf("%s/%v", names[i], p))
		}
	}
	visitors := make([]*rpcclient.Visitor, len(replicas))
	clients := make([]rpcclient.Clients, len(replicas))
	for i, r := range replicas {
		visitors[i] = c.visitors(t, r.URL, 1)[0]
		clients[i] = rpcclient.New(r.URL, rpcclient.Connect)
	}

	var sent []string
	// roundTrip sends the next message through replica i and returns how
	// long it took to reach every watcher on every replica.
	roundTrip := func(i int, phase string) time.Duration {
		t.Helper()
		body := fmt.Sprintf("%s-%s-%04d", phase, names[i], len(sent))
		start := time.Now()
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		if _, err := visitors[i].Send(ctx, clients[i], uuid.NewString(), body); err != nil {
			t.Fatalf("send %s through %s: %v", body, names[i], err)
		}
		sent = append(sent, body)
		var slowest time.Duration
		for k, w := range watchers {
			if missing := w.WaitFor([]string{body}, 10*time.Second); len(missing) > 0 {
				t.Fatalf("%s did not reach watcher %s within 10s", body, watcherNames[k])
			}
			at, _ := w.Has(body)
			slowest = max(slowest, at.Sub(start))
		}
		return slowest
	}
	gauge := func(r *fleet.Tandemd) float64 {
		t.Helper()
		v, err := fleet.Metric(t.Context(), r.MetricsURL, "tandem_nats_connected")
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for i, r := range replicas {
		if v := gauge(r); v != 1 {
			t.Fatalf("before the cut, %s's tandem_nats_connected is %v", names[i], v)
		}
	}
	for i := range replicas {
		roundTrip(i, "before")
	}

	// The cut: C's pings go unanswered for up to 9 s before it notices.
	// Writes go on through every replica meanwhile, and through each once
	// more after C knows.
	proxy.Cut()
	cutAt := time.Now()
	const within = 2*poll + time.Second
	var during []time.Duration
	var noticed time.Duration
	for k, after := 0, 0; after < len(replicas); k++ {
		if time.Since(cutAt) > 20*time.Second {
			t.Fatalf("C's tandem_nats_connected still 1 %v after the cut", time.Since(cutAt).Round(time.Millisecond))
		}
		during = append(during, roundTrip(k%3, "cut"))
		if noticed > 0 {
			after++
		} else if gauge(cut) == 0 {
			noticed = time.Since(cutAt)
		}
	}
	for i, r := range replicas[:2] {
		if v := gauge(r); v != 1 {
			t.Errorf("%s kept NATS, but its tandem_nats_connected is %v", names[i], v)
		}
		if v, err := fleet.Metric(t.Context(), r.MetricsURL, "tandem_nats_disconnects_total"); err != nil || v != 0 {
			t.Errorf("%s kept NATS, but tandem_nats_disconnects_total is %v (%v)", names[i], v, err)
		}
	}
	slices.Sort(during)
	if worst := during[len(during)-1]; worst > within {
		t.Errorf("during the cut the slowest delivery took %v; the bound is %v (poll %v)", worst, within, poll)
	}
	t.Logf("cut: C noticed after %v; %d messages, median %v, slowest %v", noticed.Round(time.Millisecond), len(during),
		during[len(during)/2], during[len(during)-1])

	proxy.Heal()
	healedAt := time.Now()
	for gauge(cut) != 1 {
		if time.Since(healedAt) > 10*time.Second {
			t.Fatal("C's tandem_nats_connected not 1 again 10s after healing")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if v, err := fleet.Metric(t.Context(), cut.MetricsURL, "tandem_nats_disconnects_total"); err != nil || v < 1 {
		t.Errorf("C's tandem_nats_disconnects_total is %v after the cut (%v)", v, err)
	}
	t.Logf("healed: C reconnected after %v", time.Since(healedAt).Round(time.Millisecond))

	// Through the poll a message waits for the next tick (poll/2 on
	// average); a run of fast ones from every replica, C included, means
	// NATS carries wake-ups to and from C again.
	const fast, wantFast = poll / 5, 6
	var again []time.Duration
	for streak := 0; streak < wantFast; {
		if time.Since(healedAt) > 20*time.Second {
			t.Fatalf("delivery not fast again 20s after healing: %v", again)
		}
		lat := roundTrip(len(again)%3, "healed")
		again = append(again, lat)
		if lat < fast {
			streak++
		} else {
			streak = 0
		}
	}
	t.Logf("healed: fast again after %d sends: %v", len(again), again)

	stored := storedMessages(t, dbURL, c.ws.ID)
	if !slices.Equal(slices.Sorted(slices.Values(stored)), slices.Sorted(slices.Values(sent))) {
		t.Errorf("the database holds %d customer messages, %d were acknowledged", len(stored), len(sent))
	}
	for k, w := range watchers {
		if got := w.Bodies(); !slices.Equal(got, stored) {
			t.Errorf("watcher %s received %d messages; the database has %d (missing, doubled or out of log order)",
				watcherNames[k], len(got), len(stored))
		}
		if err := w.Check(); err != nil {
			t.Errorf("watcher %s: %v", watcherNames[k], err)
		}
		if e := w.endings(); len(e) > 0 {
			t.Errorf("watcher %s's stream ended: %v", watcherNames[k], e)
		}
	}
}

// storedMessages is the workspace's customer messages in the database, in
// log order.
func storedMessages(t *testing.T, dbURL, workspaceID string) []string {
	t.Helper()
	rows, err := openDB(t, dbURL).QueryContext(t.Context(), `SELECT body FROM messages
		WHERE workspace_id = ? AND kind = 'text' AND author_kind = 'customer' ORDER BY seq`, workspaceID)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rows.Close() }()
	var out []string
	for rows.Next() {
		var body string
		if err := rows.Scan(&body); err != nil {
			t.Fatal(err)
		}
		out = append(out, body)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
