package server_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/fleet"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// These tests run several tandemd processes on one MySQL database with a
// private nats-server between them, and check the spine's promise across
// replicas: a stream on one replica sees every change committed on another,
// fast through NATS, a poll interval late without it, never twice and never
// out of order, and a stream resumed on another replica with its cursor
// loses nothing.

const replicaOwner = "replica-owner@example.test"

// TestReplicasDeliverAcrossNATS watches on replica B while a visitor writes
// through replica A over gRPC-web. The poll interval and the heartbeat are
// far longer than the test, so only a NATS wake-up can explain a fast
// delivery.
func TestReplicasDeliverAcrossNATS(t *testing.T) {
	t.Parallel()
	requireReplicas(t)
	nats := rpctest.NATS(t)
	rs := startReplicas(t, 2, map[string]string{
		"TANDEM_NATS_URL":      nats.URL(),
		"TANDEM_POLL_INTERVAL": "30s",
		"TANDEM_HEARTBEAT":     "30s",
	})
	a, b := rs.procs[0], rs.procs[1]
	v := newReplicaVisitor(t, a.URL, rpcclient.GRPCWeb, rs.publicKey)
	w := rs.watch(t, b.URL, rpcclient.Connect, rs.cursor(t, b.URL))

	const count = 50
	sent := make([]time.Time, count) // when each send began; read after done
	done := make(chan error, 1)
	go func() {
		for i := range count {
			sent[i] = time.Now()
			if err := v.send(t.Context(), fmt.Sprintf("m%02d", i)); err != nil {
				done <- fmt.Errorf("send m%02d through A: %w", i, err)
				return
			}
		}
		done <- nil
	}()

	got := make([]delivered, 0, count)
	for i := range count {
		d, err := w.next(5 * time.Second)
		if err != nil {
			t.Fatalf("after %d of %d messages on B: %v", i, count, err)
		}
		got = append(got, d)
	}
	if err := waitDone(done, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	var slowest time.Duration
	for i, d := range got {
		if want := fmt.Sprintf("m%02d", i); d.body != want {
			t.Fatalf("message %d on B is %q, want %q (all: %v)", i, d.body, want, deliveredBodies(got))
		}
		lat := d.at.Sub(sent[i])
		slowest = max(slowest, lat)
		if lat > 3*time.Second {
			t.Errorf("%s reached B after %v; the poll interval is 30s, so NATS did not wake B", d.body, lat)
		}
	}
	checkDeliveredOrder(t, got)
	// A duplicate would come after the last message: nothing may come
	// between it and a final one.
	if err := v.send(t.Context(), "end"); err != nil {
		t.Fatal(err)
	}
	w.expect(t, "end", 5*time.Second)
	t.Logf("%d messages A -> B over NATS, slowest %v", count, slowest)
}

// TestReplicaKilledMidStream watches on replica A while a visitor writes
// through replica B, kills A with SIGKILL mid-stream, resumes the watch on B
// from the last cursor received, and checks that the agent ends with exactly
// the committed messages.
func TestReplicaKilledMidStream(t *testing.T) {
	t.Parallel()
	requireReplicas(t)
	nats := rpctest.NATS(t)
	rs := startReplicas(t, 2, map[string]string{
		"TANDEM_NATS_URL":      nats.URL(),
		"TANDEM_POLL_INTERVAL": "1s",
		"TANDEM_HEARTBEAT":     "300ms", // so that some cursors come from heartbeats
	})
	a, b := rs.procs[0], rs.procs[1]
	v := newReplicaVisitor(t, b.URL, rpcclient.Connect, rs.publicKey)
	w := rs.watch(t, a.URL, rpcclient.GRPC, rs.cursor(t, a.URL))

	// The writer sends one message at a time through B and records each
	// outcome: an error leaves it unknown whether the message committed.
	const count = 120
	var (
		mu      sync.Mutex
		outcome = map[string]error{}
		order   []string
	)
	writerDone := make(chan error, 1)
	go func() {
		for i := range count {
			if t.Context().Err() != nil {
				break // the test failed and is ending
			}
			body := fmt.Sprintf("w%03d", i)
			err := v.send(t.Context(), body)
			mu.Lock()
			outcome[body], order = err, append(order, body)
			mu.Unlock()
			time.Sleep(5 * time.Millisecond)
		}
		writerDone <- nil
	}()

	var got []delivered
	for len(got) < 10 {
		d, err := w.next(5 * time.Second)
		if err != nil {
			t.Fatalf("after %d messages on A: %v", len(got), err)
		}
		got = append(got, d)
	}
	a.Kill()
	mu.Lock()
	sentAtKill := len(order)
	mu.Unlock()
	// Whatever A sent before it died still counts; then its stream must end.
	for {
		d, err := w.next(5 * time.Second)
		if errors.Is(err, errStreamTimeout) {
			t.Fatal("the stream on the killed replica did not end")
		}
		if err != nil {
			t.Logf("stream on A ended after %d messages: %v", len(got), err)
			break
		}
		got = append(got, d)
	}
	w.close()

	w2 := rs.watch(t, b.URL, rpcclient.GRPC, w.cursor)
	if err := waitDone(writerDone, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := v.send(t.Context(), "end"); err != nil {
		t.Fatal(err)
	}
	for {
		d, err := w2.next(10 * time.Second)
		if err != nil {
			t.Fatalf("resumed stream on B, after %d messages in all: %v", len(got), err)
		}
		if d.body == "end" {
			break
		}
		got = append(got, d)
	}

	// Every message the writer got OK for, in send order, once; a failed
	// send may or may not appear, but only in its place.
	var want []string
	i := 0
	for _, body := range order {
		if i < len(got) && got[i].body == body {
			i++
			continue
		}
		if outcome[body] == nil {
			want = append(want, body)
		}
	}
	if len(want) > 0 || i != len(got) {
		t.Fatalf("agent received %v;\nmissing %v (committed), or out of order/doubled after %d", deliveredBodies(got), want, i)
	}
	checkDeliveredOrder(t, got)
	failed := 0
	for _, err := range outcome {
		if err != nil {
			failed++
			t.Logf("send failed: %v", err)
		}
	}
	t.Logf("A killed after %d sends; %d messages received across A and B, %d sends failed", sentAtKill, len(got), failed)
}

// TestNATSRestart watches on replica B while writing through A, kills the
// nats-server (delivery falls back to B's poll), starts it again on the same
// port (delivery is fast again), and checks that no message was lost or
// doubled throughout.
func TestNATSRestart(t *testing.T) {
	t.Parallel()
	requireReplicas(t)
	const poll = 500 * time.Millisecond
	nats := rpctest.NATS(t)
	rs := startReplicas(t, 2, map[string]string{
		"TANDEM_NATS_URL":      nats.URL(),
		"TANDEM_POLL_INTERVAL": poll.String(),
		"TANDEM_HEARTBEAT":     "30s", // a heartbeat also re-reads the log: keep it out of the way
	})
	a, b := rs.procs[0], rs.procs[1]
	v := newReplicaVisitor(t, a.URL, rpcclient.GRPC, rs.publicKey)
	w := rs.watch(t, b.URL, rpcclient.GRPCWeb, rs.cursor(t, b.URL))

	n := 0
	// roundTrip sends the next message through A and returns how long it
	// took to reach B; the stream must deliver exactly it, next.
	roundTrip := func(phase string, within time.Duration) time.Duration {
		t.Helper()
		body := fmt.Sprintf("%s-%03d", phase, n)
		n++
		start := time.Now()
		if err := v.send(t.Context(), body); err != nil {
			t.Fatalf("send %s: %v", body, err)
		}
		return w.expect(t, body, within).at.Sub(start)
	}

	t.Logf("with NATS: %v", roundTrip("up", 3*time.Second))

	nats.Kill()
	var worst time.Duration
	for range 6 {
		worst = max(worst, roundTrip("down", 3*time.Second))
	}
	t.Logf("without NATS: slowest %v (poll interval %v)", worst, poll)

	if err := nats.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	// Wait for both replicas to reconnect: through the poll, a message sent
	// right after the previous one arrived waits for the next tick (~poll),
	// so several fast ones in a row mean NATS carries wake-ups again.
	const fast, wantFast = poll / 4, 5
	streak, tries := 0, 0
	deadline := time.Now().Add(20 * time.Second)
	var lats []time.Duration
	for streak < wantFast {
		if time.Now().After(deadline) {
			t.Fatalf("delivery not fast again 20s after nats-server restarted; latencies %v", lats)
		}
		lat := roundTrip("again", 3*time.Second)
		lats = append(lats, lat)
		tries++
		if lat < fast {
			streak++
		} else {
			streak = 0
		}
	}
	t.Logf("after restart: %d sends until %d in a row under %v; latencies %v", tries, wantFast, fast, lats)

	// Nothing may follow the last message but a final one: no late
	// duplicate from the outage.
	if err := v.send(t.Context(), "end"); err != nil {
		t.Fatal(err)
	}
	w.expect(t, "end", 3*time.Second)
	checkDeliveredOrder(t, w.all)
}

// requireReplicas skips unless MySQL is there: replicas share its database.
func requireReplicas(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("runs tandemd replicas and nats-server")
	}
	storetest.NeedMySQL(t) // replicas share its database
}

// replicaSet is tandemd processes on one database, with the bootstrap
// owner's session and a workspace created through the first of them.
type replicaSet struct {
	procs       []*fleet.Tandemd
	token       string
	workspaceID string
	publicKey   string
}

// startReplicas starts n tandemd processes on a fresh MySQL database, with
// the same bootstrap owner and the extra environment.
func startReplicas(t *testing.T, n int, extra map[string]string) *replicaSet {
	t.Helper()
	dbURL := storetest.Options(t, "mysql").URL
	rs := &replicaSet{}
	for range n {
		env := map[string]string{
			"TANDEM_DATABASE_URL":       dbURL,
			"TANDEM_DATA_DIR":           t.TempDir(),
			"TANDEM_BOOTSTRAP_EMAIL":    replicaOwner,
			"TANDEM_BOOTSTRAP_PASSWORD": rpctest.TestPassword,
			// The spine: one visitor writes far faster than a person
			// may (the limits have tests of their own).
			"TANDEM_WIDGET_RATE": "0",
		}
		for k, v := range extra {
			env[k] = v
		}
		rs.procs = append(rs.procs, rpctest.StartProcess(t, rpctest.FreeAddr(t), env))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := rpcclient.New(rs.procs[0].URL, rpcclient.Connect)
	login, err := c.Auth.Login(ctx, &tandemv1.LoginRequest{Email: replicaOwner, Password: rpctest.TestPassword})
	if err != nil {
		t.Fatalf("bootstrap owner cannot sign in: %v", err)
	}
	rs.token = login.GetToken()
	created, err := c.Workspace.CreateWorkspace(rpcclient.WithToken(ctx, rs.token), &tandemv1.CreateWorkspaceRequest{Name: "Replicated"})
	if err != nil {
		t.Fatal(err)
	}
	rs.workspaceID, rs.publicKey = created.GetWorkspace().GetId(), created.GetWorkspace().GetPublicKey()
	return rs
}

// cursor is the workspace's current position, read through the replica at
// url: a watch from it misses nothing sent afterwards.
func (rs *replicaSet) cursor(t *testing.T, url string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := rpcclient.New(url, rpcclient.Connect)
	list, err := c.Conversation.ListConversations(rpcclient.WithToken(ctx, rs.token),
		&tandemv1.ListConversationsRequest{WorkspaceId: rs.workspaceID})
	if err != nil {
		t.Fatalf("list conversations: %v", err)
	}
	return list.GetCursor()
}

// replicaVisitor is a customer with one open conversation.
type replicaVisitor struct {
	c              rpcclient.Clients
	token          string
	conversationID string
}

func newReplicaVisitor(t *testing.T, url string, p rpcclient.Protocol, publicKey string) *replicaVisitor {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	v := &replicaVisitor{c: rpcclient.New(url, p)}
	s, err := v.c.Widget.StartSession(ctx, &tandemv1.StartSessionRequest{PublicKey: publicKey, Name: "Replica Visitor"})
	if err != nil {
		t.Fatalf("start session: %v", err)
	}
	v.token = s.GetToken()
	conv, err := v.c.Widget.StartConversation(rpcclient.WithToken(ctx, v.token), &tandemv1.StartConversationRequest{ClientId: uuid.NewString()})
	if err != nil {
		t.Fatalf("start conversation: %v", err)
	}
	v.conversationID = conv.GetConversation().GetId()
	return v
}

// send posts one message with a fresh client id.
func (v *replicaVisitor) send(ctx context.Context, body string) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, err := v.c.Widget.SendMessage(rpcclient.WithToken(ctx, v.token), &tandemv1.WidgetServiceSendMessageRequest{
		ConversationId: v.conversationID, ClientId: uuid.NewString(), Body: body,
	})
	return err
}

// delivered is a message.created event as an agent's stream delivered it.
type delivered struct {
	body string
	seq  int64
	at   time.Time
}

// agentStream is an agent's Watch, read by a goroutine into a channel.
type agentStream struct {
	stream *connect.ServerStreamForClient[tandemv1.WatchResponse] // set by the reader
	cancel context.CancelFunc
	msgs   chan received // closed when the stream ends
	err    error         // why it ended; read after msgs closes
	closed bool

	cursor string      // the last cursor received, heartbeats included
	all    []delivered // every message delivered so far
}

// received is a stream message and when the reader got it.
type received struct {
	msg *tandemv1.WatchResponse
	at  time.Time
}

var errStreamTimeout = errors.New("no message in time")

// watch opens the agent's Watch on the replica at url, after cursor. The
// call itself is made by the reader: a client's Watch returns only when the
// server sends the response headers, which tandemd does with the first
// message (an event or a heartbeat). Starting from a cursor, the stream
// misses nothing meanwhile. The stream is closed when the test ends.
func (rs *replicaSet) watch(t *testing.T, url string, p rpcclient.Protocol, cursor string) *agentStream {
	t.Helper()
	ctx, cancel := context.WithCancel(rpcclient.WithToken(t.Context(), rs.token))
	w := &agentStream{cancel: cancel, msgs: make(chan received, 1024), cursor: cursor}
	t.Cleanup(w.close)
	client := rpcclient.New(url, p).Conversation
	go func() {
		defer close(w.msgs)
		stream, err := client.Watch(ctx, &tandemv1.WatchRequest{WorkspaceId: rs.workspaceID, Cursor: cursor})
		if err != nil {
			w.err = fmt.Errorf("watch on %s: %w", url, err)
			return
		}
		w.stream = stream
		for stream.Receive() {
			select {
			case w.msgs <- received{msg: stream.Msg(), at: time.Now()}:
			case <-ctx.Done():
				w.err = ctx.Err()
				return
			}
		}
		w.err = stream.Err()
	}()
	return w
}

// next returns the next message.created event, skipping other events and
// heartbeats, and remembers the last cursor. It returns errStreamTimeout
// when none comes within timeout, and an error when the stream ends.
func (w *agentStream) next(timeout time.Duration) (delivered, error) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		select {
		case r, ok := <-w.msgs:
			if !ok {
				if w.err == nil {
					return delivered{}, errors.New("stream ended without an error")
				}
				return delivered{}, fmt.Errorf("stream ended: %w", w.err)
			}
			m := r.msg
			if m.GetCursor() != "" {
				w.cursor = m.GetCursor()
			}
			if ev := m.GetEvent(); ev.GetType() == string(events.MessageCreated) {
				d := delivered{body: ev.GetMessage().GetBody(), seq: ev.GetSeq(), at: r.at}
				w.all = append(w.all, d)
				return d, nil
			}
		case <-timer.C:
			return delivered{}, errStreamTimeout
		}
	}
}

