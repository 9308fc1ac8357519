package server

import (
	"context"
	"time"

	"connectrpc.com/connect"

	"github.com/tandem-inbox/tandem/api/tandem/v1/tandemv1connect"
	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/config"
	"github.com/tandem-inbox/tandem/backend/internal/conversation"
	"github.com/tandem-inbox/tandem/backend/internal/limit"
)

// budget is what a public procedure's calls draw from.
type budget int

const (
	unlimited budget = iota // callers with an account: their roles bound them
	// perSession is the visitor session's widget budget (per client
	// address for a call that carries no visitor token).
	perSession
	// perSessionWrite is perSession and, for a visitor, the session's
	// budget of calls that store what agents see: a flood's messages and
	// conversations are what would swamp them and the workspace's writes.
	perSessionWrite
	// perAddress is the client address's budget of new widget sessions,
	// each of which makes a contact and an event, and then the widget's
	// workspace's, from all addresses together.
	perAddress
	// perCredential is the client address's budget of calls to the
	// procedures that check a credential, valid or not; the checks are
	// limited again by account.Service.Attempt (per address, and per
	// account and address).
	perCredential
)

// publicBudget is the budget of every procedure that a caller without an
// account reaches (its rule is ACCESS_PUBLIC or ACCESS_VISITOR), by its
// canonical name, whatever the protocol, codec or HTTP method it came by.
// Each is listed by name, so a new public procedure is unlimited until it
// is added here: TestEveryPublicProcedureLimited fails until then.
func publicBudget(procedure string) budget {
	switch procedure {
	case tandemv1connect.AuthServiceLoginProcedure,
		tandemv1connect.WorkspaceServiceAcceptInviteProcedure:
		return perCredential
	case tandemv1connect.WidgetServiceStartSessionProcedure:
		return perAddress
	case tandemv1connect.WidgetServiceStartConversationProcedure,
		tandemv1connect.WidgetServiceSendMessageProcedure,
		tandemv1connect.WidgetServiceCloseConversationProcedure,
		tandemv1connect.WidgetServiceRateConversationProcedure,
		tandemv1connect.WidgetServiceRequestHumanProcedure,
		tandemv1connect.WidgetServiceUpdateVisitorProcedure,
		tandemv1connect.WidgetServiceEmailTranscriptProcedure,
		tandemv1connect.WidgetServicePressCustomActionProcedure:
		return perSessionWrite
	case tandemv1connect.WidgetServiceGetWidgetConfigProcedure,
		tandemv1connect.WidgetServiceListMyConversationsProcedure,
		tandemv1connect.WidgetServiceListMessagesProcedure,
		tandemv1connect.WidgetServiceWatchProcedure,
		tandemv1connect.WidgetServiceSetTypingProcedure,
		tandemv1connect.WidgetServiceListCustomActionsProcedure,
		tandemv1connect.WidgetServiceMarkSeenProcedure:
		return perSession
	}
	return unlimited
}

// publicLimiter is the interceptor of the public procedures' budgets: one
// flooding visitor or address gets ResourceExhausted with Retry-After
// while everyone else is served as usual. The buckets are in limits:
// shared by the replicas on MySQL.
type publicLimiter struct {
	limits *limit.Limits
	// session, write, address, workspace and credential are the rules of
	// perSession, perSessionWrite, perAddress and perCredential.
	session, write, address, workspace, credential limit.Rule
	// spamWindow is how long a refusal marks its chat, address or website
	// as flooding (0: never).
	spamWindow time.Duration
}

func newPublicLimiter(limits *limit.Limits, cfg config.Config) *publicLimiter {
	return &publicLimiter{limits: limits, spamWindow: cfg.SpamWindow,
		session:   limit.PerSecond("widget-session", cfg.WidgetRate, cfg.WidgetBurst),
		write:     limit.PerSecond("widget-writes", writeRate(cfg), cfg.WidgetWriteBurst),
		address:   limit.PerSecond("widget-address", cfg.WidgetSessionsPerMinute/60, max(cfg.WidgetSessionBurst, 1)),
		workspace: limit.PerSecond("widget-workspace", cfg.WorkspaceSessionsPerMinute/60, max(cfg.WorkspaceSessionBurst, 1)),
		// As many calls as account.Service.Attempt allows checks.
		credential: limit.Rule{Name: "credential-calls", Every: 2 * time.Second, Burst: 30}}
}

// check takes a token for a call of procedure with request message msg
// (nil for a stream, whose message comes later), or refuses it.
func (l *publicLimiter) check(ctx context.Context, procedure string, msg any) error {
	switch b := publicBudget(procedure); b {
	case perSession, perSessionWrite:
		ip := access.ClientIP(ctx)
		p := access.PrincipalFrom(ctx)
		if p == nil || p.Kind != access.KindVisitor {
			return l.take(ctx, l.address, ip, "too many requests from this address", floodAddress(ip))
		}
		err := l.take(ctx, l.session, p.SessionID, "too many requests from this chat", floodChat(p.SessionID), floodAddress(ip))
		if err != nil || b == perSession {
			return err
		}
		return l.take(ctx, l.write, p.SessionID, "too many messages from this chat", floodChat(p.SessionID), floodAddress(ip))
	case perAddress:
		ip := access.ClientIP(ctx)
		if err := l.take(ctx, l.address, ip, "too many new chats from this address", floodAddress(ip)); err != nil {
			return err
		}
		// Keyed on the key the request names (valid or not): a flood from
		// many addresses, each under its own budget, still meets this one.
		if k, ok := msg.(interface{ GetPublicKey() string }); ok {
			return l.take(ctx, l.workspace, k.GetPublicKey(), "too many new chats on this website right now", floodWebsite(k.GetPublicKey()))
		}
		return nil
	case perCredential:
		return take(ctx, l.limits, l.credential, access.ClientIP(ctx), "too many sign-in attempts from this address")
	}
	return nil
}

