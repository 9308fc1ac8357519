package server_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/config"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// revokeWithin is how soon a revocation must end every affected stream
// (RELIABILITY AUTH-02).
const revokeWithin = 5 * time.Second

// TestAuthRevocationEndsStreamsOnReplicas (AUTH-02): a member has Watch
// streams open on replicas A and B (two tandemd on one MariaDB database with
// NATS between them; one server on SQLite), under two sessions and an API
// key they made, over all three protocols; another member has streams on
// both too, and so have two widget visitors.
//
//   - The member changes their password through A. The product's rule is
//     that a password change revokes every session of the user, the one
//     that made the change included, and answers it with a fresh token:
//     all four session streams end Unauthenticated within 5 s, the old
//     tokens cannot reconnect on either replica, the fresh one works on
//     both. API keys are not sessions: the key's streams stay open.
//   - The member is disabled (users.disabled_at: the product has no RPC or
//     command for it; an operator sets the column): the fresh session's
//     streams and the key's streams end Unauthenticated within 5 s, and
//     neither reconnects.
//   - The other member's streams and the visitor's that does not expire
//     stay open and still carry a message written afterwards.
//   - A visitor's widget stream ends Unauthenticated within 5 s of its
//     session's expiry (the widget has no way to revoke a visitor session:
//     expiry is the one end it has), and not before.
func TestAuthRevocationEndsStreamsOnReplicas(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		a, b := authReplicas(t, opts)
		w := worldOn(t, a)
		ca, cb := a.Clients(rpcclient.Connect), b.Clients(rpcclient.Connect)
		ctx := t.Context()
		member, other := "admin", "supervisor"
		s1, s2 := w.Token(member), w.Token(member)
		created, err := ca.Auth.CreateApiKey(rpcclient.WithToken(ctx, s1), &tandemv1.CreateApiKeyRequest{WorkspaceId: w.W1.ID,
			Name: "member's key", Role: tandemv1.Role_ROLE_AGENT})
		rpctest.WantCode(t, err, 0)
		key := created.GetSecret()

		// A visitor whose session ends a few seconds from now: the widget
		// has a fixed 90-day lifetime, so the test shortens this one's.
		started, err := ca.Widget.StartSession(ctx, &tandemv1.StartSessionRequest{PublicKey: w.W1.PublicKey, Name: "Expiring Visitor"})
		rpctest.WantCode(t, err, 0)
		expiring := started.GetToken()
		expConv, err := ca.Widget.StartConversation(rpcclient.WithToken(ctx, expiring), &tandemv1.StartConversationRequest{ClientId: uuid.NewString()})
		rpctest.WantCode(t, err, 0)
		stayConv := w.Conversation(w.Visitor)
		expiry := time.Now().Add(8 * time.Second)
		storetest.MustExec(t, a.DB(), `UPDATE visitor_sessions SET expires_at = ? WHERE token_hash = ?`,
			expiry.UnixMilli(), access.HashSecret(expiring))

		// On SQLite, A and B are the one server.
		replicas := []struct {
			name string
			srv  *rpctest.Server
		}{{"A", a}, {"B", b}}
		protocols := rpcclient.Protocols()
		n := 0
		watch := func(who, token string) map[string]*authStream {
			out := map[string]*authStream{}
			for _, r := range replicas {
				p := protocols[n%len(protocols)]
				n++
				c := r.srv.Clients(p)
				out[r.name] = openAuthStream(t, who+" on "+r.name+" over "+string(p), func(ctx context.Context) (*connect.ServerStreamForClient[tandemv1.WatchResponse], error) {
					return c.Conversation.Watch(rpcclient.WithToken(ctx, token), &tandemv1.WatchRequest{WorkspaceId: w.W1.ID})
				})
			}
			return out
		}
		watchWidget := func(who, token, convID string) *authStream {
			c := b.Clients(protocols[n%len(protocols)])
			n++
			return openAuthStream(t, who+" on B", func(ctx context.Context) (*connect.ServerStreamForClient[tandemv1.WidgetServiceWatchResponse], error) {
				return c.Widget.Watch(rpcclient.WithToken(ctx, token), &tandemv1.WidgetServiceWatchRequest{ConversationId: convID})
			})
		}
		first, second, keyed, others := watch("session 1", s1), watch("session 2", s2), watch("API key", key), watch(other, w.Token(other))
		expiringStream := watchWidget("expiring visitor", expiring, expConv.GetConversation().GetId())
		visitorStream := watchWidget("visitor", w.VisitorToken, stayConv.ID)
		everyStream := []*authStream{expiringStream, visitorStream}
		for _, m := range []map[string]*authStream{first, second, keyed, others} {
			for _, s := range m {
				everyStream = append(everyStream, s)
			}
		}
		for _, s := range everyStream {
			s.waitOpen(t, 10*time.Second)
		}
		if time.Now().After(expiry) {
			t.Fatal("the streams took until the visitor's expiry to open: the machine is too slow for this test")
		}

		// The password change, through A, with the first session.
		changed, err := ca.Auth.ChangePassword(rpcclient.WithToken(ctx, s1), &tandemv1.ChangePasswordRequest{
			CurrentPassword: rpctest.TestPassword, NewPassword: "a brand new secret for the member"})
		rpctest.WantCode(t, err, 0)
		at := time.Now()
		for _, m := range []map[string]*authStream{first, second} {
			for _, s := range m {
				s.wantEnd(t, at, connect.CodeUnauthenticated)
			}
		}
		for _, r := range replicas {
			for _, old := range []string{s1, s2} {
				_, err := r.srv.Clients(rpcclient.GRPC).Auth.WhoAmI(rpcclient.WithToken(ctx, old), &tandemv1.WhoAmIRequest{})
				rpctest.WantCode(t, err, connect.CodeUnauthenticated)
				err = authStreamEnd(r.srv.Clients(rpcclient.GRPC).Conversation.Watch(rpcclient.WithToken(ctx, old), &tandemv1.WatchRequest{WorkspaceId: w.W1.ID}))
				rpctest.WantCode(t, err, connect.CodeUnauthenticated)
			}
			me, err := r.srv.Clients(rpcclient.GRPC).Auth.WhoAmI(rpcclient.WithToken(ctx, changed.GetToken()), &tandemv1.WhoAmIRequest{})
			rpctest.WantCode(t, err, 0)
			if me.GetUser().GetId() != w.Users[member].ID {
				t.Fatalf("the fresh token on %s is %v", r.name, me.GetUser())
			}
		}
		for _, m := range []map[string]*authStream{keyed, others} {
			for _, s := range m {
				s.wantOpen(t)
			}
		}

		// Disabling the member.
		fresh := watch("fresh session", changed.GetToken())
		for _, s := range fresh {
			s.waitOpen(t, 10*time.Second)
		}
		storetest.MustExec(t, a.DB(), `UPDATE users SET disabled_at = ? WHERE id = ?`, time.Now().UnixMilli(), w.Users[member].ID)
		at = time.Now()
		for _, m := range []map[string]*authStream{fresh, keyed} {
			for _, s := range m {
				s.wantEnd(t, at, connect.CodeUnauthenticated)
			}
		}
		for _, r := range replicas {
			for _, cred := range []string{changed.GetToken(), key} {
				err := authStreamEnd(r.srv.Clients(rpcclient.Connect).Conversation.Watch(rpcclient.WithToken(ctx, cred), &tandemv1.WatchRequest{WorkspaceId: w.W1.ID}))
				rpctest.WantCode(t, err, connect.CodeUnauthenticated)
				_, err = r.srv.Clients(rpcclient.Connect).Workspace.GetWorkspace(rpcclient.WithToken(ctx, cred), &tandemv1.GetWorkspaceRequest{WorkspaceId: w.W1.ID})
				rpctest.WantCode(t, err, connect.CodeUnauthenticated)
			}
		}

		// The others stream on and carry what is written now.
		marker := rpctest.Unique("still here ")
		_, err = ca.Widget.SendMessage(rpcclient.WithToken(ctx, w.VisitorToken), &tandemv1.WidgetServiceSendMessageRequest{
			ConversationId: stayConv.ID, ClientId: uuid.NewString(), Body: marker})
		rpctest.WantCode(t, err, 0)
		for _, s := range append([]*authStream{visitorStream}, others["A"], others["B"]) {
			s.waitFor(t, marker, 10*time.Second)
		}

		// The visitor's expiry.
		select {
		case <-expiringStream.ended:
		case <-time.After(time.Until(expiry) + revokeWithin):
			t.Fatalf("%s is still open %v after its session expired", expiringStream.name, revokeWithin)
		}
		if expiringStream.endedAt.Before(expiry) {
			t.Errorf("%s ended %v before its session expired: %v", expiringStream.name, expiry.Sub(expiringStream.endedAt), expiringStream.err)
		}
		expiringStream.wantEnd(t, expiry, connect.CodeUnauthenticated)
		_, err = cb.Widget.ListMyConversations(rpcclient.WithToken(ctx, expiring), &tandemv1.ListMyConversationsRequest{})
		rpctest.WantCode(t, err, connect.CodeUnauthenticated)
		for _, s := range append([]*authStream{visitorStream}, others["A"], others["B"]) {
			s.wantOpen(t)
		}
	})
}

