// Package rpctest starts a real tandemd on a loopback port (HTTP/1.1 and
// cleartext HTTP/2, the production interceptor chain) and gives the
// generated clients for it over each protocol (rpcclient): rpcclient.Connect, gRPC and
// gRPC-web.
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
	"net"
	"os"
	"sync"
	"testing"

	"github.com/tandem-inbox/tandem/backend/internal/config"
	"github.com/tandem-inbox/tandem/backend/internal/fleet"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/server"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// Server is a tandemd serving on loopback for one test.
type Server struct {
	*server.Server
	URL string
	// MetricsURL is where /metrics is served: its own loopback listener,
	// as TANDEM_METRICS_ADDR gives tandemd one.
	MetricsURL string
	// FilesURL is the files origin's (server.FilesURL): another loopback
	// listener, at the other loopback name (localhost).
	FilesURL string
	Config   config.Config

	mu      sync.Mutex
	clients map[rpcclient.Protocol]rpcclient.Clients
}

// Start builds a server on the store and serves it until the test ends.
// Edit adjusts the configuration first.
func Start(t testing.TB, opts store.Options, edit ...func(*config.Config)) *Server {
	t.Helper()
	logOut := io.Discard
	if os.Getenv("TANDEM_TEST_LOG") != "" {
		logOut = os.Stderr
	}
	return StartLogging(t, opts, logOut, edit...)
}

// StartLogging is Start with the server's log written to logOut.
func StartLogging(t testing.TB, opts store.Options, logOut io.Writer, edit ...func(*config.Config)) *Server {
	t.Helper()
	cfg := fleet.InProcessConfig(opts)
	for _, e := range edit {
		e(&cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s, err := server.New(ctx, cfg, cfg.Logger(logOut))
	if err != nil {
		cancel()
		t.Fatalf("server: %v", err)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		cancel()
		t.Fatalf("listen: %v", err)
	}
	mln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
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
	return &Server{Server: s, URL: "http://" + ln.Addr().String(), MetricsURL: "http://" + mln.Addr().String(), FilesURL: s.FilesURL(), Config: cfg}
}

// Clients returns the generated clients over protocol p, made once per
// server so that calls reuse their connections.
func (s *Server) Clients(p rpcclient.Protocol) rpcclient.Clients {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.clients == nil {
		s.clients = map[rpcclient.Protocol]rpcclient.Clients{}
	}
	c, ok := s.clients[p]
	if !ok {
		c = rpcclient.New(s.URL, p)
		s.clients[p] = c
	}
	return c
}
