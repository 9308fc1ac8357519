// Package rpctest starts a real tandemd on a loopback port (HTTP/1.1 and
// cleartext HTTP/2, the production interceptor chain) and builds generated
// clients for it over each protocol: Connect, gRPC and gRPC-web.
//
// World builds, on such a server, two workspaces with people in every role
// and widget visitors, and the fixtures the tests of every domain share.
//
// Fixtures written: users, members (QuickMember: many members, without
// hashing a password each).
// Tables read: handoffs, rule_timers, automation_rules, notifications (what tests check
// that the API does not show).
package rpctest

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/tandem-inbox/tandem/api/tandem/v1/tandemv1connect"
	"github.com/tandem-inbox/tandem/backend/internal/config"
	"github.com/tandem-inbox/tandem/backend/internal/server"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// Protocol is a wire protocol a client speaks.
type Protocol string

// The protocols tandemd serves.
const (
	Connect Protocol = "connect"
	GRPC    Protocol = "grpc"
	GRPCWeb Protocol = "grpcweb"
)

// Protocols lists them all.
func Protocols() []Protocol { return []Protocol{Connect, GRPC, GRPCWeb} }

// Server is a tandemd serving on loopback for one test.
type Server struct {
	*server.Server
	URL string
	// MetricsURL is where /metrics is served: its own loopback listener,
	// as TANDEM_METRICS_ADDR gives tandemd one.
	MetricsURL string
	Config     config.Config

	mu      sync.Mutex
	clients map[Protocol]Clients
}

// TestConfig is the configuration tests start from.
func TestConfig(opts store.Options) config.Config {
	blobURL := ""
	if opts.DataDir == "" {
		blobURL = "mem://" // MySQL tests have no data directory
	}
	return config.Config{
		BlobURL: blobURL,
		Addr:    "127.0.0.1:0", DataDir: opts.DataDir, DatabaseURL: opts.URL,
		LogLevel: slog.LevelWarn, LogFormat: "text", SessionTTL: time.Hour,
		ShutdownTimeout: 5 * time.Second, MaxRequestBytes: 1 << 20, RequestTimeout: 30 * time.Second,
		PollInterval: 200 * time.Millisecond, Heartbeat: 2 * time.Second, EventRetention: 168 * time.Hour,
		// Tests route by calling Route; TestRoutingLoop turns the loop on.
		RoutingInterval: time.Hour,
		Reactors:        true,
		IdentityMaxAge:  24 * time.Hour, IdentityClockSkew: 2 * time.Minute, WidgetSecretGrace: 24 * time.Hour,
	}
}

// Start builds a server on the store and serves it until the test ends.
// Edit adjusts the configuration first.
func Start(t testing.TB, opts store.Options, edit ...func(*config.Config)) *Server {
	t.Helper()
	var logOut io.Writer = io.Discard
	if os.Getenv("TANDEM_TEST_LOG") != "" {
		logOut = os.Stderr
	}
	return StartLogging(t, opts, logOut, edit...)
}

