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
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"connectrpc.com/connect"
	connectcors "connectrpc.com/cors"
	"connectrpc.com/grpchealth"
	"connectrpc.com/grpcreflect"
	"connectrpc.com/validate"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/cors"

	"github.com/tandem-inbox/tandem/api/tandem/v1/tandemv1connect"
	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/account"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/automation"
	"github.com/tandem-inbox/tandem/backend/internal/bot"
	"github.com/tandem-inbox/tandem/backend/internal/canned"
	"github.com/tandem-inbox/tandem/backend/internal/config"
	"github.com/tandem-inbox/tandem/backend/internal/contact"
	"github.com/tandem-inbox/tandem/backend/internal/conversation"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/files"
	"github.com/tandem-inbox/tandem/backend/internal/knowledge"
	"github.com/tandem-inbox/tandem/backend/internal/metrics"
	"github.com/tandem-inbox/tandem/backend/internal/notify"
	"github.com/tandem-inbox/tandem/backend/internal/outbound"
	"github.com/tandem-inbox/tandem/backend/internal/presence"
	"github.com/tandem-inbox/tandem/backend/internal/routing"
	"github.com/tandem-inbox/tandem/backend/internal/sla"
	"github.com/tandem-inbox/tandem/backend/internal/stats"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/tag"
	"github.com/tandem-inbox/tandem/backend/internal/widget"
	"github.com/tandem-inbox/tandem/backend/internal/workspace"
	"github.com/tandem-inbox/tandem/backend/webwidget"
)

// Server is a running tandemd: its store, services and HTTP handler.
type Server struct {
	cfg      config.Config
	logger   *slog.Logger
	db       *store.DB
	registry *prometheus.Registry
	health   *grpchealth.StaticChecker
	handler  http.Handler
	draining atomic.Bool
	drain    chan struct{} // closed when shutdown begins: streams end resumably
	hub      *events.Hub
	nats     *events.NATS
	pruner   *events.Pruner
	// streamGuard ends the agent streams whose callers lost access.
	streamGuard *account.StreamGuard
	// botReactor runs the AI agents.
	botReactor *events.Reactor
	// notifyReactor turns events into members' notifications.
	notifyReactor *events.Reactor
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
	SLA           *sla.Service
	Stats         *stats.Service
	Files         *files.Service
	Routing       *routing.Service
}

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
	}
}

