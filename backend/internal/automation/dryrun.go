package automation

import (
	"context"
	"fmt"
	"strings"

	"github.com/tandem-inbox/tandem/backend/internal/conversation"
	"github.com/tandem-inbox/tandem/backend/internal/naming"
)

// DryRunMatch is a conversation a rule would have acted on.
type DryRunMatch struct {
	ConversationID string
	// MessageID and Excerpt name the triggering message, for message triggers.
	MessageID, Excerpt string
	// Effects say what the rule would have done, in order.
	Effects []string
}

var allStates = []conversation.State{conversation.StateBot, conversation.StatePending, conversation.StateActive, //nolint:gochecknoglobals // read-only table
	conversation.StateSnoozed, conversation.StateClosed}

// DryRun evaluates a rule against the workspace's n most recently active
// conversations, as they are now: for a message trigger, against each of
// their recent messages of that kind. It only reads.
func (s *Service) DryRun(ctx context.Context, workspaceID string, spec RuleSpec, n int) (int, []DryRunMatch, error) {
	if err := checkSpec(&spec); err != nil {
		return 0, nil, err
	}
	if err := s.checkRefs(ctx, workspaceID, "rule", spec.Conditions, spec.Actions); err != nil {
		return 0, nil, err
	}
	if n <= 0 {
		n = 50
	}
	convs, _, err := s.deps.Conversations.List(ctx, workspaceID, "", conversation.Filter{States: allStates}, int32(min(n, 500)), "") //nolint:gosec // at most 500
	if err != nil {
		return 0, nil, err
	}
	var matches []DryRunMatch
	for _, c := range convs {
		m, ok, err := s.dryRunOne(ctx, spec, c)
		if err != nil {
			return 0, nil, err
		}
		if ok {
			matches = append(matches, m)
		}
	}
	return len(convs), matches, nil
}

func (s *Service) dryRunOne(ctx context.Context, spec RuleSpec, c conversation.Conversation) (DryRunMatch, bool, error) {
	author := ""
	switch spec.Trigger {
	case TriggerCustomerMessage:
		author = conversation.AuthorCustomer
	case TriggerAgentMessage:
		author = conversation.AuthorAgent
	}
	if author == "" {
		ok, err := allHold(ctx, spec.Conditions, s.newFacts(c, nil))
		return DryRunMatch{ConversationID: c.ID, Effects: effects(spec, c)}, ok, err
	}
	msgs, _, err := s.deps.Conversations.History(ctx, c.ID, 50, "", true)
	if err != nil {
		return DryRunMatch{}, false, err
	}
	f := s.newFacts(c, nil)
	for i := range msgs { // newest first
		m := &msgs[i]
		if m.Kind != conversation.KindText || m.AuthorKind != author {
			continue
		}
		f.text, f.hasText = m.Body, true
		ok, err := allHold(ctx, spec.Conditions, f)
		if err != nil {
			return DryRunMatch{}, false, err
		}
		if ok {
			return DryRunMatch{ConversationID: c.ID, MessageID: m.ID, Excerpt: truncate(m.Body, 200), Effects: effects(spec, c)}, true, nil
		}
	}
	return DryRunMatch{}, false, nil
}

// effects says in words what the rule's actions would do to the conversation.
func effects(spec RuleSpec, c conversation.Conversation) []string {
	var out []string
	for _, a := range spec.Actions {
		var e string
		switch a.Kind {
		case ActAddTag:
			e = fmt.Sprintf("add the tag %q", a.Value)
		case ActRemoveTag:
			e = fmt.Sprintf("remove the tag %q", a.Value)
		case ActHandOff:
			reason := a.Reason
			if reason == "" {
				reason = ruleReason(spec.Conditions)
			}
			e = fmt.Sprintf("hand off to the team (%s)", reason)
			if c.State != conversation.StateBot {
				e += ": nothing to do, the AI agent does not have it"
			}
		case ActAssignGroup:
			e = "put it in the queue of group " + a.Value
		case ActAssignUser:
			e = "assign it to member " + a.Value
		case ActPriority:
			e = "set the priority to " + a.Value
		case ActCanned:
			e = "send canned response " + a.Value
		case ActNote:
			e = fmt.Sprintf("add the note %q", truncate(a.Value, 80))
		case ActClose:
			e = "close it"
		case ActSnooze:
			e = "snooze it for " + naming.Count(a.Minutes, "minute")
		case ActWebhook:
			e = "call the webhook " + a.Value
		default:
			e = strings.ReplaceAll(a.Kind, "_", " ")
		}
		out = append(out, e)
	}
	return out
}
