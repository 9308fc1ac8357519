package access

import (
	"context"
	_ "embed"
	"encoding/csv"
	"fmt"
	"strings"
	"sync"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
	"github.com/casbin/casbin/v2/util"

	"github.com/tandem-inbox/tandem/backend/internal/apperr"
)

//go:embed model.conf
var modelText string

//go:embed policy.csv
var policyText string

// ResourceResolver returns the workspace that owns the resource with the id,
// or apperr.ErrNotFound.
type ResourceResolver func(ctx context.Context, id string) (workspaceID string, err error)

// MembershipLookup returns a user's role in a workspace, or
// apperr.ErrNotFound when the user is not a member (or is disabled).
type MembershipLookup func(ctx context.Context, workspaceID, userID string) (Role, error)

// VisitorCheck reports whether a visitor (a contact of the workspace) may
// use the resource with the id: apperr.ErrNotFound when it is not theirs.
type VisitorCheck func(ctx context.Context, workspaceID, contactID, id string) error

// Authorizer decides whether a principal may act on a resource.
type Authorizer struct {
	enforcer   *casbin.Enforcer
	membership MembershipLookup

	mu        sync.RWMutex
	resolvers map[string]ResourceResolver
	visitors  map[string]VisitorCheck
}

// NewAuthorizer builds the casbin enforcer from the embedded model and policy.
func NewAuthorizer(membership MembershipLookup) (*Authorizer, error) {
	m, err := model.NewModelFromString(modelText)
	if err != nil {
		return nil, fmt.Errorf("casbin model: %w", err)
	}
	e, err := casbin.NewEnforcer(m)
	if err != nil {
		return nil, fmt.Errorf("casbin enforcer: %w", err)
	}
	e.AddNamedDomainMatchingFunc("g", "keyMatch", util.KeyMatch)
	r := csv.NewReader(strings.NewReader(policyText))
	r.FieldsPerRecord = -1 // "g" lines have three fields, "p" lines four
	rows, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("casbin policy: %w", err)
	}
	for _, row := range rows {
		for i := range row {
			row[i] = strings.TrimSpace(row[i])
		}
		switch row[0] {
		case "p":
			_, err = e.AddPolicy(row[1], row[2], row[3], row[4])
		case "g":
			_, err = e.AddGroupingPolicy(row[1], row[2], row[3])
		default:
			err = fmt.Errorf("unknown policy line %q", row[0])
		}
		if err != nil {
			return nil, fmt.Errorf("casbin policy: %w", err)
		}
	}
	return &Authorizer{enforcer: e, membership: membership, resolvers: map[string]ResourceResolver{},
		visitors: map[string]VisitorCheck{}}, nil
}

// Register names the resolver for a resource kind. Each domain registers the
// kinds it owns when the server is composed.
func (a *Authorizer) Register(resource string, r ResourceResolver) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.resolvers[resource] = r
}

// RegisterVisitor names the ownership check of a resource kind widget
// visitors may use.
func (a *Authorizer) RegisterVisitor(resource string, c VisitorCheck) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.visitors[resource] = c
}

// AuthorizeVisitor checks that the visitor's own workspace holds the
// resource and that it is theirs.
func (a *Authorizer) AuthorizeVisitor(ctx context.Context, p *Principal, resource, id string) error {
	a.mu.RLock()
	check := a.visitors[resource]
	a.mu.RUnlock()
	if check == nil {
		return fmt.Errorf("no visitor check for resource %q", resource)
	}
	return check(ctx, p.WorkspaceID, p.VisitorID, id)
}

// Allowed reports whether role may perform act on obj in the workspace.
func (a *Authorizer) Allowed(role Role, workspaceID, obj, act string) (bool, error) {
	return a.enforcer.Enforce("role:"+string(role), workspaceID, obj, act)
}

// Authorize resolves the target's workspace and the principal's role there
// and enforces the policy. Outsiders get NotFound, the same answer as for a
// missing object; members whose role is too low get PermissionDenied.
func (a *Authorizer) Authorize(ctx context.Context, p *Principal, resource, id, action string) (*Scope, error) {
	a.mu.RLock()
	resolve := a.resolvers[resource]
	a.mu.RUnlock()
	if resolve == nil {
		return nil, fmt.Errorf("no resolver for resource %q", resource)
	}
	workspaceID, err := resolve(ctx, id)
	if err != nil {
		return nil, err
	}
	var role Role
	switch p.Kind {
	case KindAPIKey:
		if p.WorkspaceID != workspaceID {
			return nil, apperr.ErrNotFound
		}
		// An API key acts with its own role, but never above its creator's
		// current one: demoting or removing the creator demotes the key.
		creatorRole, err := a.membership(ctx, workspaceID, p.UserID)
		if err != nil {
			return nil, err
		}
		role = p.Role
		if creatorRole.Rank() < role.Rank() {
			role = creatorRole
		}
	case KindUser:
		if role, err = a.membership(ctx, workspaceID, p.UserID); err != nil {
			return nil, err
		}
	default:
		return nil, apperr.ErrNotFound
	}
	ok, err := a.Allowed(role, workspaceID, resource, action)
	if err != nil {
		return nil, fmt.Errorf("enforce: %w", err)
	}
	if !ok {
		return nil, apperr.New(apperr.PermissionDenied, deniedText(role, resource, action))
	}
	return &Scope{WorkspaceID: workspaceID, Role: role}, nil
}

// deniedText says in plain words what the role may not do: "your role
// (agent) may not manage knowledge in this workspace", "... may not reply
// to this conversation", "... may not manage this SLA policy".
func deniedText(role Role, resource, action string) string {
	what, ok := deniedActions[action]
	if !ok {
		what = strings.ReplaceAll(action, "_", " ")
	}
	noun, ok := deniedNouns[resource]
	if !ok {
		noun = strings.ReplaceAll(resource, "_", " ")
	}
	if resource == "workspace" && strings.Contains(action, "_") {
		// An action on what the workspace holds: "manage tags in this workspace".
		return fmt.Sprintf("your role (%s) may not %s in this %s", role, what, noun)
	}
	return fmt.Sprintf("your role (%s) may not %s this %s", role, what, noun)
}

// deniedActions and deniedNouns spell out the authz rules' actions and
// resources where their names alone do not read as English.
var (
	deniedActions = map[string]string{ //nolint:gochecknoglobals,gosec // constant tables; G101: words, not credentials
		"reply":                "reply to",
		"manage_api_keys":      "manage API keys",
		"manage_bot":           "manage the AI agent",
		"manage_email":         "manage email inboxes",
		"manage_sla":           "manage SLA policies",
		"manage_widget_secret": "manage the widget secret",
	}
	deniedNouns = map[string]string{ //nolint:gochecknoglobals // constant tables
		"api_key":    "API key",
		"sla_policy": "SLA policy",
	}
)
