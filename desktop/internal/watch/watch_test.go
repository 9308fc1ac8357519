package watch_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/desktop/internal/apiclient"
	"github.com/tandem-inbox/tandem/desktop/internal/tandemtest"
	"github.com/tandem-inbox/tandem/desktop/internal/watch"
)

type recorder struct {
	client *apiclient.Client
	ws     string

	mu       sync.Mutex
	events   []*tandemv1.Event
	statuses []string
	resyncs  int
}

func (r *recorder) Event(ev *tandemv1.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev)
}

func (r *recorder) Resync(ctx context.Context) (string, error) {
	r.mu.Lock()
	r.resyncs++
	r.mu.Unlock()
	res, err := r.client.Conversations.ListConversations(ctx, &tandemv1.ListConversationsRequest{WorkspaceId: r.ws})
	if err != nil {
		return "", err
	}
	return res.GetCursor(), nil
}

func (r *recorder) Status(s watch.Status, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	msg := string(s)
	if err != nil {
		msg += ": " + apiclient.From(err).Message
	}
	r.statuses = append(r.statuses, msg)
}

// messages returns the bodies of the customers' message.created events so
// far (the AI agent's answers are left out).
func (r *recorder) messages() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, ev := range r.events {
		if ev.GetType() == "message.created" && ev.GetMessage().GetAuthorKind() == tandemv1.AuthorKind_AUTHOR_KIND_CUSTOMER {
			out = append(out, ev.GetMessage().GetBody())
		}
	}
	return out
}

