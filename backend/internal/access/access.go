// Package access authenticates callers and authorizes every RPC.
//
// Authentication turns a bearer credential (session token, API key, widget
// visitor token) into a Principal. Authorization is one interceptor for all
// procedures: it reads the procedure's declared AuthzRule, loads the target
// resource's workspace from the database, looks up the caller's role there,
// and asks casbin (RBAC with domains: domain = workspace) whether that role
// may perform the action. The database is the source of truth for
// membership, so a role change or removal applies to the very next call on
// every replica.
package access

import (
	"context"
	"fmt"
	"sync/atomic"
)

// Role is a member's role in a workspace.
type Role string

// Roles, lowest first. Each role can do what the roles below it can.
const (
	RoleAgent      Role = "agent"
	RoleSupervisor Role = "supervisor"
	RoleAdmin      Role = "admin"
	RoleOwner      Role = "owner"
)

// Rank orders roles: agent 1 ... owner 4; 0 for an unknown role.
func (r Role) Rank() int {
	switch r {
	case RoleAgent:
		return 1
	case RoleSupervisor:
		return 2
	case RoleAdmin:
		return 3
	case RoleOwner:
		return 4
	}
	return 0
}

// AtLeast reports whether r is o or above.
func (r Role) AtLeast(o Role) bool { return r.Rank() >= o.Rank() && r.Rank() > 0 }

// ParseRole checks a stored role.
func ParseRole(s string) (Role, error) {
	r := Role(s)
	if r.Rank() == 0 {
		return "", fmt.Errorf("unknown role %q", s)
	}
	return r, nil
}

// Kind is the kind of caller.
type Kind int

// Principal kinds.
const (
	KindUser Kind = iota + 1
	KindAPIKey
	KindVisitor
	// KindBot is a workspace's AI agent and KindRule an automation rule:
	// the server's own actors. No credential ever authenticates as them.
	KindBot
	KindRule
	// KindSystem is the server itself (SLA clocks, timers).
	KindSystem
)

// Principal is an authenticated caller.
type Principal struct {
	Kind Kind
	// UserID is the user behind a session (KindUser) or the creator of an API key.
	UserID string
	// SessionID is the session a KindUser principal signed in with.
	SessionID string
	// APIKeyID is set for KindAPIKey.
	APIKeyID string
	// VisitorID is set for KindVisitor.
	VisitorID string
	// WorkspaceID binds an API key or a visitor to its one workspace.
	WorkspaceID string
	// Role is an API key's role in its workspace.
	Role Role
	// ExpiresAt is when the credential stops working (unix ms).
	ExpiresAt int64
	// RuleID and Name name a KindRule or KindBot actor.
	RuleID string
	Name   string
}

// Bot is the AI agent of the workspace acting under the name.
func Bot(workspaceID, name string) *Principal {
	return &Principal{Kind: KindBot, WorkspaceID: workspaceID, Name: name}
}

// System is the server acting in a workspace under the name ("SLA").
func System(workspaceID, name string) *Principal {
	return &Principal{Kind: KindSystem, WorkspaceID: workspaceID, Name: name}
}

// Rule is the automation rule acting in its workspace.
func Rule(workspaceID, ruleID, name string) *Principal {
	return &Principal{Kind: KindRule, WorkspaceID: workspaceID, RuleID: ruleID, Name: name}
}

// Actor is the kind and the id that name the principal in the event log.
func (p *Principal) Actor() (kind, id string) {
	switch p.Kind {
	case KindAPIKey:
		return "api_key", p.APIKeyID
	case KindVisitor:
		return "visitor", p.VisitorID
	case KindBot:
		return "bot", ""
	case KindRule:
		return "rule", p.RuleID
	case KindSystem:
		return "system", ""
	default:
		return "user", p.UserID
	}
}

// Scope is what authorization established for a workspace-scoped call.
type Scope struct {
	WorkspaceID string
	Role        Role
}

type principalKey struct{}

type scopeKey struct{}

// scopeHolder lets the authorization of a stream's first message reach the
// handler, which gets its context before that message is read.
type scopeHolder struct{ scope *Scope }

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	if slot, ok := ctx.Value(callerKey{}).(*atomic.Pointer[Principal]); ok {
		slot.Store(p)
	}
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the caller, or nil for an anonymous one.
func PrincipalFrom(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}

// WithScope returns ctx carrying s.
func WithScope(ctx context.Context, s *Scope) context.Context {
	return context.WithValue(ctx, scopeKey{}, &scopeHolder{scope: s})
}

// ScopeFrom returns the authorized workspace scope of the call, or nil.
func ScopeFrom(ctx context.Context) *Scope {
	h, _ := ctx.Value(scopeKey{}).(*scopeHolder)
	if h == nil {
		return nil
	}
	return h.scope
}
