package server_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/emptypb"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/api/tandem/v1/tandemv1connect"
	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/config"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// withQuery is a transport that adds its values to every request's query
// string: a client that puts the credential in the URL.
type withQuery struct {
	base  http.RoundTripper
	query url.Values
}

func (t withQuery) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	q := r.URL.Query()
	for k, vs := range t.query {
		q[k] = vs
	}
	r.URL.RawQuery = q.Encode()
	return t.base.RoundTrip(r)
}

// drain reads a server stream to its end and returns how it ended.
func drain[T any](s *connect.ServerStreamForClient[T], err error) error {
	if err != nil {
		return err
	}
	defer func() { _ = s.Close() }()
	for s.Receive() {
		return errors.New("the stream sent a message")
	}
	return s.Err()
}

// TestEdgeTokenInQuery (AUTH-04): a session token, an API key or a visitor
// token given in the query string (token=, access_token=, authorization=)
// instead of the Authorization header is not a credential: unary calls and
// streams, over Connect (POST and GET), gRPC and gRPC-web, answer
// Unauthenticated as for no credential at all, and no token appears in the
// server's log, which records every call (at debug) and names the refused
// ones.
func TestEdgeTokenInQuery(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		var log rpctest.SyncBuffer
		srv := rpctest.StartLogging(t, opts, &log, func(c *config.Config) { c.LogLevel = slog.LevelDebug })
		w := worldOn(t, srv)
		conv := w.Conversation(w.Visitor)
		secrets := []struct{ kind, token string }{
			{"session", w.Token("owner")},
			{"api key", w.Keys["admin"]},
			{"visitor", w.VisitorToken},
		}
		// The credentials work where they belong.
		for _, s := range secrets[:2] {
			if _, err := w.Srv.Clients(rpcclient.Connect).Auth.WhoAmI(rpcclient.WithToken(w.Ctx, s.token), &tandemv1.WhoAmIRequest{}); err != nil {
				t.Fatalf("%s in the header: %v", s.kind, err)
			}
		}
		if _, err := w.Srv.Clients(rpcclient.Connect).Widget.GetWidgetConfig(rpcclient.WithToken(w.Ctx, w.VisitorToken), &tandemv1.GetWidgetConfigRequest{}); err != nil {
			t.Fatalf("visitor in the header: %v", err)
		}

		calls := 0
		for _, s := range secrets {
			for _, name := range []string{"token", "access_token", "authorization"} {
				value := s.token
				if name == "authorization" {
					value = "Bearer " + s.token
				}
				for _, p := range rpcclient.Protocols() {
					hc := &http.Client{Transport: withQuery{rpcclient.HTTPClient(p).Transport, url.Values{name: {value}}}}
					what := s.kind + " as ?" + name + "= over " + string(p)
					var unary, stream error
					if s.kind == "visitor" {
						c := tandemv1connect.NewWidgetServiceClient(hc, srv.URL, rpcclient.ClientOptions(p)...)
						_, unary = c.GetWidgetConfig(w.Ctx, &tandemv1.GetWidgetConfigRequest{})
						stream = drain(c.Watch(w.Ctx, &tandemv1.WidgetServiceWatchRequest{ConversationId: conv.ID}))
					} else {
						_, unary = tandemv1connect.NewAuthServiceClient(hc, srv.URL, rpcclient.ClientOptions(p)...).WhoAmI(w.Ctx, &tandemv1.WhoAmIRequest{})
						c := tandemv1connect.NewConversationServiceClient(hc, srv.URL, rpcclient.ClientOptions(p)...)
						stream = drain(c.Watch(w.Ctx, &tandemv1.WatchRequest{WorkspaceId: w.W1.ID}))
					}
					calls += 2
					if connect.CodeOf(unary) != connect.CodeUnauthenticated {
						t.Errorf("%s, unary: %v, want Unauthenticated", what, errOrOK(unary))
					}
					if connect.CodeOf(stream) != connect.CodeUnauthenticated {
						t.Errorf("%s, stream: %v, want Unauthenticated", what, errOrOK(stream))
					}
				}
				// Connect GET, the credential beside the message.
				proc := "/tandem.v1.AuthService/WhoAmI"
				if s.kind == "visitor" {
					proc = "/tandem.v1.WidgetService/GetWidgetConfig"
				}
				q := url.Values{"connect": {"v1"}, "encoding": {"json"}, "message": {"{}"}, name: {value}}
				req, err := http.NewRequestWithContext(w.Ctx, http.MethodGet, srv.URL+proc+"?"+q.Encode(), nil)
				if err != nil {
					t.Fatal(err)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				_ = resp.Body.Close()
				calls++
				if resp.StatusCode != http.StatusUnauthorized {
					t.Errorf("%s as ?%s= with GET %s: HTTP %d %s, want 401", s.kind, name, proc, resp.StatusCode, body)
				}
			}
		}
		logged := log.String()
		if n := strings.Count(logged, "code=unauthenticated"); n < calls {
			t.Fatalf("the log names %d refused calls of %d: it is not the server's log of them\n%s", n, calls, logged)
		}
		for _, s := range secrets {
			// The secret part too: a log that cut the prefix off would
			// still leak the credential.
			_, secret, _ := strings.Cut(s.token, "_")
			for _, leak := range []string{s.token, secret, url.QueryEscape(s.token)} {
				if leak != "" && strings.Contains(logged, leak) {
					t.Errorf("the server's log holds the %s token", s.kind)
				}
			}
		}
	})
}

