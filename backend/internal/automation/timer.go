package automation

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/conversation"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/naming"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// Armed states: what a delayed rule's timer needs the conversation to stay
// in until it fires.
const (
	armedPending = "pending" // pending_for: still in the queue
	// armedTeam is the reply timers' state: the conversation is with the
	// team (waiting in the queue or assigned), neither with the AI agent
	// nor snoozed nor closed. Replies are the team's business only there:
	// a chat the AI agent answers, and that never reaches the team, never
	// waits for an agent's reply.
	armedTeam = "team"
	// armedOpen is the reply timers' state before armedTeam; timers armed
	// with it are kept to armedTeam's rule.
	armedOpen = "open"
)

// stillArmed reports whether a conversation in the state keeps a timer of
// the armed state.
func stillArmed(armed string, state conversation.State) bool {
	if armed == armedPending {
		return state == conversation.StatePending
	}
	return withTeam(state)
}

// withTeam reports whether a conversation in the state is with the team.
func withTeam(state conversation.State) bool {
	return state == conversation.StatePending || state == conversation.StateActive
}

// Timer is an armed delayed rule.
type Timer struct {
	RuleID         string `db:"rule_id"`
	ConversationID string `db:"conversation_id"`
	WorkspaceID    string `db:"workspace_id"`
	ArmedState     string `db:"armed_state"`
	ArmedBy        string `db:"armed_by"`
	DueAt          int64  `db:"due_at"`
	LeaseUntil     int64  `db:"lease_until"`
}

const timerColumns = `rule_id, conversation_id, workspace_id, armed_state, armed_by, due_at, lease_until`

