package server

import (
	"fmt"
	"net/http"
	"slices"

	"connectrpc.com/connect"
	connectcors "connectrpc.com/cors"
	"connectrpc.com/grpchealth"
	"connectrpc.com/grpcreflect"
	"connectrpc.com/validate"
	"github.com/rs/cors"

	"github.com/tandem-inbox/tandem/api/tandem/v1/tandemv1connect"
	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/account"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/automation"
	"github.com/tandem-inbox/tandem/backend/internal/bot"
	"github.com/tandem-inbox/tandem/backend/internal/canned"
	"github.com/tandem-inbox/tandem/backend/internal/contact"
	"github.com/tandem-inbox/tandem/backend/internal/conversation"
	"github.com/tandem-inbox/tandem/backend/internal/email"
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
	"github.com/tandem-inbox/tandem/backend/internal/tag"
	"github.com/tandem-inbox/tandem/backend/internal/widget"
	"github.com/tandem-inbox/tandem/backend/internal/workspace"
	"github.com/tandem-inbox/tandem/backend/webapp"
	"github.com/tandem-inbox/tandem/backend/webwidget"
)

// authorize says who callers are (by their credential's prefix) and how
// each kind of resource named in a request leads to its workspace, for the
// authorization interceptor: the one place that decides who may call what.
func (s *Server) authorize() (access.Authenticator, *access.Authorizer, error) {
	authz, err := access.NewAuthorizer(s.domain.Workspaces.Role)
	if err != nil {
		return nil, nil, err
	}
	authz.Register("workspace", s.domain.Workspaces.WorkspaceOf)
	authz.Register("group", s.domain.Workspaces.GroupWorkspace)
	authz.Register("api_key", s.domain.Accounts.APIKeyWorkspace)
	authz.Register("conversation", s.domain.Conversations.WorkspaceOf)
	authz.Register("tag", s.domain.Tags.WorkspaceOf)
	authz.Register("contact", s.domain.Contacts.WorkspaceOf)
	authz.Register("canned_response", s.domain.Canned.WorkspaceOf)
	authz.Register("knowledge_document", s.domain.Knowledge.WorkspaceOf)
	authz.Register("sla_policy", s.domain.SLA.WorkspaceOf)
	authz.Register("automation_rule", s.domain.Automation.RuleWorkspace)
	authz.Register("custom_action", s.domain.Automation.CustomActionWorkspace)
	authz.Register("webhook_delivery", s.domain.Automation.DeliveryWorkspace)
	authz.Register("email_inbox", s.domain.Email.WorkspaceOf)
	authz.RegisterVisitor("conversation", s.domain.Conversations.VisitorOwns)

	authn := access.Authenticator{
		access.PrefixSession: s.domain.Accounts.AuthenticateSession,
		access.PrefixAPIKey:  s.domain.Accounts.AuthenticateAPIKey,
		access.PrefixVisitor: s.domain.Contacts.AuthenticateVisitor,
	}
	return authn, authz, nil
}

// mount builds the HTTP handler: every service's RPCs behind the
// interceptor chain, the other routes, and the middleware around them.
func (s *Server) mount(st streams, authn access.Authenticator, authz *access.Authorizer) error {
	widgetLimit := newPublicLimiter(s.limits, s.cfg)
	mux := http.NewServeMux()
	s.mountRPC(mux, st, s.chain(authn, authz, widgetLimit))
	files.NewHandler(s.domain.Files, authn, authz, func(r *http.Request, err error) {
		if apperr.KindOf(err) == apperr.Internal {
			s.logger.Error("files", "method", r.Method, "path", r.URL.Path, "err", err)
		}
	}).WithPolicy(s.filesPolicy(uploadLimit(widgetLimit, limit.PerSecond("uploads", s.cfg.UploadsPerMinute/60, s.cfg.UploadBurst)))).Register(mux)
	account.NewWebSessions(s.domain.Accounts, authn, s.logger).Register(mux) // the web app's sign-in
	if s.cfg.MailSecret != "" {                                              // the links of rating mails, signed with it
		email.NewRatingPage(s.domain.Conversations, []byte(s.cfg.MailSecret), s.logger).Register(mux)
	}
	if err := s.mountWeb(mux); err != nil {
		return err
	}
	s.handler = s.middleware(mux)
	return nil
}

// chain is the RPCs' handler options: the interceptors, outermost first:
// recover (a handler option), metrics, logging and error mapping,
// authentication, public procedures' rate limits, stream limits, validation,
// authorization.
func (s *Server) chain(authn access.Authenticator, authz *access.Authorizer, widgetLimit *publicLimiter) []connect.HandlerOption {
	return []connect.HandlerOption{
		connect.WithRecover(s.recovered),
		connect.WithInterceptors(
			metrics.NewRPC(s.registry).Interceptor(),
			edgeInterceptor{logger: s.logger, timeout: s.cfg.RequestTimeout},
			access.NewAuthnInterceptor(authn),
			widgetLimit,
			newStreamLimiter(streamLimits{PerVisitor: s.cfg.MaxStreamsPerVisitor, PerMember: s.cfg.MaxStreamsPerMember, PerAddress: s.cfg.MaxStreamsPerAddress}),
			validate.NewInterceptor(),
			access.NewAuthzInterceptor(authz),
		),
		connect.WithCodec(protoCodec{}),
		connect.WithReadMaxBytes(s.cfg.MaxRequestBytes),
		connect.WithCompressMinBytes(1024),
	}
}