// authReplicas starts the replicas of a revocation test: on MySQL two
// servers on one database with a private nats-server between them (without
// it they still share the database and hear of commits by polling); on
// SQLite one server, which is both.
func authReplicas(t *testing.T, opts store.Options) (a, b *rpctest.Server) {
	t.Helper()
	if opts.URL == "" {
		a = rpctest.Start(t, opts, rpctest.Quiet)
		return a, a
	}
	natsURL := rpctest.NATS(t).URL()
	withNATS := func(c *config.Config) { c.NATSURL = natsURL }
	return rpctest.Start(t, opts, rpctest.Quiet, withNATS), rpctest.Start(t, opts, rpctest.Quiet, withNATS)
}

// authStream is a server stream read to its end by a goroutine.
type authStream struct {
	name   string
	opened chan struct{} // closed at the first message
	ended  chan struct{} // closed when the stream ends
	news   chan struct{} // signalled at each message

	mu   sync.Mutex
	seen []string // the messages received, as text

	err     error     // why it ended; read after ended
	endedAt time.Time // read after ended
}

// openAuthStream opens the stream in a goroutine (a client's call returns
// only with the first message) and reads it until it ends or the test does.
func openAuthStream[T any](t *testing.T, name string, open func(context.Context) (*connect.ServerStreamForClient[T], error)) *authStream {
	s := &authStream{name: name, opened: make(chan struct{}), ended: make(chan struct{}), news: make(chan struct{}, 1)}
	ctx, cancel := context.WithCancel(t.Context())
	t.Cleanup(func() {
		cancel()
		<-s.ended
	})
	go func() {
		defer close(s.ended)
		stream, err := open(ctx)
		if err == nil {
			defer func() { _ = stream.Close() }()
			once := sync.OnceFunc(func() { close(s.opened) })
			for stream.Receive() {
				once()
				s.mu.Lock()
				s.seen = append(s.seen, fmt.Sprint(stream.Msg()))
				s.mu.Unlock()
				select {
				case s.news <- struct{}{}:
				default:
				}
			}
			err = stream.Err()
		}
		s.err, s.endedAt = err, time.Now()
	}()
	return s
}

