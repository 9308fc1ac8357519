package sla

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/conversation"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// FollowUp is what happens when a customer goes silent after an answer:
// a reminder after RemindAfter, the close after CloseAfter more (0 turns
// each off).
type FollowUp struct {
	RemindAfter time.Duration
	CloseAfter  time.Duration
	Message     string
}

// DefaultReminder is said when the workspace set no reminder text.
const DefaultReminder = "Are you still there? Reply here if there is anything else we can help with."

// followUpTarget is the timers' target for follow-ups; their kinds are
// "remind" and "close".
const followUpTarget = "followup"

// FollowUps returns the workspace's follow-ups (off when never set).
func (s *Service) FollowUps(ctx context.Context, workspaceID string) (FollowUp, error) {
	var row struct {
		Remind  int64  `db:"remind_after_seconds"`
		Close   int64  `db:"close_after_seconds"`
		Message string `db:"reminder_message"`
	}
	err := s.db.GetContext(ctx, &row, `SELECT remind_after_seconds, close_after_seconds, reminder_message FROM followup_settings
		WHERE workspace_id = ?`, workspaceID)
	if store.ErrNoRows(err) {
		return FollowUp{}, nil
	}
	return FollowUp{RemindAfter: time.Duration(row.Remind) * time.Second, CloseAfter: time.Duration(row.Close) * time.Second,
		Message: row.Message}, err
}

// SetFollowUps sets the workspace's follow-ups.
func (s *Service) SetFollowUps(ctx context.Context, actor *access.Principal, workspaceID string, f FollowUp) (FollowUp, error) {
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM followup_settings WHERE workspace_id = ?`, workspaceID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO followup_settings (workspace_id, remind_after_seconds, close_after_seconds,
			reminder_message) VALUES (?, ?, ?, ?)`, workspaceID, int64(f.RemindAfter/time.Second), int64(f.CloseAfter/time.Second),
			strings.TrimSpace(f.Message)); err != nil {
			return fmt.Errorf("save follow-ups: %w", err)
		}
		return s.appendEvent(ctx, tx, actor, workspaceID, events.SLAFollowupsChanged, map[string]string{
			"remind_after": f.RemindAfter.String(), "close_after": f.CloseAfter.String()})
	})
	return f, err
}

// followUp arms a conversation's follow-ups after an answer (replacing the
// previous ones), or drops them when the customer speaks or it closes.
func (s *Service) followUp(ctx context.Context, conv conversation.Conversation, m *conversation.Message, at time.Time) error {
	if err := s.cancel(ctx, conv.ID, followUpTarget); err != nil {
		return err
	}
	answered := (m.AuthorKind == conversation.AuthorAgent && conv.State == conversation.StateActive) ||
		(m.AuthorKind == conversation.AuthorBot && conv.State == conversation.StateBot && m.Meta.Bot != nil)
	if !answered {
		return nil
	}
	f, err := s.FollowUps(ctx, conv.WorkspaceID)
	if err != nil {
		return err
	}
	var ts []timer
	remind := at.Add(f.RemindAfter)
	if f.RemindAfter > 0 {
		ts = append(ts, timer{conv.WorkspaceID, conv.ID, followUpTarget, "remind", store.NowMillis(remind)})
	}
	if f.CloseAfter > 0 {
		ts = append(ts, timer{conv.WorkspaceID, conv.ID, followUpTarget, "close", store.NowMillis(remind.Add(f.CloseAfter))})
	}
	return s.insertTimers(ctx, ts)
}

// followUpNamespace derives the reminder's client id from its timer, so a
// reminder sent twice (by two replicas, or after a crash) is stored once.
var followUpNamespace = uuid.MustParse("5d1f7c0e-2b8a-4e0f-9a53-0c3f7e9b6a21") //nolint:gochecknoglobals // a constant UUID namespace, parsed once

// act does a follow-up timer's action: idempotent, since a crash between
// the action and the claim repeats it.
func (s *Service) act(ctx context.Context, workspaceID, conversationID, timerID, kind string) error {
	conv, err := s.convs.Get(ctx, workspaceID, conversationID)
	if err != nil || conv.State == conversation.StateClosed {
		return err
	}
	sys := access.System(workspaceID, "Follow-up")
	switch kind {
	case "remind":
		f, err := s.FollowUps(ctx, workspaceID)
		if err != nil {
			return err
		}
		text := f.Message
		if text == "" {
			text = DefaultReminder
		}
		clientID := uuid.NewSHA1(followUpNamespace, []byte(timerID)).String()
		_, _, err = s.convs.Post(ctx, sys, workspaceID, conversationID, clientID, text, conversation.KindText)
		return err
	case "close":
		_, err := s.convs.Close(ctx, sys, workspaceID, conversationID)
		if apperr.Is(err, apperr.FailedPrecondition) {
			return nil // closed meanwhile
		}
		return err
	}
	return nil
}
