// Package apiclient talks to one Tandem server for the desktop app: the
// generated Connect clients of every service the app uses, over an HTTP
// client with timeouts, with the session token on every call. Errors come
// back as *Error, typed and in plain words (see errors.go).
package apiclient

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"connectrpc.com/connect"

	"github.com/tandem-inbox/tandem/api/tandem/v1/tandemv1connect"
)

// UnaryTimeout bounds every unary call that has no earlier deadline.
const UnaryTimeout = 20 * time.Second

// Client holds one server's service clients.
type Client struct {
	Auth          tandemv1connect.AuthServiceClient
	Workspaces    tandemv1connect.WorkspaceServiceClient
	Conversations tandemv1connect.ConversationServiceClient
	Contacts      tandemv1connect.ContactServiceClient
	Canned        tandemv1connect.CannedResponseServiceClient
	Tags          tandemv1connect.TagServiceClient
	Presence      tandemv1connect.PresenceServiceClient
	Notifications tandemv1connect.NotificationServiceClient
	Stats         tandemv1connect.StatsServiceClient
	Bot           tandemv1connect.BotServiceClient
	Knowledge     tandemv1connect.KnowledgeServiceClient
	Email         tandemv1connect.EmailServiceClient
	Automation    tandemv1connect.AutomationServiceClient

	base  string
	http  *http.Client
	token func() string
	ua    string
}

// Options tune a Client.
type Options struct {
	// Token returns the bearer token for each call; empty sends none.
	Token func() string
	// Transport replaces the default HTTP transport (tests use it to
	// drop responses).
	Transport http.RoundTripper
	// UserAgent names the app in requests.
	UserAgent string
}

// New returns a client for the server at base, such as
// "https://tandem.example.com" or "http://127.0.0.1:8080".
func New(base string, opts Options) (*Client, error) {
	u, err := NormalizeURL(base)
	if err != nil {
		return nil, err
	}
	rt := opts.Transport
	if rt == nil {
		rt = newTransport()
	}
	// No overall Timeout: it would cut the Watch stream. Unary calls get
	// UnaryTimeout from the interceptor; streams watch their own idleness.
	hc := &http.Client{Transport: rt}
	o := []connect.ClientOption{connect.WithInterceptors(&interceptor{token: opts.Token, userAgent: opts.UserAgent})}
	return &Client{
		Auth:          tandemv1connect.NewAuthServiceClient(hc, u, o...),
		Workspaces:    tandemv1connect.NewWorkspaceServiceClient(hc, u, o...),
		Conversations: tandemv1connect.NewConversationServiceClient(hc, u, o...),
		Contacts:      tandemv1connect.NewContactServiceClient(hc, u, o...),
		Canned:        tandemv1connect.NewCannedResponseServiceClient(hc, u, o...),
		Tags:          tandemv1connect.NewTagServiceClient(hc, u, o...),
		Presence:      tandemv1connect.NewPresenceServiceClient(hc, u, o...),
		Notifications: tandemv1connect.NewNotificationServiceClient(hc, u, o...),
		Stats:         tandemv1connect.NewStatsServiceClient(hc, u, o...),
		Bot:           tandemv1connect.NewBotServiceClient(hc, u, o...),
		Knowledge:     tandemv1connect.NewKnowledgeServiceClient(hc, u, o...),
		Email:         tandemv1connect.NewEmailServiceClient(hc, u, o...),
		Automation:    tandemv1connect.NewAutomationServiceClient(hc, u, o...),
		base:          u, http: hc, token: opts.Token, ua: opts.UserAgent,
	}, nil
}

// BaseURL is the server's normalized address.
func (c *Client) BaseURL() string { return c.base }

// NormalizeURL checks a server address typed by a person and returns it
// without a trailing slash: http or https, a host, no query or fragment.
// A bare host ("tandem.example.com") means https.
func NormalizeURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", invalid("Enter the address of your Tandem server.")
	}
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "", invalid("That server address doesn't look right. Use something like https://tandem.example.com.")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", invalid("The server address must start with https:// (or http:// for a server on this machine or network).")
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", invalid("The server address must not contain a user name, a query or a fragment.")
	}
	return strings.TrimRight(u.Scheme+"://"+u.Host+u.Path, "/"), nil
}

func newTransport() *http.Transport {
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   10 * time.Second,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
		MaxIdleConnsPerHost:   8,
	}
}

// interceptor sets the token and user agent on every call and a deadline on
// unary calls.
type interceptor struct {
	token     func() string
	userAgent string
}

func (i *interceptor) header(h http.Header) {
	if i.userAgent != "" {
		h.Set("User-Agent", i.userAgent)
	}
	if i.token != nil {
		if t := i.token(); t != "" {
			h.Set("Authorization", "Bearer "+t)
		}
	}
}

func (i *interceptor) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		i.header(req.Header())
		if _, ok := ctx.Deadline(); !ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, UnaryTimeout)
			defer cancel()
		}
		res, err := next(ctx, req)
		if err != nil {
			return nil, From(err)
		}
		return res, nil
	}
}

func (i *interceptor) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return func(ctx context.Context, spec connect.Spec) connect.StreamingClientConn {
		conn := next(ctx, spec)
		i.header(conn.RequestHeader())
		return conn
	}
}

func (i *interceptor) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return next
}
