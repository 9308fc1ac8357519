// Package rpcclient builds the generated clients of every Tandem service
// over one of the protocols tandemd serves (Connect, gRPC, gRPC-web), with
// the caller's bearer token taken from the context, and holds the few
// sequences of calls that the tools (cmd/tandembench, cmd/tandemeval) and
// the tests share: signing in, opening a widget visitor, watching a
// workspace.
package rpcclient

import (
	"context"
	"net/http"

	"connectrpc.com/connect"

	"github.com/tandem-inbox/tandem/api/tandem/v1/tandemv1connect"
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

// New builds the generated clients of the server at url over protocol p.
func New(url string, p Protocol) Clients {
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
