// Package widget serves WidgetService: the customer's side of Tandem, for the
// web chat widget and any client acting for a customer. It holds no state of
// its own: contacts and conversations are their packages'; this handler only
// makes sure a visitor sees their own conversations and nothing internal.
package widget

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"connectrpc.com/connect"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/api/tandem/v1/tandemv1connect"
	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/bot"
	"github.com/tandem-inbox/tandem/backend/internal/contact"
	"github.com/tandem-inbox/tandem/backend/internal/conversation"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/files"
	"github.com/tandem-inbox/tandem/backend/internal/workspace"
)

// Handler serves tandem.v1.WidgetService.
type Handler struct {
	contacts      *contact.Service
	conversations *conversation.Service
	follower      *events.Follower
	cursors       *events.Cursors
	handOff       HandOffFunc
	deps          Deps
	buttons       Buttons // custom actions; see actions.go
}

var _ tandemv1connect.WidgetServiceHandler = (*Handler)(nil)

// NewHandler returns the WidgetService handler.
func NewHandler(contacts *contact.Service, conversations *conversation.Service, follower *events.Follower, cursors *events.Cursors,
	handOff HandOffFunc, deps Deps) *Handler {
	return &Handler{contacts: contacts, conversations: conversations, follower: follower, cursors: cursors, handOff: handOff, deps: deps}
}

// Deps are the handler's collaborators that GetWidgetConfig and the
// customer's view of a conversation read from. Deps holds collaborators,
// never settings (see server/wire.go).
type Deps struct {
	Workspace    func(ctx context.Context, id string) (workspace.Workspace, error)
	Groups       func(ctx context.Context, workspaceID string) ([]workspace.Group, error)
	Bot          func(ctx context.Context, workspaceID string) (bot.Settings, error)
	OnlineAgents func(ctx context.Context, workspaceID string) (int, error)
	// AgentName names the person helping: a user's display name.
	AgentName func(ctx context.Context, userID string) (string, error)
	// Transcripts mails visitors copies of their conversations (nil: the
	// server sends no mail).
	Transcripts Transcripts
	// Quarantine says why a visitor's chat is to be held as spam (it comes
	// from a flood), or "": for a new chat (newChat), or one it writes to
	// (nil: none is).
	Quarantine func(ctx context.Context, p *access.Principal, newChat bool) (string, error)
}

// spam is Deps.Quarantine's answer, "" without one.
func (h *Handler) spam(ctx context.Context, p *access.Principal, newChat bool) (string, error) {
	if h.deps.Quarantine == nil {
		return "", nil
	}
	return h.deps.Quarantine(ctx, p, newChat)
}

// Transcripts mails a visitor copies of their conversation (email.Sender).
type Transcripts interface {
	// Emailing says whether the workspace sends mail (has an email inbox).
	Emailing(ctx context.Context, workspaceID string) (bool, error)
	// RequestTranscript queues a copy of the conversation as it stands for
	// its customer's address, and returns that address; when the address is
	// not verified yet it queues a mail asking to confirm it instead
	// (confirming), whose link sends the copy.
	RequestTranscript(ctx context.Context, workspaceID, conversationID string) (to string, confirming bool, err error)
}

// widgetConv converts a conversation for its customer, with the name of the
// agent helping now (looked up; a missing user leaves it blank).
func (h *Handler) widgetConv(ctx context.Context, c *conversation.Conversation) *tandemv1.WidgetConversation {
	out := conversation.WidgetConversationToProto(c)
	if c.AssigneeID != "" && c.State != conversation.StateBot && h.deps.AgentName != nil {
		if name, err := h.deps.AgentName(ctx, c.AssigneeID); err == nil {
			out.AgentName = name
		}
	}
	return out
}

// GetWidgetConfig implements WidgetService.GetWidgetConfig.
func (h *Handler) GetWidgetConfig(ctx context.Context, _ *tandemv1.GetWidgetConfigRequest) (*tandemv1.GetWidgetConfigResponse, error) {
	ws := access.PrincipalFrom(ctx).WorkspaceID
	w, err := h.deps.Workspace(ctx, ws)
	if err != nil {
		return nil, err
	}
	st, err := h.deps.Bot(ctx, ws)
	if err != nil {
		return nil, err
	}
	online, err := h.deps.OnlineAgents(ctx, ws)
	if err != nil {
		return nil, err
	}
	resp := &tandemv1.GetWidgetConfigResponse{WorkspaceName: w.Name, Settings: workspace.WidgetToProto(w.Widget),
		BotEnabled: st.Enabled, BotName: st.Name, Greeting: st.Greeting, AgentsOnline: online > 0, OfflineMessage: st.OfflineMessage}
	if h.deps.Transcripts != nil {
		if resp.EmailTranscripts, err = h.deps.Transcripts.Emailing(ctx, ws); err != nil {
			return nil, err
		}
	}
	if w.Widget.AllowFiles {
		resp.MaxFileBytes = files.MaxSize
	}
	if w.Widget.ChooseGroup {
		gs, err := h.deps.Groups(ctx, ws)
		if err != nil {
			return nil, err
		}
		for _, g := range gs {
			resp.Groups = append(resp.Groups, &tandemv1.WidgetGroup{Id: g.ID, Name: g.Name, Description: g.Description})
		}
	}
	return resp, nil
}

