package faulttest_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/fleet"
	"github.com/tandem-inbox/tandem/backend/internal/notify"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
)

// TestSLABreachAcrossDatabaseRestart kills the database (SIGKILL of a
// private mariadbd) while SLA deadlines fall due, on two replicas that both
// scan for due timers: 20 conversations, opened a little apart, each with
// a 6 s first-response target (a warning at 3 s). The kill comes as the
// first breach fires, so some breaches have fired, some are in flight and
// the rest fall due while the database is down. After it returns, every
// conversation must have exactly one warning and one breach (event and
// notification), within 30 s of the return, and no breach before its
// deadline (CONC-03).
func TestSLABreachAcrossDatabaseRestart(t *testing.T) {
	needProcesses(t)
	t.Parallel()
	ctx := context.Background()
	m := privateMariaDB(t)
	db, err := fleet.CreateDatabase(ctx, m.DSN("mysql"), "tandem")
	if err != nil {
		t.Fatal(err)
	}
	nats := rpctest.NATS(t)
	c := startCluster(t, db.URL, 2, map[string]string{
		"TANDEM_NATS_URL":                      nats.URL(),
		"TANDEM_REACTORS":                      "true", // the SLA clocks start in a reactor
		"TANDEM_REACTOR_LEASE":                 "2s",
		"TANDEM_POLL_INTERVAL":                 "200ms",
		"TANDEM_HEARTBEAT":                     "500ms",
		"TANDEM_REQUEST_TIMEOUT":               "3s",
		"TANDEM_WIDGET_SESSIONS_PER_MINUTE":    "0",
		"TANDEM_WORKSPACE_SESSIONS_PER_MINUTE": "0",
	})
	a := c.replicas[0]
	clients := rpcclient.New(a.URL, rpcclient.Connect)
	if _, err := clients.SLA.CreateSlaPolicy(rpcclient.WithToken(ctx, c.owner.Token), &tandemv1.CreateSlaPolicyRequest{
		WorkspaceId: c.ws.ID, Policy: &tandemv1.SlaPolicyInput{Name: "Everyone", FirstResponseSeconds: 6, WarningPercent: 50}}); err != nil {
		t.Fatal(err)
	}
	const n = 20
	for i := range n {
		v, err := rpcclient.NewVisitor(ctx, clients, c.ws.PublicKey, fmt.Sprintf("Visitor %d", i))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.Send(ctx, clients, uuid.NewString(), "help, please"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(150 * time.Millisecond)
	}
	direct := openDB(t, db.URL)
	count := func(query string, args ...any) int {
		t.Helper()
		var k int
		if err := direct.QueryRowContext(ctx, query, args...).Scan(&k); err != nil {
			t.Fatal(err)
		}
		return k
	}
	breaches := func() int {
		return count(`SELECT COUNT(*) FROM events WHERE workspace_id = ? AND type = ?`, c.ws.ID, events.SLABreach)
	}
	// Every clock started, then the first breach fires: kill.
	pollUntil(t, 20*time.Second, "the SLA clocks of every conversation", func() bool {
		return count(`SELECT COUNT(*) FROM sla_timers WHERE workspace_id = ? AND target = 'first_response' AND kind = 'breach'`, c.ws.ID) == n
	})
	pollUntil(t, 30*time.Second, "the first breach", func() bool { return breaches() > 0 })
	m.Kill()
	down := time.Now()
	_ = direct.Close() // its pooled connections died with the server
	direct = openDB(t, db.URL)
	time.Sleep(4 * time.Second)
	if err := m.Start(ctx); err != nil {
		t.Fatal(err)
	}
	back := time.Now()
	var firedBefore int
	t.Logf("mariadbd down for %v (restart included)", back.Sub(down).Round(time.Millisecond))
	pollUntil(t, 30*time.Second, "every breach after the restart", func() bool { return breaches() >= n })
	pollUntil(t, 30*time.Second, "every breach notification", func() bool {
		return count(`SELECT COUNT(*) FROM notifications WHERE workspace_id = ? AND type = ?`, c.ws.ID, notify.SLABreach) >= n
	})
	t.Logf("every breach fired %v after the database returned", time.Since(back).Round(time.Millisecond))
	time.Sleep(3 * time.Second) // three more scans on each replica: nothing fires twice

	type row struct {
		ID                          string
		Warnings, Breaches, Notices int
		Outcome                     string
		Due                         int64
		FirstFire                   sql.NullInt64
	}
	rows, err := direct.QueryContext(ctx, `SELECT c.id, c.sla_first_response, c.first_response_due,
		(SELECT COUNT(*) FROM events e WHERE e.conversation_id = c.id AND e.type = ?),
		(SELECT COUNT(*) FROM events e WHERE e.conversation_id = c.id AND e.type = ?),
		(SELECT COUNT(*) FROM notifications x WHERE x.conversation_id = c.id AND x.type = ?),
		(SELECT MIN(e.created_at) FROM events e WHERE e.conversation_id = c.id AND e.type = ?)
		FROM conversations c WHERE c.workspace_id = ?`,
		events.SLAWarning, events.SLABreach, notify.SLABreach, events.SLABreach, c.ws.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rows.Close() }()
	seen := 0
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.ID, &r.Outcome, &r.Due, &r.Warnings, &r.Breaches, &r.Notices, &r.FirstFire); err != nil {
			t.Fatal(err)
		}
		seen++
		if r.Warnings != 1 || r.Breaches != 1 || r.Notices != 1 {
			t.Errorf("conversation %s: %d warnings, %d breaches, %d breach notifications, want one each", r.ID, r.Warnings, r.Breaches, r.Notices)
		}
		if r.Outcome != "missed" {
			t.Errorf("conversation %s: first response %q, want missed", r.ID, r.Outcome)
		}
		if r.FirstFire.Valid && r.FirstFire.Int64 < r.Due {
			t.Errorf("conversation %s: breach at %d, before its deadline %d", r.ID, r.FirstFire.Int64, r.Due)
		}
		if r.FirstFire.Valid && r.FirstFire.Int64 < down.UnixMilli() {
			firedBefore++
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if seen != n {
		t.Errorf("%d conversations, want %d", seen, n)
	}
	if left := count(`SELECT COUNT(*) FROM sla_timers WHERE workspace_id = ? AND target = 'first_response' AND fired_at = 0`, c.ws.ID); left != 0 {
		t.Errorf("%d first-response timers never fired", left)
	}
	t.Logf("%d of %d breaches fired before the kill, the rest after the restart", firedBefore, n)
	if firedBefore == n {
		t.Errorf("every breach fired before the database went down: the restart tested nothing")
	}
}

// waitFor polls cond until it holds, failing the test after timeout.
func pollUntil(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within %v", what, timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
