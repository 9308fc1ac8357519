package faulttest_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/tandem-inbox/tandem/backend/internal/fleet"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
)

// Database faults short of a crash (CHAOS-01), between one tandemd and a
// private mariadbd, through a proxy: 2 s of latency, a blackhole that ends
// in reset connections, and a row lock held by another client. Under each,
// visitors keep writing (and retrying with their client ids); the tests
// check that calls fail fast with a retryable code or succeed, that every
// acknowledged message is stored once and nothing else, that the
// conversations agree with their messages, that writes come back within
// 30 s of the fault ending without a restart, that the retries do not
// hammer the database, and that tandemd's goroutines come back to where
// they were.

// TestDatabaseLatency adds 2 s to every chunk of bytes between tandemd and
// MariaDB, each way, for 5 s: a statement takes 4 s or more, over the 3 s
// deadline of a call.
func TestDatabaseLatency(t *testing.T) {
	needProcesses(t)
	t.Parallel()
	f := startProxied(t, 1, nil, nil)
	// An attempt whose last answer was on its way when the latency began
	// arrives 2 s later, and may still succeed.
	underFault(t, f, "with 2s latency", 2*time.Second+500*time.Millisecond,
		func() { f.proxy.SetLatency(2 * time.Second) },
		func() { f.proxy.SetLatency(0) })
}

// TestDatabaseBlackhole holds every byte between tandemd and MariaDB for
// 5 s, on its pooled connections and on those it opens meanwhile, and then
// resets them all (a partition that ended the connections): whatever was
// in flight, a commit included, is lost or done on the server without an
// answer.
func TestDatabaseBlackhole(t *testing.T) {
	needProcesses(t)
	t.Parallel()
	f := startProxied(t, 1, nil, nil)
	underFault(t, f, "blackholed", time.Second, f.proxy.Blackhole, func() {
		t.Logf("%d connections held in the blackhole when it was cut", f.proxy.Open())
		f.proxy.Cut()
		f.proxy.Heal()
	})
}

// underFault has four visitors write to the proxied replica while the
// fault is on (runFault). No write may succeed under the fault (from
// settle after it began: attempts already on their way may still end
// well) and some must fail; then the checks of every fault (checkAfter).
func underFault(t *testing.T, f *proxied, name string, settle time.Duration, begin, heal func()) {
	t.Helper()
	run := runFault(t, f, name, begin, heal)
	// The attempts in flight when the fault began, and those begun under
	// it.
	codes := run.s.failFast(t, name, run.began.Add(-dbRequestTimeout), run.healed)
	if codes[connect.CodeDeadlineExceeded]+codes[connect.CodeUnavailable] == 0 {
		t.Errorf("no attempt failed %s: the proxy did not hold the bytes", name)
	}
	if n := run.s.succeeded(run.began.Add(settle), run.healed); n > 0 {
		t.Errorf("%d attempts succeeded %s: the deadline is %v", n, name, dbRequestTimeout)
	}
	run.checkAfter(t, f)
}

// faultRun is what four visitors' writes to the proxied replica met: a
// warm-up and idle (the goroutines' baseline), 2 s of steady load (the
// normal pressure), the fault for 5 s under it, and 3 s after it.
type faultRun struct {
	s                       *senders
	base                    float64 // the replica's goroutines, idle
	began, healed           time.Time
	normal, fault, recovery pressure
	closeIdle               func()
}