// HandOffFunc hands a conversation from the AI agent to the team
// (bot.Service.HandOff).
type HandOffFunc func(ctx context.Context, p *access.Principal, workspaceID, conversationID string, reason conversation.HandoffReason, detail, question string) (bool, error)

// RateConversation implements WidgetService.RateConversation.
func (h *Handler) RateConversation(ctx context.Context, req *tandemv1.RateConversationRequest) (*tandemv1.RateConversationResponse, error) {
	p := access.PrincipalFrom(ctx)
	c, err := h.conversations.Rate(ctx, p, p.WorkspaceID, req.GetConversationId(), int(req.GetRating()), req.GetComment())
	if err != nil {
		return nil, err
	}
	return &tandemv1.RateConversationResponse{Conversation: h.widgetConv(ctx, &c)}, nil
}

// UpdateVisitor implements WidgetService.UpdateVisitor.
func (h *Handler) UpdateVisitor(ctx context.Context, req *tandemv1.UpdateVisitorRequest) (*tandemv1.UpdateVisitorResponse, error) {
	p := access.PrincipalFrom(ctx)
	if req.Name != nil || req.Email != nil {
		c, err := h.contacts.Get(ctx, p.WorkspaceID, p.VisitorID)
		if err != nil {
			return nil, err
		}
		if c.IdentityVerified {
			field := "name"
			if req.Name == nil {
				field = "email"
			}
			return nil, apperr.Invalid(field, "the store signed who you are, and your name and email come from it")
		}
	}
	if _, err := h.contacts.Update(ctx, p, p.WorkspaceID, p.VisitorID, req.Name, req.Email, req.GetAttributes()); err != nil {
		return nil, err
	}
	return &tandemv1.UpdateVisitorResponse{}, nil
}

// RequestHuman implements WidgetService.RequestHuman.
func (h *Handler) RequestHuman(ctx context.Context, req *tandemv1.RequestHumanRequest) (*tandemv1.RequestHumanResponse, error) {
	p := access.PrincipalFrom(ctx)
	if _, err := h.handOff(ctx, p, p.WorkspaceID, req.GetConversationId(), conversation.HandoffCustomerRequest,
		"the customer asked for a person", ""); err != nil {
		return nil, err
	}
	c, err := h.conversations.Get(ctx, p.WorkspaceID, req.GetConversationId())
	if err != nil {
		return nil, err
	}
	return &tandemv1.RequestHumanResponse{Conversation: h.widgetConv(ctx, &c)}, nil
}

// userAgent is the caller's User-Agent header: a browser's, for the widget.
func userAgent(ctx context.Context) string {
	if info, ok := connect.CallInfoForHandlerContext(ctx); ok {
		return info.RequestHeader().Get("User-Agent")
	}
	return ""
}

func key(p *access.Principal) string { return "v:" + p.VisitorID }

// StartSession implements WidgetService.StartSession.
func (h *Handler) StartSession(ctx context.Context, req *tandemv1.StartSessionRequest) (*tandemv1.StartSessionResponse, error) {
	s, err := h.contacts.StartSession(ctx, contact.SessionRequest{PublicKey: req.GetPublicKey(), IdentityJSON: req.GetIdentityJson(),
		IdentitySignature: req.GetIdentitySignature(), Name: req.GetName(), Email: req.GetEmail(), Attributes: req.GetAttributes(),
		UserAgent: userAgent(ctx), TimeZone: req.GetTimeZone(), PageURL: req.GetPageUrl()})
	if err != nil {
		return nil, err
	}
	return &tandemv1.StartSessionResponse{Token: s.Token, ExpireTimeMs: s.ExpiresAt, ContactId: s.Contact.ID,
		IdentityVerified: s.Contact.IdentityVerified, WorkspaceName: s.WorkspaceName}, nil
}

