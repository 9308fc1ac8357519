package presence

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

const columns = `workspace_id, user_id, status, max_chats, skills, status_changed_at, updated_at, last_seen_at, auto_offline`

// Service manages presence.
type Service struct {
	db  *store.DB
	log *events.Log
	// roles is the workspace package's membership lookup.
	roles access.MembershipLookup
	now   func() time.Time
}

// NewService returns the presence service.
func NewService(db *store.DB, log *events.Log, roles access.MembershipLookup, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{db: db, log: log, roles: roles, now: now}
}

func get(ctx context.Context, tx *store.Tx, workspaceID, userID string) (Agent, bool, error) {
	var a Agent
	err := tx.GetContext(ctx, &a, `SELECT `+columns+` FROM agent_status WHERE workspace_id = ? AND user_id = ?`+tx.Dialect.ForUpdate(),
		workspaceID, userID)
	if store.ErrNoRows(err) {
		return offline(workspaceID, userID), false, nil
	}
	return a, err == nil, err
}

func save(ctx context.Context, tx *store.Tx, a Agent, exists bool) error {
	if exists {
		_, err := tx.ExecContext(ctx, `UPDATE agent_status SET status = ?, max_chats = ?, skills = ?, status_changed_at = ?, updated_at = ?,
			last_seen_at = ?, auto_offline = ? WHERE workspace_id = ? AND user_id = ?`, a.Status, a.MaxChats, a.SkillsText,
			a.StatusChangedAt, a.UpdatedAt, a.LastSeenAt, a.AutoOffline, a.WorkspaceID, a.UserID)
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO agent_status (`+columns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.WorkspaceID, a.UserID, a.Status, a.MaxChats, a.SkillsText, a.StatusChangedAt, a.UpdatedAt, a.LastSeenAt, a.AutoOffline)
	return err
}

func (s *Service) appendEvent(ctx context.Context, tx *store.Tx, actor *access.Principal, typ events.Type, a Agent) error {
	kind, id := actor.Actor()
	return s.record(ctx, tx, kind, id, typ, a, "")
}

// record appends a presence event; reason says why the system changed a
// status ("inactive", "reconnected").
func (s *Service) record(ctx context.Context, tx *store.Tx, kind, id string, typ events.Type, a Agent, reason string) error {
	data := map[string]any{"user_id": a.UserID, "status": a.Status, "max_chats": a.MaxChats, "skills": a.Skills()}
	if reason != "" {
		data["reason"] = reason
	}
	payload, _ := json.Marshal(data)
	return s.log.Append(ctx, tx, &events.Event{WorkspaceID: a.WorkspaceID, Type: typ, ActorKind: kind, ActorID: id,
		Visibility: events.Agents, Payload: payload})
}

// SetStatus sets the user's status in the workspace.
func (s *Service) SetStatus(ctx context.Context, p *access.Principal, workspaceID string, status Status) (Agent, error) {
	if p.Kind != access.KindUser {
		return Agent{}, apperr.New(apperr.FailedPrecondition, "only a signed-in person has a presence")
	}
	var a Agent
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var (
			exists bool
			err    error
		)
		if a, exists, err = get(ctx, tx, workspaceID, p.UserID); err != nil {
			return fmt.Errorf("load presence: %w", err)
		}
		now := store.NowMillis(s.now())
		a.LastSeenAt = now // whoever sets a status is there
		if exists && a.Status == status && !a.AutoOffline {
			return save(ctx, tx, a, exists)
		}
		a.Status, a.StatusChangedAt, a.UpdatedAt, a.AutoOffline = status, now, now, false
		if err := save(ctx, tx, a, exists); err != nil {
			return fmt.Errorf("save presence: %w", err)
		}
		return s.appendEvent(ctx, tx, p, events.PresenceChanged, a)
	})
	return a, err
}

// SetSettings sets an agent's capacity and skills: one's own, or anyone's
// for supervisors and up.
func (s *Service) SetSettings(ctx context.Context, p *access.Principal, scope *access.Scope, userID string, maxChats int, skills []string) (Agent, error) {
	if userID == "" {
		userID = p.UserID
	}
	if userID != p.UserID || p.Kind != access.KindUser {
		if !scope.Role.AtLeast(access.RoleSupervisor) {
			return Agent{}, apperr.New(apperr.PermissionDenied, "only supervisors can change another agent's capacity or skills")
		}
		if _, err := s.roles(ctx, scope.WorkspaceID, userID); apperr.Is(err, apperr.NotFound) {
			return Agent{}, apperr.Invalid("user_id", "is not a member of this workspace")
		} else if err != nil {
			return Agent{}, err
		}
	}
	var a Agent
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var (
			exists bool
			err    error
		)
		if a, exists, err = get(ctx, tx, scope.WorkspaceID, userID); err != nil {
			return fmt.Errorf("load presence: %w", err)
		}
		a.MaxChats, a.SkillsText, a.UpdatedAt = maxChats, strings.Join(skills, ","), store.NowMillis(s.now())
		if !exists {
			a.StatusChangedAt = a.UpdatedAt
		}
		if err := save(ctx, tx, a, exists); err != nil {
			return fmt.Errorf("save agent settings: %w", err)
		}
		return s.appendEvent(ctx, tx, p, events.AgentSettingsChanged, a)
	})
	return a, err
}

// All returns the stored presence of the workspace's agents, by user id;
// members missing from it are offline with the default capacity.
func (s *Service) All(ctx context.Context, workspaceID string) (map[string]Agent, error) {
	var as []Agent
	if err := s.db.SelectContext(ctx, &as, `SELECT `+columns+` FROM agent_status WHERE workspace_id = ?`, workspaceID); err != nil {
		return nil, fmt.Errorf("list presence: %w", err)
	}
	out := make(map[string]Agent, len(as))
	for _, a := range as {
		out[a.UserID] = a
	}
	return out, nil
}

// Online reports whether the member is online in the workspace.
func (s *Service) Online(ctx context.Context, workspaceID, userID string) (bool, error) {
	var status Status
	err := s.db.GetContext(ctx, &status, `SELECT status FROM agent_status WHERE workspace_id = ? AND user_id = ?`, workspaceID, userID)
	if store.ErrNoRows(err) {
		return false, nil
	}
	return status == Online, err
}

// OnlineCount counts the workspace's agents online now.
func (s *Service) OnlineCount(ctx context.Context, workspaceID string) (int, error) {
	var n int
	err := s.db.GetContext(ctx, &n, `SELECT COUNT(*) FROM agent_status WHERE workspace_id = ? AND status = 'online'`, workspaceID)
	return n, err
}
