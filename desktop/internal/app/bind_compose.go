package app

import (
	"encoding/json"
	"errors"
	"strings"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/desktop/internal/apiclient"
	"github.com/tandem-inbox/tandem/desktop/internal/outbox"
)

// Reply queues a message to the customer, with files picked by PickFiles
// (by their ids). It returns once the message and its files are safely on
// disk ("queued"); it is sent at once when the server is reachable, and in
// order with the others when it comes back.
func (a *App) Reply(conversationID, body string, fileIDs []string) (outbox.Item, error) {
	files, err := a.c.pickedFiles(fileIDs)
	if err != nil {
		return outbox.Item{}, err
	}
	return a.c.enqueue(conversationID, outbox.Reply, body, nil, false, files)
}

// Note queues an internal note; mentions are the user ids of members named
// with @, and a whisper is addressed to the conversation's owner.
func (a *App) Note(conversationID, body string, mentions []string, whisper bool) (outbox.Item, error) {
	return a.c.enqueue(conversationID, outbox.Note, body, mentions, whisper, nil)
}

func (c *core) enqueue(conversationID string, kind outbox.Kind, body string, mentions []string, whisper bool, files []outbox.File) (outbox.Item, error) {
	c.mu.Lock()
	sess := c.sess
	c.mu.Unlock()
	if sess == nil {
		return outbox.Item{}, apiclient.Errorf(apiclient.KindSignedOut, "Sign in first.")
	}
	if strings.TrimSpace(body) == "" && len(files) == 0 {
		return outbox.Item{}, apiclient.Errorf(apiclient.KindInvalid, "Write something first.")
	}
	if len(body) > outbox.MaxBodyBytes {
		return outbox.Item{}, apiclient.Errorf(apiclient.KindInvalid, "This message is too long. Split it in two.")
	}
	wsID := ""
	if ws := sess.workspace(); ws != nil {
		wsID = ws.id
	}
	it, err := c.outbox.Enqueue(outbox.Draft{Identity: sess.id, WorkspaceID: wsID, ConversationID: conversationID,
		Kind: kind, Body: body, Mentions: mentions, Whisper: whisper, Files: files})
	if errors.Is(err, outbox.ErrFileTooBig) {
		return outbox.Item{}, apiclient.Errorf(apiclient.KindInvalid, "Files can be at most 10 MB each.")
	}
	if err != nil {
		return outbox.Item{}, apiclient.Errorf(apiclient.KindInternal, "Your message could not be saved on this computer: "+err.Error())
	}
	c.mu.Lock()
	for id, p := range c.picked {
		for _, f := range files {
			if f.Source == p {
				delete(c.picked, id)
			}
		}
	}
	c.mu.Unlock()
	return it, nil
}

// Retry sends a failed item again.
func (a *App) Retry(clientID string) (outbox.Item, error) {
	it, err := a.c.outbox.Retry(clientID)
	if errors.Is(err, outbox.ErrNotFound) {
		return it, apiclient.Errorf(apiclient.KindNotFound, "That message is no longer in the outbox.")
	}
	return it, err
}

// Discard takes an unsent item out of the outbox and returns it, so that
// its text can be edited and sent again.
func (a *App) Discard(clientID string) (outbox.Item, error) {
	it, err := a.c.outbox.Discard(clientID)
	switch {
	case errors.Is(err, outbox.ErrNotFound):
		return it, apiclient.Errorf(apiclient.KindNotFound, "That message is no longer in the outbox.")
	case errors.Is(err, outbox.ErrInFlight):
		return it, apiclient.Errorf(apiclient.KindConflict, "That message is being sent right now.")
	case errors.Is(err, outbox.ErrFinal):
		return it, apiclient.Errorf(apiclient.KindConflict, "That message was already delivered.")
	}
	return it, err
}

// Typing tells the customer and teammates whether the agent is typing.
func (a *App) Typing(conversationID string, typing bool) error {
	sess, _, err := a.c.current()
	if err != nil {
		return err
	}
	_, err = sess.client.Conversations.SetTyping(a.c.ctx(), &tandemv1.SetTypingRequest{ConversationId: conversationID, Typing: typing})
	return err
}

// CannedResponses finds saved replies whose shortcut starts with the query
// or whose title or body contains it (protobuf JSON CannedResponses).
func (a *App) CannedResponses(query string) ([]json.RawMessage, error) {
	sess, ws, err := a.c.current()
	if err != nil {
		return nil, err
	}
	res, err := sess.client.Canned.ListCannedResponses(a.c.ctx(), &tandemv1.ListCannedResponsesRequest{WorkspaceId: ws.id, Query: strings.TrimSpace(query), PageSize: 50})
	if err != nil {
		return nil, err
	}
	return wires(res.GetCannedResponses()), nil
}

// RenderCanned fills a saved reply's variables for a conversation.
func (a *App) RenderCanned(cannedResponseID, conversationID string) (string, error) {
	sess, _, err := a.c.current()
	if err != nil {
		return "", err
	}
	res, err := sess.client.Canned.RenderCannedResponse(a.c.ctx(), &tandemv1.RenderCannedResponseRequest{CannedResponseId: cannedResponseID, ConversationId: conversationID})
	if err != nil {
		return "", err
	}
	return res.GetText(), nil
}
