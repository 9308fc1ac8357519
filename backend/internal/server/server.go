// Package server is the composition root: it opens the store, builds the
// services, handlers and interceptor chain, serves Connect, gRPC and gRPC-web
// on one port, and owns every long-lived goroutine and the shutdown order.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"connectrpc.com/connect"
	"connectrpc.com/grpchealth"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tandem-inbox/tandem/api/tandem/v1/tandemv1connect"
	"github.com/tandem-inbox/tandem/backend/internal/account"
	"github.com/tandem-inbox/tandem/backend/internal/automation"
	"github.com/tandem-inbox/tandem/backend/internal/bot"
	"github.com/tandem-inbox/tandem/backend/internal/canned"
	"github.com/tandem-inbox/tandem/backend/internal/config"
	"github.com/tandem-inbox/tandem/backend/internal/contact"
	"github.com/tandem-inbox/tandem/backend/internal/conversation"
	"github.com/tandem-inbox/tandem/backend/internal/email"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/files"
	"github.com/tandem-inbox/tandem/backend/internal/knowledge"
	"github.com/tandem-inbox/tandem/backend/internal/limit"
	"github.com/tandem-inbox/tandem/backend/internal/metrics"
	"github.com/tandem-inbox/tandem/backend/internal/notify"
	"github.com/tandem-inbox/tandem/backend/internal/presence"
	"github.com/tandem-inbox/tandem/backend/internal/push"
	"github.com/tandem-inbox/tandem/backend/internal/routing"
	"github.com/tandem-inbox/tandem/backend/internal/sla"
	"github.com/tandem-inbox/tandem/backend/internal/stats"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/tag"
	"github.com/tandem-inbox/tandem/backend/internal/workspace"
)

// Server is a running tandemd: its store, services and HTTP handler.
type Server struct {
	cfg      config.Config
	logger   *slog.Logger
	db       *store.DB
	registry *prometheus.Registry
	// bodies is the request bytes the calls in flight hold (bodybudget.go).
	bodies *bodyBudget
	// smtp is the built-in SMTP receiver (nil when TANDEM_SMTP_ADDR is
	// empty).
	smtp *email.Receiver
	// smtpListener is the receiver's, bound when the server is built.
	smtpListener net.Listener
	imap         *email.Poller
	// mailSender and mailReactor send agents' replies on email
	// conversations.
	mailSender  *email.Sender
	mailReactor *events.Reactor
	health      *grpchealth.StaticChecker
	handler     http.Handler
	draining    atomic.Bool
	drain       chan struct{} // closed when shutdown begins: streams end resumably
	hub         *events.Hub
	nats        *events.NATS
	pruner      *events.Pruner
	// limits keeps the rate limits: in the database on MySQL, where every
	// replica shares them.
	limits *limit.Limits
	// streamGuard ends the agent streams whose callers lost access.
	streamGuard *account.StreamGuard
	// botReactor runs the AI agents.
	botReactor *events.Reactor
	// notifyReactor turns events into members' notifications.
	notifyReactor *events.Reactor
	// pushReactor sends them to members' browsers (Web Push).
	pushReactor *events.Reactor
	// slaReactor runs the SLA clocks.
	slaReactor *events.Reactor
	// metricsReactor counts what happens for Prometheus.
	metricsReactor *events.Reactor
	// shards are this replica's share of the workspaces, for the reactors.
	shards *events.Shards
	// setup is the first start's one-time setup link.
	setup setup
	// demoKey is the demo workspace's widget key, set by Bootstrap.
	demoKey atomic.Pointer[string]

	// filesListener is the files origin's, bound when the server is built;
	// filesHandler serves it, links signs and checks its links.
	filesListener net.Listener
	filesHandler  http.Handler
	links         *files.Links

	// domain is the wired domain services (Domain).
	domain Domain
}

// Domain is the server's wired domain services. Clients reach them through
// the API. Domain is for the in-process callers that are not clients: the
// test kits, which make fixtures without a network round trip and run
// background passes (routing, SLA clocks, timers, snooze wake-ups) at the
// moment a test chooses, and the in-process baselines of tandembench. It is
// a copy: a caller cannot rewire the server.
type Domain struct {
	Accounts      *account.Service
	Workspaces    *workspace.Service
	Contacts      *contact.Service
	Conversations *conversation.Service
	Tags          *tag.Service
	Presence      *presence.Service
	Canned        *canned.Service
	Knowledge     *knowledge.Service
	Bot           *bot.Service
	Automation    *automation.Service
	Notify        *notify.Service
	Push          *push.Service
	SLA           *sla.Service
	Stats         *stats.Service
	Files         *files.Service
	Routing       *routing.Service
	Email         *email.Service
}

// Domain returns the server's wired domain services.
func (s *Server) Domain() Domain { return s.domain }