// StartConversation implements WidgetService.StartConversation.
func (h *Handler) StartConversation(ctx context.Context, req *tandemv1.StartConversationRequest) (*tandemv1.StartConversationResponse, error) {
	spam, err := h.spam(ctx, access.PrincipalFrom(ctx), true)
	if err != nil {
		return nil, err
	}
	c, m, err := h.conversations.StartChat(ctx, access.PrincipalFrom(ctx), conversation.Chat{ClientID: req.GetClientId(),
		PageURL: req.GetPageUrl(), Fields: req.GetCustomFields(), Body: req.GetBody(), GroupID: req.GetGroupId(), Spam: spam})
	if err != nil {
		return nil, err
	}
	if req.GetPageUrl() != "" { // remembered for the profile (a retry only moves it to the front again)
		p := access.PrincipalFrom(ctx)
		if err := h.contacts.Visited(ctx, p, p.WorkspaceID, p.VisitorID, req.GetPageUrl()); err != nil {
			return nil, err
		}
	}
	resp := &tandemv1.StartConversationResponse{Conversation: h.widgetConv(ctx, &c)}
	if m != nil {
		resp.Message = conversation.WidgetMessageToProto(m)
	}
	return resp, nil
}

// ListMyConversations implements WidgetService.ListMyConversations.
func (h *Handler) ListMyConversations(ctx context.Context, _ *tandemv1.ListMyConversationsRequest) (*tandemv1.ListMyConversationsResponse, error) {
	cs, err := h.conversations.OfContact(ctx, access.PrincipalFrom(ctx).VisitorID)
	if err != nil {
		return nil, err
	}
	resp := &tandemv1.ListMyConversationsResponse{}
	for i := range cs {
		resp.Conversations = append(resp.Conversations, h.widgetConv(ctx, &cs[i]))
	}
	return resp, nil
}

// SendMessage implements WidgetService.SendMessage.
func (h *Handler) SendMessage(ctx context.Context, req *tandemv1.WidgetServiceSendMessageRequest) (*tandemv1.WidgetServiceSendMessageResponse, error) {
	p := access.PrincipalFrom(ctx)
	if len(req.GetFileIds()) > 0 {
		// The workspace may have turned files off after they were uploaded.
		w, err := h.deps.Workspace(ctx, p.WorkspaceID)
		if err != nil {
			return nil, err
		}
		if !w.Widget.AllowFiles {
			return nil, files.ErrFilesOff
		}
	}
	// A flooding chat's words wait in quarantine, before the AI agent or
	// the queue sees them.
	if spam, err := h.spam(ctx, p, false); err != nil {
		return nil, err
	} else if spam != "" {
		if _, err := h.conversations.Quarantine(ctx, p.WorkspaceID, req.GetConversationId(), spam); err != nil {
			return nil, err
		}
	}
	m, c, err := h.conversations.PostFiles(ctx, p, p.WorkspaceID, req.GetConversationId(), req.GetClientId(), req.GetBody(), req.GetFileIds())
	if err != nil {
		return nil, err
	}
	return &tandemv1.WidgetServiceSendMessageResponse{Message: conversation.WidgetMessageToProto(&m),
		Conversation: h.widgetConv(ctx, &c)}, nil
}

// ListMessages implements WidgetService.ListMessages.
func (h *Handler) ListMessages(ctx context.Context, req *tandemv1.ListMessagesRequest) (*tandemv1.ListMessagesResponse, error) {
	p := access.PrincipalFrom(ctx)
	head, err := h.follower.Head(ctx, p.WorkspaceID)
	if err != nil {
		return nil, err
	}
	ms, next, err := h.conversations.History(ctx, req.GetConversationId(), req.GetPageSize(), req.GetPageToken(), true)
	if err != nil {
		return nil, err
	}
	resp := &tandemv1.ListMessagesResponse{NextPageToken: next, Cursor: h.cursors.Make(p.WorkspaceID, key(p), head)}
	for i := range ms {
		resp.Messages = append(resp.Messages, conversation.WidgetMessageToProto(&ms[i]))
	}
	if req.GetPageToken() == "" { // read after head: no older than the cursor
		c, err := h.conversations.Get(ctx, p.WorkspaceID, req.GetConversationId())
		if err != nil {
			return nil, err
		}
		resp.Conversation = h.widgetConv(ctx, &c)
	}
	return resp, nil
}

