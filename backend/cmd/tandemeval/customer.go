package main

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
)

// Turn is one customer message and what came of it.
type Turn struct {
	Sent string `json:"sent"`
	// Outcome is "answer" (the AI agent replied and kept the conversation),
	// "handoff" (it went to the team), "none" (nothing within the wait) or
	// "not_sent" (an earlier message was already handed off).
	Outcome string `json:"outcome"`
	// Reply is the AI agent's answer, or the message it said on handoff.
	Reply     string     `json:"reply,omitempty"`
	Citations []Citation `json:"citations,omitempty"`
	WaitMs    int64      `json:"wait_ms"`
}

// Citation is a source an answer cites.
type Citation struct {
	Document string `json:"document"` // the file name it was uploaded under
	Heading  string `json:"heading,omitempty"`
}

// Transcript is one case's conversation as the customer saw it.
type Transcript struct {
	ConversationID string `json:"conversation_id"`
	Turns          []Turn `json:"turns"`
	// BotMessages are all the AI agent's messages in the conversation.
	BotMessages []string `json:"-"`
}

// converse asks the case's messages as a new widget visitor in a new
// conversation, one by one, waiting after each until the AI agent answered
// or the conversation was handed off. Once handed off, the remaining
// messages are not sent: a person will read them.
func (t *tandem) converse(ctx context.Context, ws workspace, c Case, wait time.Duration) (Transcript, error) {
	var tr Transcript
	start := &tandemv1.StartSessionRequest{PublicKey: ws.publicKey, Name: "Sam Customer", PageUrl: "https://help.example/"}
	if v := c.Visitor; v != nil {
		start.Name, start.Email, start.Attributes = v.Name, v.Email, v.Attributes
	}
	sess, err := t.clients.Widget.StartSession(ctx, start)
	if err != nil {
		return tr, fmt.Errorf("start session: %w", err)
	}
	vctx := rpcclient.WithToken(ctx, sess.GetToken())
	byID := map[string]string{}
	for name, id := range ws.docs {
		byID[id] = name
	}
	for i, body := range c.Messages {
		if i > 0 && tr.Turns[i-1].Outcome != "answer" {
			tr.Turns = append(tr.Turns, Turn{Sent: body, Outcome: "not_sent"})
			continue
		}
		start := time.Now()
		var seq int64
		if i == 0 {
			res, err := t.clients.Widget.StartConversation(vctx, &tandemv1.StartConversationRequest{ClientId: uuid.NewString(),
				PageUrl: "https://help.example/", Body: body})
			if err != nil {
				return tr, fmt.Errorf("start conversation: %w", err)
			}
			tr.ConversationID, seq = res.GetConversation().GetId(), res.GetMessage().GetSeq()
		} else {
			res, err := t.clients.Widget.SendMessage(vctx, &tandemv1.WidgetServiceSendMessageRequest{ConversationId: tr.ConversationID,
				ClientId: uuid.NewString(), Body: body})
			if err != nil {
				return tr, fmt.Errorf("send message %d: %w", i+1, err)
			}
			seq = res.GetMessage().GetSeq()
		}
		turn, err := t.await(vctx, tr.ConversationID, seq, wait, byID)
		if err != nil {
			return tr, err
		}
		turn.Sent, turn.WaitMs = body, time.Since(start).Milliseconds()
		tr.Turns = append(tr.Turns, turn)
	}
	page, err := t.clients.Widget.ListMessages(vctx, &tandemv1.ListMessagesRequest{ConversationId: tr.ConversationID, PageSize: 200})
	if err != nil {
		return tr, fmt.Errorf("list messages: %w", err)
	}
	for _, m := range page.GetMessages() {
		if m.GetAuthorKind() == tandemv1.AuthorKind_AUTHOR_KIND_BOT {
			tr.BotMessages = append(tr.BotMessages, m.GetBody())
		}
	}
	return tr, nil
}

// await polls the conversation as its customer sees it until, after the
// message at seq, the conversation left the AI agent (a handoff) or the AI
// agent wrote (an answer), or the wait ran out.
func (t *tandem) await(ctx context.Context, conversationID string, seq int64, wait time.Duration, docByID map[string]string) (Turn, error) {
	deadline := time.Now().Add(wait)
	for {
		page, err := t.clients.Widget.ListMessages(ctx, &tandemv1.ListMessagesRequest{ConversationId: conversationID, PageSize: 50})
		if err != nil {
			return Turn{}, fmt.Errorf("list messages: %w", err)
		}
		var bot *tandemv1.WidgetMessage
		for _, m := range page.GetMessages() { // newest first
			if m.GetSeq() > seq && m.GetAuthorKind() == tandemv1.AuthorKind_AUTHOR_KIND_BOT && m.GetKind() == tandemv1.MessageKind_MESSAGE_KIND_TEXT {
				bot = m
				break
			}
		}
		handedOff := page.GetConversation().GetState() != tandemv1.ConversationState_CONVERSATION_STATE_BOT
		switch {
		case handedOff:
			turn := Turn{Outcome: "handoff"}
			if bot != nil {
				turn.Reply = bot.GetBody()
			}
			return turn, nil
		case bot != nil:
			turn := Turn{Outcome: "answer", Reply: bot.GetBody()}
			for _, c := range bot.GetCitations() {
				name := docByID[c.GetDocumentId()]
				if name == "" {
					name = c.GetDocumentTitle()
				}
				turn.Citations = append(turn.Citations, Citation{Document: name, Heading: c.GetHeading()})
			}
			return turn, nil
		case time.Now().After(deadline):
			return Turn{Outcome: "none"}, nil
		}
		select {
		case <-ctx.Done():
			return Turn{}, ctx.Err()
		case <-time.After(40 * time.Millisecond):
		}
	}
}
