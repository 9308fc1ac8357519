// Package sla runs service-level clocks. A conversation gets the first
// policy (by position) matching its priority and channel when it reaches
// the team (it
// starts in the queue, or the AI agent hands it off), with absolute UTC
// deadlines for the first response, the next response (from the oldest
// unanswered customer message) and the resolution, counted in business
// hours when the policy says so. Warnings and breaches are timer rows that
// one replica claims and fires exactly once, even after every replica was
// down at the due instant; each target's outcome is kept on the
// conversation (conversation.SetSLA): met when settled in time, missed at
// the breach itself (in the breach's own commit), never counted twice.
//
// Tables owned: sla_policies, business_hours, sla_timers, followup_settings.
// Events emitted: sla.policy_changed, sla.hours_changed, sla.warning,
// sla.breach (and, through conversations, conversation.sla_updated).
package sla

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/conversation"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// Targets.
const (
	FirstResponse = "first_response"
	NextResponse  = "next_response"
	Resolution    = "resolution"
)

// Outcomes.
const (
	Met    = "met"
	Missed = "missed"
)

// ReactorName names the SLA reactor (its cursors).
const ReactorName = "sla"

// Policy is a service-level policy.
type Policy struct {
	ID             string `db:"id"`
	WorkspaceID    string `db:"workspace_id"`
	Name           string `db:"name"`
	PrioritiesText string `db:"priorities"`
	ChannelsText   string `db:"channels"`
	Position       int    `db:"position"`
	FirstResponse  int64  `db:"first_response_seconds"`
	NextResponse   int64  `db:"next_response_seconds"`
	Resolution     int64  `db:"resolution_seconds"`
	WarningPercent int    `db:"warning_percent"`
	BusinessHours  bool   `db:"business_hours"`
	CreatedAt      int64  `db:"created_at"`
	UpdatedAt      int64  `db:"updated_at"`
}

// Priorities lists the priorities the policy matches (none: any).
func (p Policy) Priorities() []string {
	if p.PrioritiesText == "" {
		return nil
	}
	return strings.Split(p.PrioritiesText, ",")
}

// Channels lists the channels the policy matches (none: any).
func (p Policy) Channels() []string {
	if p.ChannelsText == "" {
		return nil
	}
	return strings.Split(p.ChannelsText, ",")
}

// matches reports whether the policy applies to a conversation: its
// priority and its channel are among the policy's, or the policy names
// none.
func (p Policy) matches(c conversation.Conversation) bool {
	return (p.PrioritiesText == "" || slices.Contains(p.Priorities(), c.Priority)) &&
		(p.ChannelsText == "" || slices.Contains(p.Channels(), c.Channel))
}

// Service runs the SLA clocks.
type Service struct {
	db     *store.DB
	log    *events.Log
	convs  *conversation.Service
	logger *slog.Logger
	now    func() time.Time
}

// NewService returns the SLA service.
func NewService(db *store.DB, log *events.Log, convs *conversation.Service, logger *slog.Logger) *Service {
	return &Service{db: db, log: log, convs: convs, logger: logger, now: time.Now}
}

// SetClock replaces the clock that decides which timers are due: for tests
// and tools, before the service runs.
func (s *Service) SetClock(now func() time.Time) { s.now = now }

const policyColumns = `id, workspace_id, name, priorities, channels, position, first_response_seconds, next_response_seconds,
	resolution_seconds, warning_percent, business_hours, created_at, updated_at`

// Policies lists the workspace's policies in the order they are tried.
func (s *Service) Policies(ctx context.Context, workspaceID string) ([]Policy, error) {
	var ps []Policy
	err := s.db.SelectContext(ctx, &ps, `SELECT `+policyColumns+` FROM sla_policies WHERE workspace_id = ? ORDER BY position, created_at, id`, workspaceID)
	return ps, err
}

// WorkspaceOf resolves a policy to its workspace, for authorization.
func (s *Service) WorkspaceOf(ctx context.Context, id string) (string, error) {
	var ws string
	err := s.db.GetContext(ctx, &ws, `SELECT workspace_id FROM sla_policies WHERE id = ?`, id)
	if store.ErrNoRows(err) {
		return "", apperr.ErrNotFound
	}
	return ws, err
}

