package outbox_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/desktop/internal/apiclient"
	"github.com/tandem-inbox/tandem/desktop/internal/outbox"
	"github.com/tandem-inbox/tandem/desktop/internal/tandemtest"
)

var fast = outbox.Backoff{Min: 20 * time.Millisecond, Max: 200 * time.Millisecond}

type env struct {
	srv    *tandemtest.Server
	agent  *tandemtest.Agent
	client *apiclient.Client
	id     outbox.Identity
}

func setup(t *testing.T, rt http.RoundTripper) *env {
	t.Helper()
	srv := tandemtest.Start(t, nil)
	agent := srv.Login(t, tandemtest.AgentEmail)
	c, err := apiclient.New(srv.URL, apiclient.Options{Token: func() string { return agent.Token }, Transport: rt})
	if err != nil {
		t.Fatal(err)
	}
	return &env{srv: srv, agent: agent, client: c, id: outbox.Identity{Server: c.BaseURL(), UserID: agent.User.GetId()}}
}

func (e *env) draft(conv, body string) outbox.Draft {
	return outbox.Draft{Identity: e.id, WorkspaceID: e.srv.WorkspaceID, ConversationID: conv, Kind: outbox.Reply, Body: body}
}

// texts returns the conversation's history items written by the agent, in
// order, as the server stores them.
func (e *env) texts(t *testing.T, conv string) []*tandemv1.Message {
	t.Helper()
	res, err := e.agent.Conversations.GetConversation(context.Background(), &tandemv1.GetConversationRequest{ConversationId: conv, PageSize: 200})
	if err != nil {
		t.Fatal(err)
	}
	var out []*tandemv1.Message
	h := res.GetHistory()
	for i := len(h) - 1; i >= 0; i-- {
		if h[i].GetAuthorId() == e.id.UserID && h[i].GetKind() != tandemv1.MessageKind_MESSAGE_KIND_ACTIVITY {
			out = append(out, h[i])
		}
	}
	return out
}

// runUntil runs the sender until every item of the identity is final.
func (e *env) runUntil(t *testing.T, o *outbox.Outbox, deliver outbox.Deliver) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- o.Run(ctx, e.id, deliver, fast) }()
	deadline := time.Now().Add(30 * time.Second)
	for pending(o, e.id) > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v", err)
	}
	if n := pending(o, e.id); n > 0 {
		t.Fatalf("%d items still queued after 30s: %+v", n, o.Items(e.id))
	}
}

func pending(o *outbox.Outbox, id outbox.Identity) int {
	n := 0
	for _, it := range o.Items(id) {
		if it.State == outbox.Queued {
			n++
		}
	}
	return n
}

// TestRestartOrderAndExactlyOnce writes replies to two conversations while
// nothing sends them, "crashes" (reopens the outbox from disk), delivers one
// item behind the outbox's back as a sender that died after the server
// stored it would have, then sends: every item reaches the server exactly
// once, in compose order per conversation, with its client id.
func TestRestartOrderAndExactlyOnce(t *testing.T) {
	e := setup(t, nil)
	a := e.srv.StartConversation(t, "Ann", "Hello?").Conversation.GetId()
	b := e.srv.StartConversation(t, "Bo", "Anyone?").Conversation.GetId()
	dir := t.TempDir()
	o, err := outbox.Open(dir, outbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{}
	var first outbox.Item
	for i, body := range []string{"a1", "b1", "a2", "a3", "b2", "a4"} {
		conv := a
		if strings.HasPrefix(body, "b") {
			conv = b
		}
		it, err := o.Enqueue(e.draft(conv, body))
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = it
		}
		want[conv] = append(want[conv], body)
	}
	// The first item reached the server, but the crash came before the
	// outbox recorded it.
	sent, err := o.Via(e.client)(context.Background(), first)
	if err != nil {
		t.Fatal(err)
	}
	_ = o.Close()                                 // the crash
	o2, err := outbox.Open(dir, outbox.Options{}) // the restarted app
	if err != nil {
		t.Fatal(err)
	}
	defer o2.Close()
	e.runUntil(t, o2, o2.Via(e.client))

	for _, it := range o2.Items(e.id) {
		if it.State != outbox.Delivered || it.MessageID == "" {
			t.Errorf("item %q ended %s (%s)", it.Body, it.State, it.Reason)
		}
		if it.ClientID == first.ClientID && it.MessageID != sent {
			t.Errorf("resent item got message %s, want the original %s", it.MessageID, sent)
		}
	}
	for conv, bodies := range want {
		got := e.texts(t, conv)
		if len(got) != len(bodies) {
			t.Fatalf("conversation has %d agent messages, want %d: %v", len(got), len(bodies), got)
		}
		for i, m := range got {
			if m.GetBody() != bodies[i] {
				t.Errorf("message %d = %q, want %q (compose order)", i, m.GetBody(), bodies[i])
			}
		}
	}
}

