package sla

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/tandem-inbox/tandem/backend/internal/conversation"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// dueTimer is a timer row the scan found due.
type dueTimer struct {
	ID             string `db:"id"`
	WorkspaceID    string `db:"workspace_id"`
	ConversationID string `db:"conversation_id"`
	Target         string `db:"target"`
	Kind           string `db:"kind"`
	DueAt          int64  `db:"due_at"`
}

// settleWait bounds how long past its instant a warning or breach waits for
// the SLA reactor to see the conversation's newest messages (see fire).
const settleWait = time.Minute

// fire fires a warning or breach timer, under the conversation's lock, in
// one transaction that claims the timer row (so that one replica fires it,
// once) and appends the sla.warning or sla.breach event. A breach records
// the target's outcome, missed, in the same commit: the API, the reports and
// the metrics see it at once, and the reply that comes later does not count
// it again (answered, resolved). A target no longer running (met, stopped,
// or a conversation closed in time) is claimed without an event.
//
// The outcome a reply settles is decided by the SLA reactor, in the log's
// order; a timer due while the reactor has yet to see the conversation's
// newest messages waits for it (an agent's reply among them may have met the
// target), at most settleWait. It reports whether an event was appended.
func (s *Service) fire(ctx context.Context, t dueTimer, now int64) (bool, error) {
	fired := false
	_, err := s.convs.SetSLAIn(ctx, t.WorkspaceID, t.ConversationID, func(tx *store.Tx, c *conversation.Conversation) (map[string]string, error) {
		fired = false
		if now < t.DueAt+settleWait.Milliseconds() {
			seen, err := events.CursorAt(ctx, tx, ReactorName, t.WorkspaceID)
			if err != nil {
				return nil, fmt.Errorf("read the SLA reactor's cursor: %w", err)
			}
			if seen < c.LastSeq {
				return nil, nil // the next scan decides
			}
		}
		res, err := tx.ExecContext(ctx, `UPDATE sla_timers SET fired_at = ? WHERE id = ? AND fired_at = 0`, now, t.ID)
		if err != nil {
			return nil, err
		}
		if n, _ := res.RowsAffected(); n != 1 || !running(c, t) {
			return nil, nil // another replica fired it, or nothing runs any more
		}
		var data map[string]string
		if t.Kind == "breach" {
			setOutcome(c, t.Target, Missed)
			data = map[string]string{t.Target: Missed}
		}
		fired = true
		return data, s.appendFired(ctx, tx, c, t)
	})
	return fired, err
}

// appendFired appends the sla.warning or sla.breach event of a timer its
// caller claimed.
func (s *Service) appendFired(ctx context.Context, tx *store.Tx, c *conversation.Conversation, t dueTimer) error {
	typ := events.SLAWarning // the timer's kind is warning or breach
	if t.Kind == "breach" {
		typ = events.SLABreach
	}
	payload, err := json.Marshal(conversation.Payload{Conversation: c, Data: map[string]string{
		"target": t.Target, "kind": t.Kind, "due_at": fmt.Sprint(t.DueAt)}})
	if err != nil {
		return err
	}
	return s.log.Append(ctx, tx, &events.Event{WorkspaceID: t.WorkspaceID, Type: typ, ConversationID: t.ConversationID,
		ActorKind: events.ActorSystem, Visibility: events.Agents, Payload: payload})
}

// breachLate fires, in the commit that settles a target missed (a reply or
// the close after its deadline), the target's breach when no firing pass
// has yet: the pass may not have run since the deadline, or held the breach
// back because the clocks had yet to see the conversation's newest
// messages (see fire), and the timer is cancelled as the target settles. A
// deadline missed is a breach, told and counted once, whoever sees it first:
// the claim of the timer row decides, as in fire.
func (s *Service) breachLate(ctx context.Context, tx *store.Tx, c *conversation.Conversation, target string, due int64) error {
	res, err := tx.ExecContext(ctx, `UPDATE sla_timers SET fired_at = ? WHERE conversation_id = ? AND target = ? AND kind = 'breach'
		AND due_at = ? AND fired_at = 0`, store.NowMillis(s.now()), c.ID, target, due)
	if err != nil {
		return fmt.Errorf("claim breach timer: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return nil // fired already, or never armed
	}
	return s.appendFired(ctx, tx, c, dueTimer{WorkspaceID: c.WorkspaceID, ConversationID: c.ID, Target: target, Kind: "breach", DueAt: due})
}

// running reports whether the timer's target still runs on the
// conversation: no outcome yet, its deadline the one the breach timer was
// armed for, and not closed by the deadline.
func running(c *conversation.Conversation, t dueTimer) bool {
	due, got := deadline(c, t.Target)
	switch {
	case due == 0 || got != "",
		t.Kind == "breach" && due != t.DueAt,
		c.State == conversation.StateClosed && c.ClosedAt <= due:
		return false
	}
	return true
}

// deadline is a target's deadline and outcome on the conversation.
func deadline(c *conversation.Conversation, target string) (int64, string) {
	switch target {
	case FirstResponse:
		return c.FirstResponseDue, c.FirstResponse
	case NextResponse:
		return c.NextResponseDue, c.NextResponse
	case Resolution:
		return c.ResolutionDue, c.Resolution
	}
	return 0, ""
}

func setOutcome(c *conversation.Conversation, target, outcome string) {
	switch target {
	case FirstResponse:
		c.FirstResponse = outcome
	case NextResponse:
		c.NextResponse = outcome
	case Resolution:
		c.Resolution = outcome
	}
}
