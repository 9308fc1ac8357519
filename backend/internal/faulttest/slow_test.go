package faulttest_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"syscall"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/api/tandem/v1/tandemv1connect"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/faulttest"
	"github.com/tandem-inbox/tandem/backend/internal/fleet"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
)

// slowReader is an agent's stream whose client stops reading at its first
// event until released: its transport buffers fill and the server's sends
// to it block. It speaks Connect over HTTP/1.1 with a small socket receive
// buffer, so that what it leaves unread backs up into the server quickly
// (Go's HTTP/2 client transport would read ahead into memory instead).
type slowReader struct {
	*faulttest.Collector
	gate   chan struct{}
	stream *rpcclient.Stream
}

func (c *cluster) slowReader(t *testing.T, url, cursor string) *slowReader {
	t.Helper()
	r := &slowReader{Collector: faulttest.NewCollector(), gate: make(chan struct{})}
	client := tandemv1connect.NewConversationServiceClient(smallBufferClient(), url, rpcclient.ClientOptions(rpcclient.Connect)...)
	r.stream = rpcclient.OpenStream(t.Context(), client, c.owner.Token, c.ws.ID, cursor, func(m *tandemv1.WatchResponse, at time.Time) {
		if m.GetEvent() != nil {
			<-r.gate
		}
		r.OnMsg(m, at)
	})
	<-r.stream.Ready()
	t.Cleanup(func() { r.release(); r.stream.Close() })
	return r
}

// smallBufferClient is an HTTP/1.1 client whose sockets receive into 64 kB.
func smallBufferClient() *http.Client {
	dialer := &net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		var err error
		if cerr := c.Control(func(fd uintptr) {
			err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 64<<10)
		}); cerr != nil {
			return cerr
		}
		return err
	}}
	protocols := new(http.Protocols)
	protocols.SetHTTP1(true)
	return &http.Client{Transport: &http.Transport{Protocols: protocols, DialContext: dialer.DialContext}}
}

func (r *slowReader) release() {
	select {
	case <-r.gate:
	default:
		close(r.gate)
	}
}

