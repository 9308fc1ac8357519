package app

import (
	"encoding/json"
	"strings"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/desktop/internal/apiclient"
)

// change runs a control that returns the changed conversation, folds the
// result into the inbox and returns it (protobuf JSON).
func (c *core) change(do func(sess *session) (*tandemv1.Conversation, error)) (json.RawMessage, error) {
	sess, ws, err := c.current()
	if err != nil {
		return nil, err
	}
	conv, err := do(sess)
	if err != nil {
		return nil, err
	}
	return wire(ws.inbox.Upsert(conv, false)), nil
}

// Claim makes the agent the owner of an unowned conversation.
func (a *App) Claim(conversationID string) (json.RawMessage, error) {
	return a.c.change(func(s *session) (*tandemv1.Conversation, error) {
		res, err := s.client.Conversations.ClaimConversation(a.c.ctx(), &tandemv1.ClaimConversationRequest{ConversationId: conversationID})
		return res.GetConversation(), err
	})
}

// TakeOver makes the agent the owner: from the AI agent or the queue, or
// (supervisors) from a teammate.
func (a *App) TakeOver(conversationID string) (json.RawMessage, error) {
	return a.c.change(func(s *session) (*tandemv1.Conversation, error) {
		res, err := s.client.Conversations.TakeOverConversation(a.c.ctx(), &tandemv1.TakeOverConversationRequest{ConversationId: conversationID})
		return res.GetConversation(), err
	})
}

// Transfer hands the conversation to a member (userID) or to a group's
// queue (groupID), with an optional note for them.
func (a *App) Transfer(conversationID, userID, groupID, note string) (json.RawMessage, error) {
	req := &tandemv1.TransferConversationRequest{ConversationId: conversationID, Note: strings.TrimSpace(note)}
	switch {
	case userID != "" && groupID == "":
		req.To = &tandemv1.TransferConversationRequest_UserId{UserId: userID}
	case groupID != "" && userID == "":
		req.To = &tandemv1.TransferConversationRequest_GroupId{GroupId: groupID}
	default:
		return nil, apiclient.Errorf(apiclient.KindInvalid, "Choose one teammate or one group to transfer to.")
	}
	return a.c.change(func(s *session) (*tandemv1.Conversation, error) {
		res, err := s.client.Conversations.TransferConversation(a.c.ctx(), req)
		return res.GetConversation(), err
	})
}

// Join adds the agent (a supervisor or above) as a participant.
func (a *App) Join(conversationID string) (json.RawMessage, error) {
	return a.c.change(func(s *session) (*tandemv1.Conversation, error) {
		res, err := s.client.Conversations.JoinConversation(a.c.ctx(), &tandemv1.JoinConversationRequest{ConversationId: conversationID})
		return res.GetConversation(), err
	})
}

// Leave removes the agent from the participants.
func (a *App) Leave(conversationID string) (json.RawMessage, error) {
	return a.c.change(func(s *session) (*tandemv1.Conversation, error) {
		res, err := s.client.Conversations.LeaveConversation(a.c.ctx(), &tandemv1.LeaveConversationRequest{ConversationId: conversationID})
		return res.GetConversation(), err
	})
}

// Tag puts a tag on the conversation.
func (a *App) Tag(conversationID, tagID string) (json.RawMessage, error) {
	return a.c.change(func(s *session) (*tandemv1.Conversation, error) {
		res, err := s.client.Conversations.TagConversation(a.c.ctx(), &tandemv1.TagConversationRequest{ConversationId: conversationID, TagId: tagID})
		return res.GetConversation(), err
	})
}

// Untag takes a tag off the conversation.
func (a *App) Untag(conversationID, tagID string) (json.RawMessage, error) {
	return a.c.change(func(s *session) (*tandemv1.Conversation, error) {
		res, err := s.client.Conversations.UntagConversation(a.c.ctx(), &tandemv1.UntagConversationRequest{ConversationId: conversationID, TagId: tagID})
		return res.GetConversation(), err
	})
}

// SetPriority sets the priority (the tandem.v1.Priority number).
func (a *App) SetPriority(conversationID string, priority int32) (json.RawMessage, error) {
	p := tandemv1.Priority(priority)
	if _, ok := tandemv1.Priority_name[priority]; !ok || p == tandemv1.Priority_PRIORITY_UNSPECIFIED {
		return nil, apiclient.Errorf(apiclient.KindInvalid, "Choose a priority.")
	}
	return a.c.change(func(s *session) (*tandemv1.Conversation, error) {
		res, err := s.client.Conversations.SetPriority(a.c.ctx(), &tandemv1.SetPriorityRequest{ConversationId: conversationID, Priority: p})
		return res.GetConversation(), err
	})
}

// Snooze hides the conversation until a time (unix milliseconds).
func (a *App) Snooze(conversationID string, untilMs int64) (json.RawMessage, error) {
	return a.c.change(func(s *session) (*tandemv1.Conversation, error) {
		res, err := s.client.Conversations.SnoozeConversation(a.c.ctx(), &tandemv1.SnoozeConversationRequest{ConversationId: conversationID, UntilTimeMs: untilMs})
		return res.GetConversation(), err
	})
}

// Close ends the conversation.
func (a *App) Close(conversationID string) (json.RawMessage, error) {
	return a.c.change(func(s *session) (*tandemv1.Conversation, error) {
		res, err := s.client.Conversations.CloseConversation(a.c.ctx(), &tandemv1.CloseConversationRequest{ConversationId: conversationID})
		return res.GetConversation(), err
	})
}

// MarkSpam holds the conversation as spam: out of every view but Spam,
// unowned.
func (a *App) MarkSpam(conversationID string) (json.RawMessage, error) {
	return a.c.change(func(s *session) (*tandemv1.Conversation, error) {
		res, err := s.client.Conversations.MarkSpam(a.c.ctx(), &tandemv1.MarkSpamRequest{ConversationId: conversationID})
		return res.GetConversation(), err
	})
}

// Release lets a conversation held as spam into the queue, as a new one.
func (a *App) Release(conversationID string) (json.RawMessage, error) {
	return a.c.change(func(s *session) (*tandemv1.Conversation, error) {
		res, err := s.client.Conversations.ReleaseConversation(a.c.ctx(), &tandemv1.ReleaseConversationRequest{ConversationId: conversationID})
		return res.GetConversation(), err
	})
}

// Reopen brings a closed conversation back to the queue.
func (a *App) Reopen(conversationID string) (json.RawMessage, error) {
	return a.c.change(func(s *session) (*tandemv1.Conversation, error) {
		res, err := s.client.Conversations.ReopenConversation(a.c.ctx(), &tandemv1.ReopenConversationRequest{ConversationId: conversationID})
		return res.GetConversation(), err
	})
}
