package sla

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/conversation"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// React is the SLA reactor's handler. It starts the clocks when a
// conversation reaches the team, runs the next-response clock while a
// customer waits for an answer, and settles each target when it is met
// (an agent's reply, the close). It is idempotent: clocks already started or
// settled are left alone.
func (s *Service) React(ctx context.Context, ev events.Event) error {
	if ev.ConversationID == "" {
		return nil
	}
	var pl conversation.Payload
	switch ev.Type {
	case events.ConversationCreated, events.ConversationHandoff, events.MessageCreated, events.ConversationStateChanged:
		if err := json.Unmarshal(ev.Payload, &pl); err != nil {
			return fmt.Errorf("decode event: %w", err)
		}
	default:
		return nil
	}
	conv, err := s.convs.Get(ctx, ev.WorkspaceID, ev.ConversationID)
	if err != nil {
		return err
	}
	at := time.UnixMilli(ev.CreatedAt)
	if conv.State == conversation.StateSpam && ev.Type != events.ConversationStateChanged {
		return nil // held as spam: no clock runs until it is released
	}
	switch ev.Type {
	case events.ConversationCreated:
		if conv.State == conversation.StateBot {
			return nil // the clocks start at the handoff
		}
		return s.start(ctx, conv, at)
	case events.ConversationHandoff:
		return s.start(ctx, conv, at)
	case events.MessageCreated:
		m := pl.Message
		if m == nil || m.Kind != conversation.KindText {
			return nil
		}
		switch m.AuthorKind {
		case conversation.AuthorCustomer:
			err = s.waiting(ctx, conv, at)
		case conversation.AuthorAgent:
			err = s.answered(ctx, conv, at)
		case conversation.AuthorBot:
		default:
			return nil // the server's own messages (a reminder) change nothing
		}
		if err != nil {
			return err
		}
		return s.followUp(ctx, conv, m, at)
	case events.ConversationStateChanged:
		switch {
		case pl.Data["to"] == string(conversation.StateSpam):
			return s.cancel(ctx, conv.ID, FirstResponse, NextResponse, Resolution, followUpTarget)
		case pl.Data["from"] == string(conversation.StateSpam): // released: it reaches the team now
			return s.start(ctx, conv, at)
		}
		if pl.Data["to"] == string(conversation.StateClosed) {
			if err := s.cancel(ctx, conv.ID, followUpTarget); err != nil {
				return err
			}
			return s.resolved(ctx, conv, at)
		}
	}
	return nil
}

// outcome is met when done by the deadline.
func outcome(at time.Time, due int64) string {
	if store.NowMillis(at) <= due {
		return Met
	}
	return Missed
}

// start picks the conversation's policy and starts its first-response and
// resolution clocks.
func (s *Service) start(ctx context.Context, conv conversation.Conversation, at time.Time) error {
	if conv.PolicyID != "" || conv.State == conversation.StateClosed {
		return nil
	}
	policies, err := s.Policies(ctx, conv.WorkspaceID)
	if err != nil {
		return err
	}
	var p *Policy
	for i := range policies {
		if policies[i].matches(conv) {
			p = &policies[i]
			break
		}
	}
	if p == nil {
		return nil
	}
	hours, err := s.hoursFor(ctx, *p)
	if err != nil {
		return err
	}
	var timers []timer
	fr, res := s.arm(&timers, conv, *p, hours, FirstResponse, at, p.FirstResponse), s.arm(&timers, conv, *p, hours, Resolution, at, p.Resolution)
	if _, err := s.convs.SetSLA(ctx, conv.WorkspaceID, conv.ID, func(c *conversation.Conversation) map[string]string {
		if c.PolicyID != "" {
			return nil
		}
		c.PolicyID, c.FirstResponseDue, c.ResolutionDue = p.ID, fr, res
		return map[string]string{"started": p.Name}
	}); err != nil {
		return err
	}
	return s.insertTimers(ctx, timers)
}