// TestSlowConsumerCutOff stalls two agents' streams (their clients stop
// reading) while visitors send 12 MB of messages. Other agents on the same
// replica keep getting each message promptly; the server's memory does not
// grow with what the stalled streams have not read. A stalled client that
// reads again after the send timeout gets what was buffered, then
// Unavailable with the RECONNECT reason; one that never reads again is cut
// off at the transport after three send timeouts. Both resume from their
// last cursor and end with every message exactly once, in order.
func TestSlowConsumerCutOff(t *testing.T) {
	needProcesses(t)
	t.Parallel()
	const sendTimeout = 6 * time.Second
	c := startCluster(t, sharedDatabase(t), 1, map[string]string{
		"TANDEM_STREAM_SEND_TIMEOUT": sendTimeout.String(),
		"TANDEM_HEARTBEAT":           "1s",
		// The heap may grow to twice what is live before Go collects by
		// default, which is noise enough in RSS to hide or fake a leak
		// when the machine is busy; a tight target makes RSS follow
		// what the server holds.
		"GOGC": "25",
	})
	r := c.replicas[0]
	senders := c.visitors(t, r.URL, 8)
	cursor := c.cursor(t, r.URL)
	fast := []*watcher{
		c.watch(t, cursor, rpcclient.GRPC, func() string { return r.URL }),
		c.watch(t, cursor, rpcclient.Connect, func() string { return r.URL }),
	}
	pauser, stuck := c.slowReader(t, r.URL, cursor), c.slowReader(t, r.URL, cursor)
	watching := func() float64 {
		n, err := fleet.Metric(t.Context(), r.MetricsURL, "tandem_rpc_streams_active", `ConversationService/Watch`)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	// A stream counts once its handler runs, a moment after the client
	// has its answer headers: on a busy machine, later than this line.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		n := watching()
		if n == 4 {
			break
		}
		if n > 4 || time.Now().After(deadline) {
			t.Fatalf("%v Watch streams open, want 4", n)
		}
	}

	flood := &flooder{t: t, senders: senders, client: rpcclient.New(r.URL, rpcclient.Connect), fast: fast}
	start := time.Now()
	flood.send(400) // 6 MB: more than the stalled streams' buffers hold
	took := time.Since(start)
	rss1, err := fleet.RSS(r.Pid())
	if err != nil {
		t.Fatal(err)
	}
	// The stalled streams blocked during the flood. The pauser reads again
	// after more than the send timeout, and (if the flood was quick enough)
	// less than three: it drains its buffer, then is told to reconnect.
	timely := took < 2*sendTimeout-time.Second
	time.Sleep(time.Until(start.Add(took + sendTimeout + time.Second)))
	if n := watching(); timely && n != 4 {
		t.Errorf("%v Watch streams open before any stream was blocked for three send timeouts, want 4", n)
	}
	pauser.release()
	select {
	case <-pauser.stream.Done():
	case <-time.After(20 * time.Second):
		t.Fatal("the stalled stream was not ended after it fell behind")
	}
	var ce *connect.Error
	if err := pauser.stream.Err(); !errors.As(err, &ce) || ce.Code() != connect.CodeUnavailable ||
		ce.Meta().Get(apperr.DetailHeader) != events.Reconnect {
		if timely {
			t.Errorf("stalled stream ended with %v, want Unavailable with reason %s", err, events.Reconnect)
		} else {
			t.Logf("the flood took %v, so the stalled stream may have been cut at the transport: %v", took, err)
		}
	}
	resumed := rpcclient.OpenStream(t.Context(), rpcclient.New(r.URL, rpcclient.GRPC).Conversation,
		c.owner.Token, c.ws.ID, pauser.stream.Cursor(), pauser.OnMsg)
	defer resumed.Close()

	// The stuck stream still blocks: 6 MB more must not grow the server.
	flood.send(400)
	rss2, err := fleet.RSS(r.Pid())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d messages (%d MB), the first 400 in %v; slowest delivery to a fast watcher %v; tandemd RSS %d MiB after 400, %d MiB after 800",
		len(flood.sent), len(flood.sent)*15000>>20, took, flood.worst, rss1>>20, rss2>>20)
	if grew := rss2 - rss1; grew > 8<<20 { // holding what the stuck stream missed would take 6 MB or more
		t.Errorf("tandemd grew by %d MiB while a stalled stream was sent 6 MB more: memory is not bounded", grew>>20)
	}

	// The stuck stream never reads: the server aborts it on its own.
	deadline := time.Now().Add(3*sendTimeout + 10*time.Second)
	for watching() > 3 { // the two fast watchers and the resumed one
		if time.Now().After(deadline) {
			t.Fatalf("%v Watch streams still open %v after the stuck stream blocked", watching(), time.Since(start))
		}
		time.Sleep(200 * time.Millisecond)
	}
	stuck.release()
	<-stuck.stream.Done()
	t.Logf("stuck stream ended by the server with %v", stuck.stream.Err())
	again := rpcclient.OpenStream(t.Context(), rpcclient.New(r.URL, rpcclient.GRPC).Conversation,
		c.owner.Token, c.ws.ID, stuck.stream.Cursor(), stuck.OnMsg)
	defer again.Close()

	for name, col := range map[string]*faulttest.Collector{"pauser": pauser.Collector, "stuck": stuck.Collector,
		"fast gRPC": fast[0].Collector, "fast Connect": fast[1].Collector} {
		if missing := col.WaitFor(flood.sent, 30*time.Second); len(missing) > 0 {
			t.Errorf("%s: %d messages never delivered", name, len(missing))
		}
		if err := col.Check(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if got := len(col.Bodies()); got != len(flood.sent) {
			t.Errorf("%s: %d messages delivered, %d sent", name, got, len(flood.sent))
		}
	}
}

// flooder sends 15 kB messages from several visitors at once and checks
// that each reaches the fast watchers promptly.
type flooder struct {
	t       *testing.T
	senders []*rpcclient.Visitor
	client  rpcclient.Clients
	fast    []*watcher

	mu    sync.Mutex
	sent  []string
	worst time.Duration
}

func (f *flooder) send(n int) {
	t := f.t
	t.Helper()
	// Random text: responses are compressed, and repeated text would
	// shrink to nothing.
	noise := make([]byte, 11250)
	_, _ = rand.Read(noise)
	pad := base64.StdEncoding.EncodeToString(noise)
	next := make(chan int)
	var wg sync.WaitGroup
	for _, v := range f.senders {
		wg.Go(func() {
			for i := range next {
				body := fmt.Sprintf("m%04d %s", i, pad)
				start := time.Now()
				ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
				_, err := v.Send(ctx, f.client, uuid.NewString(), body)
				cancel()
				if err != nil {
					t.Errorf("send %d: %v", i, err)
					continue
				}
				for _, w := range f.fast {
					if missing := w.WaitFor([]string{body}, 5*time.Second); len(missing) > 0 {
						t.Errorf("message %d took over 5s to reach a fast watcher while streams stalled", i)
						continue
					}
					at, _ := w.Has(body)
					f.mu.Lock()
					f.worst = max(f.worst, at.Sub(start))
					f.mu.Unlock()
				}
				f.mu.Lock()
				f.sent = append(f.sent, body)
				f.mu.Unlock()
			}
		})
	}
	base := len(f.sent)
	for i := range n {
		next <- base + i
	}
	close(next)
	wg.Wait()
}