// mountRPC mounts every service's handler.
func (s *Server) mountRPC(mux *http.ServeMux, st streams, opts []connect.HandlerOption) {
	mux.Handle(tandemv1connect.NewAuthServiceHandler(account.NewHandler(s.domain.Accounts, s.domain.Workspaces), opts...))
	mux.Handle(tandemv1connect.NewWorkspaceServiceHandler(workspace.NewHandler(s.domain.Workspaces), opts...))
	conversations := conversation.NewHandler(s.domain.Conversations, s.domain.Contacts, conversation.HandlerDeps{
		Follower: st.follower, Cursors: st.cursors, Roles: s.domain.Workspaces.Role, Guard: s.streamGuard.Guard,
		Seen: s.domain.Presence.NewActivity().Seen,
	})
	mux.Handle(tandemv1connect.NewConversationServiceHandler(conversations, opts...))
	mux.Handle(tandemv1connect.NewPresenceServiceHandler(presence.NewHandler(s.domain.Presence, presence.Deps{
		Members: members{s.domain.Workspaces}.presence, OpenChats: s.domain.Conversations.OpenChats,
	}), opts...))
	mux.Handle(tandemv1connect.NewRoutingServiceHandler(routing.NewHandler(s.domain.Routing), opts...))
	mux.Handle(tandemv1connect.NewCannedResponseServiceHandler(canned.NewHandler(s.domain.Canned), opts...))
	mux.Handle(tandemv1connect.NewKnowledgeServiceHandler(knowledge.NewHandler(s.domain.Knowledge),
		append(slices.Clip(opts), connect.WithReadMaxBytes(knowledgeReadMaxBytes))...))
	mux.Handle(tandemv1connect.NewContactServiceHandler(contact.NewHandler(s.domain.Contacts, conversations.OfContactProto), opts...))
	mux.Handle(tandemv1connect.NewTagServiceHandler(tag.NewHandler(s.domain.Tags), opts...))
	mux.Handle(tandemv1connect.NewBotServiceHandler(bot.NewHandler(s.domain.Bot), opts...))
	mux.Handle(tandemv1connect.NewAutomationServiceHandler(automation.NewHandler(s.domain.Automation), opts...))
	mux.Handle(tandemv1connect.NewNotificationServiceHandler(notify.NewHandler(s.domain.Notify, push.NewHandler(s.domain.Push)), opts...))
	mux.Handle(tandemv1connect.NewSlaServiceHandler(sla.NewHandler(s.domain.SLA), opts...))
	mux.Handle(tandemv1connect.NewStatsServiceHandler(stats.NewHandler(s.domain.Stats), opts...))
	mux.Handle(tandemv1connect.NewEmailServiceHandler(email.NewHandler(s.domain.Email, s.cfg.MailDomain), opts...))
	mux.Handle(tandemv1connect.NewWidgetServiceHandler(widget.NewHandler(s.domain.Contacts, s.domain.Conversations, st.follower, st.cursors, s.domain.Bot.HandOff, widget.Deps{
		Workspace: s.domain.Workspaces.Get, Groups: s.domain.Workspaces.AllGroups, Bot: s.domain.Bot.Settings, OnlineAgents: s.domain.Presence.OnlineCount,
		AgentName: s.agentName, Transcripts: s.mailSender,
	}).WithButtons(buttons{s.domain.Automation}), opts...))
}

// mountWeb mounts the routes besides the RPCs and files: the widget, the
// first start's setup, reflection and health.
func (s *Server) mountWeb(mux *http.ServeMux) error {
	// The web chat widget (/widget.js, /widget/...) and, with --demo, the demo store at /.
	web, err := webwidget.New(webwidget.Options{Demo: s.cfg.Demo, DemoKey: s.demoWidgetKey})
	if err != nil {
		return fmt.Errorf("widget bundle: %w", err)
	}
	web.Register(mux)
	// The agent web app (/app): the desktop app's views in the browser.
	app, err := webapp.New()
	if err != nil {
		return fmt.Errorf("web app bundle: %w", err)
	}
	app.Register(mux)
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
	return nil
}

// middleware wraps the routes, innermost first.
func (s *Server) middleware(mux *http.ServeMux) http.Handler {
	h := withTooLarge(mux, s.cfg.MaxRequestBytes) // inside CORS: a browser must be able to read the 413
	if len(s.cfg.CORSOrigins) > 0 {
		h = cors.New(cors.Options{
			AllowedOrigins: s.cfg.CORSOrigins,
			AllowedMethods: connectcors.AllowedMethods(),
			AllowedHeaders: append(connectcors.AllowedHeaders(), "Authorization", RequestIDHeader),
			ExposedHeaders: append(connectcors.ExposedHeaders(), RequestIDHeader),
			MaxAge:         7200,
		}).Handler(h)
	}
	h = withBodyDeadline(h, s.cfg.BodyTimeout, s.cfg.MaxRequestBytes)
	h = withStreamWriter(h)
	h = access.TrustedProxies(s.cfg.TrustedProxies).Middleware(h)
	return withRequestID(h) // outermost: CORS answers preflights itself
}
