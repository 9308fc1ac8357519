package routing

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/conversation"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/presence"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// Service routes queues.
type Service struct {
	db       *store.DB
	log      *events.Log
	convs    *conversation.Service
	presence *presence.Service
	// groups returns a group's members and its cap on each member's chats
	// (the workspace package's GroupRouting).
	groups func(ctx context.Context, groupID string) ([]string, int, error)
	now    func() time.Time
	logger *slog.Logger
}

// NewService returns the routing service.
func NewService(db *store.DB, log *events.Log, convs *conversation.Service, pres *presence.Service,
	groups func(ctx context.Context, groupID string) ([]string, int, error), now func() time.Time, logger *slog.Logger) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{db: db, log: log, convs: convs, presence: pres, groups: groups, now: now, logger: logger}
}

// SetClock replaces the clock that decides which replies are overdue: for
// tests and tools, before the service runs.
func (s *Service) SetClock(now func() time.Time) { s.now = now }

// Settings returns a workspace's settings (off when never set).
func (s *Service) Settings(ctx context.Context, workspaceID string) (Settings, error) {
	var st Settings
	err := s.db.GetContext(ctx, &st, `SELECT workspace_id, mode, reply_timeout_seconds, max_reroutes FROM routing_settings
		WHERE workspace_id = ?`, workspaceID)
	if store.ErrNoRows(err) {
		return Settings{WorkspaceID: workspaceID, Mode: Off, MaxReroutes: DefaultMaxReroutes}, nil
	}
	return st, err
}

// Update sets a workspace's routing; a nil maxReroutes keeps the current
// cap.
func (s *Service) Update(ctx context.Context, actor *access.Principal, st Settings, maxReroutes *int) (Settings, error) {
	if st.ReplyTimeoutSeconds < 0 {
		return Settings{}, apperr.Invalid("reply_timeout_seconds", "must not be negative")
	}
	if maxReroutes != nil && (*maxReroutes < 0 || *maxReroutes > MaxMaxReroutes) {
		return Settings{}, apperr.Invalid("max_reroutes", fmt.Sprintf("must be from 0 to %d", MaxMaxReroutes))
	}
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		now := store.NowMillis(s.now())
		var current []int
		if err := tx.SelectContext(ctx, &current, `SELECT max_reroutes FROM routing_settings WHERE workspace_id = ?`+tx.Dialect.ForUpdate(),
			st.WorkspaceID); err != nil {
			return fmt.Errorf("load routing: %w", err)
		}
		switch {
		case maxReroutes != nil:
			st.MaxReroutes = *maxReroutes
		case len(current) == 1:
			st.MaxReroutes = current[0]
		default:
			st.MaxReroutes = DefaultMaxReroutes
		}
		if len(current) == 1 {
			if _, err := tx.ExecContext(ctx, `UPDATE routing_settings SET mode = ?, reply_timeout_seconds = ?, max_reroutes = ?, updated_at = ?
				WHERE workspace_id = ?`, st.Mode, st.ReplyTimeoutSeconds, st.MaxReroutes, now, st.WorkspaceID); err != nil {
				return fmt.Errorf("update routing: %w", err)
			}
		} else if _, err := tx.ExecContext(ctx, `INSERT INTO routing_settings (workspace_id, mode, reply_timeout_seconds, max_reroutes, updated_at)
			VALUES (?, ?, ?, ?, ?)`, st.WorkspaceID, st.Mode, st.ReplyTimeoutSeconds, st.MaxReroutes, now); err != nil {
			return fmt.Errorf("insert routing: %w", err)
		}
		payload, _ := json.Marshal(st)
		kind, id := actor.Actor()
		return s.log.Append(ctx, tx, &events.Event{WorkspaceID: st.WorkspaceID, Type: events.RoutingUpdated, ActorKind: kind, ActorID: id,
			Visibility: events.Agents, Payload: payload})
	})
	return st, err
}

// candidate is an agent who could take a chat.
type candidate struct {
	userID   string
	open     int
	max      int
	lastTime int64
	skills   map[string]bool
}

// has reports whether the agent has every skill.
func (c *candidate) has(skills []string) bool {
	for _, s := range skills {
		if !c.skills[s] {
			return false
		}
	}
	return true
}

// group is what routing knows of a group.
type group struct {
	members map[string]bool
	max     int
}