// waiting starts the next-response clock when a customer writes and no
// clock is running: an answered customer is waiting again.
func (s *Service) waiting(ctx context.Context, conv conversation.Conversation, at time.Time) error {
	if conv.PolicyID == "" || conv.FirstResponse == "" || conv.NextResponseDue != 0 || conv.State == conversation.StateClosed {
		return nil
	}
	p, err := s.policy(ctx, conv.PolicyID)
	if err != nil || p.NextResponse == 0 {
		return nil // a deleted policy starts no new clocks
	}
	hours, err := s.hoursFor(ctx, p)
	if err != nil {
		return err
	}
	var timers []timer
	due := s.arm(&timers, conv, p, hours, NextResponse, at, p.NextResponse)
	if _, err := s.convs.SetSLA(ctx, conv.WorkspaceID, conv.ID, func(c *conversation.Conversation) map[string]string {
		if c.NextResponseDue != 0 {
			return nil
		}
		c.NextResponseDue, c.NextResponse = due, ""
		return map[string]string{"started": NextResponse}
	}); err != nil {
		return err
	}
	return s.insertTimers(ctx, timers)
}

// answered settles the response clocks on an agent's reply, and records the
// first response (for every conversation: response times count everywhere).
func (s *Service) answered(ctx context.Context, conv conversation.Conversation, at time.Time) error {
	if _, err := s.convs.SetSLAIn(ctx, conv.WorkspaceID, conv.ID, func(tx *store.Tx, c *conversation.Conversation) (map[string]string, error) {
		data := map[string]string{}
		if c.FirstResponseAt == 0 {
			c.FirstResponseAt = store.NowMillis(at)
			data["first_response_at"] = strconv.FormatInt(c.FirstResponseAt, 10)
		}
		if c.FirstResponseDue != 0 && c.FirstResponse == "" {
			c.FirstResponse = outcome(at, c.FirstResponseDue)
			data[FirstResponse] = c.FirstResponse
			if err := s.settledLate(ctx, tx, c, FirstResponse, c.FirstResponseDue); err != nil {
				return nil, err
			}
		}
		if c.NextResponseDue != 0 {
			if c.NextResponse == "" {
				c.NextResponse = outcome(at, c.NextResponseDue)
				data[NextResponse] = c.NextResponse
				if err := s.settledLate(ctx, tx, c, NextResponse, c.NextResponseDue); err != nil {
					return nil, err
				}
			} else { // missed at the breach: counted then, not again
				data["stopped"] = NextResponse
			}
			c.NextResponseDue = 0
		}
		if len(data) == 0 {
			return nil, nil
		}
		return data, nil
	}); err != nil {
		return err
	}
	return s.cancel(ctx, conv.ID, FirstResponse, NextResponse)
}

// resolved settles every clock when the conversation closes.
func (s *Service) resolved(ctx context.Context, conv conversation.Conversation, at time.Time) error {
	if conv.PolicyID == "" {
		return nil
	}
	if _, err := s.convs.SetSLAIn(ctx, conv.WorkspaceID, conv.ID, func(tx *store.Tx, c *conversation.Conversation) (map[string]string, error) {
		data := map[string]string{}
		if c.ResolutionDue != 0 && c.Resolution == "" { // else missed at the breach: counted then, not again
			c.Resolution = outcome(at, c.ResolutionDue)
			data[Resolution] = c.Resolution
			if err := s.settledLate(ctx, tx, c, Resolution, c.ResolutionDue); err != nil {
				return nil, err
			}
		}
		if c.NextResponseDue != 0 {
			c.NextResponseDue = 0
			data["stopped"] = NextResponse
		}
		if len(data) == 0 {
			return nil, nil
		}
		return data, nil
	}); err != nil {
		return err
	}
	return s.cancel(ctx, conv.ID, FirstResponse, NextResponse, Resolution)
}

// settledLate fires the target's breach when it has just settled missed
// (see breachLate).
func (s *Service) settledLate(ctx context.Context, tx *store.Tx, c *conversation.Conversation, target string, due int64) error {
	if _, got := deadline(c, target); got != Missed {
		return nil
	}
	return s.breachLate(ctx, tx, c, target, due)
}