// Watch implements WidgetService.Watch: the conversation's public events
// only, in the customer's shape.
func (h *Handler) Watch(ctx context.Context, req *tandemv1.WidgetServiceWatchRequest, stream *connect.ServerStream[tandemv1.WidgetServiceWatchResponse]) error {
	p := access.PrincipalFrom(ctx)
	convID := req.GetConversationId()
	after, err := h.follower.Start(ctx, h.cursors, req.GetCursor(), p.WorkspaceID, key(p))
	if err != nil {
		return err
	}
	// Where a waiting conversation stands changes with the others in the
	// queue, so heartbeats refresh it; one that is not waiting can only
	// start to with an event of its own, after which they look again.
	// Streams of customers who wait for no one cost no queries.
	waiting := true // unknown until the first look
	queue := func() (*tandemv1.QueueStatus, error) {
		q, err := h.queueStatus(ctx, p.WorkspaceID, p.VisitorID, convID)
		waiting = q != nil
		return q, err
	}
	// Changes the customer does not see as such (a handoff, an assignment,
	// a transfer) still change who helps them: those events pass on the
	// conversation alone, when what the customer sees of it changed.
	var shown *tandemv1.WidgetConversation
	changed := func(c *tandemv1.WidgetConversation) bool {
		if shown != nil && shown.GetState() == c.GetState() && shown.GetAgentName() == c.GetAgentName() {
			return false
		}
		shown = c
		return true
	}
	return h.follower.Follow(ctx, p.WorkspaceID, convID, after, events.Sink{
		Event: func(ev events.Event) error {
			if ev.ConversationID != convID {
				return nil
			}
			var pl conversation.Payload
			if err := json.Unmarshal(ev.Payload, &pl); err != nil {
				return err
			}
			if ev.Visibility != events.Public {
				waiting = true // a change the customer does not see (a handoff, a transfer): look again
				if pl.Conversation == nil || pl.Conversation.ID != convID {
					return nil
				}
				c := h.widgetConv(ctx, pl.Conversation)
				if !changed(c) {
					return nil
				}
				resp := &tandemv1.WidgetServiceWatchResponse{Cursor: h.cursors.Make(p.WorkspaceID, key(p), events.At(ev)),
					Event: &tandemv1.WidgetEvent{Seq: ev.Seq, Type: string(events.ConversationChanged), ConversationId: convID, CreateTimeMs: ev.CreatedAt,
						Conversation: c}}
				if resp.Queue, err = queue(); err != nil {
					return err
				}
				return stream.Send(resp)
			}
			out := &tandemv1.WidgetEvent{Seq: ev.Seq, Type: string(ev.Type), ConversationId: ev.ConversationID, CreateTimeMs: ev.CreatedAt,
				ActorKind: conversation.AuthorToProto(ev.ActorKind)}
			if pl.Conversation != nil {
				out.Conversation = h.widgetConv(ctx, pl.Conversation)
				changed(out.Conversation)
			}
			if pl.Message != nil {
				if pl.Message.Visibility != string(events.Public) {
					return nil
				}
				out.Message = conversation.WidgetMessageToProto(pl.Message)
				out.ActorName = pl.Message.AuthorName
			}
			resp := &tandemv1.WidgetServiceWatchResponse{Event: out, Cursor: h.cursors.Make(p.WorkspaceID, key(p), events.At(ev))}
			if pl.Conversation != nil { // its state changed: where does it stand now?
				if resp.Queue, err = queue(); err != nil {
					return err
				}
			}
			return stream.Send(resp)
		},
		Ephemeral: func(e events.Ephemeral) error {
			if e.Visibility != events.Public || e.ConversationID != convID {
				return nil
			}
			return stream.Send(&tandemv1.WidgetServiceWatchResponse{Event: &tandemv1.WidgetEvent{Type: string(e.Type),
				ConversationId: e.ConversationID, CreateTimeMs: e.CreatedAt, Typing: e.Typing,
				ActorKind: conversation.AuthorToProto(e.ActorKind), ActorName: e.ActorName}})
		},
		Heartbeat: func(pos events.Position) error {
			if p.ExpiresAt != 0 && p.ExpiresAt <= time.Now().UnixMilli() {
				return apperr.New(apperr.Unauthenticated, "this chat session has expired; start a new one")
			}
			var q *tandemv1.QueueStatus
			if waiting {
				var err error
				if q, err = queue(); err != nil {
					return err
				}
			}
			return stream.Send(&tandemv1.WidgetServiceWatchResponse{Heartbeat: true, Cursor: h.cursors.Make(p.WorkspaceID, key(p), pos), Queue: q})
		},
	})
}