// directory is what conversations need to know about the workspace: its
// members and groups (workspace package), its tags (tag package) and who is
// online (presence package).
type directory struct {
	*workspace.Service
	tags     *tag.Service
	presence *presence.Service
}

func (d directory) Online(ctx context.Context, workspaceID, userID string) (bool, error) {
	return d.presence.Online(ctx, workspaceID, userID)
}

func (d directory) Tag(ctx context.Context, id string) (string, string, error) {
	t, err := d.tags.Get(ctx, id)
	return t.WorkspaceID, t.Name, err
}

// Services lists every RPC service tandemd serves, for reflection and health.
func Services() []string {
	return []string{
		tandemv1connect.AuthServiceName,
		tandemv1connect.WorkspaceServiceName,
		tandemv1connect.ConversationServiceName,
		tandemv1connect.WidgetServiceName,
		tandemv1connect.TagServiceName,
		tandemv1connect.ContactServiceName,
		tandemv1connect.PresenceServiceName,
		tandemv1connect.CannedResponseServiceName,
		tandemv1connect.KnowledgeServiceName,
		tandemv1connect.BotServiceName,
		tandemv1connect.AutomationServiceName,
		tandemv1connect.NotificationServiceName,
		tandemv1connect.SlaServiceName,
		tandemv1connect.StatsServiceName,
		tandemv1connect.RoutingServiceName,
		tandemv1connect.EmailServiceName,
	}
}

// New opens the store (migrating it) and builds the server: its services
// and reactors (wire), who may call what (authorize) and its HTTP handler
// (mount). Its background work starts with Serve.
func New(ctx context.Context, cfg config.Config, logger *slog.Logger) (*Server, error) {
	// A row lock is waited for half a call's deadline at most: the call
	// then fails Unavailable itself, rather than leave MySQL a thread
	// waiting on after the driver dropped its connection.
	db, err := store.Open(ctx, store.Options{URL: cfg.DatabaseURL, DataDir: cfg.DataDir, Logger: logger, LockWait: cfg.RequestTimeout / 2})
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, logger: logger, db: db, registry: metrics.NewRegistry(db.DB.DB,
		bot.ReactorName, automation.ReactorName, notify.ReactorName, push.ReactorName, sla.ReactorName, metrics.ReactorName),
		health: grpchealth.NewStaticChecker(Services()...), drain: make(chan struct{}),
		bodies: &bodyBudget{limit: cfg.MaxRequestBytesInFlight}}
	metrics.RegisterRequestBytes(s.registry, s.bodies.used.Load)
	if err := s.build(ctx); err != nil {
		_ = s.Close() // what was opened so far: the broker connection, the knowledge index, the store
		return nil, err
	}
	return s, nil
}

func (s *Server) build(ctx context.Context) error {
	st, err := s.wire(ctx)
	if err != nil {
		return err
	}
	authn, authz, err := s.authorize()
	if err != nil {
		return err
	}
	return s.mount(st, authn, authz)
}

func (s *Server) recovered(ctx context.Context, spec connect.Spec, _ http.Header, p any) error {
	s.logger.ErrorContext(ctx, "panic in handler", "procedure", spec.Procedure, "request_id", RequestID(ctx), "panic", p)
	return connect.NewError(connect.CodeInternal, errors.New("internal error"))
}

func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	if s.draining.Load() {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.db.PingContext(ctx); err != nil {
		http.Error(w, "database unreachable", http.StatusServiceUnavailable)
		return
	}
	_, _ = w.Write([]byte("ready\n"))
}

// Handler is the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// DB is the server's store.
func (s *Server) DB() *store.DB { return s.db }

// Registry is the server's Prometheus registry.
func (s *Server) Registry() *prometheus.Registry { return s.registry }

// reactorShards names the shards the server's reactors share: a replica
// holds a workspace for all of them at once.
const reactorShards = "reactors"

// BotReactor is the reactor running the AI agents (tests drain it).
func (s *Server) BotReactor() *events.Reactor { return s.botReactor }

// SLAReactor is the reactor running the SLA clocks (tests drain it).
func (s *Server) SLAReactor() *events.Reactor { return s.slaReactor }

// NotifyReactor is the reactor making notifications (tests drain it).
func (s *Server) NotifyReactor() *events.Reactor { return s.notifyReactor }

// PushReactor is the reactor sending Web Push (tests drain it).
func (s *Server) PushReactor() *events.Reactor { return s.pushReactor }

// MetricsReactor is the reactor counting for Prometheus (tests drain it).
func (s *Server) MetricsReactor() *events.Reactor { return s.metricsReactor }

// Close releases the broker connection and the store.
func (s *Server) Close() error {
	if s.smtpListener != nil {
		_ = s.smtpListener.Close() // already closed when the server served
	}
	if s.filesListener != nil {
		_ = s.filesListener.Close() // already closed when the server served
	}
	if s.nats != nil {
		s.nats.Close()
	}
	if s.domain.Knowledge != nil {
		s.domain.Knowledge.Close()
	}
	return s.db.Close()
}

