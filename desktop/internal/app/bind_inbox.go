package app

import (
	"encoding/json"
	"slices"
	"strings"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/desktop/internal/apiclient"
)

// DirectoryView is what the inbox needs to name things and to filter:
// protobuf JSON of Member, Group and Tag, plus the agent's groups.
type DirectoryView struct {
	Members  []json.RawMessage `json:"members"`
	Groups   []json.RawMessage `json:"groups"`
	Tags     []json.RawMessage `json:"tags"`
	MyGroups []string          `json:"my_groups"`
}

// ConversationView is a conversation with a page of its history, oldest
// first; More continues to older history.
type ConversationView struct {
	Conversation json.RawMessage   `json:"conversation"`
	History      []json.RawMessage `json:"history"`
	More         string            `json:"more"`
}

// ContactView is a customer's profile with their conversations, newest first.
type ContactView struct {
	Contact       json.RawMessage   `json:"contact"`
	Conversations []json.RawMessage `json:"conversations"`
}

// Conversations returns the live inbox (protobuf JSON Conversations), most
// recently active first.
func (a *App) Conversations() ([]json.RawMessage, error) {
	_, ws, err := a.c.current()
	if err != nil {
		return nil, err
	}
	return wires(ws.inbox.List()), nil
}

// Directory returns the workspace's members, groups and tags.
func (a *App) Directory() (DirectoryView, error) {
	sess, ws, err := a.c.current()
	if err != nil {
		return DirectoryView{}, err
	}
	ws.mu.Lock()
	defer ws.mu.Unlock()
	v := DirectoryView{Members: wires(ws.members), Groups: wires(ws.groups), Tags: wires(ws.tags), MyGroups: []string{}}
	for _, g := range ws.groups {
		if slices.Contains(g.GetMemberUserIds(), sess.id.UserID) {
			v.MyGroups = append(v.MyGroups, g.GetId())
		}
	}
	return v, nil
}

// allStates includes closed conversations, which lists leave out by default.
var allStates = []tandemv1.ConversationState{
	tandemv1.ConversationState_CONVERSATION_STATE_BOT, tandemv1.ConversationState_CONVERSATION_STATE_PENDING,
	tandemv1.ConversationState_CONVERSATION_STATE_ACTIVE, tandemv1.ConversationState_CONVERSATION_STATE_SNOOZED,
	tandemv1.ConversationState_CONVERSATION_STATE_CLOSED,
}

// Search finds conversations, closed ones included, with a message
// containing the text.
func (a *App) Search(text string) ([]json.RawMessage, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return []json.RawMessage{}, nil
	}
	return a.c.list(&tandemv1.ConversationFilter{States: allStates, Text: text}, 100)
}

// Closed returns the most recently closed conversations.
func (a *App) Closed() ([]json.RawMessage, error) {
	return a.c.list(&tandemv1.ConversationFilter{States: []tandemv1.ConversationState{tandemv1.ConversationState_CONVERSATION_STATE_CLOSED}}, 100)
}

// Spam returns the conversations held as spam, which lists leave out by
// default.
func (a *App) Spam() ([]json.RawMessage, error) {
	return a.c.list(&tandemv1.ConversationFilter{States: []tandemv1.ConversationState{tandemv1.ConversationState_CONVERSATION_STATE_SPAM}}, 100)
}

func (c *core) list(f *tandemv1.ConversationFilter, n int32) ([]json.RawMessage, error) {
	sess, ws, err := c.current()
	if err != nil {
		return nil, err
	}
	res, err := sess.client.Conversations.ListConversations(c.ctx(), &tandemv1.ListConversationsRequest{WorkspaceId: ws.id, Filter: f, PageSize: n})
	if err != nil {
		return nil, err
	}
	return wires(res.GetConversations()), nil
}