// arm arms, re-arms and cancels the delayed rules' timers for an event. Due
// times derive from the event's time, so a redelivered event arms the same.
func (s *Service) arm(ctx context.Context, rules []Rule, ev events.Event, pl *conversation.Payload) error {
	if pl.Conversation == nil || !slices.ContainsFunc(rules, func(r Rule) bool { return r.Enabled && delayed(r.Trigger) }) {
		return nil
	}
	state := pl.Conversation.State
	// Leaving the state that armed a timer cancels it.
	for _, armed := range []string{armedPending, armedTeam, armedOpen} {
		if stillArmed(armed, state) {
			continue
		}
		if _, err := s.db.ExecContext(ctx, `DELETE FROM rule_timers WHERE conversation_id = ? AND armed_state = ?`,
			ev.ConversationID, armed); err != nil {
			return fmt.Errorf("cancel timers: %w", err)
		}
	}
	// pending_for is armed by entering the queue: a new pending
	// conversation, or a change whose before-state was not pending.
	enteredPending := state == conversation.StatePending &&
		(ev.Type == events.ConversationCreated || (pl.Before != nil && pl.Before.State != conversation.StatePending))
	// no_agent_reply is armed by the conversation reaching the team from
	// the AI agent (a handoff, a takeover): its customer waits for a person
	// from then on.
	reachedTeam := withTeam(state) && pl.Before != nil && pl.Before.State == conversation.StateBot
	author := ""
	if ev.Type == events.MessageCreated && pl.Message != nil && pl.Message.Kind == conversation.KindText {
		author = pl.Message.AuthorKind
	}
	for _, r := range rules {
		if !r.Enabled || !delayed(r.Trigger) {
			continue
		}
		due := ev.CreatedAt + int64(r.DelayMinutes)*time.Minute.Milliseconds()
		var err error
		switch {
		case r.Trigger == TriggerPendingFor && enteredPending:
			err = s.setTimer(ctx, r, ev, armedPending, due, false)
		case r.Trigger == TriggerNoAgentReply && (author == conversation.AuthorCustomer || reachedTeam) && withTeam(state):
			err = s.setTimer(ctx, r, ev, armedTeam, due, false) // the first unanswered message (or the handoff) counts
		case r.Trigger == TriggerNoAgentReply && author == conversation.AuthorAgent,
			r.Trigger == TriggerNoCustomerReply && author == conversation.AuthorCustomer:
			err = s.cancelTimer(ctx, r.ID, ev.ConversationID)
		case r.Trigger == TriggerNoCustomerReply && author == conversation.AuthorAgent && withTeam(state):
			err = s.setTimer(ctx, r, ev, armedTeam, due, true) // the latest agent message counts
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// setTimer arms the rule for the conversation: if none is armed, or, with
// replace, over the armed one.
func (s *Service) setTimer(ctx context.Context, r Rule, ev events.Event, armed string, due int64, replace bool) error {
	if replace {
		if _, err := s.db.ExecContext(ctx, `UPDATE rule_timers SET due_at = ?, armed_by = ?, armed_state = ?
			WHERE rule_id = ? AND conversation_id = ? AND due_at < ?`, due, ev.ID, armed, r.ID, ev.ConversationID, due); err != nil {
			return fmt.Errorf("re-arm timer: %w", err)
		}
	}
	_, err := s.db.ExecContext(ctx, s.db.Dialect.InsertIgnore()+` INTO rule_timers (`+timerColumns+`) VALUES (?, ?, ?, ?, ?, ?, 0)`,
		r.ID, ev.ConversationID, ev.WorkspaceID, armed, ev.ID, due)
	if err != nil {
		return fmt.Errorf("arm timer: %w", err)
	}
	return nil
}

func (s *Service) cancelTimer(ctx context.Context, ruleID, conversationID string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM rule_timers WHERE rule_id = ? AND conversation_id = ?`, ruleID, conversationID); err != nil {
		return fmt.Errorf("cancel timer: %w", err)
	}
	return nil
}

// FireDue fires the timers due at now, each claimed under a lease (a
// conditional update) so that one replica fires it, and deleted once done;
// it returns how many rules acted.
func (s *Service) FireDue(ctx context.Context, now time.Time) (int, error) {
	ms := store.NowMillis(now)
	var due []Timer
	if err := s.db.SelectContext(ctx, &due, `SELECT `+timerColumns+` FROM rule_timers WHERE due_at <= ? AND lease_until < ?
		ORDER BY due_at LIMIT 100`, ms, ms); err != nil {
		return 0, fmt.Errorf("find due timers: %w", err)
	}
	fired := 0
	for _, tm := range due {
		res, err := s.db.ExecContext(ctx, `UPDATE rule_timers SET lease_until = ? WHERE rule_id = ? AND conversation_id = ?
			AND due_at = ? AND lease_until < ?`, ms+time.Minute.Milliseconds(), tm.RuleID, tm.ConversationID, tm.DueAt, ms)
		if err != nil {
			return fired, fmt.Errorf("claim timer: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			continue // another replica has it, or it was re-armed
		}
		acted, err := s.fire(ctx, tm)
		if err != nil {
			return fired, err
		}
		if acted {
			fired++
		}
		if _, err := s.db.ExecContext(ctx, `DELETE FROM rule_timers WHERE rule_id = ? AND conversation_id = ? AND due_at = ?`,
			tm.RuleID, tm.ConversationID, tm.DueAt); err != nil {
			return fired, fmt.Errorf("clear timer: %w", err)
		}
	}
	return fired, nil
}

var timerNamespace = uuid.MustParse("c3a1f0e2-6b7d-4c58-9e2f-0d4b8a7c1e55") //nolint:gochecknoglobals // a constant UUID namespace, parsed once

// fire runs a due timer's rule, if the conversation is still in the state
// that armed it and the rule's conditions hold. Its run is keyed by the
// timer, so a fire repeated after a crash acts once.
func (s *Service) fire(ctx context.Context, tm Timer) (bool, error) {
	r, err := ruleByID(ctx, s.db, tm.RuleID, "")
	if store.ErrNoRows(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("load rule: %w", err)
	}
	if !r.Enabled {
		return false, nil
	}
	runID := uuid.NewSHA1(timerNamespace, fmt.Appendf(nil, "%s:%s:%d", tm.RuleID, tm.ConversationID, tm.DueAt)).String()
	if done, err := ran(ctx, s.db, r.ID, runID); err != nil || done {
		return false, err
	}
	conv, err := s.deps.Conversations.Get(ctx, tm.WorkspaceID, tm.ConversationID)
	if apperr.Is(err, apperr.NotFound) {
		return false, nil
	}
	if err != nil || !stillArmed(tm.ArmedState, conv.State) {
		return false, err
	}
	ok, err := allHold(ctx, r.Conditions, s.newFacts(conv, nil))
	if err != nil || !ok {
		return false, err
	}
	if stop, err := s.tooBusy(ctx, &conv); err != nil || stop {
		return false, err
	}
	x := exec{s: s, p: access.Rule(r.WorkspaceID, r.ID, r.Name), conv: &conv, key: r.ID + ":" + runID,
		handoffReason: ruleReason(r.Conditions), detail: fmt.Sprintf("rule %q after %s", r.Name, naming.Count(r.DelayMinutes, "minute")),
		source: webhookSource{Kind: "rule", ID: r.ID, Name: r.Name}, trigger: &webhookEvent{EventID: tm.ArmedBy, Type: r.Trigger}}
	for i, a := range r.Actions {
		if err := x.do(ctx, i, a); err != nil {
			return false, fmt.Errorf("rule %s action %s: %w", r.ID, a.Kind, err)
		}
	}
	if err := recordRun(ctx, s.db, r.ID, runID, r.WorkspaceID, conv.ID, store.NowMillis(s.now())); err != nil {
		return false, fmt.Errorf("record rule run: %w", err)
	}
	return true, nil
}
