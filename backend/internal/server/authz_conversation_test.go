package server_test

import (
	"context"
	"time"

	"github.com/google/uuid"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/conversation"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// conversationFixtures extend the matrix to ConversationService and
// WidgetService. Agent procedures target a conversation of W1 (own), of W2
// (foreign) or none; widget procedures a conversation of the calling visitor
// (own), of another visitor of the same workspace (foreign) or none.
//
// Agent procedures are also called on a conversation of W1 that a colleague
// owns (colleagues), to show the ownership rule: see colleagueConversation.
func conversationFixtures(w *world) map[string]func(tg target) call {
	colleague := &access.Principal{Kind: access.KindUser, UserID: w.QuickMember(w.W1, access.RoleAgent)}
	agentConv := func(tg target) conversation.Conversation {
		switch tg {
		case own:
			return w.Conversation(w.Visitor)
		case foreign:
			return w.Conversation(w.W2Visitor)
		case colleagues:
			return w.colleagueConversation(colleague)
		}
		return conversation.Conversation{ID: uuid.NewString()}
	}
	visitorConv := func(tg target) conversation.Conversation {
		switch tg {
		case own:
			return w.Conversation(w.Visitor)
		case foreign:
			return w.Conversation(w.Other)
		}
		return conversation.Conversation{ID: uuid.NewString()}
	}
	wsID := func(tg target) string {
		switch tg {
		case own:
			return w.W1.ID
		case foreign:
			return w.W2.ID
		}
		return uuid.NewString()
	}
	ownerP := w.Principal("owner")
	contactOf := func(tg target) string {
		switch tg {
		case own:
			return w.Visitor.VisitorID
		case foreign:
			return w.W2Visitor.VisitorID
		}
		return uuid.NewString()
	}
	tagOf := func(tg target) string {
		switch tg {
		case own:
			return w.Tag(w.W1)
		case foreign:
			return w.Tag(w.W2)
		}
		return uuid.NewString()
	}
	firstOf := func(stream interface {
		Receive() bool
		Err() error
		Close() error
	}) error {
		defer func() { _ = stream.Close() }()
		if stream.Receive() {
			return nil
		}
		return stream.Err()
	}
	return map[string]func(tg target) call{
		"/tandem.v1.ConversationService/ListConversations": func(tg target) call {
			id := wsID(tg)
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Conversation.ListConversations(ctx, &tandemv1.ListConversationsRequest{WorkspaceId: id})
				return err
			}
		},
		"/tandem.v1.ConversationService/GetConversation": func(tg target) call {
			id := agentConv(tg).ID
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Conversation.GetConversation(ctx, &tandemv1.GetConversationRequest{ConversationId: id})
				return err
			}
		},
		"/tandem.v1.ConversationService/SendMessage": func(tg target) call {
			id := agentConv(tg).ID
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Conversation.SendMessage(ctx, &tandemv1.SendMessageRequest{ConversationId: id, ClientId: uuid.NewString(), Body: "hi"})
				return err
			}
		},
		"/tandem.v1.ConversationService/AddNote": func(tg target) call {
			id := agentConv(tg).ID
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Conversation.AddNote(ctx, &tandemv1.AddNoteRequest{ConversationId: id, ClientId: uuid.NewString(), Body: "note"})
				return err
			}
		},
		"/tandem.v1.ConversationService/SetTyping": func(tg target) call {
			id := agentConv(tg).ID
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Conversation.SetTyping(ctx, &tandemv1.SetTypingRequest{ConversationId: id, Typing: true})
				return err
			}
		},
		"/tandem.v1.ConversationService/MarkRead": func(tg target) call {
			id := agentConv(tg).ID
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Conversation.MarkRead(ctx, &tandemv1.MarkReadRequest{ConversationId: id})
				return err
			}
		},
		"/tandem.v1.ConversationService/CloseConversation": func(tg target) call {
			id := agentConv(tg).ID
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Conversation.CloseConversation(ctx, &tandemv1.CloseConversationRequest{ConversationId: id})
				return err
			}
		},
		"/tandem.v1.ConversationService/ReopenConversation": func(tg target) call {
			conv := agentConv(tg)
			if tg != missing {
				owner := ownerP
				if tg == foreign {
					owner = w.Principal("w2owner")
				}
				if _, err := w.Srv.Domain().Conversations.Close(w.Ctx, owner, conv.WorkspaceID, conv.ID); err != nil {
					w.T.Fatal(err)
				}
			}
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Conversation.ReopenConversation(ctx, &tandemv1.ReopenConversationRequest{ConversationId: conv.ID})
				return err
			}
		},
		"/tandem.v1.ConversationService/MarkSpam": func(tg target) call {
			id := agentConv(tg).ID
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Conversation.MarkSpam(ctx, &tandemv1.MarkSpamRequest{ConversationId: id})
				return err
			}
		},
		"/tandem.v1.ConversationService/ReleaseConversation": func(tg target) call {
			conv := agentConv(tg)
			// Held as spam through the API, a conversation is nobody's: the
			// colleague's is held in place, theirs still, for the ownership
			// rule to have something to guard.
			if tg == colleagues {
				storetest.MustExec(w.T, w.Srv.DB(), `UPDATE conversations SET state = 'spam' WHERE id = ?`, conv.ID)
			} else if tg != missing {
				owner := ownerP
				if tg == foreign {
					owner = w.Principal("w2owner")
				}
				if _, err := w.Srv.Domain().Conversations.MarkSpam(w.Ctx, owner, conv.WorkspaceID, conv.ID); err != nil {
					w.T.Fatal(err)
				}
			}
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Conversation.ReleaseConversation(ctx, &tandemv1.ReleaseConversationRequest{ConversationId: conv.ID})
				return err
			}
		},
		"/tandem.v1.ConversationService/SnoozeConversation": func(tg target) call {
			id := agentConv(tg).ID
			until := time.Now().Add(time.Hour).UnixMilli()
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Conversation.SnoozeConversation(ctx, &tandemv1.SnoozeConversationRequest{ConversationId: id, UntilTimeMs: until})
				return err
			}
		},
		"/tandem.v1.ConversationService/Watch": func(tg target) call {
			id := wsID(tg)
			return func(ctx context.Context, c rpcclient.Clients) error {
				ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				defer cancel()
				stream, err := c.Conversation.Watch(ctx, &tandemv1.WatchRequest{WorkspaceId: id})
				if err != nil {
					return err
				}
				return firstOf(stream)
			}
		},
		"/tandem.v1.ConversationService/ClaimConversation": func(tg target) call {
			id := agentConv(tg).ID
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Conversation.ClaimConversation(ctx, &tandemv1.ClaimConversationRequest{ConversationId: id})
				return err
			}
		},
		"/tandem.v1.ConversationService/AssignConversation": func(tg target) call {
			id, user := agentConv(tg).ID, w.Users["agent"].ID
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Conversation.AssignConversation(ctx, &tandemv1.AssignConversationRequest{ConversationId: id, UserId: user})
				return err
			}
		},
		"/tandem.v1.ConversationService/UnassignConversation": func(tg target) call {
			conv := agentConv(tg)
			if tg == own || tg == foreign {
				owner := w.Principal("agent") // the agent's own; everyone above may too
				if tg == foreign {
					owner = w.Principal("w2owner")
				}
				if _, err := w.Srv.Domain().Conversations.Claim(w.Ctx, owner, conv.WorkspaceID, conv.ID); err != nil {
					w.T.Fatal(err)
				}
			}
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Conversation.UnassignConversation(ctx, &tandemv1.UnassignConversationRequest{ConversationId: conv.ID})
				return err
			}
		},
		"/tandem.v1.ConversationService/TransferConversation": func(tg target) call {
			conv := agentConv(tg)
			group := uuid.NewString()
			if tg == own || tg == colleagues {
				group = w.Group(w.W1).ID
			}
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Conversation.TransferConversation(ctx, &tandemv1.TransferConversationRequest{ConversationId: conv.ID,
					To: &tandemv1.TransferConversationRequest_GroupId{GroupId: group}, Note: "billing question"})
				return err
			}
		},
		"/tandem.v1.ConversationService/TakeOverConversation": func(tg target) call {
			id := agentConv(tg).ID
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Conversation.TakeOverConversation(ctx, &tandemv1.TakeOverConversationRequest{ConversationId: id})
				return err
			}
		},
		"/tandem.v1.ConversationService/SetPriority": func(tg target) call {
			id := agentConv(tg).ID
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Conversation.SetPriority(ctx, &tandemv1.SetPriorityRequest{ConversationId: id, Priority: tandemv1.Priority_PRIORITY_HIGH})
				return err
			}
		}, "/tandem.v1.ConversationService/SetRequiredSkills": func(tg target) call {
			id := agentConv(tg).ID
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Conversation.SetRequiredSkills(ctx, &tandemv1.SetRequiredSkillsRequest{ConversationId: id, Skills: []string{"de"}})
				return err
			}
		},
		"/tandem.v1.ConversationService/TagConversation": func(tg target) call {
			conv, tag := agentConv(tg), w.Tag(w.W1)
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Conversation.TagConversation(ctx, &tandemv1.TagConversationRequest{ConversationId: conv.ID, TagId: tag})
				return err
			}
		},
		"/tandem.v1.ConversationService/UntagConversation": func(tg target) call {
			conv, tag := agentConv(tg), w.Tag(w.W1)
			if tg == own || tg == colleagues {
				if _, err := w.Srv.Domain().Conversations.Tag(w.Ctx, ownerP, w.W1.ID, conv.ID, tag); err != nil {
					w.T.Fatal(err)
				}
			}
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Conversation.UntagConversation(ctx, &tandemv1.UntagConversationRequest{ConversationId: conv.ID, TagId: tag})
				return err
			}
		},
		"/tandem.v1.ConversationService/JoinConversation": func(tg target) call {
			id := agentConv(tg).ID
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Conversation.JoinConversation(ctx, &tandemv1.JoinConversationRequest{ConversationId: id})
				return err
			}
		},
		"/tandem.v1.ConversationService/LeaveConversation": func(tg target) call {
			conv := agentConv(tg)
			if tg == own { // every person of W1 has joined, so any of them may leave
				for _, name := range []string{"owner", "admin", "supervisor", "agent"} {
					storetest.MustExec(w.T, w.Srv.DB(), `INSERT INTO participants (conversation_id, user_id, workspace_id, created_at) VALUES (?, ?, ?, 0)`,
						conv.ID, w.Users[name].ID, w.W1.ID)
				}
			}
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Conversation.LeaveConversation(ctx, &tandemv1.LeaveConversationRequest{ConversationId: conv.ID})
				return err
			}
		},
		"/tandem.v1.ContactService/GetContact": func(tg target) call {
			id := contactOf(tg)
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Contact.GetContact(ctx, &tandemv1.GetContactRequest{ContactId: id})
				return err
			}
		},
		"/tandem.v1.ContactService/UpdateContact": func(tg target) call {
			id, name := contactOf(tg), rpctest.Unique("renamed ")
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Contact.UpdateContact(ctx, &tandemv1.UpdateContactRequest{ContactId: id, Name: &name})
				return err
			}
		},
		"/tandem.v1.ContactService/SearchContacts": func(tg target) call {
			id := wsID(tg)
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Contact.SearchContacts(ctx, &tandemv1.SearchContactsRequest{WorkspaceId: id, Query: "visitor"})
				return err
			}
		},
		"/tandem.v1.PresenceService/SetPresence": func(tg target) call {
			id := wsID(tg)
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Presence.SetPresence(ctx, &tandemv1.SetPresenceRequest{WorkspaceId: id, Status: tandemv1.PresenceStatus_PRESENCE_STATUS_ONLINE})
				return err
			}
		},
		"/tandem.v1.PresenceService/SetAgentSettings": func(tg target) call {
			id, user := wsID(tg), w.Users["supervisor"].ID
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Presence.SetAgentSettings(ctx, &tandemv1.SetAgentSettingsRequest{WorkspaceId: id, UserId: user, MaxChats: 3, Skills: []string{"en"}})
				return err
			}
		},
		"/tandem.v1.PresenceService/ListAgents": func(tg target) call {
			id := wsID(tg)
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Presence.ListAgents(ctx, &tandemv1.ListAgentsRequest{WorkspaceId: id})
				return err
			}
		},
		"/tandem.v1.RoutingService/GetRoutingSettings": func(tg target) call {
			id := wsID(tg)
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Routing.GetRoutingSettings(ctx, &tandemv1.GetRoutingSettingsRequest{WorkspaceId: id})
				return err
			}
		},
		"/tandem.v1.RoutingService/UpdateRoutingSettings": func(tg target) call {
			id := wsID(tg)
			return func(ctx context.Context, c rpcclient.Clients) error {
				// Off, so that the matrix's own conversations stay unrouted.
				_, err := c.Routing.UpdateRoutingSettings(ctx, &tandemv1.UpdateRoutingSettingsRequest{WorkspaceId: id, Mode: tandemv1.RoutingMode_ROUTING_MODE_OFF})
				return err
			}
		},
		"/tandem.v1.TagService/CreateTag": func(tg target) call {
			id := wsID(tg)
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Tag.CreateTag(ctx, &tandemv1.CreateTagRequest{WorkspaceId: id, Name: rpctest.Unique("tag "), Color: "#e11d48"})
				return err
			}
		},
		"/tandem.v1.TagService/ListTags": func(tg target) call {
			id := wsID(tg)
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Tag.ListTags(ctx, &tandemv1.ListTagsRequest{WorkspaceId: id})
				return err
			}
		},
		"/tandem.v1.TagService/CountTags": func(tg target) call {
			id := wsID(tg)
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Tag.CountTags(ctx, &tandemv1.CountTagsRequest{WorkspaceId: id})
				return err
			}
		},
		"/tandem.v1.TagService/UpdateTag": func(tg target) call {
			id := tagOf(tg)
			name := rpctest.Unique("renamed ")
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Tag.UpdateTag(ctx, &tandemv1.UpdateTagRequest{TagId: id, Name: &name})
				return err
			}
		},
		"/tandem.v1.TagService/DeleteTag": func(tg target) call {
			id := tagOf(tg)
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Tag.DeleteTag(ctx, &tandemv1.DeleteTagRequest{TagId: id})
				return err
			}
		},
		"/tandem.v1.WidgetService/StartSession": func(target) call {
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Widget.StartSession(ctx, &tandemv1.StartSessionRequest{PublicKey: w.W1.PublicKey})
				return err
			}
		},
		"/tandem.v1.WidgetService/StartConversation": func(target) call {
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Widget.StartConversation(ctx, &tandemv1.StartConversationRequest{ClientId: uuid.NewString(), Body: "hello"})
				return err
			}
		},
		"/tandem.v1.WidgetService/ListMyConversations": func(target) call {
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Widget.ListMyConversations(ctx, &tandemv1.ListMyConversationsRequest{})
				return err
			}
		},
		"/tandem.v1.WidgetService/SendMessage": func(tg target) call {
			id := visitorConv(tg).ID
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Widget.SendMessage(ctx, &tandemv1.WidgetServiceSendMessageRequest{ConversationId: id, ClientId: uuid.NewString(), Body: "hi"})
				return err
			}
		},
		"/tandem.v1.WidgetService/ListMessages": func(tg target) call {
			id := visitorConv(tg).ID
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Widget.ListMessages(ctx, &tandemv1.ListMessagesRequest{ConversationId: id})
				return err
			}
		},
		"/tandem.v1.WidgetService/Watch": func(tg target) call {
			id := visitorConv(tg).ID
			return func(ctx context.Context, c rpcclient.Clients) error {
				ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				defer cancel()
				stream, err := c.Widget.Watch(ctx, &tandemv1.WidgetServiceWatchRequest{ConversationId: id})
				if err != nil {
					return err
				}
				return firstOf(stream)
			}
		},
		"/tandem.v1.WidgetService/SetTyping": func(tg target) call {
			id := visitorConv(tg).ID
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Widget.SetTyping(ctx, &tandemv1.WidgetServiceSetTypingRequest{ConversationId: id, Typing: true})
				return err
			}
		},
		"/tandem.v1.WidgetService/CloseConversation": func(tg target) call {
			id := visitorConv(tg).ID
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Widget.CloseConversation(ctx, &tandemv1.WidgetServiceCloseConversationRequest{ConversationId: id})
				return err
			}
		},
		"/tandem.v1.WidgetService/MarkSeen": func(tg target) call {
			id := visitorConv(tg).ID
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Widget.MarkSeen(ctx, &tandemv1.MarkSeenRequest{ConversationId: id, Seq: 1})
				return err
			}
		},
	}
}

// colleaguePage marks the conversations the matrix gives a colleague.
const colleaguePage = "https://shop.example/colleague"

// colleagueConversation starts a conversation of W1's visitor that the
// colleague then claims.
func (w *world) colleagueConversation(colleague *access.Principal) conversation.Conversation {
	w.T.Helper()
	c, _, err := w.Srv.Domain().Conversations.Start(w.Ctx, w.Visitor, uuid.NewString(), colleaguePage, nil, "hello "+rpctest.Unique(""))
	if err != nil {
		w.T.Fatal(err)
	}
	if c, err = w.Srv.Domain().Conversations.Claim(w.Ctx, colleague, w.W1.ID, c.ID); err != nil {
		w.T.Fatal(err)
	}
	return c
}
