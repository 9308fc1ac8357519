package conversation

import (
	"context"
	"time"

	"connectrpc.com/connect"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/api/tandem/v1/tandemv1connect"
	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/contact"
	"github.com/tandem-inbox/tandem/backend/internal/events"
)

// HandlerDeps are the handler's collaborators besides the service, what the
// Watch handlers need (the service's own are Deps). They are collaborators,
// never settings (see server/wire.go).
type HandlerDeps struct {
	Follower *events.Follower
	Cursors  *events.Cursors
	// Roles reads a member's current role (workspace.Service.Role).
	Roles access.MembershipLookup
	// Guard returns a context that ends, with the reason as its cause,
	// when p may no longer read the workspace (account.StreamGuard.Guard),
	// and its release.
	Guard func(ctx context.Context, p *access.Principal, workspaceID string) (context.Context, func())
	// Seen records that a member's app is connected (presence.Activity.Seen).
	Seen func(ctx context.Context, workspaceID, userID string) error
}

// Handler serves tandem.v1.ConversationService.
type Handler struct {
	svc      *Service
	contacts *contact.Service
	deps     HandlerDeps
	events   *eventCache
}

var _ tandemv1connect.ConversationServiceHandler = (*Handler)(nil)

// NewHandler returns the ConversationService handler.
func NewHandler(svc *Service, contacts *contact.Service, deps HandlerDeps) *Handler {
	return &Handler{svc: svc, contacts: contacts, deps: deps, events: newEventCache()}
}

// withContacts converts conversations, loading their contacts in one query.
func (h *Handler) withContacts(ctx context.Context, cs []Conversation) ([]*tandemv1.Conversation, error) {
	ids := make([]string, 0, len(cs))
	for _, c := range cs {
		ids = append(ids, c.ContactID)
	}
	contacts, err := h.contacts.ByIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]*tandemv1.Conversation, len(cs))
	for i := range cs {
		ct := contacts[cs[i].ContactID]
		out[i] = ToProto(&cs[i], &ct)
	}
	return out, nil
}

