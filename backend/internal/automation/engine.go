package automation

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/conversation"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/naming"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// triggerOf names the trigger an event is, if any, and its message.
func triggerOf(ev events.Event, pl *conversation.Payload) string {
	switch ev.Type {
	case events.ConversationCreated:
		return TriggerConversationCreated
	case events.ConversationStateChanged:
		return TriggerStateChanged
	case events.ConversationTagged:
		return TriggerTagAdded
	case events.ConversationHandoff:
		return TriggerHandoff
	case events.SLAWarning:
		return TriggerSLAWarning
	case events.SLABreach:
		return TriggerSLABreach
	case events.MessageCreated:
		m := pl.Message
		if m == nil || m.Kind != conversation.KindText {
			return ""
		}
		switch m.AuthorKind {
		case conversation.AuthorCustomer:
			return TriggerCustomerMessage
		case conversation.AuthorAgent:
			return TriggerAgentMessage
		}
	}
	return ""
}

// React is the rule engine's reactor handler: it runs the workspace's
// enabled rules for the event's trigger, in order. It is idempotent: a rule
// that acted on an event does not act on it again.
func (s *Service) React(ctx context.Context, ev events.Event) error {
	if ev.ConversationID == "" {
		return nil
	}
	var pl conversation.Payload
	if err := json.Unmarshal(ev.Payload, &pl); err != nil {
		return fmt.Errorf("decode event: %w", err)
	}
	rules, err := rulesOf(ctx, s.db, ev.WorkspaceID, "")
	if err != nil {
		return fmt.Errorf("list rules: %w", err)
	}
	if err := s.arm(ctx, rules, ev, &pl); err != nil {
		return err
	}
	if pl.Conversation != nil && pl.Conversation.State == conversation.StateSpam {
		return nil // held as spam: no rule acts on it until it is released
	}
	trigger := triggerOf(ev, &pl)
	if trigger == "" {
		return nil
	}
	var conv *conversation.Conversation
	for _, r := range rules {
		if !r.Enabled || r.Trigger != trigger {
			continue
		}
		if ev.ActorKind == events.ActorRule && ev.ActorID == r.ID {
			continue // a rule never reacts to its own actions
		}
		if done, err := ran(ctx, s.db, r.ID, ev.ID); err != nil || done {
			if err != nil {
				return fmt.Errorf("find rule run: %w", err)
			}
			continue
		}
		if conv == nil { // rules see the conversation as it is now, after earlier rules acted
			c, err := s.deps.Conversations.Get(ctx, ev.WorkspaceID, ev.ConversationID)
			if apperr.Is(err, apperr.NotFound) {
				return nil
			}
			if err != nil {
				return err
			}
			conv = &c
		}
		ok, err := allHold(ctx, r.Conditions, s.newFacts(*conv, pl.Message))
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		if stop, err := s.tooBusy(ctx, conv); err != nil || stop {
			return err
		}
		if err := s.run(ctx, r, ev, conv, pl.Message); err != nil {
			return err
		}
		if err := recordRun(ctx, s.db, r.ID, ev.ID, ev.WorkspaceID, ev.ConversationID, store.NowMillis(s.now())); err != nil {
			return fmt.Errorf("record rule run: %w", err)
		}
		conv = nil
	}
	return nil
}

// run does a matched rule's actions as the rule.
func (s *Service) run(ctx context.Context, r Rule, ev events.Event, conv *conversation.Conversation, msg *conversation.Message) error {
	x := exec{s: s, p: access.Rule(r.WorkspaceID, r.ID, r.Name), conv: conv, key: r.ID + ":" + ev.ID,
		handoffReason: ruleReason(r.Conditions), detail: fmt.Sprintf("rule %q", r.Name),
		source: webhookSource{Kind: "rule", ID: r.ID, Name: r.Name}, trigger: &webhookEvent{EventID: ev.ID, Type: string(ev.Type)}}
	if msg != nil && msg.Kind == conversation.KindText {
		x.message = msg
		if msg.AuthorKind == conversation.AuthorCustomer {
			x.question = msg.Body
		}
	}
	for i, a := range r.Actions {
		if err := x.do(ctx, i, a); err != nil {
			return fmt.Errorf("rule %s action %s: %w", r.ID, a.Kind, err)
		}
	}
	return nil
}

// ruleReason is the handoff reason a rule's conditions imply: words in a
// message make a keyword rule, anything else an attribute rule.
func ruleReason(cs []Condition) conversation.HandoffReason {
	if usesKind(cs, CondText) {
		return conversation.HandoffKeywordRule
	}
	return conversation.HandoffAttributeRule
}

// tooBusy is loop protection: once rules have acted on the conversation
// MaxRunsPerMinute times in the last minute, they stop there, and a note
// (one per minute) tells the team.
func (s *Service) tooBusy(ctx context.Context, conv *conversation.Conversation) (bool, error) {
	now := s.now()
	n, err := runsSince(ctx, s.db, conv.ID, store.NowMillis(now.Add(-time.Minute)))
	if err != nil {
		return false, fmt.Errorf("count rule runs: %w", err)
	}
	if n < s.maxRuns {
		return false, nil
	}
	minute := now.Unix() / 60
	clientID := uuid.NewSHA1(loopNamespace, fmt.Appendf(nil, "%s:%d", conv.ID, minute)).String()
	p := access.Rule(conv.WorkspaceID, "", "Automation")
	body := fmt.Sprintf("Automation paused on this conversation: rules acted %s within a minute, which looks like a loop. Check the rules that act here.", naming.Count(s.maxRuns, "time"))
	_, _, err = s.deps.Conversations.Post(ctx, p, conv.WorkspaceID, conv.ID, clientID, body, conversation.KindNote)
	if err != nil && !apperr.Is(err, apperr.FailedPrecondition) && !apperr.Is(err, apperr.AlreadyExists) {
		return true, fmt.Errorf("note the loop: %w", err)
	}
	s.logger.Warn("automation loop stopped", "workspace_id", conv.WorkspaceID, "conversation_id", conv.ID, "runs", n)
	return true, nil
}

var loopNamespace = uuid.MustParse("5f0c7a7e-41a4-4d0e-9c55-1f3f6c2b8e61") //nolint:gochecknoglobals // a constant UUID namespace, parsed once