// waitOpen waits for the stream's first message.
func (s *authStream) waitOpen(t *testing.T, within time.Duration) {
	t.Helper()
	select {
	case <-s.opened:
	case <-s.ended:
		t.Fatalf("%s ended before it opened: %v", s.name, s.err)
	case <-time.After(within):
		t.Fatalf("%s sent nothing in %v", s.name, within)
	}
}

// wantEnd checks that the stream ends with the code within revokeWithin
// of since, when its access ended (a revocation's commit, an expiry).
func (s *authStream) wantEnd(t *testing.T, since time.Time, code connect.Code) {
	t.Helper()
	select {
	case <-s.ended:
	case <-time.After(time.Until(since.Add(revokeWithin))):
		t.Fatalf("%s is still open %v after its access ended", s.name, revokeWithin)
	}
	if got := connect.CodeOf(s.err); s.err == nil || got != code {
		t.Errorf("%s ended with %v, want %v", s.name, s.err, code)
	}
	late := s.endedAt.Sub(since)
	if late > revokeWithin {
		t.Errorf("%s ended %v after its access ended, want within %v", s.name, late, revokeWithin)
	}
	t.Logf("%s ended %v after its access ended: %v", s.name, late.Round(time.Millisecond), s.err)
}

// wantOpen checks that the stream has not ended.
func (s *authStream) wantOpen(t *testing.T) {
	t.Helper()
	select {
	case <-s.ended:
		t.Errorf("%s ended: %v", s.name, s.err)
	default:
	}
}

// waitFor waits for a message holding the text.
func (s *authStream) waitFor(t *testing.T, text string, within time.Duration) {
	t.Helper()
	deadline := time.After(within)
	for {
		s.mu.Lock()
		found := slices.ContainsFunc(s.seen, func(m string) bool { return strings.Contains(m, text) })
		s.mu.Unlock()
		if found {
			return
		}
		select {
		case <-s.news:
		case <-s.ended:
			s.mu.Lock()
			found = slices.ContainsFunc(s.seen, func(m string) bool { return strings.Contains(m, text) })
			s.mu.Unlock()
			if !found {
				t.Fatalf("%s ended before it carried %q: %v", s.name, text, s.err)
			}
			return
		case <-deadline:
			t.Fatalf("%s did not carry %q in %v", s.name, text, within)
		}
	}
}

// authStreamEnd reads a server stream to its end and returns how it ended:
// a stream that sends anything was not refused.
func authStreamEnd[T any](s *connect.ServerStreamForClient[T], err error) error {
	if err != nil {
		return err
	}
	defer func() { _ = s.Close() }()
	if s.Receive() {
		return errors.New("the stream sent a message")
	}
	return s.Err()
}