func runFault(t *testing.T, f *proxied, name string, begin, heal func()) *faultRun {
	t.Helper()
	r := f.replicas[0]
	client, closeIdle := widgetClient(r.URL)
	visitors := f.visitors(t, r.URL, 4)
	run := &faultRun{s: &senders{l: newLedger()}, closeIdle: closeIdle}
	s := run.s

	// Warm up, then idle: the baseline.
	warm, cool := context.WithCancel(t.Context())
	wait := s.run(warm, visitors, client)
	time.Sleep(time.Second)
	cool()
	wait()
	closeIdle()
	time.Sleep(200 * time.Millisecond)
	run.base = liveGoroutines(t, r)

	load, stop := context.WithCancel(t.Context())
	wait = s.run(load, visitors, client)
	normal := startMeter(f.proxy)
	time.Sleep(2 * time.Second)
	run.normal = normal.rate()

	begin()
	during := startMeter(f.proxy)
	run.began = during.at
	time.Sleep(5 * time.Second)
	heal()
	run.healed, run.fault = time.Now(), during.rate()
	after := startMeter(f.proxy)
	time.Sleep(3 * time.Second)
	run.recovery = after.rate()
	stop()
	wait()
	run.normal, run.fault, run.recovery = run.normal.perCallOf(s), run.fault.perCallOf(s), run.recovery.perCallOf(s)
	t.Log(s.l.summary())
	t.Logf("pressure on the database: normal %v; %s %v; the 3 s after %v", run.normal, name, run.fault, run.recovery)
	return run
}

// checkAfter holds every fault to the same end: calls after it fail fast
// or succeed, writes recover, the retries' pressure on the database stays
// bounded, every acknowledged message is stored once, and the replica's
// goroutines settle where they were.
func (run *faultRun) checkAfter(t *testing.T, f *proxied) {
	t.Helper()
	run.s.failFast(t, "after the fault", run.healed, time.Now())
	checkRecovered(t, run.s, run.healed)
	checkBoundedPressure(t, run.normal, run.fault, run.recovery)
	checkExactlyOnce(t, f.dbURL, f.ws.ID, run.s.l)
	checkConsistent(t, f.dbURL, f.ws.ID)
	run.closeIdle()
	goroutinesSettle(t, f.replicas[0], run.base, 10)
}

// TestDatabasePacketLoss puts the private mariadbd on a machine of its own
// (a network namespace) whose link drops one TCP packet in ten, each way,
// one at a time, for 5 s under the visitors' load: TCP retransmits each
// after its timeout, so statements are slowed, not lost. Calls must go on
// succeeding (most of them), and any that does not must fail fast and
// retryably; then the checks of every fault.
func TestDatabasePacketLoss(t *testing.T) {
	needProcesses(t)
	t.Parallel()
	h := newHost(t)
	m, err := fleet.StartMariaDBWith(t.Context(), t.TempDir(), fleet.MariaDBOptions{Netns: h.name, IP: h.peer})
	f := startProxiedTo(t, killAtEnd(t, m, err), 1, nil, nil)
	var dropped func() int
	run := runFault(t, f, "with 10% packet loss", func() { dropped = h.lossy(10) }, func() {
		t.Logf("%d packets dropped", dropped())
		if dropped() == 0 {
			t.Error("no packet was dropped")
		}
		h.heal()
	})
	codes := run.s.failFast(t, "with 10% packet loss", run.began, run.healed)
	total := 0
	for _, n := range codes {
		total += n
	}
	if ok := codes[codeOK]; ok*2 < total {
		t.Errorf("%d of %d attempts succeeded with packet loss: a lost packet is retransmitted, and most calls should go through", ok, total)
	}
	run.checkAfter(t, f)
}

// checkRecovered fails the test unless writes succeeded again within 30 s
// of the fault ending and nobody gave up.
func checkRecovered(t *testing.T, s *senders, healed time.Time) {
	t.Helper()
	if len(s.l.gaveUp) > 0 {
		t.Errorf("senders gave up on %v", s.l.gaveUp)
	}
	first := s.firstOK(healed)
	switch {
	case first.IsZero():
		t.Errorf("no write succeeded after the fault ended")
	case first.Sub(healed) > 30*time.Second:
		t.Errorf("the first write after the fault succeeded %v after it ended, over 30 s", first.Sub(healed))
	default:
		t.Logf("writes succeeded again %v after the fault ended", first.Sub(healed).Round(time.Millisecond))
	}
}