// Route runs one routing pass over a workspace: it returns expired chats to
// the queue, then assigns what waits to whoever can take it. It returns how
// many it assigned.
func (s *Service) Route(ctx context.Context, workspaceID string) (int, error) {
	st, err := s.Settings(ctx, workspaceID)
	if err != nil || st.Mode == Off {
		return 0, err
	}
	if st.ReplyTimeoutSeconds > 0 {
		cutoff := store.NowMillis(s.now().Add(-time.Duration(st.ReplyTimeoutSeconds) * time.Second))
		if _, err := s.convs.ExpireRouted(ctx, workspaceID, cutoff, st.MaxReroutes); err != nil {
			return 0, err
		}
	}
	queue, err := s.convs.Queue(ctx, workspaceID, 500)
	if err != nil || len(queue) == 0 {
		return 0, err
	}
	agents, err := s.presence.All(ctx, workspaceID)
	if err != nil {
		return 0, err
	}
	open, err := s.convs.OpenChats(ctx, workspaceID)
	if err != nil {
		return 0, err
	}
	last, err := s.convs.LastAssigned(ctx, workspaceID)
	if err != nil {
		return 0, err
	}
	pool := map[string]*candidate{}
	for id, a := range agents {
		if a.Status == presence.Online {
			c := &candidate{userID: id, open: open[id], max: a.MaxChats, lastTime: last[id], skills: map[string]bool{}}
			for _, sk := range a.Skills() {
				c.skills[sk] = true
			}
			pool[id] = c
		}
	}
	groups := map[string]*group{}
	assigned := 0
	for _, conv := range queue {
		if conv.NeedsAttention {
			continue // routing gave up on it: it waits for a person
		}
		var g *group
		if conv.GroupID != "" {
			if g = groups[conv.GroupID]; g == nil {
				ids, most, err := s.groups(ctx, conv.GroupID)
				if err != nil {
					return assigned, err
				}
				g = &group{members: map[string]bool{}, max: most}
				for _, id := range ids {
					g.members[id] = true
				}
				groups[conv.GroupID] = g
			}
		}
		// The agent whose timeout it just was is not eligible (even alone:
		// it waits in the queue); the one last routed it goes last.
		pick := choose(eligible(pool, g, conv.Skills(), conv.LapsedBy), st.Mode, conv.LastRoutedTo)
		if pick == nil {
			continue // nobody can take this one now; a later one may fit someone
		}
		ok, err := s.convs.AutoAssign(ctx, workspaceID, conv.ID, pick.userID)
		if err != nil {
			return assigned, err
		}
		if ok {
			assigned++
			pick.open++
			pick.lastTime = store.NowMillis(s.now())
		}
	}
	return assigned, nil
}

// eligible lists the agents of the pool who can take a conversation: under
// their capacity (and the group's cap, in its group when it has one), with
// every skill it needs, and not the agent whose reply timeout just sent it
// back (lapsed).
func eligible(pool map[string]*candidate, g *group, needs []string, lapsed string) []*candidate {
	var out []*candidate
	for _, c := range pool {
		switch {
		case c.open >= c.max,
			g != nil && (!g.members[c.userID] || (g.max > 0 && c.open >= g.max)),
			!c.has(needs),
			lapsed != "" && c.userID == lapsed:
			continue
		}
		out = append(out, c)
	}
	return out
}

// choose picks the agent for the mode: balanced, the fewest open chats, ties
// to whoever waited longest; round-robin, whoever waited longest. avoid goes
// last, whatever the mode.
func choose(cs []*candidate, mode Mode, avoid string) *candidate {
	if len(cs) == 0 {
		return nil
	}
	sort.Slice(cs, func(i, j int) bool {
		a, b := cs[i], cs[j]
		if (a.userID == avoid) != (b.userID == avoid) {
			return b.userID == avoid
		}
		if mode == Balanced && a.open != b.open {
			return a.open < b.open
		}
		if a.lastTime != b.lastTime {
			return a.lastTime < b.lastTime
		}
		return a.userID < b.userID
	})
	return cs[0]
}

// Run routes, every interval, the workspaces with routing work in the
// shards this replica holds (all of them when shards is nil), until ctx
// ends.
func (s *Service) Run(ctx context.Context, every time.Duration, shards *events.Shards) error {
	t := time.NewTicker(every)
	defer t.Stop()
	w := newSweep(s.db, shards)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		now := s.now()
		due, err := w.due(ctx, now)
		if err != nil {
			if ctx.Err() == nil {
				s.logger.WarnContext(ctx, "find routing work", "error", err)
			}
			continue
		}
		for _, d := range due {
			if _, err := s.Route(ctx, d.workspaceID); err != nil {
				if ctx.Err() == nil {
					s.logger.WarnContext(ctx, "route", "workspace_id", d.workspaceID, "error", err)
				}
				continue
			}
			w.done(d, now)
		}
	}
}