// dropper forwards requests but loses the first n SendMessage responses, as
// a connection cut after the server committed would.
type dropper struct {
	n    atomic.Int32
	seen atomic.Int32
}

func (d *dropper) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := http.DefaultTransport.RoundTrip(req)
	if err != nil || !strings.HasSuffix(req.URL.Path, "/SendMessage") {
		return res, err
	}
	d.seen.Add(1)
	if d.n.Add(-1) >= 0 {
		_ = res.Body.Close()
		return nil, errors.New("connection reset by peer")
	}
	return res, nil
}

func TestRetriesStoreOnce(t *testing.T) {
	d := &dropper{}
	d.n.Store(3)
	e := setup(t, d)
	conv := e.srv.StartConversation(t, "Cy", "Hi").Conversation.GetId()
	o, err := outbox.Open(t.TempDir(), outbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	it, err := o.Enqueue(e.draft(conv, "only once, please"))
	if err != nil {
		t.Fatal(err)
	}
	e.runUntil(t, o, o.Via(e.client))
	if got := d.seen.Load(); got < 4 {
		t.Fatalf("server saw %d attempts, want at least 4 (3 lost answers)", got)
	}
	msgs := e.texts(t, conv)
	if len(msgs) != 1 || msgs[0].GetClientId() != it.ClientID {
		t.Fatalf("server holds %d messages %v, want exactly one with client id %s", len(msgs), msgs, it.ClientID)
	}
	if final, _ := o.Get(it.ClientID); final.State != outbox.Delivered || final.MessageID != msgs[0].GetId() {
		t.Fatalf("item = %+v, want delivered as %s", final, msgs[0].GetId())
	}
}

// TestOfflineThenBack queues while the server is down; the items wait with
// a plain-words reason and go out in order when it is back.
func TestOfflineThenBack(t *testing.T) {
	e := setup(t, nil)
	conv := e.srv.StartConversation(t, "Di", "Hi").Conversation.GetId()
	var mu sync.Mutex
	reasons := map[string]bool{}
	o, err := outbox.Open(t.TempDir(), outbox.Options{OnChange: func(it outbox.Item) {
		mu.Lock()
		defer mu.Unlock()
		if it.State == outbox.Queued && it.Reason != "" {
			reasons[it.Reason] = true
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	e.srv.Stop(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- o.Run(ctx, e.id, o.Via(e.client), fast) }()
	for _, b := range []string{"first", "second", "third"} {
		if _, err := o.Enqueue(e.draft(conv, b)); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(300 * time.Millisecond)
	if n := pending(o, e.id); n != 3 {
		t.Fatalf("%d items queued while offline, want 3", n)
	}
	mu.Lock()
	var offline bool
	for r := range reasons {
		offline = offline || strings.Contains(r, "Can't reach the Tandem server")
	}
	mu.Unlock()
	if !offline {
		t.Errorf("no offline reason shown; reasons: %v", reasons)
	}
	e.srv.Restart(t)
	o.Kick()
	deadline := time.Now().Add(20 * time.Second)
	for pending(o, e.id) > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done
	var got []string
	for _, m := range e.texts(t, conv) {
		got = append(got, m.GetBody())
	}
	if strings.Join(got, ",") != "first,second,third" {
		t.Fatalf("server has %v, want first,second,third", got)
	}
}

// TestRefusedItemFailsAndIsKept: a reply the server refuses (the
// conversation was closed meanwhile) fails with the server's reason, is
// kept for editing, and does not hold up the items after it.
func TestRefusedItemFailsAndIsKept(t *testing.T) {
	e := setup(t, nil)
	closed := e.srv.StartConversation(t, "Ed", "Hi").Conversation.GetId()
	open := e.srv.StartConversation(t, "Flo", "Hi").Conversation.GetId()
	if _, err := e.agent.Conversations.CloseConversation(context.Background(), &tandemv1.CloseConversationRequest{ConversationId: closed}); err != nil {
		t.Fatal(err)
	}
	o, err := outbox.Open(t.TempDir(), outbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	bad, _ := o.Enqueue(e.draft(closed, "too late"))
	good, _ := o.Enqueue(e.draft(open, "on time"))
	e.runUntil(t, o, o.Via(e.client))

	failed, _ := o.Get(bad.ClientID)
	if failed.State != outbox.Failed || !strings.Contains(failed.Reason, "closed") {
		t.Fatalf("reply to a closed conversation = %s %q, want failed saying it is closed", failed.State, failed.Reason)
	}
	if ok, _ := o.Get(good.ClientID); ok.State != outbox.Delivered {
		t.Fatalf("the next item = %s %q, want delivered", ok.State, ok.Reason)
	}
	edited, err := o.Discard(bad.ClientID)
	if err != nil || edited.Body != "too late" {
		t.Fatalf("Discard = %+v, %v; want the text back for editing", edited, err)
	}
	if len(e.texts(t, closed)) != 0 {
		t.Fatal("the refused reply reached the conversation")
	}
}

// TestNeverSentUnderAnotherIdentity: the owner's session must not send the
// agent's queued replies; a revoked session stops the sender and keeps them.
func TestNeverSentUnderAnotherIdentity(t *testing.T) {
	e := setup(t, nil)
	conv := e.srv.StartConversation(t, "Gus", "Hi").Conversation.GetId()
	o, err := outbox.Open(t.TempDir(), outbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	it, _ := o.Enqueue(e.draft(conv, "from the agent"))

	owner := e.srv.Login(t, tandemtest.OwnerEmail)
	ownerClient, _ := apiclient.New(e.srv.URL, apiclient.Options{Token: func() string { return owner.Token }})
	ownerID := outbox.Identity{Server: e.id.Server, UserID: owner.User.GetId()}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	if err := o.Run(ctx, ownerID, o.Via(ownerClient), fast); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("owner's Run = %v", err)
	}
	cancel()
	if got, _ := o.Get(it.ClientID); got.State != outbox.Queued {
		t.Fatalf("agent's item under the owner's session = %s", got.State)
	}

	revoked, _ := apiclient.New(e.srv.URL, apiclient.Options{Token: func() string { return "revoked-token" }})
	err = o.Run(context.Background(), e.id, o.Via(revoked), fast)
	if !errors.Is(err, outbox.ErrSignedOut) {
		t.Fatalf("Run with a dead token = %v, want ErrSignedOut", err)
	}
	got, _ := o.Get(it.ClientID)
	if got.State != outbox.Queued || !strings.Contains(got.Reason, "sign in") {
		t.Fatalf("item after sign-out = %s %q, want queued, waiting for sign-in", got.State, got.Reason)
	}
	if n := len(e.texts(t, conv)); n != 0 {
		t.Fatalf("%d messages sent", n)
	}
}