// TestEdgeAnonymousRefusedFirst (AUTH-04, "no handler runs with a nil
// principal"): every procedure whose rule is not ACCESS_PUBLIC, called
// without a credential over Connect, gRPC and gRPC-web with an empty request
// (which names no object and fails validation), answers Unauthenticated:
// not InvalidArgument, NotFound or OK, so the refusal comes before
// validation, authorization's lookups and the handler; and nothing is
// written. TestAuthorizationMatrix calls them anonymously with valid
// requests; this shows nothing of the request is looked at first.
func TestEdgeAnonymousRefusedFirst(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		srv := rpctest.Start(t, opts, func(c *config.Config) { c.Reactors = false })
		w := worldOn(t, srv)
		written := func() int {
			return storetest.Count(t, srv.DB(), "events", "") + storetest.Count(t, srv.DB(), "workspaces", "") +
				storetest.Count(t, srv.DB(), "sessions", "") + storetest.Count(t, srv.DB(), "api_keys", "")
		}
		before := written()
		n := 0
		for proc, md := range procedures(t) {
			if access.RuleOf(md).GetAccess() == tandemv1.Access_ACCESS_PUBLIC {
				continue
			}
			for _, p := range rpcclient.Protocols() {
				err := callEmpty(w.Ctx, srv.URL, proc, md, p)
				n++
				if connect.CodeOf(err) != connect.CodeUnauthenticated {
					t.Errorf("%s anonymously over %s: %v, want Unauthenticated", proc, p, errOrOK(err))
				}
			}
		}
		if n < 300 {
			t.Fatalf("only %d anonymous calls: the procedures were not read", n)
		}
		if after := written(); after != before {
			t.Errorf("anonymous calls wrote %d rows", after-before)
		}
	})
}

// callEmpty calls the procedure with an empty request (any request message
// is empty on the wire as google.protobuf.Empty), reading a server stream to
// its end.
func callEmpty(ctx context.Context, base, proc string, md protoreflect.MethodDescriptor, p rpcclient.Protocol) error {
	c := connect.NewClient[emptypb.Empty, emptypb.Empty](rpcclient.HTTPClient(p), base+proc, rpcclient.ClientOptions(p)...)
	if md.IsStreamingServer() {
		return drain(c.CallServerStream(ctx, connect.NewRequest(&emptypb.Empty{})))
	}
	_, err := c.CallUnary(ctx, connect.NewRequest(&emptypb.Empty{}))
	return err
}

// TestEdgeOverCapFirstFrame (AUTH-04, INP-01): a Watch whose first (and
// only) request is over the 1 MiB message cap is refused with
// ResourceExhausted by a member or a visitor, and with Unauthenticated
// without a credential (refused before the frame is read), over Connect,
// gRPC and gRPC-web; nothing is written and the server still streams.
func TestEdgeOverCapFirstFrame(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		srv := rpctest.Start(t, opts, func(c *config.Config) { c.Reactors = false })
		w := worldOn(t, srv)
		conv := w.Conversation(w.Visitor)
		huge := strings.Repeat("x", 2<<20)
		written := func() int {
			return storetest.Count(t, srv.DB(), "events", "") + storetest.Count(t, srv.DB(), "messages", "")
		}
		before := written()
		for _, p := range rpcclient.Protocols() {
			c := w.Srv.Clients(p)
			cases := []struct {
				name string
				err  error
				want connect.Code
			}{
				{"member", drain(c.Conversation.Watch(w.As("owner"), &tandemv1.WatchRequest{WorkspaceId: w.W1.ID, Cursor: huge})), connect.CodeResourceExhausted},
				{"visitor", drain(c.Widget.Watch(rpcclient.WithToken(w.Ctx, w.VisitorToken), &tandemv1.WidgetServiceWatchRequest{ConversationId: conv.ID, Cursor: huge})), connect.CodeResourceExhausted},
				{"anonymous", drain(c.Conversation.Watch(w.Ctx, &tandemv1.WatchRequest{WorkspaceId: w.W1.ID, Cursor: huge})), connect.CodeUnauthenticated},
			}
			for _, tc := range cases {
				if got := connect.CodeOf(tc.err); got != tc.want {
					t.Errorf("over-cap Watch as %s over %s: %v, want %v", tc.name, p, errOrOK(tc.err), tc.want)
				}
			}
		}
		if after := written(); after != before {
			t.Errorf("over-cap streams wrote %d rows", after-before)
		}
		// The server still streams: a Watch within the cap sees a message.
		ctx, cancel := context.WithTimeout(w.As("owner"), 10*time.Second)
		defer cancel()
		s, err := w.Srv.Clients(rpcclient.Connect).Conversation.Watch(ctx, &tandemv1.WatchRequest{WorkspaceId: w.W1.ID})
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = s.Close() }()
		if _, err := w.Srv.Clients(rpcclient.Connect).Conversation.SendMessage(w.As("owner"), &tandemv1.SendMessageRequest{ConversationId: conv.ID, ClientId: uuid.NewString(), Body: "hi"}); err != nil {
			t.Fatal(err)
		}
		if !s.Receive() {
			t.Fatalf("a Watch within the cap: %v", s.Err())
		}
	})
}