func (r *recorder) waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			r.mu.Lock()
			defer r.mu.Unlock()
			t.Fatalf("timed out waiting for %s; statuses %v", what, r.statuses)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (r *recorder) hasStatus(prefix string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.statuses {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}

type fixture struct {
	srv   *tandemtest.Server
	proxy *tandemtest.Proxy
	agent *tandemtest.Agent
	rec   *recorder
	w     *watch.Watcher
	// done receives Run's result once; stop cancels Run and returns it.
	done chan error
	stop func() error
}

// start follows the demo workspace as the agent, through a proxy, from the
// cursor of a fresh inbox list (or from cursor when given).
func start(t *testing.T, cursor string, opts watch.Options) *fixture {
	t.Helper()
	srv := tandemtest.Start(t, nil)
	proxy := tandemtest.NewProxy(t, srv.Addr)
	agent := srv.Login(t, tandemtest.AgentEmail)
	c, err := apiclient.New(proxy.URL, apiclient.Options{Token: func() string { return agent.Token }})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{client: c, ws: srv.WorkspaceID}
	if cursor == "" {
		if cursor, err = rec.Resync(context.Background()); err != nil {
			t.Fatal(err)
		}
		rec.resyncs = 0
	}
	opts.MinBackoff, opts.MaxBackoff = 50*time.Millisecond, 200*time.Millisecond
	w := watch.New(c.Conversations, srv.WorkspaceID, cursor, rec, opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	f := &fixture{srv: srv, proxy: proxy, agent: agent, rec: rec, w: w, done: done}
	var once sync.Once
	var result error
	f.stop = func() error {
		once.Do(func() { cancel(); result = <-done })
		return result
	}
	t.Cleanup(func() { _ = f.stop() })
	return f
}

func (f *fixture) say(t *testing.T, c *tandemtest.Customer, body string) {
	t.Helper()
	if _, err := c.Widget.SendMessage(context.Background(), &tandemv1.WidgetServiceSendMessageRequest{
		ConversationId: c.Conversation.GetId(), ClientId: uuid.NewString(), Body: body}); err != nil {
		t.Fatal(err)
	}
}

// TestResumesFromCursorAfterNetworkCut: what happens while the connection is
// down arrives after it is back, each event once, in order.
func TestResumesFromCursorAfterNetworkCut(t *testing.T) {
	f := start(t, "", watch.Options{})
	cust := f.srv.StartConversation(t, "Ann", "before")
	f.rec.waitFor(t, "the first message", func() bool { return len(f.rec.messages()) == 1 })

	f.proxy.Cut()
	f.rec.waitFor(t, "offline", func() bool { return f.rec.hasStatus("offline") })
	for _, b := range []string{"while down 1", "while down 2", "while down 3"} {
		f.say(t, cust, b)
	}
	f.proxy.Restore()
	f.rec.waitFor(t, "the missed messages", func() bool { return len(f.rec.messages()) >= 4 })
	f.say(t, cust, "after")
	f.rec.waitFor(t, "the last message", func() bool { return len(f.rec.messages()) >= 5 })
	time.Sleep(300 * time.Millisecond) // room for a duplicate to show up

	want := "before,while down 1,while down 2,while down 3,after"
	if got := strings.Join(f.rec.messages(), ","); got != want {
		t.Fatalf("messages = %s, want %s (each once, in order)", got, want)
	}
	if f.rec.resyncs != 0 {
		t.Errorf("resynced %d times; a cut connection must resume from its cursor", f.rec.resyncs)
	}
	seqs := map[int64]bool{}
	for _, ev := range f.rec.events {
		if ev.GetSeq() != 0 && seqs[ev.GetSeq()] {
			t.Errorf("event seq %d delivered twice", ev.GetSeq())
		}
		seqs[ev.GetSeq()] = true
	}
}

// TestResumesAfterServerRestart: a graceful shutdown ends the stream with
// RECONNECT; the watcher comes back to the new process with its cursor.
func TestResumesAfterServerRestart(t *testing.T) {
	f := start(t, "", watch.Options{})
	cust := f.srv.StartConversation(t, "Bo", "one")
	f.rec.waitFor(t, "one", func() bool { return len(f.rec.messages()) == 1 })
	f.srv.Stop(t)
	f.rec.waitFor(t, "offline", func() bool { return f.rec.hasStatus("offline") })
	f.srv.Restart(t)
	f.say(t, cust, "two")
	f.rec.waitFor(t, "two", func() bool { return len(f.rec.messages()) == 2 })
	if got := strings.Join(f.rec.messages(), ","); got != "one,two" {
		t.Fatalf("messages = %s", got)
	}
}

// TestResyncWhenCursorUnusable: a cursor the server cannot honor makes the
// watcher reload its snapshot and go on from the new cursor.
func TestResyncWhenCursorUnusable(t *testing.T) {
	f := start(t, "bm90LWEtY3Vyc29y", watch.Options{})
	f.rec.waitFor(t, "a resync", func() bool {
		f.rec.mu.Lock()
		defer f.rec.mu.Unlock()
		return f.rec.resyncs > 0
	})
	f.srv.StartConversation(t, "Cy", "after resync")
	f.rec.waitFor(t, "the message", func() bool { return len(f.rec.messages()) == 1 })
	if f.rec.resyncs != 1 {
		t.Errorf("resynced %d times, want 1", f.rec.resyncs)
	}
}

// TestSilentStreamIsReopened: a connection that stays open but carries
// nothing (not even heartbeats) is abandoned after Idle and reopened.
func TestSilentStreamIsReopened(t *testing.T) {
	f := start(t, "", watch.Options{Idle: 1500 * time.Millisecond})
	f.rec.waitFor(t, "live", func() bool { return f.rec.hasStatus("live") })
	f.proxy.Stall(true)
	f.rec.waitFor(t, "the idle timeout", func() bool { return f.rec.hasStatus("offline: The live connection went quiet") })
	f.proxy.Cut() // drop the stalled connections
	f.proxy.Stall(false)
	f.proxy.Restore()
	f.srv.StartConversation(t, "Di", "still here")
	f.rec.waitFor(t, "the message", func() bool { return len(f.rec.messages()) == 1 })
}

// TestEndsWhenSignedOut: a revoked session ends the stream for good.
func TestEndsWhenSignedOut(t *testing.T) {
	f := start(t, "", watch.Options{})
	f.rec.waitFor(t, "live", func() bool { return f.rec.hasStatus("live") })
	c, _ := apiclient.New(f.srv.URL, apiclient.Options{Token: func() string { return f.agent.Token }})
	if _, err := c.Auth.Logout(context.Background(), &tandemv1.LogoutRequest{}); err != nil {
		t.Fatal(err)
	}
	var err error
	select {
	case err = <-f.done:
		f.done <- err // for stop
	case <-time.After(15 * time.Second):
		t.Fatal("stream still running 15s after logout")
	}
	var e *apiclient.Error
	if !errors.As(err, &e) || e.Kind != apiclient.KindSignedOut {
		t.Fatalf("Run = %v, want signed_out", err)
	}
}