// New opens the store (migrating it) and builds the server.
func New(ctx context.Context, cfg config.Config, logger *slog.Logger) (*Server, error) {
	db, err := store.Open(ctx, store.Options{URL: cfg.DatabaseURL, DataDir: cfg.DataDir, Logger: logger})
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, logger: logger, db: db, registry: metrics.NewRegistry(db.DB.DB,
		bot.ReactorName, automation.ReactorName, notify.ReactorName, sla.ReactorName, metrics.ReactorName),
		health: grpchealth.NewStaticChecker(Services()...), drain: make(chan struct{})}
	s.hub = events.NewHub(db, cfg.PollInterval)
	log := events.NewLog(db, s.hub, nil)
	cursors, err := events.LoadCursors(ctx, db)
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	if cfg.NATSURL != "" {
		if s.nats, err = events.ConnectNATS(cfg.NATSURL, s.hub, logger); err != nil {
			_ = db.Close()
			return nil, err
		}
	}
	s.pruner = events.NewPruner(db, cfg.EventRetention, nil)
	follower := events.NewFollower(log, s.hub, cfg.Heartbeat, s.drain, logger).WithSendTimeout(cfg.StreamSendTimeout)
	metrics.RegisterStreamGaps(s.registry, follower.Gaps)

	s.Accounts = account.NewService(db, log, account.Options{SessionTTL: cfg.SessionTTL,
		Hasher: access.NewHasher(cfg.PasswordHashConcurrency, 0)})
	s.Workspaces = workspace.NewService(db, log, s.Accounts, workspace.Options{MaxOwnedWorkspaces: cfg.MaxWorkspacesPerUser,
		WidgetSecretGrace: cfg.WidgetSecretGrace})
	s.streamGuard = s.Accounts.NewStreamGuard(s.Workspaces.LiveMembers)
	s.Contacts = contact.NewService(db, log, s.Workspaces, contact.Options{IdentityMaxAge: cfg.IdentityMaxAge, ClockSkew: cfg.IdentityClockSkew})
	s.Tags = tag.NewService(db, log, nil)
	s.Presence = presence.NewService(db, log, s.Workspaces.Role, nil)
	bucket, err := files.OpenBucket(ctx, cfg.BlobURL, cfg.DataDir)
	if err != nil {
		s.Close()
		return nil, err
	}
	s.Files = files.NewService(db, bucket, logger).WithLimits(files.Limits{VisitorBytes: cfg.UploadQuotaVisitor,
		ConversationBytes: cfg.UploadQuotaConversation, WorkspaceBytes: cfg.UploadQuotaWorkspace,
		DiskReserve: cfg.DiskReserve, Dir: files.LocalDir(cfg.BlobURL, cfg.DataDir)})
	s.Conversations = conversation.NewService(db, log, s.hub, s.Accounts, s.Contacts, directory{s.Workspaces, s.Tags, s.Presence},
		conversation.Options{Attacher: s.Files, BotEnabled: func(ctx context.Context, ws string) (bool, error) { return s.Bot.Enabled(ctx, ws) },
			MaxOpenPerVisitor: cfg.WidgetMaxOpenConversations})
	s.Routing = routing.NewService(db, log, s.Conversations, s.Presence, s.Workspaces.GroupRouting, nil, logger)
	s.Canned = canned.NewService(db, log, canned.Sources{Conversations: s.Conversations, Contacts: s.Contacts,
		Users: s.Accounts, Workspaces: s.Workspaces}, canned.Options{})
	s.Knowledge = knowledge.NewService(db, log, knowledge.Options{})
	var llm *bot.LLM
	if cfg.LLMURL != "" {
		llm = bot.NewLLM(cfg.LLMURL, cfg.LLMModel, cfg.LLMAPIKey, cfg.LLMTimeout, cfg.LLMConcurrency)
	}
	s.Bot = bot.NewService(db, log, bot.Deps{Conversations: s.Conversations, Knowledge: s.Knowledge, Tags: s.Tags,
		OnlineAgents: s.Presence.OnlineCount, LLM: llm}, logger)
	s.Notify = notify.NewService(db, log, notify.People{GroupMembers: s.Workspaces.GroupMembers,
		Members: func(ctx context.Context, ws string) ([]string, error) {
			ms, err := s.Workspaces.AllMembers(ctx, ws)
			ids := make([]string, len(ms))
			for i, m := range ms {
				ids[i] = m.UserID
			}
			return ids, err
		},
		Supervisors: func(ctx context.Context, ws string) ([]string, error) {
			ms, err := s.Workspaces.AllMembers(ctx, ws)
			var ids []string
			for _, m := range ms {
				if m.Role.AtLeast(access.RoleSupervisor) {
					ids = append(ids, m.UserID)
				}
			}
			return ids, err
		}}, logger)
	s.notifyReactor = events.NewReactor(notify.ReactorName, log, s.hub, s.Notify.React, logger)
	s.Automation = automation.NewService(db, log, s.hub, automation.Deps{Conversations: s.Conversations, Contacts: s.Contacts,
		Tags: s.Tags, Canned: s.Canned, HandOff: s.Bot.HandOff}, automation.Options{Webhooks: automation.Webhooks{
		Client:  outbound.NewClient(outbound.Options{Allow: cfg.WebhookAllow, Timeout: cfg.WebhookTimeout}),
		Timeout: cfg.WebhookTimeout, RetryBase: cfg.WebhookRetryBase,
		// The save-time check of webhook URLs applies the allowlist too.
		Allow: cfg.WebhookAllow,
	}}, logger)
	// Rules get their say before the AI agent answers a customer message: a
	// rule that hands "refund" off wins over the AI agent answering it.
	s.SLA = sla.NewService(db, log, s.Conversations, logger)
	s.Stats = stats.NewService(db, s.Presence.OnlineCount, func(ctx context.Context, ws string) (map[string]string, error) {
		ms, err := s.Workspaces.AllMembers(ctx, ws)
		names := make(map[string]string, len(ms))
		for _, m := range ms {
			names[m.UserID] = m.DisplayName
		}
		return names, err
	})
	// Ungated: first responses are recorded (for response-time statistics)
	// even where no policy runs a clock.
	s.slaReactor = events.NewReactor(sla.ReactorName, log, s.hub, s.SLA.React, logger)
	var workspaceName func(ctx context.Context, id string) (string, error)
	if cfg.MetricsWorkspaceLabel {
		workspaceName = func(ctx context.Context, id string) (string, error) {
			w, err := s.Workspaces.Get(ctx, id)
			return w.Name, err
		}
	}
	s.metricsReactor = events.NewReactor(metrics.ReactorName, log, s.hub,
		metrics.NewDomain(s.registry, workspaceName).React, logger)
	s.botReactor = events.NewReactor(bot.ReactorName, log, s.hub, func(ctx context.Context, ev events.Event) error {
		if err := s.Automation.Settle(ctx, ev); err != nil {
			return err
		}
		return s.Bot.React(ctx, ev)
	}, logger).Gated() // where the AI agent is off it has no cursor: no lag
	s.shards = events.NewShards(db, reactorShards, logger, events.ShardOptions{Lease: cfg.ReactorLease})

	authz, err := access.NewAuthorizer(s.Workspaces.Role)
	if err != nil {
		s.Close()
		return nil, err
	}
	authz.Register("workspace", s.Workspaces.WorkspaceOf)
	authz.Register("group", s.Workspaces.GroupWorkspace)
	authz.Register("api_key", s.Accounts.APIKeyWorkspace)
	authz.Register("conversation", s.Conversations.WorkspaceOf)
	authz.Register("tag", s.Tags.WorkspaceOf)
	authz.Register("contact", s.Contacts.WorkspaceOf)
	authz.Register("canned_response", s.Canned.WorkspaceOf)
	authz.Register("knowledge_document", s.Knowledge.WorkspaceOf)
	authz.Register("sla_policy", s.SLA.WorkspaceOf)
	authz.Register("automation_rule", s.Automation.RuleWorkspace)
	authz.Register("custom_action", s.Automation.CustomActionWorkspace)
	authz.Register("webhook_delivery", s.Automation.DeliveryWorkspace)
	authz.RegisterVisitor("conversation", s.Conversations.VisitorOwns)

	authn := access.Authenticator{
		access.PrefixSession: s.Accounts.AuthenticateSession,
		access.PrefixAPIKey:  s.Accounts.AuthenticateAPIKey,
		access.PrefixVisitor: s.Contacts.AuthenticateVisitor,
	}
	rpcMetrics := metrics.NewRPC(s.registry)
	widgetLimit := newVisitorLimiter(cfg.WidgetRate, cfg.WidgetBurst, cfg.WidgetSessionsPerMinute, cfg.WidgetSessionBurst)
	// Outermost first: recover (a handler option), metrics, logging and
	// error mapping, authentication, widget rate limits, validation,
	// authorization.
	opts := []connect.HandlerOption{
		connect.WithRecover(s.recovered),
		connect.WithInterceptors(
			rpcMetrics.Interceptor(),
			edgeInterceptor{logger: logger, timeout: cfg.RequestTimeout},
			access.NewAuthnInterceptor(authn),
			widgetLimit,
			newStreamLimiter(streamLimits{PerVisitor: cfg.MaxStreamsPerVisitor, PerMember: cfg.MaxStreamsPerMember, PerAddress: cfg.MaxStreamsPerAddress}),
			validate.NewInterceptor(),
			access.NewAuthzInterceptor(authz),
		),
		connect.WithCodec(protoCodec{}),
		connect.WithReadMaxBytes(cfg.MaxRequestBytes),
		connect.WithCompressMinBytes(1024),
	}

	mux := http.NewServeMux()
	mux.Handle(tandemv1connect.NewAuthServiceHandler(account.NewHandler(s.Accounts, s.Workspaces), opts...))
	mux.Handle(tandemv1connect.NewWorkspaceServiceHandler(workspace.NewHandler(s.Workspaces), opts...))
	conversations := conversation.NewHandler(s.Conversations, s.Contacts, conversation.Streams{
		Follower: follower, Cursors: cursors, Roles: s.Workspaces.Role, Guard: s.streamGuard.Guard,
		Seen: s.Presence.NewActivity().Seen,
	})
	mux.Handle(tandemv1connect.NewConversationServiceHandler(conversations, opts...))
	mux.Handle(tandemv1connect.NewPresenceServiceHandler(presence.NewHandler(s.Presence, presence.Sources{
		Members: func(ctx context.Context, ws string) ([]presence.Member, error) {
			ms, err := s.Workspaces.AllMembers(ctx, ws)
			out := make([]presence.Member, len(ms))
			for i, m := range ms {
				out[i] = presence.Member{UserID: m.UserID, DisplayName: m.DisplayName}
			}
			return out, err
		},
		OpenChats: s.Conversations.OpenChats,
	}), opts...))
	mux.Handle(tandemv1connect.NewRoutingServiceHandler(routing.NewHandler(s.Routing), opts...))
	mux.Handle(tandemv1connect.NewCannedResponseServiceHandler(canned.NewHandler(s.Canned), opts...))
	mux.Handle(tandemv1connect.NewKnowledgeServiceHandler(knowledge.NewHandler(s.Knowledge),
		append(slices.Clip(opts), connect.WithReadMaxBytes(knowledgeReadMaxBytes))...))
	mux.Handle(tandemv1connect.NewContactServiceHandler(contact.NewHandler(s.Contacts, conversations.OfContactProto), opts...))
	mux.Handle(tandemv1connect.NewTagServiceHandler(tag.NewHandler(s.Tags), opts...))
	mux.Handle(tandemv1connect.NewBotServiceHandler(bot.NewHandler(s.Bot), opts...))
	mux.Handle(tandemv1connect.NewAutomationServiceHandler(automation.NewHandler(s.Automation), opts...))
	mux.Handle(tandemv1connect.NewNotificationServiceHandler(notify.NewHandler(s.Notify), opts...))
	mux.Handle(tandemv1connect.NewSlaServiceHandler(sla.NewHandler(s.SLA), opts...))
	mux.Handle(tandemv1connect.NewStatsServiceHandler(stats.NewHandler(s.Stats), opts...))
	mux.Handle(tandemv1connect.NewWidgetServiceHandler(widget.NewHandler(s.Contacts, s.Conversations, follower, cursors, s.Bot.HandOff, widget.ConfigSources{
		Workspace: s.Workspaces.Get, Groups: s.Workspaces.AllGroups, Bot: s.Bot.Settings, OnlineAgents: s.Presence.OnlineCount,
		AgentName: s.agentName,
	}).WithButtons(buttons{s.Automation}), opts...))

	files.NewHandler(s.Files, authn, authz, func(r *http.Request, err error) {
		if apperr.KindOf(err) == apperr.Internal {
			logger.Error("files", "method", r.Method, "path", r.URL.Path, "err", err)
		}
	}).WithPolicy(s.filesPolicy(uploadLimit(widgetLimit, newVisitorLimiter(cfg.UploadsPerMinute/60, cfg.UploadBurst, 0, 1)))).Register(mux)

	// The web chat widget (/widget.js, /widget/...) and, with --demo, the demo store at /.
	web, err := webwidget.New(webwidget.Options{Demo: cfg.Demo, DemoKey: s.demoWidgetKey})
	if err != nil {
		return nil, fmt.Errorf("widget bundle: %w", err)
	}
	web.Register(mux)
	s.mountSetup(mux)

	// Reflection lists the health service too, so `grpcurl list` and
	// `buf curl --list-methods` show every service the port answers.
	reflector := grpcreflect.NewStaticReflector(append(Services(), grpchealth.HealthV1ServiceName)...)
	mux.Handle(grpcreflect.NewHandlerV1(reflector))
	mux.Handle(grpcreflect.NewHandlerV1Alpha(reflector))
	mux.Handle(grpchealth.NewHandler(s.health))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /readyz", s.ready)
	// /metrics has its own listener (metrics.go), never this one.

	s.handler = withTooLarge(mux, cfg.MaxRequestBytes) // inside CORS: a browser must be able to read the 413
	if len(cfg.CORSOrigins) > 0 {
		s.handler = cors.New(cors.Options{
			AllowedOrigins: cfg.CORSOrigins,
			AllowedMethods: connectcors.AllowedMethods(),
			AllowedHeaders: append(connectcors.AllowedHeaders(), "Authorization", RequestIDHeader),
			ExposedHeaders: append(connectcors.ExposedHeaders(), RequestIDHeader),
			MaxAge:         7200,
		}).Handler(s.handler)
	}
	s.handler = withBodyDeadline(s.handler, cfg.BodyTimeout, cfg.MaxRequestBytes)
	s.handler = withStreamWriter(s.handler)
	s.handler = access.TrustedProxies(cfg.TrustedProxies).Middleware(s.handler)
	s.handler = withRequestID(s.handler) // outermost: CORS answers preflights itself
	return s, nil
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