// StartLogging is Start with the server's log written to logOut.
func StartLogging(t testing.TB, opts store.Options, logOut io.Writer, edit ...func(*config.Config)) *Server {
	t.Helper()
	cfg := TestConfig(opts)
	for _, e := range edit {
		e(&cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s, err := server.New(ctx, cfg, cfg.Logger(logOut))
	if err != nil {
		cancel()
		t.Fatalf("server: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		cancel()
		t.Fatalf("listen: %v", err)
	}
	mln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		cancel()
		t.Fatalf("listen: %v", err)
	}
	done, metricsDone := make(chan error, 1), make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	go func() { metricsDone <- s.ServeMetrics(ctx, mln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		if err := <-metricsDone; err != nil {
			t.Errorf("serve metrics: %v", err)
		}
		_ = s.Close()
	})
	return &Server{Server: s, URL: "http://" + ln.Addr().String(), MetricsURL: "http://" + mln.Addr().String(), Config: cfg}
}

// HTTPClient returns a client for the protocol: gRPC needs HTTP/2 (here
// cleartext, with prior knowledge); Connect and gRPC-web use HTTP/1.1, as
// browsers behind most proxies do.
func HTTPClient(p Protocol) *http.Client {
	protocols := new(http.Protocols)
	if p == GRPC {
		protocols.SetUnencryptedHTTP2(true)
	} else {
		protocols.SetHTTP1(true)
	}
	return &http.Client{Transport: &http.Transport{Protocols: protocols, MaxIdleConnsPerHost: 16}}
}

// ClientOptions returns the connect options selecting the protocol, plus a
// bearer interceptor (see WithToken).
func ClientOptions(p Protocol) []connect.ClientOption {
	opts := []connect.ClientOption{connect.WithInterceptors(bearer{})}
	switch p {
	case GRPC:
		opts = append(opts, connect.WithGRPC())
	case GRPCWeb:
		opts = append(opts, connect.WithGRPCWeb())
	}
	return opts
}

// Clients are the generated clients of every service, over one protocol.
type Clients struct {
	Auth         tandemv1connect.AuthServiceClient
	Workspace    tandemv1connect.WorkspaceServiceClient
	Conversation tandemv1connect.ConversationServiceClient
	Widget       tandemv1connect.WidgetServiceClient
	Tag          tandemv1connect.TagServiceClient
	Contact      tandemv1connect.ContactServiceClient
	Presence     tandemv1connect.PresenceServiceClient
	Canned       tandemv1connect.CannedResponseServiceClient
	Knowledge    tandemv1connect.KnowledgeServiceClient
	Bot          tandemv1connect.BotServiceClient
	Notification tandemv1connect.NotificationServiceClient
	SLA          tandemv1connect.SlaServiceClient
	Stats        tandemv1connect.StatsServiceClient
	Routing      tandemv1connect.RoutingServiceClient
	Automation   tandemv1connect.AutomationServiceClient
	Email        tandemv1connect.EmailServiceClient
}

// Clients returns the generated clients over protocol p, made once per
// server so that calls reuse their connections.
func (s *Server) Clients(p Protocol) Clients {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.clients == nil {
		s.clients = map[Protocol]Clients{}
	}
	c, ok := s.clients[p]
	if !ok {
		c = ClientsFor(s.URL, p)
		s.clients[p] = c
	}
	return c
}

// ClientsFor builds the generated clients of the server at url over protocol p.
func ClientsFor(url string, p Protocol) Clients {
	hc, opts := HTTPClient(p), ClientOptions(p)
	return Clients{
		Auth:         tandemv1connect.NewAuthServiceClient(hc, url, opts...),
		Workspace:    tandemv1connect.NewWorkspaceServiceClient(hc, url, opts...),
		Conversation: tandemv1connect.NewConversationServiceClient(hc, url, opts...),
		Widget:       tandemv1connect.NewWidgetServiceClient(hc, url, opts...),
		Tag:          tandemv1connect.NewTagServiceClient(hc, url, opts...),
		Contact:      tandemv1connect.NewContactServiceClient(hc, url, opts...),
		Presence:     tandemv1connect.NewPresenceServiceClient(hc, url, opts...),
		Canned:       tandemv1connect.NewCannedResponseServiceClient(hc, url, opts...),
		Knowledge:    tandemv1connect.NewKnowledgeServiceClient(hc, url, opts...),
		Bot:          tandemv1connect.NewBotServiceClient(hc, url, opts...),
		Notification: tandemv1connect.NewNotificationServiceClient(hc, url, opts...),
		SLA:          tandemv1connect.NewSlaServiceClient(hc, url, opts...),
		Stats:        tandemv1connect.NewStatsServiceClient(hc, url, opts...),
		Routing:      tandemv1connect.NewRoutingServiceClient(hc, url, opts...),
		Automation:   tandemv1connect.NewAutomationServiceClient(hc, url, opts...),
		Email:        tandemv1connect.NewEmailServiceClient(hc, url, opts...),
	}
}

type tokenKey struct{}

// WithToken makes calls with ctx send the bearer token.
func WithToken(ctx context.Context, token string) context.Context {
	return context.WithValue(ctx, tokenKey{}, token)
}

type bearer struct{}

func (bearer) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		if tok, _ := ctx.Value(tokenKey{}).(string); tok != "" {
			req.Header().Set("Authorization", "Bearer "+tok)
		}
		return next(ctx, req)
	}
}

func (bearer) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return func(ctx context.Context, spec connect.Spec) connect.StreamingClientConn {
		conn := next(ctx, spec)
		if tok, _ := ctx.Value(tokenKey{}).(string); tok != "" {
			conn.RequestHeader().Set("Authorization", "Bearer "+tok)
		}
		return conn
	}
}

func (bearer) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return next
}