func (h *Handler) one(ctx context.Context, c Conversation) (*tandemv1.Conversation, error) {
	out, err := h.withContacts(ctx, []Conversation{c})
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// principalKey binds cursors to who they were issued to.
func principalKey(p *access.Principal) string {
	switch p.Kind {
	case access.KindAPIKey:
		return "k:" + p.APIKeyID
	case access.KindVisitor:
		return "v:" + p.VisitorID
	}
	return "u:" + p.UserID
}

// ListConversations implements ConversationService.ListConversations.
func (h *Handler) ListConversations(ctx context.Context, req *tandemv1.ListConversationsRequest) (*tandemv1.ListConversationsResponse, error) {
	p, scope := access.PrincipalFrom(ctx), access.ScopeFrom(ctx)
	// The head is read first: the list may already show later changes, which
	// a watcher then sees again, harmlessly, as the same final state.
	head, err := h.deps.Follower.Head(ctx, scope.WorkspaceID)
	if err != nil {
		return nil, err
	}
	f := FilterFromProto(req.GetFilter())
	f.Reader = ReaderOf(p, scope.Role)
	cs, next, err := h.svc.List(ctx, scope.WorkspaceID, p.UserID, f, req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	out, err := h.withContacts(ctx, cs)
	if err != nil {
		return nil, err
	}
	return &tandemv1.ListConversationsResponse{Conversations: out, NextPageToken: next,
		Cursor: h.deps.Cursors.Make(scope.WorkspaceID, principalKey(p), head)}, nil
}

// GetConversation implements ConversationService.GetConversation.
func (h *Handler) GetConversation(ctx context.Context, req *tandemv1.GetConversationRequest) (*tandemv1.GetConversationResponse, error) {
	p, scope := access.PrincipalFrom(ctx), access.ScopeFrom(ctx)
	c, err := h.svc.Get(ctx, scope.WorkspaceID, req.GetConversationId())
	if err != nil {
		return nil, err
	}
	ms, next, err := h.svc.HistoryFor(ctx, c.ID, req.GetPageSize(), req.GetPageToken(), ReaderOf(p, scope.Role))
	if err != nil {
		return nil, err
	}
	conv, err := h.one(ctx, c)
	if err != nil {
		return nil, err
	}
	resp := &tandemv1.GetConversationResponse{Conversation: conv, NextPageToken: next}
	for i := range ms {
		resp.History = append(resp.History, MessageToProto(&ms[i]))
	}
	return resp, nil
}

// SendMessage implements ConversationService.SendMessage.
func (h *Handler) SendMessage(ctx context.Context, req *tandemv1.SendMessageRequest) (*tandemv1.SendMessageResponse, error) {
	m, c, err := h.svc.PostFiles(ctx, access.PrincipalFrom(ctx), access.ScopeFrom(ctx).WorkspaceID, req.GetConversationId(),
		req.GetClientId(), req.GetBody(), req.GetFileIds())
	if err != nil {
		return nil, err
	}
	conv, err := h.one(ctx, c)
	if err != nil {
		return nil, err
	}
	return &tandemv1.SendMessageResponse{Message: MessageToProto(&m), Conversation: conv}, nil
}

// AddNote implements ConversationService.AddNote.
func (h *Handler) AddNote(ctx context.Context, req *tandemv1.AddNoteRequest) (*tandemv1.AddNoteResponse, error) {
	m, _, err := h.svc.Note(ctx, access.PrincipalFrom(ctx), access.ScopeFrom(ctx), req.GetConversationId(),
		req.GetClientId(), req.GetBody(), NoteOptions{Mentions: req.GetMentionUserIds(), Whisper: req.GetWhisper()})
	if err != nil {
		return nil, err
	}
	return &tandemv1.AddNoteResponse{Note: MessageToProto(&m)}, nil
}

// SetTyping implements ConversationService.SetTyping.
func (h *Handler) SetTyping(ctx context.Context, req *tandemv1.SetTypingRequest) (*tandemv1.SetTypingResponse, error) {
	err := h.svc.Typing(ctx, access.PrincipalFrom(ctx), access.ScopeFrom(ctx).WorkspaceID, req.GetConversationId(), req.GetTyping())
	if err != nil {
		return nil, err
	}
	return &tandemv1.SetTypingResponse{}, nil
}

// MarkRead implements ConversationService.MarkRead.
func (h *Handler) MarkRead(ctx context.Context, req *tandemv1.MarkReadRequest) (*tandemv1.MarkReadResponse, error) {
	err := h.svc.MarkRead(ctx, access.PrincipalFrom(ctx), access.ScopeFrom(ctx).WorkspaceID, req.GetConversationId(), req.GetSeq())
	if err != nil {
		return nil, err
	}
	return &tandemv1.MarkReadResponse{}, nil
}

// CloseConversation implements ConversationService.CloseConversation.
func (h *Handler) CloseConversation(ctx context.Context, req *tandemv1.CloseConversationRequest) (*tandemv1.CloseConversationResponse, error) {
	c, err := h.svc.Close(ctx, access.PrincipalFrom(ctx), access.ScopeFrom(ctx).WorkspaceID, req.GetConversationId())
	if err != nil {
		return nil, err
	}
	conv, err := h.one(ctx, c)
	return &tandemv1.CloseConversationResponse{Conversation: conv}, err
}

// ReopenConversation implements ConversationService.ReopenConversation.
func (h *Handler) ReopenConversation(ctx context.Context, req *tandemv1.ReopenConversationRequest) (*tandemv1.ReopenConversationResponse, error) {
	c, err := h.svc.Reopen(ctx, access.PrincipalFrom(ctx), access.ScopeFrom(ctx).WorkspaceID, req.GetConversationId())
	if err != nil {
		return nil, err
	}
	conv, err := h.one(ctx, c)
	return &tandemv1.ReopenConversationResponse{Conversation: conv}, err
}

// MarkSpam implements ConversationService.MarkSpam.
func (h *Handler) MarkSpam(ctx context.Context, req *tandemv1.MarkSpamRequest) (*tandemv1.MarkSpamResponse, error) {
	c, err := h.svc.MarkSpam(ctx, access.PrincipalFrom(ctx), access.ScopeFrom(ctx).WorkspaceID, req.GetConversationId())
	if err != nil {
		return nil, err
	}
	conv, err := h.one(ctx, c)
	return &tandemv1.MarkSpamResponse{Conversation: conv}, err
}

// ReleaseConversation implements ConversationService.ReleaseConversation.
func (h *Handler) ReleaseConversation(ctx context.Context, req *tandemv1.ReleaseConversationRequest) (*tandemv1.ReleaseConversationResponse, error) {
	c, err := h.svc.Release(ctx, access.PrincipalFrom(ctx), access.ScopeFrom(ctx).WorkspaceID, req.GetConversationId())
	if err != nil {
		return nil, err
	}
	conv, err := h.one(ctx, c)
	return &tandemv1.ReleaseConversationResponse{Conversation: conv}, err
}

// SnoozeConversation implements ConversationService.SnoozeConversation.
func (h *Handler) SnoozeConversation(ctx context.Context, req *tandemv1.SnoozeConversationRequest) (*tandemv1.SnoozeConversationResponse, error) {
	c, err := h.svc.Snooze(ctx, access.PrincipalFrom(ctx), access.ScopeFrom(ctx).WorkspaceID, req.GetConversationId(),
		time.UnixMilli(req.GetUntilTimeMs()))
	if err != nil {
		return nil, err
	}
	conv, err := h.one(ctx, c)
	return &tandemv1.SnoozeConversationResponse{Conversation: conv}, err
}

// Watch implements ConversationService.Watch.
func (h *Handler) Watch(ctx context.Context, req *tandemv1.WatchRequest, stream *connect.ServerStream[tandemv1.WatchResponse]) error {
	return h.watch(ctx, req, stream)
}

// ClaimConversation implements ConversationService.ClaimConversation.
func (h *Handler) ClaimConversation(ctx context.Context, req *tandemv1.ClaimConversationRequest) (*tandemv1.ClaimConversationResponse, error) {
	c, err := h.svc.Claim(ctx, access.PrincipalFrom(ctx), access.ScopeFrom(ctx).WorkspaceID, req.GetConversationId())
	if err != nil {
		return nil, err
	}
	conv, err := h.one(ctx, c)
	return &tandemv1.ClaimConversationResponse{Conversation: conv}, err
}

// AssignConversation implements ConversationService.AssignConversation.
func (h *Handler) AssignConversation(ctx context.Context, req *tandemv1.AssignConversationRequest) (*tandemv1.AssignConversationResponse, error) {
	c, err := h.svc.Assign(ctx, access.PrincipalFrom(ctx), access.ScopeFrom(ctx).WorkspaceID, req.GetConversationId(), req.GetUserId())
	if err != nil {
		return nil, err
	}
	conv, err := h.one(ctx, c)
	return &tandemv1.AssignConversationResponse{Conversation: conv}, err
}

// UnassignConversation implements ConversationService.UnassignConversation.
func (h *Handler) UnassignConversation(ctx context.Context, req *tandemv1.UnassignConversationRequest) (*tandemv1.UnassignConversationResponse, error) {
	c, err := h.svc.Unassign(ctx, access.PrincipalFrom(ctx), access.ScopeFrom(ctx).WorkspaceID, req.GetConversationId())
	if err != nil {
		return nil, err
	}
	conv, err := h.one(ctx, c)
	return &tandemv1.UnassignConversationResponse{Conversation: conv}, err
}

// TransferConversation implements ConversationService.TransferConversation.
func (h *Handler) TransferConversation(ctx context.Context, req *tandemv1.TransferConversationRequest) (*tandemv1.TransferConversationResponse, error) {
	c, err := h.svc.Transfer(ctx, access.PrincipalFrom(ctx), access.ScopeFrom(ctx).WorkspaceID, req.GetConversationId(),
		req.GetUserId(), req.GetGroupId(), req.GetNote())
	if err != nil {
		return nil, err
	}
	conv, err := h.one(ctx, c)
	return &tandemv1.TransferConversationResponse{Conversation: conv}, err
}

// TakeOverConversation implements ConversationService.TakeOverConversation.
func (h *Handler) TakeOverConversation(ctx context.Context, req *tandemv1.TakeOverConversationRequest) (*tandemv1.TakeOverConversationResponse, error) {
	c, err := h.svc.TakeOver(ctx, access.PrincipalFrom(ctx), access.ScopeFrom(ctx), req.GetConversationId())
	if err != nil {
		return nil, err
	}
	conv, err := h.one(ctx, c)
	return &tandemv1.TakeOverConversationResponse{Conversation: conv}, err
}

// SetRequiredSkills implements ConversationService.SetRequiredSkills.
func (h *Handler) SetRequiredSkills(ctx context.Context, req *tandemv1.SetRequiredSkillsRequest) (*tandemv1.SetRequiredSkillsResponse, error) {
	c, err := h.svc.SetSkills(ctx, access.PrincipalFrom(ctx), access.ScopeFrom(ctx).WorkspaceID, req.GetConversationId(), req.GetSkills())
	if err != nil {
		return nil, err
	}
	conv, err := h.one(ctx, c)
	return &tandemv1.SetRequiredSkillsResponse{Conversation: conv}, err
}

// SetPriority implements ConversationService.SetPriority.
func (h *Handler) SetPriority(ctx context.Context, req *tandemv1.SetPriorityRequest) (*tandemv1.SetPriorityResponse, error) {
	c, err := h.svc.SetPriority(ctx, access.PrincipalFrom(ctx), access.ScopeFrom(ctx).WorkspaceID, req.GetConversationId(),
		PriorityFromProto(req.GetPriority()))
	if err != nil {
		return nil, err
	}
	conv, err := h.one(ctx, c)
	return &tandemv1.SetPriorityResponse{Conversation: conv}, err
}

// TagConversation implements ConversationService.TagConversation.
func (h *Handler) TagConversation(ctx context.Context, req *tandemv1.TagConversationRequest) (*tandemv1.TagConversationResponse, error) {
	c, err := h.svc.Tag(ctx, access.PrincipalFrom(ctx), access.ScopeFrom(ctx).WorkspaceID, req.GetConversationId(), req.GetTagId())
	if err != nil {
		return nil, err
	}
	conv, err := h.one(ctx, c)
	return &tandemv1.TagConversationResponse{Conversation: conv}, err
}

// UntagConversation implements ConversationService.UntagConversation.
func (h *Handler) UntagConversation(ctx context.Context, req *tandemv1.UntagConversationRequest) (*tandemv1.UntagConversationResponse, error) {
	c, err := h.svc.Untag(ctx, access.PrincipalFrom(ctx), access.ScopeFrom(ctx).WorkspaceID, req.GetConversationId(), req.GetTagId())
	if err != nil {
		return nil, err
	}
	conv, err := h.one(ctx, c)
	return &tandemv1.UntagConversationResponse{Conversation: conv}, err
}

// JoinConversation implements ConversationService.JoinConversation.
func (h *Handler) JoinConversation(ctx context.Context, req *tandemv1.JoinConversationRequest) (*tandemv1.JoinConversationResponse, error) {
	c, err := h.svc.Join(ctx, access.PrincipalFrom(ctx), access.ScopeFrom(ctx).WorkspaceID, req.GetConversationId())
	if err != nil {
		return nil, err
	}
	conv, err := h.one(ctx, c)
	return &tandemv1.JoinConversationResponse{Conversation: conv}, err
}

// LeaveConversation implements ConversationService.LeaveConversation.
func (h *Handler) LeaveConversation(ctx context.Context, req *tandemv1.LeaveConversationRequest) (*tandemv1.LeaveConversationResponse, error) {
	c, err := h.svc.Leave(ctx, access.PrincipalFrom(ctx), access.ScopeFrom(ctx).WorkspaceID, req.GetConversationId())
	if err != nil {
		return nil, err
	}
	conv, err := h.one(ctx, c)
	return &tandemv1.LeaveConversationResponse{Conversation: conv}, err
}

// OfContactProto lists a contact's conversations for the API.
func (h *Handler) OfContactProto(ctx context.Context, workspaceID, contactID string) ([]*tandemv1.Conversation, error) {
	cs, err := h.svc.OfContact(ctx, contactID)
	if err != nil {
		return nil, err
	}
	mine := cs[:0]
	for _, c := range cs {
		if c.WorkspaceID == workspaceID {
			mine = append(mine, c)
		}
	}
	return h.withContacts(ctx, mine)
}
