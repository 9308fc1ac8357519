package faulttest_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/tandem-inbox/tandem/backend/internal/fleet"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestMariaDBRestartUnderLoad kills a private mariadbd (SIGKILL: no clean
// shutdown, InnoDB recovers from its redo log) while visitors write through
// two replicas, and starts it again. Clients see Unavailable (never
// Internal) while it is down and retry with the same client ids;
// afterwards every acknowledged message is stored exactly once, nothing
// unacknowledged is, and an agent's stream, resumed from its cursor,
// delivers each message once, in order.
func TestMariaDBRestartUnderLoad(t *testing.T) {
	needProcesses(t)
	t.Parallel()
	ctx := context.Background()
	m, err := fleet.StartMariaDB(ctx, t.TempDir())
	if errors.Is(err, fleet.ErrMissing) {
		storetest.Missing(t, "mariadbd is not installed")
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("mariadbd output:\n%s", m.Output())
		}
		m.Kill()
	})
	db, err := fleet.CreateDatabase(ctx, m.DSN("mysql"), "tandem")
	if err != nil {
		t.Fatal(err)
	}
	nats := rpctest.NATS(t)
	c := startCluster(t, db.URL, 2, map[string]string{
		"TANDEM_NATS_URL":        nats.URL(),
		"TANDEM_POLL_INTERVAL":   "200ms",
		"TANDEM_HEARTBEAT":       "500ms",
		"TANDEM_REQUEST_TIMEOUT": "3s",
	})
	a, b := c.replicas[0], c.replicas[1]
	visitors := c.visitors(t, a.URL, 6)
	w := c.watch(t, c.cursor(t, b.URL), rpcclient.GRPC, func() string { return b.URL })

	l := newLedger()
	load, stop := context.WithCancel(ctx)
	wait := l.write(load, visitors, 5*time.Millisecond, func(attempt int) string {
		return c.replicas[attempt%2].URL
	})
	time.Sleep(1500 * time.Millisecond)
	before := len(l.bodies())
	m.Kill()
	down := time.Now()
	time.Sleep(3 * time.Second)
	if err := m.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("mariadbd down for %v (restart included); %d messages acknowledged before", time.Since(down).Round(time.Millisecond), before)
	time.Sleep(2 * time.Second)
	stop()
	wait()
	t.Log(l.summary())

	if len(l.gaveUp) > 0 {
		t.Errorf("writers gave up on %v", l.gaveUp)
	}
	if l.codes[connect.CodeUnavailable] == 0 {
		t.Errorf("no client saw Unavailable while the database was down; errors %v", l.codes)
	}
	for code, n := range l.codes {
		if code != connect.CodeUnavailable && code != connect.CodeDeadlineExceeded {
			t.Errorf("%d sends failed with %v: a database outage must read as Unavailable (retry)", n, code)
		}
	}
	if len(l.bodies()) <= before {
		t.Errorf("no message acknowledged after the restart")
	}
	checkExactlyOnce(t, db.URL, c.ws.ID, l)
	if missing := w.WaitFor(l.bodies(), 20*time.Second); len(missing) > 0 {
		t.Errorf("the agent's stream never delivered %d acknowledged messages: %v", len(missing), missing)
	}
	if err := w.Check(); err != nil {
		t.Error(err)
	}
	t.Logf("the agent's stream ended and resumed, by code: %v", w.endings())
}
