package faulttest_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	"github.com/tandem-inbox/tandem/api/tandem/v1/tandemv1connect"
	"github.com/tandem-inbox/tandem/backend/internal/faulttest"
	"github.com/tandem-inbox/tandem/backend/internal/fleet"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// dbRequestTimeout is the deadline tandemd gives a call that sets none, in
// the database fault tests: what "fail fast" is measured against.
const dbRequestTimeout = 3 * time.Second

// privateMariaDB starts a mariadbd of the test's own (skipping without
// one), killed when the test ends: the faults below leave connections
// waiting in it that a shared server's other users would count against its
// max_connections.
func privateMariaDB(t *testing.T) *fleet.MariaDB {
	t.Helper()
	m, err := fleet.StartMariaDB(t.Context(), t.TempDir())
	return killAtEnd(t, m, err)
}

// killAtEnd skips the test when mariadbd is not installed (err wraps
// fleet.ErrMissing), fails it when m did not start, and kills m when the
// test ends.
func killAtEnd(t *testing.T, m *fleet.MariaDB, err error) *fleet.MariaDB {
	t.Helper()
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
	return m
}

// proxied is tandemd replicas that reach their database, on a private
// mariadbd, through a Proxy the test turns bad.
type proxied struct {
	*cluster
	m     *fleet.MariaDB
	dbURL string // straight to the server, for the test's own checks
	proxy *faulttest.Proxy
}

// startProxied starts a private mariadbd (prepared by setup, when given,
// before any tandemd connects), a proxy in front of it and n replicas.
func startProxied(t *testing.T, n int, extra map[string]string, setup func(db *fleet.Database)) *proxied {
	t.Helper()
	return startProxiedTo(t, privateMariaDB(t), n, extra, setup)
}

// startProxiedTo is startProxied on the mariadbd m.
func startProxiedTo(t *testing.T, m *fleet.MariaDB, n int, extra map[string]string, setup func(db *fleet.Database)) *proxied {
	t.Helper()
	ctx := t.Context()
	db, err := fleet.CreateDatabase(ctx, m.DSN("mysql"), "tandem")
	if err != nil {
		t.Fatal(err)
	}
	if setup != nil {
		setup(db)
	}
	proxy, err := faulttest.StartProxy(ctx, m.Addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proxy.Close)
	cfg, err := store.MySQLConfig(db.URL)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Addr = proxy.Addr()
	env := map[string]string{"TANDEM_REQUEST_TIMEOUT": dbRequestTimeout.String()}
	for k, v := range extra {
		env[k] = v
	}
	return &proxied{cluster: startCluster(t, cfg.FormatDSN(), n, env), m: m, dbURL: db.URL, proxy: proxy}
}