// take is take under a widget rule: refused, it marks what the refusal
// found flooding, for the spam window.
func (l *publicLimiter) take(ctx context.Context, r limit.Rule, key, what string, flooding ...limit.Mark) error {
	err := take(ctx, l.limits, r, key, what)
	if err != nil && l.spamWindow > 0 {
		for _, m := range flooding {
			if m.Key != "" {
				l.limits.Mark(ctx, m, l.spamWindow)
			}
		}
	}
	return err
}

// writeRate is the rate of perSessionWrite's rule: none when the widget's
// limits are off.
func writeRate(cfg config.Config) float64 {
	if cfg.WidgetRate <= 0 {
		return 0
	}
	return cfg.WidgetWriteRate
}

// take takes a token from key's bucket under r, or answers
// ResourceExhausted with how long to wait.
func take(ctx context.Context, limits *limit.Limits, r limit.Rule, key, what string) error {
	ok, wait := limits.Take(ctx, r, key)
	if ok {
		return nil
	}
	return apperr.RetryAfter(apperr.New(apperr.ResourceExhausted, what+"; slow down and retry"), wait)
}

func (l *publicLimiter) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		if req.Spec().IsClient {
			return next(ctx, req)
		}
		if err := l.check(ctx, req.Spec().Procedure, req.Any()); err != nil {
			return nil, err
		}
		return next(ctx, req)
	}
}

func (l *publicLimiter) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

func (l *publicLimiter) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		if err := l.check(ctx, conn.Spec().Procedure, nil); err != nil {
			return err
		}
		return next(ctx, conn)
	}
}

// uploadLimit rate-limits POST /files: a visitor's upload draws from its
// session's widget bucket like any widget call, and every uploader
// (visitor, member or API key) also from an upload bucket of its own.
func uploadLimit(widget *publicLimiter, uploads limit.Rule) func(ctx context.Context, p *access.Principal) error {
	return func(ctx context.Context, p *access.Principal) error {
		if p.Kind == access.KindVisitor {
			if err := take(ctx, widget.limits, widget.session, p.SessionID, "too many requests from this chat"); err != nil {
				return err
			}
		}
		kind, id := p.Actor()
		return take(ctx, widget.limits, uploads, kind+":"+id, "too many uploads")
	}
}

// Marks of floods: a chat (visitor session), a client address or a
// website (widget key) a widget limit refused.
func floodChat(sessionID string) limit.Mark { return limit.Mark{Rule: "flood-chat", Key: sessionID} }
func floodAddress(ip string) limit.Mark     { return limit.Mark{Rule: "flood-address", Key: ip} }
func floodWebsite(key string) limit.Mark    { return limit.Mark{Rule: "flood-website", Key: key} }

// quarantine is the widget's Quarantine: why a visitor's chat is held as
// spam, or "". A chat whose session or address went over a limit within the
// spam window is; so is, while its website's new chats go over theirs, one
// of a visitor first seen within the window whose identity the website
// did not sign (a flood's fresh sessions, not the shop's known customers).
type quarantine struct {
	limiter *publicLimiter
	// website is the widget key of a workspace; visitor the contact a
	// visitor is: when first seen (unix ms) and whether its identity is
	// signed.
	website func(ctx context.Context, workspaceID string) (string, error)
	visitor func(ctx context.Context, workspaceID, contactID string) (firstSeen int64, signed bool, err error)
}

func (q quarantine) reason(ctx context.Context, p *access.Principal, newChat bool) (string, error) {
	l := q.limiter
	if l.spamWindow <= 0 || p == nil || p.Kind != access.KindVisitor {
		return "", nil
	}
	marked, err := l.limits.Marked(ctx, floodChat(p.SessionID), floodAddress(access.ClientIP(ctx)))
	switch {
	case err != nil:
		return "", err
	case marked:
		return conversation.SpamFloodVisitor, nil
	case !newChat:
		return "", nil
	}
	key, err := q.website(ctx, p.WorkspaceID)
	if err != nil {
		return "", err
	}
	if marked, err := l.limits.Marked(ctx, floodWebsite(key)); err != nil || !marked {
		return "", err
	}
	firstSeen, signed, err := q.visitor(ctx, p.WorkspaceID, p.VisitorID)
	if err != nil || signed || firstSeen < time.Now().Add(-l.spamWindow).UnixMilli() {
		return "", err
	}
	return conversation.SpamFloodWebsite, nil
}

// quarantine is the widget's spam check over the server's workspaces and
// contacts.
func (s *Server) quarantine(l *publicLimiter) quarantine {
	return quarantine{limiter: l,
		website: func(ctx context.Context, workspaceID string) (string, error) {
			w, err := s.domain.Workspaces.Get(ctx, workspaceID)
			return w.PublicKey, err
		},
		visitor: func(ctx context.Context, workspaceID, contactID string) (int64, bool, error) {
			c, err := s.domain.Contacts.Get(ctx, workspaceID, contactID)
			return c.CreatedAt, c.IdentityVerified, err
		}}
}