// MetricsReactor is the reactor counting for Prometheus (tests drain it).
func (s *Server) MetricsReactor() *events.Reactor { return s.metricsReactor }

// Close releases the broker connection and the store.
func (s *Server) Close() error {
	if s.nats != nil {
		s.nats.Close()
	}
	if s.Knowledge != nil {
		s.Knowledge.Close()
	}
	return s.db.Close()
}

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
	}
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
	background, stop := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Go(func() { _ = s.hub.Run(background) })
	for _, j := range s.jobs() {
		wg.Go(func() { repeat(background, s.logger, j) })
	}
	if s.cfg.Reactors { // the server's own reactions, on replicas that run them
		wg.Go(func() { _ = s.shards.Run(background) })
		wg.Go(func() { _ = s.Routing.Run(background, s.cfg.RoutingInterval, s.shards) })
		opts := events.RunOptions{Workers: s.cfg.ReactorWorkers, Sweep: s.cfg.ReactorSweep}
		for _, r := range []*events.Reactor{s.botReactor, s.Automation.Reactor(), s.notifyReactor, s.slaReactor, s.metricsReactor} {
			wg.Go(func() { _ = r.Run(background, s.shards, opts) })
		}
	}
	defer func() { stop(); wg.Wait() }()

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	s.logger.Info("serving", "addr", ln.Addr().String(), "tls", s.cfg.TLSCert != "", "dialect", s.db.Dialect.Name())

	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	s.logger.Info("shutting down", "timeout", s.cfg.ShutdownTimeout)
	s.draining.Store(true)
	for _, svc := range Services() {
		s.health.SetStatus(svc, grpchealth.StatusNotServing)
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownTimeout)
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
	defer s.Close()
	if err := s.Bootstrap(ctx); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	if cfg.MetricsAddr == "" {
		return s.Serve(ctx, ln)
	}
	mln, err := net.Listen("tcp", cfg.MetricsAddr)
	if err != nil {
		_ = ln.Close()
		return fmt.Errorf("listen on %s for metrics: %w", cfg.MetricsAddr, err)
	}
	return s.serveWithMetrics(ctx, ln, mln)
}