// metric reads one of a replica's metrics.
func replicaMetric(t *testing.T, r *fleet.Tandemd, name string, labels ...string) float64 {
	t.Helper()
	v, err := fleet.Metric(t.Context(), r.MetricsURL, name, labels...)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// widgetClient is the widget's client of a replica on an HTTP client of
// its own, and a function closing its idle connections: their goroutines
// in tandemd are not what a test of its goroutines means to count.
func widgetClient(url string) (rpcclient.Clients, func()) {
	hc := rpcclient.HTTPClient(rpcclient.Connect)
	c := rpcclient.Clients{Widget: tandemv1connect.NewWidgetServiceClient(hc, url, rpcclient.ClientOptions(rpcclient.Connect)...)}
	return c, hc.CloseIdleConnections
}

// goroutines is how many goroutines a replica runs, less one per pooled
// database connection (the driver watches each for cancellation): a pool
// that grew under load and shrinks after a minute idle is not a leak.
func liveGoroutines(t *testing.T, r *fleet.Tandemd) float64 {
	t.Helper()
	return replicaMetric(t, r, "go_goroutines") - replicaMetric(t, r, "go_sql_open_connections", `db_name="tandem"`)
}

// settles waits up to 30 s for a replica's goroutines to come back to
// within slack of base, and fails the test if they do not.
func goroutinesSettle(t *testing.T, r *fleet.Tandemd, base, slack float64) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		n := liveGoroutines(t, r)
		if n <= base+slack {
			t.Logf("goroutines back to %v (baseline %v, pooled connections aside)", n, base)
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("%v goroutines 30s after the fault, baseline %v (pooled connections aside): something the fault started never ended", n, base)
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// sendTry is one attempt of a send: when it started, how long it took and how
// it ended (0 for success).
type sendTry struct {
	start time.Time
	took  time.Duration
	code  connect.Code
}

// senders write through a ledger like ledger.write, but set no deadline of
// their own (tandemd's default applies, dbRequestTimeout) and keep every
// attempt, so that a test can tell how fast calls failed.
type senders struct {
	l      *ledger
	prefix string // of the bodies, when several sets write to one workspace

	mu    sync.Mutex
	runs  int // bodies name their run: a set runs again after its warm-up
	tries []sendTry
}

// run starts one sender per visitor until ctx ends; each retries a failed
// message with its client id until it is acknowledged (or a minute
// passes), waiting 20 ms doubling to 500 ms in between.
func (s *senders) run(ctx context.Context, visitors []*rpcclient.Visitor, c rpcclient.Clients) (wait func()) {
	s.mu.Lock()
	s.runs++
	run := s.runs
	s.mu.Unlock()
	var wg sync.WaitGroup
	for i, v := range visitors {
		wg.Go(func() {
			for n := 0; ctx.Err() == nil; n++ {
				body, clientID := fmt.Sprintf("%sr%d-v%d-%04d", s.prefix, run, i, n), uuid.NewString()
				s.send(ctx, v, c, body, clientID)
			}
		})
	}
	return wg.Wait
}

func (s *senders) send(ctx context.Context, v *rpcclient.Visitor, c rpcclient.Clients, body, clientID string) {
	giveUp := time.Now().Add(time.Minute)
	wait := 20 * time.Millisecond
	for attempt := 1; ; attempt++ {
		// No deadline: the server's default is what is tested. The guard
		// only keeps a hung call from hanging the test.
		call, cancel := context.WithCancel(context.WithoutCancel(ctx))
		guard := time.AfterFunc(30*time.Second, cancel)
		start := time.Now()
		m, err := v.Send(call, c, clientID, body)
		took := time.Since(start)
		guard.Stop()
		cancel()
		code := codeOK
		if err != nil {
			code = connect.CodeOf(err)
		}
		s.mu.Lock()
		s.tries = append(s.tries, sendTry{start: start, took: took, code: code})
		s.mu.Unlock()
		if err != nil && !errors.Is(err, context.Canceled) {
			s.l.mu.Lock()
			s.l.codes[connect.CodeOf(err)]++
			s.l.mu.Unlock()
		}
		s.l.mu.Lock()
		s.l.byBody[body] = clientID
		switch {
		case err == nil:
			s.l.acked[body] = m.GetId()
			if attempt > 1 {
				s.l.retried++
			}
		case time.Now().After(giveUp):
			s.l.gaveUp = append(s.l.gaveUp, body)
		}
		s.l.mu.Unlock()
		if err == nil || time.Now().After(giveUp) {
			return
		}
		time.Sleep(wait)
		wait = min(wait*2, 500*time.Millisecond)
	}
}

// codeOK stands for the code of an attempt that succeeded (CodeOf(nil)
// is Unknown).
const codeOK connect.Code = 0

// window summarizes the attempts that started in [from, to): how many
// ended each way and the longest one.
func (s *senders) window(from, to time.Time) (map[connect.Code]int, time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	codes := map[connect.Code]int{}
	var longest time.Duration
	for _, a := range s.tries {
		if a.start.Before(from) || !a.start.Before(to) {
			continue
		}
		codes[a.code]++
		longest = max(longest, a.took)
	}
	return codes, longest
}

// succeeded counts the attempts that succeeded, ending in [from, to).
func (s *senders) succeeded(from, to time.Time) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, a := range s.tries {
		if end := a.start.Add(a.took); a.code == codeOK && !end.Before(from) && end.Before(to) {
			n++
		}
	}
	return n
}

// firstOK is when the first attempt that started after from succeeded
// (zero if none did).
func (s *senders) firstOK(from time.Time) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	var first time.Time
	for _, a := range s.tries {
		if a.code != codeOK || a.start.Before(from) {
			continue
		}
		if end := a.start.Add(a.took); first.IsZero() || end.Before(first) {
			first = end
		}
	}
	return first
}

