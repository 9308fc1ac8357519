package automation

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/outbound"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// The webhook deliverer's tests run replicas of the service on one
// database, by a clock that moves only when a test moves it, against
// loopback receivers (allowlisted, as TANDEM_WEBHOOK_ALLOW would).

// hookClock is a clock that moves only when told.
type hookClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *hookClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *hookClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func (c *hookClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// hookKit is a database with a workspace whose webhooks the kit's
// replicas deliver.
type hookKit struct {
	t     *testing.T
	db    *store.DB
	ws    string
	clock *hookClock
}

// testRetryBase is the kit's first retry delay; the breaker's cool-down is
// twice that.
const testRetryBase = time.Minute

func newHookKit(t *testing.T, db *store.DB) *hookKit {
	return &hookKit{t: t, db: db, ws: storetest.AddWorkspace(t, db, 0),
		clock: &hookClock{now: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}}
}

// replica is a new automation service on the kit's database: another
// replica, or the same one restarted.
func (k *hookKit) replica() *Service {
	client := outbound.NewClient(outbound.Options{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}, Timeout: time.Minute})
	return NewService(k.db, events.NewLog(k.db, nil, k.clock.Now), nil, Deps{}, Options{Now: k.clock.Now,
		Webhooks: Webhooks{Client: client, Timeout: time.Minute, RetryBase: testRetryBase}}, slog.New(slog.DiscardHandler))
}

// queue stores a delivery to url, due now, as a rule would, and returns
// its id.
func (k *hookKit) queue(s *Service, url string) string {
	k.t.Helper()
	id := uuid.NewString()
	if err := s.queue(k.t.Context(), Delivery{ID: id, WorkspaceID: k.ws, SourceID: uuid.NewString(), ConversationID: uuid.NewString(),
		URL: url, Secret: "a secret", Payload: `{}`, CreatedAt: store.NowMillis(k.clock.Now())}); err != nil {
		k.t.Fatal(err)
	}
	return id
}

func (k *hookKit) delivery(id string) Delivery {
	k.t.Helper()
	var d Delivery
	if err := k.db.GetContext(k.t.Context(), &d, `SELECT `+deliveryColumns+` FROM webhook_deliveries WHERE id = ?`, id); err != nil {
		k.t.Fatal(err)
	}
	return d
}

// statuses are the deliveries' statuses, in order.
func (k *hookKit) statuses(ids []string) []string {
	k.t.Helper()
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = k.delivery(id).Status
	}
	return out
}

// pass runs one delivery pass on s and returns how many calls it made.
func (k *hookKit) pass(s *Service) int {
	k.t.Helper()
	n, err := s.DeliverDue(k.t.Context())
	if err != nil {
		k.t.Fatal(err)
	}
	return n
}

// drain runs passes on s until one makes no call.
func (k *hookKit) drain(s *Service) {
	k.t.Helper()
	for k.pass(s) > 0 {
		continue
	}
}

// all reports whether every status is want.
func all(statuses []string, want string) bool {
	return !slices.ContainsFunc(statuses, func(s string) bool { return s != want })
}

// hookReceiver is a loopback webhook receiver that records each call's
// event id and answers through handle (200 when handle writes nothing).
type hookReceiver struct {
	srv *httptest.Server

	mu          sync.Mutex
	ids         []string
	inFlight    int
	maxInFlight int
}

// newHookReceiver starts a receiver; handle gets each call's index. A
// handle that blocks must end when the request's context does, or when
// the test ends.
func newHookReceiver(t *testing.T, handle func(n int, w http.ResponseWriter, r *http.Request)) *hookReceiver {
	h := &hookReceiver{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Read to the end: then the server watches the connection, and
		// the request's context ends when the caller goes away.
		_, _ = io.Copy(io.Discard, r.Body)
		h.mu.Lock()
		n := len(h.ids)
		h.ids = append(h.ids, r.Header.Get(HeaderEventID))
		h.inFlight++
		h.maxInFlight = max(h.maxInFlight, h.inFlight)
		h.mu.Unlock()
		defer func() {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.inFlight--
		}()
		if handle != nil {
			handle(n, w, r)
		}
	}))
	t.Cleanup(h.srv.Close)
	return h
}

// calls returns the event ids of the calls so far, and how many are in
// flight.
func (h *hookReceiver) calls() ([]string, int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.ids), h.inFlight
}

func (h *hookReceiver) count() int {
	ids, _ := h.calls()
	return len(ids)
}

// waitFor polls until cond holds, failing the test after 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// gate is a channel a blocked receiver waits on, opened once (by the test,
// or at its end at the latest, so that the receiver can shut down).
type gate struct {
	ch   chan struct{}
	once sync.Once
}

func newGate(t *testing.T) *gate {
	g := &gate{ch: make(chan struct{})}
	t.Cleanup(g.open)
	return g
}

func (g *gate) open() { g.once.Do(func() { close(g.ch) }) }

// wait blocks until the gate opens or ctx ends.
func (g *gate) wait(ctx context.Context) {
	select {
	case <-g.ch:
	case <-ctx.Done():
	}
}