// Save creates (empty id) or replaces a policy.
func (s *Service) Save(ctx context.Context, actor *access.Principal, workspaceID string, p Policy) (Policy, error) {
	p.Name = strings.TrimSpace(p.Name)
	if p.Name == "" {
		return Policy{}, apperr.Invalid("policy.name", "is required")
	}
	if p.FirstResponse == 0 && p.NextResponse == 0 && p.Resolution == 0 {
		return Policy{}, apperr.Invalid("policy", "set at least one target")
	}
	now := store.NowMillis(s.now())
	p.WorkspaceID, p.UpdatedAt = workspaceID, now
	// Decided once, outside the transaction: a retried attempt (after a
	// deadlock) must insert again, not update the row the first one rolled back.
	create := p.ID == ""
	if create {
		p.ID, p.CreatedAt = uuid.NewString(), now
	}
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if create {
			_, err = tx.ExecContext(ctx, `INSERT INTO sla_policies (`+policyColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				p.ID, p.WorkspaceID, p.Name, p.PrioritiesText, p.ChannelsText, p.Position, p.FirstResponse, p.NextResponse, p.Resolution,
				p.WarningPercent, p.BusinessHours, p.CreatedAt, p.UpdatedAt)
		} else {
			_, err = tx.ExecContext(ctx, `UPDATE sla_policies SET name = ?, priorities = ?, channels = ?, position = ?, first_response_seconds = ?,
				next_response_seconds = ?, resolution_seconds = ?, warning_percent = ?, business_hours = ?, updated_at = ? WHERE id = ?`,
				p.Name, p.PrioritiesText, p.ChannelsText, p.Position, p.FirstResponse, p.NextResponse, p.Resolution, p.WarningPercent,
				p.BusinessHours, p.UpdatedAt, p.ID)
		}
		if err != nil {
			return fmt.Errorf("save policy: %w", err)
		}
		return s.appendEvent(ctx, tx, actor, workspaceID, events.SLAPolicyChanged, map[string]string{"policy_id": p.ID, "name": p.Name})
	})
	if err != nil {
		return Policy{}, err
	}
	return s.policy(ctx, p.ID)
}

func (s *Service) policy(ctx context.Context, id string) (Policy, error) {
	var p Policy
	err := s.db.GetContext(ctx, &p, `SELECT `+policyColumns+` FROM sla_policies WHERE id = ?`, id)
	if store.ErrNoRows(err) {
		return Policy{}, apperr.ErrNotFound
	}
	return p, err
}

// Delete removes a policy; conversations keep their running clocks.
func (s *Service) Delete(ctx context.Context, actor *access.Principal, workspaceID, id string) error {
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sla_policies WHERE id = ?`, id); err != nil {
			return fmt.Errorf("delete policy: %w", err)
		}
		return s.appendEvent(ctx, tx, actor, workspaceID, events.SLAPolicyChanged, map[string]string{"policy_id": id, "deleted": "true"})
	})
}

func (s *Service) appendEvent(ctx context.Context, tx *store.Tx, actor *access.Principal, workspaceID string, typ events.Type, data map[string]string) error {
	payload, _ := json.Marshal(map[string]any{"data": data})
	kind, id := actor.Actor()
	return s.log.Append(ctx, tx, &events.Event{WorkspaceID: workspaceID, Type: typ, ActorKind: kind, ActorID: id,
		Visibility: events.Agents, Payload: payload})
}

// HoursOf returns the workspace's business hours (round the clock when
// never set).
func (s *Service) HoursOf(ctx context.Context, workspaceID string) (Hours, error) {
	var row struct {
		Zone     string `db:"time_zone"`
		Spans    string `db:"ranges"`
		Holidays string `db:"holidays"`
	}
	err := s.db.GetContext(ctx, &row, `SELECT time_zone, ranges, holidays FROM business_hours WHERE workspace_id = ?`, workspaceID)
	if store.ErrNoRows(err) {
		return Always(), nil
	}
	if err != nil {
		return Hours{}, err
	}
	h := Hours{Zone: row.Zone}
	if err := json.Unmarshal([]byte(row.Spans), &h.Spans); err != nil {
		return Hours{}, fmt.Errorf("decode business hours: %w", err)
	}
	if err := json.Unmarshal([]byte(row.Holidays), &h.Holidays); err != nil {
		return Hours{}, fmt.Errorf("decode holidays: %w", err)
	}
	return h, nil
}

// SetHours sets the workspace's business hours.
func (s *Service) SetHours(ctx context.Context, actor *access.Principal, workspaceID string, h Hours) (Hours, error) {
	if _, err := time.LoadLocation(h.Zone); err != nil {
		return Hours{}, apperr.Invalid("hours.time_zone", fmt.Sprintf("%q is not an IANA time zone", h.Zone))
	}
	for i, sp := range h.Spans {
		if sp.End <= sp.Start {
			return Hours{}, apperr.Invalid(fmt.Sprintf("hours.ranges[%d]", i), "must end after it starts")
		}
	}
	for i, d := range h.Holidays {
		if _, err := time.Parse(time.DateOnly, d); err != nil {
			return Hours{}, apperr.Invalid(fmt.Sprintf("hours.holidays[%d]", i), "is not a date")
		}
	}
	spans, _ := json.Marshal(h.Spans)
	holidays, _ := json.Marshal(h.Holidays)
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM business_hours WHERE workspace_id = ?`, workspaceID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO business_hours (workspace_id, time_zone, ranges, holidays, updated_at) VALUES (?, ?, ?, ?, ?)`,
			workspaceID, h.Zone, string(spans), string(holidays), store.NowMillis(s.now())); err != nil {
			return fmt.Errorf("save business hours: %w", err)
		}
		return s.appendEvent(ctx, tx, actor, workspaceID, events.SLAHoursChanged, map[string]string{"time_zone": h.Zone})
	})
	return h, err
}