// failFast fails the test unless every attempt that started in [from, to)
// succeeded or failed as a retryable outage (Unavailable or
// DeadlineExceeded) within the server's deadline and some slack for a
// loaded machine; it returns the counts by code.
func (s *senders) failFast(t *testing.T, what string, from, to time.Time) map[connect.Code]int {
	t.Helper()
	codes, longest := s.window(from, to)
	t.Logf("%s: attempts by code %v, the longest %v", what, codes, longest.Round(time.Millisecond))
	for code, n := range codes {
		if code != codeOK && code != connect.CodeUnavailable && code != connect.CodeDeadlineExceeded {
			t.Errorf("%s: %d attempts failed with %v: a database fault must read as Unavailable or DeadlineExceeded", what, n, code)
		}
	}
	if limit := dbRequestTimeout + 2*time.Second; longest > limit {
		t.Errorf("%s: an attempt took %v, over the %v deadline and slack: calls queue rather than fail fast", what, longest, limit)
	}
	return codes
}

// pressure is what clients sent the database through the proxy over a
// while: connections opened and commands, each per second, and commands
// per call the senders began in that while (perCall, once they are done).
type pressure struct {
	conns, commands float64
	from, to        time.Time
	sent            int64 // commands
	perCall         float64
}

func (p pressure) String() string {
	return fmt.Sprintf("%.1f connections/s, %.0f commands/s, %.1f commands a call", p.conns, p.commands, p.perCall)
}

// meter samples the proxy's counters.
type meter struct {
	proxy    *faulttest.Proxy
	at       time.Time
	conns    int64
	commands int64
}

func startMeter(p *faulttest.Proxy) meter {
	return meter{proxy: p, at: time.Now(), conns: p.Conns(), commands: p.Commands()}
}

// rate is the pressure since the meter started.
func (m meter) rate() pressure {
	now := time.Now()
	secs := now.Sub(m.at).Seconds()
	sent := m.proxy.Commands() - m.commands
	return pressure{conns: float64(m.proxy.Conns()-m.conns) / secs, commands: float64(sent) / secs, from: m.at, to: now, sent: sent}
}

// perCallOf sets the pressure's commands per call from the senders'
// attempts begun in its while (call it once they are all done).
func (p pressure) perCallOf(s *senders) pressure {
	codes, _ := s.window(p.from, p.to)
	calls := 0
	for _, n := range codes {
		calls += n
	}
	if calls > 0 {
		p.perCall = float64(p.sent) / float64(calls)
	}
	return p
}

// checkConsistent fails the test unless every conversation's summary
// agrees with its messages: no message committed without the conversation
// row it updates, or the other way round.
func checkConsistent(t *testing.T, dbURL, workspaceID string) {
	t.Helper()
	db := openDB(t, dbURL)
	rows, err := db.QueryContext(context.Background(), `SELECT c.id, c.last_seq, c.last_message_at, m.seq, m.at
		FROM conversations c JOIN (SELECT conversation_id, MAX(seq) AS seq, MAX(created_at) AS at FROM messages
		WHERE workspace_id = ? AND kind = 'text' GROUP BY conversation_id) m ON m.conversation_id = c.id
		WHERE c.last_seq < m.seq OR c.last_message_at < m.at`, workspaceID)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rows.Close() }()
	for rows.Next() {
		var id string
		var lastSeq, lastAt, seq, at int64
		if err := rows.Scan(&id, &lastSeq, &lastAt, &seq, &at); err != nil {
			t.Fatal(err)
		}
		t.Errorf("conversation %s: last_seq %d, last_message_at %d behind its newest message (seq %d at %d)", id, lastSeq, lastAt, seq, at)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}
