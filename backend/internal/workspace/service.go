package workspace

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/account"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/naming"
	"github.com/tandem-inbox/tandem/backend/internal/page"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// InviteTTL is how long an invitation stays valid.
const InviteTTL = 7 * 24 * time.Hour

// Options tune the service.
type Options struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// MaxOwnedWorkspaces caps the workspaces one user may own when creating
	// another; 0 means DefaultMaxOwnedWorkspaces.
	MaxOwnedWorkspaces int
	// WidgetSecretGrace is how long a rotated widget secret stays valid
	// (tandemd's default is a day); 0 retires it at once.
	WidgetSecretGrace time.Duration
}

// DefaultMaxOwnedWorkspaces is how many workspaces a user may own unless
// configured otherwise.
const DefaultMaxOwnedWorkspaces = 20

// Service manages workspaces, members, invitations and groups.
type Service struct {
	db       *store.DB
	log      *events.Log
	accounts *account.Service
	now      func() time.Time
	maxOwned int
	failures *inviteFailures
	// secretGrace is Options.WidgetSecretGrace.
	secretGrace time.Duration
}

// NewService returns the workspace service.
func NewService(db *store.DB, log *events.Log, accounts *account.Service, opts Options) *Service {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxOwnedWorkspaces <= 0 {
		opts.MaxOwnedWorkspaces = DefaultMaxOwnedWorkspaces
	}
	return &Service{db: db, log: log, accounts: accounts, now: opts.Now, maxOwned: opts.MaxOwnedWorkspaces,
		failures: newInviteFailures(), secretGrace: opts.WidgetSecretGrace}
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// appendEvent records a workspace event in tx.
func (s *Service) appendEvent(ctx context.Context, tx *store.Tx, workspaceID string, actor *access.Principal, typ events.Type, vis events.Visibility, payload any) error {
	b, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("encode %s: %w", typ, err)
	}
	kind, id := events.ActorSystem, ""
	if actor != nil {
		kind, id = actor.Actor()
	}
	return s.log.Append(ctx, tx, &events.Event{WorkspaceID: workspaceID, Type: typ, ActorKind: kind, ActorID: id,
		Visibility: vis, Payload: b})
}

// Create makes a workspace owned by the user, who may own at most the
// configured number of workspaces.
func (s *Service) Create(ctx context.Context, actor *access.Principal, name string) (Workspace, error) {
	if err := naming.Check("name", name); err != nil {
		return Workspace{}, err
	}
	var w Workspace
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		w, err = s.createTx(ctx, tx, actor, name)
		return err
	})
	return w, err
}

// createTx makes the workspace owned by the actor in the caller's
// transaction.
func (s *Service) createTx(ctx context.Context, tx *store.Tx, actor *access.Principal, name string) (Workspace, error) {
	now := store.NowMillis(s.now())
	w := Workspace{ID: uuid.NewString(), Name: name, PublicKey: "pk_" + randomHex(16), Widget: DefaultWidget(),
		WidgetSecret: randomHex(32), CreatedAt: now, UpdatedAt: now}
	owned, err := ownedCount(ctx, tx, actor.UserID)
	if err != nil {
		return w, fmt.Errorf("count owned workspaces: %w", err)
	}
	if owned >= s.maxOwned {
		return w, apperr.Newf(apperr.ResourceExhausted, "you own %s, the most allowed; delete or hand one over first", naming.Count(owned, "workspace"))
	}
	if err := insertWorkspace(ctx, tx, &w); err != nil {
		return w, fmt.Errorf("insert workspace: %w", err)
	}
	if err := insertMember(ctx, tx, w.ID, actor.UserID, access.RoleOwner, now); err != nil {
		return w, fmt.Errorf("insert owner: %w", err)
	}
	if err := s.appendEvent(ctx, tx, w.ID, actor, events.WorkspaceCreated, events.Agents, map[string]string{"name": name}); err != nil {
		return w, err
	}
	return w, s.appendEvent(ctx, tx, w.ID, actor, events.MemberAdded, events.Agents,
		map[string]string{"user_id": actor.UserID, "role": string(access.RoleOwner)})
}

