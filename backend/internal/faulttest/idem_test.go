package faulttest_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"google.golang.org/protobuf/testing/protocmp"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/api/tandem/v1/tandemv1connect"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
)

// TestReplicaKilledAfterClose (IDEM-01, issue 21 item 7): the owner closes a
// conversation through replica A; A commits the close, and is SIGKILLed as
// soon as a watcher on replica B sees it, while the client still waits for
// the answer (the network holds A's answer back: the client never reads
// it). The client retries on B. B answers OK with the closed conversation,
// as A would have, and the close happened once: one close event in the
// log, and one on the watcher's stream.
func TestReplicaKilledAfterClose(t *testing.T) {
	needProcesses(t)
	t.Parallel()
	dbURL, c := replicasOnNATS(t, 2, nil)
	a, b := c.replicas[0], c.replicas[1]
	conv := c.visitors(t, b.URL, 1)[0].ConversationID
	asOwner := rpcclient.WithToken(t.Context(), c.owner.Token)
	seen := watchAll(t, b.URL, c.owner.Token, c.ws.ID, c.cursor(t, b.URL))

	// The close through A, whose answer never reaches the client.
	hc := rpcclient.HTTPClient(rpcclient.Connect)
	hc.Transport = lostAnswers{hc.Transport}
	toA := tandemv1connect.NewConversationServiceClient(hc, a.URL, rpcclient.ClientOptions(rpcclient.Connect)...)
	call, hangUp := context.WithCancel(asOwner)
	defer hangUp()
	first := make(chan error, 1)
	go func() {
		_, err := toA.CloseConversation(call, &tandemv1.CloseConversationRequest{ConversationId: conv})
		first <- err
	}()
	isClose := func(ev *tandemv1.Event) bool {
		return ev.GetConversationId() == conv && ev.GetType() == string(events.ConversationStateChanged) &&
			ev.GetConversation().GetState() == tandemv1.ConversationState_CONVERSATION_STATE_CLOSED
	}
	closed := seen.waitFor(30*time.Second, isClose)
	if closed == nil {
		t.Fatalf("B's watcher never saw the close sent to A (stream: %v)", seen.ended())
	}
	a.Kill()
	hangUp() // the client gives up on A
	// No answer was read: the client gave up (Canceled), or A died before
	// its answer's headers left (Unavailable).
	if err := <-first; connect.CodeOf(err) != connect.CodeCanceled && connect.CodeOf(err) != connect.CodeUnavailable {
		t.Fatalf("the call to A ended with %v, want Canceled or Unavailable (no answer read)", err)
	}

	// The retry on B.
	toB := rpcclient.New(b.URL, rpcclient.Connect).Conversation
	again, err := toB.CloseConversation(asOwner, &tandemv1.CloseConversationRequest{ConversationId: conv})
	if err != nil {
		t.Fatalf("the retry on B: %v, want OK", err)
	}
	if diff := cmp.Diff(closed.GetConversation(), again.GetConversation(), protocmp.Transform()); diff != "" {
		t.Errorf("B answered the retry with another conversation than the close made (-closed +answer):\n%s", diff)
	}

	// A note after the retry: once the watcher has it, it has every event
	// of the log before it, a second close included if there were one.
	body := "after the retry " + uuid.NewString()
	if _, err := toB.AddNote(asOwner, &tandemv1.AddNoteRequest{ConversationId: conv, ClientId: uuid.NewString(), Body: body}); err != nil {
		t.Fatal(err)
	}
	if seen.waitFor(30*time.Second, func(ev *tandemv1.Event) bool { return ev.GetMessage().GetBody() == body }) == nil {
		t.Fatalf("B's watcher never saw the note written after the retry (stream: %v)", seen.ended())
	}
	if n := seen.count(isClose); n != 1 {
		t.Errorf("the watcher saw %d closes, want 1", n)
	}
	var inLog int
	if err := openDB(t, dbURL).QueryRowContext(t.Context(), `SELECT COUNT(*) FROM events WHERE conversation_id = ? AND type = ?`,
		conv, events.ConversationStateChanged).Scan(&inLog); err != nil {
		t.Fatal(err)
	}
	if inLog != 1 {
		t.Errorf("the log holds %d state changes of the conversation, want the one close", inLog)
	}
}

// lostAnswers is a transport that delivers each request but never hands its
// answer to the client, as a network that loses it: the call ends only when
// its context does.
type lostAnswers struct{ inner http.RoundTripper }

func (l lostAnswers) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := l.inner.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	<-req.Context().Done()
	_ = resp.Body.Close()
	return nil, req.Context().Err()
}

// streamed is what one Watch delivered.
type streamed struct {
	notify chan struct{}

	mu  sync.Mutex
	evs []*tandemv1.Event
	err error // why the stream ended
}

// watchAll watches the workspace through the server at url with the token
// from the cursor, every state included (a closed conversation stays in
// view, so a second close would show), until the test ends.
func watchAll(t *testing.T, url, token, workspaceID, cursor string) *streamed {
	t.Helper()
	s := &streamed{notify: make(chan struct{}, 1)}
	ctx, cancel := context.WithCancel(rpcclient.WithToken(t.Context(), token))
	done := make(chan struct{})
	req := &tandemv1.WatchRequest{WorkspaceId: workspaceID, Cursor: cursor, Filter: &tandemv1.ConversationFilter{
		States: []tandemv1.ConversationState{tandemv1.ConversationState_CONVERSATION_STATE_BOT, tandemv1.ConversationState_CONVERSATION_STATE_PENDING,
			tandemv1.ConversationState_CONVERSATION_STATE_ACTIVE, tandemv1.ConversationState_CONVERSATION_STATE_SNOOZED,
			tandemv1.ConversationState_CONVERSATION_STATE_CLOSED}}}
	// The Watch call returns at the server's first message: it is made by
	// the reader.
	go func() {
		defer close(done)
		stream, err := rpcclient.New(url, rpcclient.GRPC).Conversation.Watch(ctx, req)
		if err == nil {
			for stream.Receive() {
				s.add(stream.Msg().GetEvent())
			}
			err = stream.Err()
			_ = stream.Close()
		}
		s.mu.Lock()
		s.err = err
		s.mu.Unlock()
	}()
	t.Cleanup(func() { cancel(); <-done })
	return s
}

func (s *streamed) add(ev *tandemv1.Event) {
	if ev == nil { // a heartbeat
		return
	}
	s.mu.Lock()
	s.evs = append(s.evs, ev)
	s.mu.Unlock()
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

// ended is why the stream ended (nil while it runs).
func (s *streamed) ended() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// count counts the events delivered that match.
func (s *streamed) count(match func(*tandemv1.Event) bool) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, ev := range s.evs {
		if match(ev) {
			n++
		}
	}
	return n
}

// waitFor returns the first event delivered that matches, waiting for it
// up to within (nil if none came).
func (s *streamed) waitFor(within time.Duration, match func(*tandemv1.Event) bool) *tandemv1.Event {
	deadline := time.After(within)
	for {
		s.mu.Lock()
		for _, ev := range s.evs {
			if match(ev) {
				s.mu.Unlock()
				return ev
			}
		}
		s.mu.Unlock()
		select {
		case <-s.notify:
		case <-deadline:
			return nil
		}
	}
}
