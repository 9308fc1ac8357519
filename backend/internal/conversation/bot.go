package conversation

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// DataHandoff is the key, in the data of an event that takes a conversation
// from the AI agent without a conversation.handoff event (a person's
// takeover: conversation.assigned, or conversation.state_changed by their
// reply), of the handoff's reason: every row of handoffs has one event that
// says so, which metrics count.
const DataHandoff = "handoff"

// ErrNotBot refuses an AI agent's reply in a conversation the AI agent no
// longer has: the server, not the UI, keeps it silent after a handoff.
var ErrNotBot = apperr.New(apperr.FailedPrecondition, "the AI agent no longer answers in this conversation")

// botNamespace derives the AI agent's reply ids from the customer messages
// they answer, so that one message gets at most one reply, crash or not.
var botNamespace = uuid.MustParse("0b7e1c52-5a41-4a77-9d3e-5e3a4c1f0d11") //nolint:gochecknoglobals // a constant UUID namespace, parsed once

// ReplyClientID is the client id of the AI agent's reply to a message.
func ReplyClientID(messageID string) string {
	return uuid.NewSHA1(botNamespace, []byte("reply:"+messageID)).String()
}

// PostBot posts the AI agent's answer to a customer message. It is refused
// unless the conversation is in the bot state at that moment, and a second
// answer to the same message returns the first.
func (s *Service) PostBot(ctx context.Context, bot *access.Principal, workspaceID, conversationID, replyTo, body string, answer BotAnswer) (Message, error) {
	mustBeBot := func(_ context.Context, _ *store.Tx, conv *Conversation, _ Actor, msg *Message) error {
		if conv.State != StateBot {
			return ErrNotBot
		}
		msg.Meta.Bot = &answer
		return nil
	}
	m, _, err := s.post(ctx, bot, workspaceID, conversationID, ReplyClientID(replyTo), body, KindText, mustBeBot, nil)
	if errors.Is(err, ErrClientIDReused) { // answered before, in other words
		return messageByClientID(ctx, s.db, workspaceID, ReplyClientID(replyTo))
	}
	return m, err
}

// ErrNotWaiting refuses an AI agent's answer while waiting in a conversation
// that no longer waits for a person (someone took it).
var ErrNotWaiting = apperr.New(apperr.FailedPrecondition, "the conversation no longer waits for a person")

// PostBotWhileWaiting posts the AI agent's answer to a customer message
// while the conversation waits for a person after a handoff: refused unless
// it is pending and unassigned at that moment, marked as given while waiting,
// and at most one per message.
func (s *Service) PostBotWhileWaiting(ctx context.Context, bot *access.Principal, workspaceID, conversationID, replyTo, body string, answer BotAnswer) (Message, error) {
	answer.WhileWaiting = true
	mustWait := func(_ context.Context, _ *store.Tx, conv *Conversation, _ Actor, msg *Message) error {
		if conv.State != StatePending || conv.AssigneeID != "" {
			return ErrNotWaiting
		}
		msg.Meta.Bot = &answer
		return nil
	}
	m, _, err := s.post(ctx, bot, workspaceID, conversationID, ReplyClientID(replyTo), body, KindText, mustWait, nil)
	if errors.Is(err, ErrClientIDReused) {
		return messageByClientID(ctx, s.db, workspaceID, ReplyClientID(replyTo))
	}
	return m, err
}

// HandedOffBefore reports whether the conversation was handed from the AI
// agent to the team before the message at seq (and not, say, by a rule
// reacting to that very message).
func (s *Service) HandedOffBefore(ctx context.Context, workspaceID, conversationID string, seq int64) (bool, error) {
	var n int
	err := s.db.GetContext(ctx, &n, `SELECT COUNT(*) FROM messages WHERE workspace_id = ? AND conversation_id = ?
		AND kind = ? AND activity = 'handoff' AND seq < ?`, workspaceID, conversationID, KindActivity, seq)
	if err != nil {
		return false, fmt.Errorf("find handoff: %w", err)
	}
	return n > 0, nil
}

// Answered reports whether the AI agent already answered the message.
func (s *Service) Answered(ctx context.Context, workspaceID, messageID string) (bool, error) {
	_, err := messageByClientID(ctx, s.db, workspaceID, ReplyClientID(messageID))
	if store.ErrNoRows(err) {
		return false, nil
	}
	return err == nil, err
}

// Handoff is a handoff from the AI agent to the team.
type Handoff struct {
	Reason HandoffReason
	// Detail says what triggered it (a rule's name, a confidence, an error).
	Detail string
	// Question is the customer message it answers, if any.
	Question string
	// TagID and TagName tag the conversation, when set.
	TagID, TagName string
	// Message is said to the customer, when set.
	Message string
	// AgentName names the AI agent, who tags the conversation and says the
	// message whoever triggered the handoff (the customer, a rule, itself).
	AgentName string
}

// HandOff moves a conversation from the AI agent to the team: to pending
// (and so to the queue and routing), tagged, with the reason recorded and the
// message said to the customer. It is the one operation every trigger uses.
// A conversation the AI agent no longer has is left alone: it reports false.
func (s *Service) HandOff(ctx context.Context, p *access.Principal, workspaceID, id string, h Handoff) (bool, error) {
	done := false
	_, err := s.change(ctx, p, workspaceID, id, func(tx *store.Tx, conv *Conversation, actor Actor) error {
		done = false
		if conv.State != StateBot {
			return nil
		}
		done = true
		if err := s.recordHandoff(ctx, tx, conv, h); err != nil {
			return err
		}
		agent, err := s.ActorOf(ctx, access.Bot(conv.WorkspaceID, h.AgentName))
		if err != nil {
			return err
		}
		if h.TagID != "" {
			if err := s.addTag(ctx, tx, conv, agent, h.TagID, h.TagName); err != nil {
				return err
			}
		}
		prev := before(conv)
		conv.State = StatePending
		data := map[string]string{"reason": string(h.Reason), "detail": h.Detail, "from": string(StateBot), "to": string(StatePending)}
		if err := s.record(ctx, tx, conv, prev, events.ConversationHandoff, events.Agents, actor,
			activity(conv, actor, "handoff", data, events.Agents), data); err != nil {
			return err
		}
		if h.Message == "" {
			return nil
		}
		msg := &Message{ID: uuid.NewString(), WorkspaceID: conv.WorkspaceID, ConversationID: conv.ID, Kind: KindText,
			Visibility: string(events.Public), AuthorKind: agent.AuthorKind, AuthorID: agent.ID, AuthorName: agent.Name,
			Body: h.Message, ClientID: uuid.NewString()}
		return s.record(ctx, tx, conv, nil, events.MessageCreated, events.Public, agent, msg, nil)
	})
	return done, err
}

// recordHandoff keeps the handoff as data: the conversation's last reason
// and a row to list and count.
func (s *Service) recordHandoff(ctx context.Context, tx *store.Tx, conv *Conversation, h Handoff) error {
	conv.HandoffReason = h.Reason
	_, err := tx.ExecContext(ctx, `INSERT INTO handoffs (id, workspace_id, conversation_id, reason, detail, question, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, uuid.NewString(), conv.WorkspaceID, conv.ID, h.Reason, store.Truncate(h.Detail, 500),
		h.Question, store.NowMillis(s.now()))
	if err != nil {
		return fmt.Errorf("record handoff: %w", err)
	}
	return nil
}