// List pages through the workspaces the principal belongs to: a user's
// memberships, or an API key's one workspace.
func (s *Service) List(ctx context.Context, p *access.Principal, size int32, token string) ([]Workspace, string, error) {
	if p.Kind == access.KindAPIKey {
		if token != "" {
			return nil, "", nil
		}
		w, err := s.Get(ctx, p.WorkspaceID)
		if err != nil {
			return nil, "", err
		}
		return []Workspace{w}, "", nil
	}
	var (
		afterCreated int64
		afterID      string
	)
	if _, err := page.Decode(token, &afterCreated, &afterID); err != nil {
		return nil, "", err
	}
	limit := page.Size(size)
	ws, err := workspacesOfUser(ctx, s.db, p.UserID, afterCreated, afterID, limit+1)
	if err != nil {
		return nil, "", fmt.Errorf("list workspaces: %w", err)
	}
	ws, next := page.Cut(ws, limit, func(w Workspace) []any { return []any{w.CreatedAt, w.ID} })
	return ws, next, nil
}

// Get returns a workspace.
func (s *Service) Get(ctx context.Context, id string) (Workspace, error) {
	w, err := workspaceByID(ctx, s.db, id)
	if store.ErrNoRows(err) {
		return Workspace{}, apperr.ErrNotFound
	}
	if err != nil {
		return Workspace{}, fmt.Errorf("get workspace: %w", err)
	}
	return w, nil
}

// Update changes a workspace's settings; nil fields stay as they are.
func (s *Service) Update(ctx context.Context, actor *access.Principal, id string, name *string, widget *WidgetSettings) (Workspace, error) {
	var w Workspace
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if w, err = workspaceByID(ctx, tx, id); err != nil {
			return fmt.Errorf("get workspace: %w", err)
		}
		before := w
		if name != nil {
			if err := naming.Check("name", *name); err != nil {
				return err
			}
			w.Name = *name
		}
		if widget != nil {
			if widget.AskEmailAfterMinutes < 0 || widget.AskEmailAfterMinutes > 24*60 {
				return apperr.Invalid("widget.ask_email_after_minutes", "must be from 0 to 1440")
			}
			w.Widget = *widget
		}
		if w.Name == before.Name && w.Widget == before.Widget {
			return nil
		}
		w.UpdatedAt = store.NowMillis(s.now())
		if err := updateWorkspace(ctx, tx, &w); err != nil {
			return fmt.Errorf("update workspace: %w", err)
		}
		return s.appendEvent(ctx, tx, id, actor, events.WorkspaceUpdated, events.Agents, map[string]string{"name": w.Name})
	})
	return w, err
}

// Members pages through a workspace's members.
func (s *Service) Members(ctx context.Context, workspaceID string, size int32, token string) ([]Member, string, error) {
	var (
		afterCreated int64
		afterID      string
	)
	if _, err := page.Decode(token, &afterCreated, &afterID); err != nil {
		return nil, "", err
	}
	limit := page.Size(size)
	ms, err := membersPage(ctx, s.db, workspaceID, afterCreated, afterID, limit+1)
	if err != nil {
		return nil, "", fmt.Errorf("list members: %w", err)
	}
	ms, next := page.Cut(ms, limit, func(m Member) []any { return []any{m.CreatedAt, m.UserID} })
	return ms, next, nil
}

// UpdateMemberRole changes a member's role. Nobody grants above their own
// role or changes a member who outranks them, and the last owner stays.
func (s *Service) UpdateMemberRole(ctx context.Context, actor *access.Principal, scope *access.Scope, userID string, role access.Role) (Member, error) {
	if role.Rank() > scope.Role.Rank() {
		return Member{}, ErrRoleTooHigh
	}
	var m Member
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		owners, err := lockOwners(ctx, tx, scope.WorkspaceID)
		if err != nil {
			return fmt.Errorf("count owners: %w", err)
		}
		if m, err = memberOf(ctx, tx, scope.WorkspaceID, userID, tx.Dialect.ForUpdate()); store.ErrNoRows(err) {
			return apperr.ErrNotFound
		} else if err != nil {
			return fmt.Errorf("get member: %w", err)
		}
		if m.Role.Rank() > scope.Role.Rank() {
			return ErrOutranked
		}
		if m.Role == role {
			return nil
		}
		if m.Role == access.RoleOwner && owners <= 1 {
			return ErrLastOwner
		}
		if err := setMemberRole(ctx, tx, scope.WorkspaceID, userID, role); err != nil {
			return fmt.Errorf("set role: %w", err)
		}
		from := m.Role
		m.Role = role
		return s.appendEvent(ctx, tx, scope.WorkspaceID, actor, events.MemberRoleChanged, events.Agents,
			map[string]string{"user_id": userID, "from": string(from), "role": string(role)})
	})
	return m, err
}

