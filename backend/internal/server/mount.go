package server

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"buf.build/go/protovalidate"
	"connectrpc.com/connect"
	connectcors "connectrpc.com/cors"
	"connectrpc.com/grpchealth"
	"connectrpc.com/grpcreflect"
	"connectrpc.com/validate"
	"github.com/rs/cors"
	"google.golang.org/protobuf/reflect/protoreflect"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
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
	opts, err := s.chain(authn, authz, widgetLimit)
	if err != nil {
		return err
	}
	s.mountRPC(mux, st, opts, widgetLimit)
	fh := files.NewHandler(s.domain.Files, s.links, authn, authz, func(r *http.Request, err error) {
		if apperr.KindOf(err) == apperr.Internal {
			s.logger.Error("files", "method", r.Method, "path", r.URL.Path, "err", err)
		}
	}).WithPolicy(s.filesPolicy(uploadLimit(widgetLimit, limit.PerSecond("uploads", s.cfg.UploadsPerMinute/60, s.cfg.UploadBurst))))
	fh.Register(mux)
	// The files themselves, on the files origin's own listener (filesorigin.go).
	s.filesHandler = fh.Origin()
	account.NewWebSessions(s.domain.Accounts, authn, s.logger).Register(mux) // the web app's sign-in
	if s.cfg.MailSecret != "" {                                              // the links of rating mails, signed with it
		email.NewRatingPage(s.domain.Conversations, []byte(s.cfg.MailSecret), s.logger).Register(mux)
	}
	email.NewConfirmPage(s.mailSender, s.logger).Register(mux) // the links of transcript confirmation mails (ISO-05)
	if err := s.mountWeb(mux); err != nil {
		return err
	}
	s.handler = s.middleware(mux)
	return nil
}

// chain is the RPCs' handler options: the interceptors, outermost first:
// recover (a handler option), metrics, logging and error mapping,
// authentication, public procedures' rate limits, the refusal of anonymous
// callers, stream limits, validation, authorization, and the workspace's
// share of the database's connections for writes.
//
// Validation stops at a request's first violation: a list of 100,000
// malformed items over its max_items would otherwise be checked item by
// item and answered with 100,000 violations (4 MB of error, seconds of CPU,
// and for gRPC a status header too large to send, which the client sees as
// Internal), from a request under the message cap (INP-01).
func (s *Server) chain(authn access.Authenticator, authz *access.Authorizer, widgetLimit *publicLimiter) ([]connect.HandlerOption, error) {
	validator, err := protovalidate.New(protovalidate.WithFailFast())
	if err != nil {
		return nil, fmt.Errorf("validator: %w", err)
	}
	return []connect.HandlerOption{
		connect.WithRecover(s.recovered),
		connect.WithInterceptors(
			metrics.NewRPC(s.registry).Interceptor(),
			edgeInterceptor{logger: s.logger, timeout: s.cfg.RequestTimeout},
			access.NewAuthnInterceptor(authn),
			widgetLimit,
			requirePrincipal{},
			newStreamLimiter(streamLimits{PerVisitor: s.cfg.MaxStreamsPerVisitor, PerMember: s.cfg.MaxStreamsPerMember, PerAddress: s.cfg.MaxStreamsPerAddress}),
			validate.NewInterceptor(validate.WithValidator(validator)),
			access.NewAuthzInterceptor(authz),
			tenantScope(),
		),
		connect.WithCodec(protoCodec{}),
		connect.WithReadMaxBytes(s.cfg.MaxRequestBytes),
		connect.WithCompressMinBytes(1024),
	}, nil
}

// mountRPC mounts every service's handler.
func (s *Server) mountRPC(mux *http.ServeMux, st streams, opts []connect.HandlerOption, widgetLimit *publicLimiter) {
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
		AgentName: s.agentName, Transcripts: s.mailSender, Quarantine: s.quarantine(widgetLimit).reason,
	}).WithButtons(buttons{s.domain.Automation}), opts...))
}

// mountWeb mounts the routes besides the RPCs and files: the widget, the
// first start's setup, reflection and health.
func (s *Server) mountWeb(mux *http.ServeMux) error {
	// The web chat widget (/widget.js, /widget/...) and, with --demo, the demo store at /.
	filesOrigin := s.links.Origin()
	web, err := webwidget.New(webwidget.Options{Demo: s.cfg.Demo, DemoKey: s.demoWidgetKey, FilesOrigin: filesOrigin})
	if err != nil {
		return fmt.Errorf("widget bundle: %w", err)
	}
	web.Register(mux)
	// The agent web app (/app): the desktop app's views in the browser.
	app, err := webapp.New(filesOrigin)
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
	h := withNoStore(mux)
	h = withBodyBudget(h, s.bodies, s.cfg.MaxRequestBytes)
	h = withTooLarge(h, s.cfg.MaxRequestBytes) // inside CORS: a browser must be able to read the 413
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

// withNoStore marks every RPC's answer, errors included, "Cache-Control:
// private, no-store". The answers are one principal's (their
// conversations, their workspace, who they are), and the procedures marked
// NO_SIDE_EFFECTS can be fetched with Connect GET, which a shared cache (a
// proxy or CDN in front of tandemd) would otherwise be free to store and
// serve to the next caller of the same URL. The widget bundle and the web
// app are not RPCs and keep their own caching.
func withNoStore(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rpcPath(r.URL.Path) {
			w.Header().Set("Cache-Control", "private, no-store")
		}
		next.ServeHTTP(w, r)
	})
}

// rpcPath reports whether path is a procedure's: Tandem's services, and
// gRPC's health and reflection.
func rpcPath(path string) bool {
	return strings.HasPrefix(path, "/tandem.v1.") || strings.HasPrefix(path, "/grpc.")
}

// requirePrincipal refuses a call without a credential to any procedure
// that is not ACCESS_PUBLIC, as soon as authentication found none: before
// validation (which would answer an anonymous caller InvalidArgument,
// describing the request it may not make) and, on a stream, before its
// first message is read, however large. Authorization refuses such calls
// too, further in; this makes "no handler and no check of the request runs
// without a principal" hold at the edge of the chain (AUTH-04). A
// procedure without a rule is refused here as well: authorization would
// refuse it anyway.
type requirePrincipal struct{}

func (requirePrincipal) check(ctx context.Context, spec connect.Spec) error {
	if access.PrincipalFrom(ctx) != nil {
		return nil
	}
	md, _ := spec.Schema.(protoreflect.MethodDescriptor)
	if rule := access.RuleOf(md); rule != nil && rule.GetAccess() == tandemv1.Access_ACCESS_PUBLIC {
		return nil
	}
	return access.ErrUnauthenticated
}

func (r requirePrincipal) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		if req.Spec().IsClient {
			return next(ctx, req)
		}
		if err := r.check(ctx, req.Spec()); err != nil {
			return nil, err
		}
		return next(ctx, req)
	}
}

func (requirePrincipal) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

func (r requirePrincipal) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		if err := r.check(ctx, conn.Spec()); err != nil {
			return err
		}
		return next(ctx, conn)
	}
}