// SMTPAddr is the address the SMTP receiver listens on ("" when it is
// off): TANDEM_SMTP_ADDR with its port, when that was 0, chosen.
func (s *Server) SMTPAddr() string {
	if s.smtpListener == nil {
		return ""
	}
	return s.smtpListener.Addr().String()
}

// halfOpenAfter is how long an HTTP/2 connection may send nothing before
// the server pings it, how long the ping's answer may take before the
// connection is closed, and the least of the time any connection's data
// may go unacknowledged (userTimeout). A stream's client sends nothing once it has asked,
// and a connection whose far end is gone without a reset (a phone that
// left the network, a NAT that forgot it) would hold its streams, and
// their goroutines and subscriptions, until TCP gives up many minutes
// later: this finds it within about two heartbeats. Never under 5 s, so
// that a loaded client or network does not lose a healthy connection.
func halfOpenAfter(heartbeat time.Duration) time.Duration { return max(heartbeat, 5*time.Second) }

// Serve serves on ln until ctx ends, then shuts down gracefully: readiness
// and health turn to not-serving, the listener closes, in-flight calls get
// the shutdown timeout to finish, and long-lived streams are told to end.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	protocols := new(http.Protocols)
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(true)
	srv := &http.Server{
		Handler:           s.handler,
		Protocols:         protocols,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.logger.Handler(), slog.LevelWarn),
		HTTP2:             &http.HTTP2Config{SendPingTimeout: halfOpenAfter(s.cfg.Heartbeat), PingTimeout: halfOpenAfter(s.cfg.Heartbeat)},
	}
	ln = userTimeoutListener{Listener: ln, timeout: userTimeout(s.cfg.Heartbeat, s.cfg.StreamSendTimeout)}
	if s.cfg.TLSCert != "" {
		protocols.SetHTTP2(true)
		cert, err := tls.LoadX509KeyPair(s.cfg.TLSCert, s.cfg.TLSKey)
		if err != nil {
			return fmt.Errorf("load TLS key pair: %w", err)
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		ln = tls.NewListener(ln, srv.TLSConfig)
	}
	// Streams end (resumably) as soon as shutdown begins; unary calls get
	// the shutdown timeout to finish.
	srv.RegisterOnShutdown(func() { close(s.drain) })
	defer s.background(ctx)()
	// The files origin stops with the API, and the API with it.
	filesCtx, stopFiles := context.WithCancel(ctx)
	defer stopFiles()
	filesDone := make(chan error, 1)
	go func() { filesDone <- s.serveFiles(filesCtx) }()

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	s.logger.Info("serving", "addr", ln.Addr().String(), "tls", s.cfg.TLSCert != "", "dialect", s.db.Dialect.Name())

	select {
	case err := <-errc:
		stopFiles()
		return errors.Join(fmt.Errorf("serve: %w", err), <-filesDone)
	case err := <-filesDone:
		_ = srv.Close()
		if e := <-errc; !errors.Is(e, http.ErrServerClosed) {
			err = errors.Join(err, e)
		}
		return err
	case <-ctx.Done():
	}
	s.logger.Info("shutting down", "timeout", s.cfg.ShutdownTimeout)
	s.draining.Store(true)
	for _, svc := range Services() {
		s.health.SetStatus(svc, grpchealth.StatusNotServing)
	}
	return errors.Join(shutdown(ctx, srv, s.cfg.ShutdownTimeout, errc), <-filesDone)
}

// shutdown stops srv, whose Serve's result errc carries: gracefully within
// timeout, then by closing what is left; it returns what went wrong.
func shutdown(ctx context.Context, srv *http.Server, timeout time.Duration, errc <-chan error) error {
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	err := srv.Shutdown(shutdownCtx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = srv.Close()
	}
	if e := <-errc; !errors.Is(e, http.ErrServerClosed) {
		err = errors.Join(err, e)
	}
	return err
}

// Run is tandemd: it builds the server, creates the bootstrap owner and the
// demo data when asked, listens and serves until ctx ends.
func Run(ctx context.Context, cfg config.Config, logger *slog.Logger) error {
	if cfg.DemoReset {
		if err := resetDemo(ctx, cfg, logger); err != nil {
			return err
		}
	}
	s, err := New(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer func() {
		if err := s.Close(); err != nil {
			logger.Error("close", "error", err)
		}
	}()
	if err := s.Bootstrap(ctx); err != nil {
		return err
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	if cfg.MetricsAddr == "" {
		return s.Serve(ctx, ln)
	}
	mln, err := lc.Listen(ctx, "tcp", cfg.MetricsAddr)
	if err != nil {
		_ = ln.Close()
		return fmt.Errorf("listen on %s for metrics: %w", cfg.MetricsAddr, err)
	}
	return s.serveWithMetrics(ctx, ln, mln)
}