// RemoveMember removes a member (and their group memberships) from the
// workspace; their sessions lose access to it on the next call.
func (s *Service) RemoveMember(ctx context.Context, actor *access.Principal, scope *access.Scope, userID string) error {
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		owners, err := lockOwners(ctx, tx, scope.WorkspaceID)
		if err != nil {
			return fmt.Errorf("count owners: %w", err)
		}
		m, err := memberOf(ctx, tx, scope.WorkspaceID, userID, tx.Dialect.ForUpdate())
		if store.ErrNoRows(err) {
			return apperr.ErrNotFound
		} else if err != nil {
			return fmt.Errorf("get member: %w", err)
		}
		if m.Role.Rank() > scope.Role.Rank() {
			return ErrOutranked
		}
		if m.Role == access.RoleOwner && owners <= 1 {
			return ErrLastOwner
		}
		if err := deleteMember(ctx, tx, scope.WorkspaceID, userID); err != nil {
			return fmt.Errorf("delete member: %w", err)
		}
		return s.appendEvent(ctx, tx, scope.WorkspaceID, actor, events.MemberRemoved, events.Agents,
			map[string]string{"user_id": userID})
	})
}

// Role returns an enabled user's role in a workspace, or NotFound when the
// user is not a member: the access layer's membership lookup.
func (s *Service) Role(ctx context.Context, workspaceID, userID string) (access.Role, error) {
	r, err := liveRole(ctx, s.db, workspaceID, userID)
	if store.ErrNoRows(err) {
		return "", apperr.ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("member role: %w", err)
	}
	return access.ParseRole(string(r))
}

// LiveMembers returns which of the users are members of the workspace and
// not disabled (account.StreamGuard asks for all of a replica's streams at
// once).
func (s *Service) LiveMembers(ctx context.Context, workspaceID string, userIDs []string) (map[string]bool, error) {
	found, err := store.FoundIn(ctx, s.db, `SELECT m.user_id FROM members m JOIN users u ON u.id = m.user_id
		WHERE m.workspace_id = ? AND u.disabled_at = 0 AND m.user_id IN (%s)`, userIDs, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("live members: %w", err)
	}
	return found, nil
}

// Memberships lists a user's workspaces and roles.
func (s *Service) Memberships(ctx context.Context, userID string) ([]account.Membership, error) {
	rows, err := membershipsOfUser(ctx, s.db, userID)
	if err != nil {
		return nil, fmt.Errorf("memberships: %w", err)
	}
	out := make([]account.Membership, len(rows))
	for i, r := range rows {
		out[i] = account.Membership{WorkspaceID: r.WorkspaceID, WorkspaceName: r.WorkspaceName, Role: r.Role}
	}
	return out, nil
}

// WorkspaceOf resolves a workspace id to itself when it exists, for authorization.
func (s *Service) WorkspaceOf(ctx context.Context, id string) (string, error) {
	w, err := s.Get(ctx, id)
	return w.ID, err
}

// ByPublicKey returns the workspace whose widget key this is.
func (s *Service) ByPublicKey(ctx context.Context, key string) (Workspace, error) {
	var w Workspace
	err := s.db.GetContext(ctx, &w, `SELECT `+workspaceColumns+` FROM workspaces WHERE public_key = ?`, key)
	if store.ErrNoRows(err) {
		return Workspace{}, apperr.ErrNotFound
	}
	if err != nil {
		return Workspace{}, fmt.Errorf("workspace by key: %w", err)
	}
	return w, nil
}

// AllMembers lists every member of the workspace, oldest first.
func (s *Service) AllMembers(ctx context.Context, workspaceID string) ([]Member, error) {
	var ms []Member
	if err := s.db.SelectContext(ctx, &ms, memberSelect+` WHERE m.workspace_id = ? ORDER BY m.created_at, m.user_id`, workspaceID); err != nil {
		return nil, fmt.Errorf("list members: %w", err)
	}
	return ms, nil
}