// checkBoundedPressure fails the test if tandemd's retries press on the
// database harder during or after a fault than its normal load does (the
// catalog's bound: under twice the normal), in commands for each call its
// clients make (a rate in commands per second would follow how busy the
// machine is: the senders call one at a time, as fast as they are
// answered); or open connections faster than a few a second (each failed
// call may cost one: a driver closes a connection whose call was
// cancelled).
func checkBoundedPressure(t *testing.T, normal, fault, recovery pressure) {
	t.Helper()
	for name, p := range map[string]pressure{"during the fault": fault, "after the fault": recovery} {
		if p.perCall > 2*normal.perCall {
			t.Errorf("%s tandemd sent %v, over twice its normal %v", name, p, normal)
		}
		if p.conns > 20 {
			t.Errorf("%s tandemd opened %v: retries churn connections", name, p)
		}
	}
}

// TestDatabaseRowLock has another client hold workspace W1's row (SELECT
// ... FOR UPDATE, as a long transaction or an operator's console would)
// for 10 s while visitors write to W1 and to W2. Every message appends an
// event under its workspace's row, so W1's writes wait: each must fail
// within its deadline with a retryable code, while W2's are served. Then a
// burst of 40 concurrent writes to W1 would take every pooled connection
// (32), but a workspace's writes hold at most a quarter of them (8), and
// its visitors' a quarter of that (2), the rest waiting outside the pool:
// W2 must still be served. After the
// release, all of it recovers, and no statement waited longer than its
// call (a row lock is waited for half a deadline). The private MariaDB
// starts with innodb_flush_log_at_trx_commit=2, and tandemd must warn that
// it may lose acknowledged writes.
func TestDatabaseRowLock(t *testing.T) {
	needProcesses(t)
	t.Parallel()
	f := startProxied(t, 1, nil, func(db *fleet.Database) {
		sqlDB := openDB(t, db.URL)
		if _, err := sqlDB.ExecContext(t.Context(), `SET GLOBAL innodb_flush_log_at_trx_commit = 2`); err != nil {
			t.Fatal(err)
		}
	})
	r := f.replicas[0]
	if !strings.Contains(r.Output(), "database is not durable") || !strings.Contains(r.Output(), "innodb_flush_log_at_trx_commit=2") {
		t.Errorf("tandemd started on a MariaDB with innodb_flush_log_at_trx_commit=2 without a warning:\n%s", r.Output())
	}
	direct := openDB(t, f.dbURL)
	if _, err := direct.ExecContext(t.Context(), `SET GLOBAL innodb_flush_log_at_trx_commit = 1`); err != nil {
		t.Fatal(err)
	}
	w2, err := f.owner.CreateWorkspace(t.Context(), "Faults 2")
	if err != nil {
		t.Fatal(err)
	}
	client, closeIdle := widgetClient(r.URL)
	v1 := f.visitors(t, r.URL, 4)
	v2 := (&cluster{owner: f.owner, ws: w2}).visitors(t, r.URL, 4)
	s1, s2 := &senders{l: newLedger(), prefix: "a-"}, &senders{l: newLedger()}
	burst := &senders{l: s1.l, prefix: "burst-"}

	warm, cool := context.WithCancel(t.Context())
	wait1, wait2 := s1.run(warm, v1, client), s2.run(warm, v2, client)
	time.Sleep(time.Second)
	cool()
	wait1()
	wait2()
	closeIdle()
	time.Sleep(200 * time.Millisecond)
	base := liveGoroutines(t, r)

	load, stop := context.WithCancel(t.Context())
	wait1, wait2 = s1.run(load, v1, client), s2.run(load, v2, client)
	time.Sleep(time.Second)

	lock, err := direct.BeginTx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var id string
	if err := lock.QueryRowContext(t.Context(), `SELECT id FROM workspaces WHERE id = ? FOR UPDATE`, f.ws.ID).Scan(&id); err != nil {
		t.Fatal(err)
	}
	locked := time.Now()
	time.Sleep(5 * time.Second)

	// The burst: ten writers on each of W1's visitors at once.
	many := make([]*rpcclient.Visitor, 0, 40)
	for range 10 {
		many = append(many, v1...)
	}
	burstCtx, burstEnd := context.WithCancel(t.Context())
	waitBurst := burst.run(burstCtx, many, client)
	burstStart := time.Now()
	// A scrape may wait on the pool for its database gauges (2 s at most):
	// samples that time out are skipped.
	var inUse float64
	var sampled int
	for time.Since(burstStart) < 4*time.Second {
		if v, err := fleet.Metric(t.Context(), r.MetricsURL, "go_sql_in_use_connections", `db_name="tandem"`); err == nil {
			inUse = max(inUse, v)
			sampled++
		}
		time.Sleep(100 * time.Millisecond)
	}
	if sampled == 0 {
		t.Fatal("no scrape of the replica's metrics answered during the burst")
	}
	burstEnd()
	time.Sleep(time.Second)
	// No statement outlives its call: a row lock is waited for half a
	// call's deadline at most, so MySQL holds no thread still waiting
	// for a call whose deadline dropped its connection.
	var stale int
	if err := direct.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM information_schema.processlist
		WHERE command = 'Query' AND time > ? AND info NOT LIKE '%processlist%'`, int(dbRequestTimeout/time.Second)).Scan(&stale); err != nil {
		t.Fatal(err)
	}
	if stale > 0 {
		t.Errorf("%d statements have waited longer than the calls' deadline (%v) for W1's row", stale, dbRequestTimeout)
	}
	if err := lock.Rollback(); err != nil {
		t.Fatal(err)
	}
	released := time.Now()
	time.Sleep(3 * time.Second)
	stop()
	wait1()
	wait2()
	waitBurst()
	t.Logf("W1: %s; W2: %s", s1.l.summary(), s2.l.summary())

	// While W1's row was locked, before the burst: W1 fails fast, W2 is
	// served.
	c1 := s1.failFast(t, "W1 locked", locked, burstStart)
	if c1[codeOK] > 0 {
		t.Errorf("%d writes to W1 succeeded while its row was locked", c1[codeOK])
	}
	if c1[connect.CodeDeadlineExceeded]+c1[connect.CodeUnavailable] == 0 {
		t.Errorf("no write to W1 failed while its row was locked")
	}
	c2 := s2.failFast(t, "W2 while W1 is locked", locked, burstStart)
	if failed := c2[connect.CodeDeadlineExceeded] + c2[connect.CodeUnavailable]; c2[codeOK] == 0 || failed > c2[codeOK]/10 {
		t.Errorf("W2 was not served while W1's row was locked: %v", c2)
	}
	// The burst, visitors' writes, takes their part of W1's share of the
	// pool (a quarter of its 8: store.WithAnonymousTenant), not all of it:
	// W2 is served. (How many connections are in use at the peak depends
	// on the machine's load, as connections whose calls timed out are
	// closed and new ones opened: W2's calls are what must not suffer.)
	t.Logf("at most %v pooled connections in use during the burst", inUse)
	if inUse < 2 {
		t.Errorf("%v pooled connections in use during the burst: it did not take the visitors' part of W1's share (2)", inUse)
	}
	burst.failFast(t, "the burst on W1", burstStart, released.Add(-dbRequestTimeout))
	cb := s2.failFast(t, "W2 during the burst on W1", burstStart, released)
	if failed := cb[connect.CodeDeadlineExceeded] + cb[connect.CodeUnavailable]; cb[codeOK] == 0 || failed > cb[codeOK]/10 {
		t.Errorf("W2 was not served while W1's burst waited on its row: %v", cb)
	}
	s1.failFast(t, "W1 after the release", released, time.Now())
	s2.failFast(t, "W2 after the release", released, time.Now())

	checkRecovered(t, s1, released)
	checkRecovered(t, s2, released)
	checkExactlyOnce(t, f.dbURL, f.ws.ID, s1.l)
	checkExactlyOnce(t, f.dbURL, w2.ID, s2.l)
	checkConsistent(t, f.dbURL, f.ws.ID)
	checkConsistent(t, f.dbURL, w2.ID)
	closeIdle()
	goroutinesSettle(t, r, base, 10)
}