// Open returns a conversation with its latest history and marks it read
// (reading a conversation is how an agent observes it: nobody is told).
func (a *App) Open(conversationID string) (ConversationView, error) {
	sess, ws, err := a.c.current()
	if err != nil {
		return ConversationView{}, err
	}
	v, err := a.c.history(sess, conversationID, "")
	if err != nil {
		return v, err
	}
	if _, err := sess.client.Conversations.MarkRead(a.c.ctx(), &tandemv1.MarkReadRequest{ConversationId: conversationID}); err != nil {
		a.c.log.Info("mark read", "err", err)
	} else {
		ws.inbox.MarkRead(conversationID)
	}
	return v, nil
}

// MarkRead marks what the agent has seen of a conversation as read.
func (a *App) MarkRead(conversationID string) error {
	sess, ws, err := a.c.current()
	if err != nil {
		return err
	}
	if _, err := sess.client.Conversations.MarkRead(a.c.ctx(), &tandemv1.MarkReadRequest{ConversationId: conversationID}); err != nil {
		return err
	}
	ws.inbox.MarkRead(conversationID)
	return nil
}

// Older returns the page of history before the page token.
func (a *App) Older(conversationID, pageToken string) (ConversationView, error) {
	sess, _, err := a.c.current()
	if err != nil {
		return ConversationView{}, err
	}
	if pageToken == "" {
		return ConversationView{}, apiclient.Errorf(apiclient.KindInvalid, "There is no older history.")
	}
	return a.c.history(sess, conversationID, pageToken)
}

func (c *core) history(sess *session, id, token string) (ConversationView, error) {
	res, err := sess.client.Conversations.GetConversation(c.ctx(), &tandemv1.GetConversationRequest{ConversationId: id, PageSize: 100, PageToken: token})
	if err != nil {
		return ConversationView{}, err
	}
	h := slices.Clone(res.GetHistory())
	slices.Reverse(h)
	return ConversationView{Conversation: wire(res.GetConversation()), History: wires(h), More: res.GetNextPageToken()}, nil
}

// Contact returns a customer's profile and past conversations.
func (a *App) Contact(contactID string) (ContactView, error) {
	sess, _, err := a.c.current()
	if err != nil {
		return ContactView{}, err
	}
	res, err := sess.client.Contacts.GetContact(a.c.ctx(), &tandemv1.GetContactRequest{ContactId: contactID})
	if err != nil {
		return ContactView{}, err
	}
	return ContactView{Contact: wire(res.GetContact()), Conversations: wires(res.GetConversations())}, nil
}

// EmailMessages returns what the mails of an email conversation carried
// besides their words, and whether each reply was mailed (protobuf JSON
// ListEmailMessagesResponse, oldest first): the sender's check,
// recipients, CC, the full original text, each reply's delivery.
func (a *App) EmailMessages(conversationID string) (json.RawMessage, error) {
	sess, _, err := a.c.current()
	if err != nil {
		return nil, err
	}
	res, err := sess.client.Email.ListEmailMessages(a.c.ctx(), &tandemv1.ListEmailMessagesRequest{ConversationId: conversationID})
	if err != nil {
		return nil, err
	}
	return wire(res), nil
}

// EmailThread returns where an email conversation's replies go (protobuf
// JSON EmailThread): the customer's address, the CC and the subject.
func (a *App) EmailThread(conversationID string) (json.RawMessage, error) {
	sess, _, err := a.c.current()
	if err != nil {
		return nil, err
	}
	res, err := sess.client.Email.GetEmailThread(a.c.ctx(), &tandemv1.GetEmailThreadRequest{ConversationId: conversationID})
	if err != nil {
		return nil, err
	}
	return wire(res.GetEmailThread()), nil
}

// SetEmailThread sets the CC and the subject of an email conversation's
// replies to come ("" subject: "Re: " and the conversation's).
func (a *App) SetEmailThread(conversationID string, cc []string, subject string) (json.RawMessage, error) {
	sess, _, err := a.c.current()
	if err != nil {
		return nil, err
	}
	res, err := sess.client.Email.UpdateEmailThread(a.c.ctx(), &tandemv1.UpdateEmailThreadRequest{ConversationId: conversationID, Cc: cc,
		Subject: subject})
	if err != nil {
		return nil, err
	}
	return wire(res.GetEmailThread()), nil
}