// queueStatus says where a waiting conversation stands (nil when it is not
// waiting for a person): its place, whether anyone is online, the expected
// wait from the team's measured pick-up times (none while nobody is online),
// and whether the team can also answer the visitor by email.
func (h *Handler) queueStatus(ctx context.Context, workspaceID, visitorID, id string) (*tandemv1.QueueStatus, error) {
	pos, err := h.conversations.QueuePosition(ctx, workspaceID, id)
	if err != nil || pos == 0 {
		return nil, err
	}
	q := &tandemv1.QueueStatus{Position: int32(pos)} //nolint:gosec // a place in one workspace's queue
	online, err := h.deps.OnlineAgents(ctx, workspaceID)
	if err != nil {
		return nil, err
	}
	q.AgentsOnline = online > 0
	if online > 0 {
		pickups, err := h.conversations.PickupTimes(ctx, workspaceID, time.Now().Add(-waitWindow), waitSamples)
		if err != nil {
			return nil, err
		}
		est, wait := EstimateWait(pickups, pos, online)
		q.ExpectedWaitMs, q.Wait = est.Milliseconds(), wait
	}
	if c, err := h.contacts.Get(ctx, workspaceID, visitorID); err == nil {
		q.EmailKnown = c.Email != ""
	}
	if !q.EmailKnown {
		q.AskEmail = !q.AgentsOnline
		if w, err := h.deps.Workspace(ctx, workspaceID); err == nil && w.Widget.AskEmailAfterMinutes > 0 && !q.AskEmail {
			since, err := h.conversations.WaitingSince(ctx, workspaceID, id)
			if err != nil {
				return nil, err
			}
			q.AskEmail = time.Since(since) >= time.Duration(w.Widget.AskEmailAfterMinutes)*time.Minute
		}
	}
	return q, nil
}

// SetTyping implements WidgetService.SetTyping.
func (h *Handler) SetTyping(ctx context.Context, req *tandemv1.WidgetServiceSetTypingRequest) (*tandemv1.WidgetServiceSetTypingResponse, error) {
	p := access.PrincipalFrom(ctx)
	if err := h.conversations.Typing(ctx, p, p.WorkspaceID, req.GetConversationId(), req.GetTyping()); err != nil {
		return nil, err
	}
	return &tandemv1.WidgetServiceSetTypingResponse{}, nil
}

// CloseConversation implements WidgetService.CloseConversation.
func (h *Handler) CloseConversation(ctx context.Context, req *tandemv1.WidgetServiceCloseConversationRequest) (*tandemv1.WidgetServiceCloseConversationResponse, error) {
	p := access.PrincipalFrom(ctx)
	c, err := h.conversations.Close(ctx, p, p.WorkspaceID, req.GetConversationId())
	if err != nil {
		return nil, err
	}
	return &tandemv1.WidgetServiceCloseConversationResponse{Conversation: h.widgetConv(ctx, &c)}, nil
}

// MarkSeen implements WidgetService.MarkSeen.
func (h *Handler) MarkSeen(ctx context.Context, req *tandemv1.MarkSeenRequest) (*tandemv1.MarkSeenResponse, error) {
	if err := h.conversations.MarkSeen(ctx, access.PrincipalFrom(ctx), req.GetConversationId(), req.GetSeq()); err != nil {
		return nil, err
	}
	return &tandemv1.MarkSeenResponse{}, nil
}

// EmailTranscript implements WidgetService.EmailTranscript.
func (h *Handler) EmailTranscript(ctx context.Context, req *tandemv1.EmailTranscriptRequest) (*tandemv1.EmailTranscriptResponse, error) {
	if h.deps.Transcripts == nil {
		return nil, errNoMail
	}
	p := access.PrincipalFrom(ctx)
	// Checked first: a refused request changes nothing, not even the address.
	if ok, err := h.deps.Transcripts.Emailing(ctx, p.WorkspaceID); err != nil {
		return nil, err
	} else if !ok {
		return nil, errNoMail
	}
	if email := req.GetEmail(); email != "" {
		c, err := h.contacts.Get(ctx, p.WorkspaceID, p.VisitorID)
		if err != nil {
			return nil, err
		}
		if !strings.EqualFold(c.Email, email) {
			if _, err := h.UpdateVisitor(ctx, &tandemv1.UpdateVisitorRequest{Email: &email}); err != nil {
				return nil, err
			}
		}
	}
	to, confirming, err := h.deps.Transcripts.RequestTranscript(ctx, p.WorkspaceID, req.GetConversationId())
	if err != nil {
		return nil, err
	}
	return &tandemv1.EmailTranscriptResponse{Email: to, ConfirmationSent: confirming}, nil
}

// errNoMail answers a transcript asked of a server or workspace that sends
// no mail.
var errNoMail = apperr.New(apperr.FailedPrecondition, "this workspace does not send email")