// expect fails the test unless the next message is body, within timeout.
func (w *agentStream) expect(t *testing.T, body string, timeout time.Duration) delivered {
	t.Helper()
	d, err := w.next(timeout)
	if err != nil {
		t.Fatalf("waiting for %q: %v", body, err)
	}
	if d.body != body {
		t.Fatalf("next message is %q, want %q (so far %v)", d.body, body, deliveredBodies(w.all))
	}
	return d
}

// close cancels the stream, waits for its reader and closes it.
func (w *agentStream) close() {
	if w.closed {
		return
	}
	w.closed = true
	w.cancel()
	for range w.msgs { // drain: the reader exits once canceled
	}
	if w.stream != nil {
		_ = w.stream.Close()
	}
}

// waitDone waits for one value of done, or fails after timeout.
func waitDone(done <-chan error, timeout time.Duration) error {
	select {
	case err := <-done:
		return err
	case <-time.After(timeout):
		return fmt.Errorf("not done after %v", timeout)
	}
}

// checkDeliveredOrder fails unless the log positions strictly increase.
func checkDeliveredOrder(t *testing.T, ds []delivered) {
	t.Helper()
	for i := 1; i < len(ds); i++ {
		if ds[i].seq <= ds[i-1].seq {
			t.Errorf("%s has seq %d after %s with seq %d", ds[i].body, ds[i].seq, ds[i-1].body, ds[i-1].seq)
		}
	}
}

func deliveredBodies(ds []delivered) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.body
	}
	return out
}