func (s *Service) hoursFor(ctx context.Context, p Policy) (Hours, error) {
	if !p.BusinessHours {
		return Always(), nil
	}
	return s.HoursOf(ctx, p.WorkspaceID)
}

// timer is an armed warning or breach.
type timer struct {
	workspaceID, conversationID, target, kind string
	due                                       int64
}

// arm computes a target's deadline from at and plans its warning and breach
// timers; it returns the deadline (0 for a target the policy lacks).
func (s *Service) arm(timers *[]timer, conv conversation.Conversation, p Policy, h Hours, target string, at time.Time, seconds int64) int64 {
	if seconds <= 0 {
		return 0
	}
	d := time.Duration(seconds) * time.Second
	due := store.NowMillis(h.Add(at, d))
	warn := store.NowMillis(h.Add(at, d*time.Duration(p.WarningPercent)/100))
	*timers = append(*timers,
		timer{conv.WorkspaceID, conv.ID, target, "warning", warn},
		timer{conv.WorkspaceID, conv.ID, target, "breach", due})
	return due
}

// insertTimers stores timers; one already there (a retried event) stays.
func (s *Service) insertTimers(ctx context.Context, ts []timer) error {
	for _, t := range ts {
		_, err := s.db.ExecContext(ctx, `INSERT INTO sla_timers (id, workspace_id, conversation_id, target, kind, due_at)
			VALUES (?, ?, ?, ?, ?, ?)`, uuid.NewString(), t.workspaceID, t.conversationID, t.target, t.kind, t.due)
		if err != nil && !s.db.Dialect.IsUniqueViolation(err) {
			return fmt.Errorf("arm timer: %w", err)
		}
	}
	return nil
}

// cancel drops the conversation's unfired timers of the targets.
func (s *Service) cancel(ctx context.Context, conversationID string, targets ...string) error {
	args := []any{conversationID}
	for _, t := range targets {
		args = append(args, t)
	}
	_, err := s.db.ExecContext(ctx, `DELETE FROM sla_timers WHERE conversation_id = ? AND fired_at = 0 AND target IN (`+
		store.Placeholders(len(targets))+`)`, args...)
	return err
}

// FireDue fires every timer due by now that no replica fired yet, each
// exactly once: the replica whose conditional update claims the row appends
// the sla.warning or sla.breach event in the same transaction (see fire).
// It returns how many it fired.
func (s *Service) FireDue(ctx context.Context) (int, error) {
	var due []dueTimer
	now := store.NowMillis(s.now())
	if err := s.db.SelectContext(ctx, &due, `SELECT id, workspace_id, conversation_id, target, kind, due_at FROM sla_timers
		WHERE fired_at = 0 AND due_at <= ? ORDER BY due_at LIMIT 200`, now); err != nil {
		return 0, fmt.Errorf("find due timers: %w", err)
	}
	fired := 0
	for _, t := range due {
		if t.Target == followUpTarget {
			// The action first (it is idempotent), then the claim.
			if err := s.act(ctx, t.WorkspaceID, t.ConversationID, t.ID, t.Kind); err != nil {
				return fired, fmt.Errorf("follow-up: %w", err)
			}
			if _, err := s.db.ExecContext(ctx, `UPDATE sla_timers SET fired_at = ? WHERE id = ? AND fired_at = 0`, now, t.ID); err != nil {
				return fired, err
			}
			fired++
			continue
		}
		ok, err := s.fire(ctx, t, now)
		if apperr.Is(err, apperr.NotFound) { // the conversation is gone: so is its clock
			_, err = s.db.ExecContext(ctx, `UPDATE sla_timers SET fired_at = ? WHERE id = ? AND fired_at = 0`, now, t.ID)
		}
		if err != nil {
			return fired, fmt.Errorf("fire timer: %w", err)
		}
		if ok {
			fired++
		}
	}
	return fired, nil
}
