package contact

import (
	"context"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/api/tandem/v1/tandemv1connect"
	"github.com/tandem-inbox/tandem/backend/internal/access"
)

// ConversationsOf lists a contact's conversations for the API (the
// conversation package's, which depends on this one).
type ConversationsOf func(ctx context.Context, workspaceID, contactID string) ([]*tandemv1.Conversation, error)

// Handler serves tandem.v1.ContactService.
type Handler struct {
	svc           *Service
	conversations ConversationsOf
}

var _ tandemv1connect.ContactServiceHandler = (*Handler)(nil)

// NewHandler returns the ContactService handler.
func NewHandler(svc *Service, conversations ConversationsOf) *Handler {
	return &Handler{svc: svc, conversations: conversations}
}

// ToProto converts a contact for agents.
func ToProto(c *Contact) *tandemv1.Contact {
	out := &tandemv1.Contact{Id: c.ID, Name: c.Name, Email: c.Email, VerifiedAttributes: c.Verified,
		UnverifiedAttributes: c.Unverified, IdentityVerified: c.IdentityVerified, FirstSeenTimeMs: c.CreatedAt,
		LastSeenTimeMs: c.LastSeenAt, DisplayName: c.DisplayName(), UserAgent: c.UserAgent, TimeZone: c.TimeZone}
	if c.ExternalID != nil {
		out.ExternalId = *c.ExternalID
	}
	d := ParseUserAgent(c.UserAgent)
	out.Browser, out.Os, out.Device = d.Browser, d.OS, d.Kind
	for _, p := range c.Pages {
		out.PagesVisited = append(out.PagesVisited, &tandemv1.PageVisit{Url: p.URL, TimeMs: p.At})
	}
	return out
}

// GetContact implements ContactService.GetContact.
func (h *Handler) GetContact(ctx context.Context, req *tandemv1.GetContactRequest) (*tandemv1.GetContactResponse, error) {
	ws := access.ScopeFrom(ctx).WorkspaceID
	c, err := h.svc.Get(ctx, ws, req.GetContactId())
	if err != nil {
		return nil, err
	}
	convs, err := h.conversations(ctx, ws, c.ID)
	if err != nil {
		return nil, err
	}
	return &tandemv1.GetContactResponse{Contact: ToProto(&c), Conversations: convs}, nil
}

// UpdateContact implements ContactService.UpdateContact.
func (h *Handler) UpdateContact(ctx context.Context, req *tandemv1.UpdateContactRequest) (*tandemv1.UpdateContactResponse, error) {
	c, err := h.svc.Update(ctx, access.PrincipalFrom(ctx), access.ScopeFrom(ctx).WorkspaceID, req.GetContactId(), req.Name, req.Email, req.GetAttributes())
	if err != nil {
		return nil, err
	}
	return &tandemv1.UpdateContactResponse{Contact: ToProto(&c)}, nil
}

// SearchContacts implements ContactService.SearchContacts.
func (h *Handler) SearchContacts(ctx context.Context, req *tandemv1.SearchContactsRequest) (*tandemv1.SearchContactsResponse, error) {
	size := int(req.GetPageSize())
	if size == 0 {
		size = 20
	}
	cs, err := h.svc.Search(ctx, access.ScopeFrom(ctx).WorkspaceID, req.GetQuery(), size)
	if err != nil {
		return nil, err
	}
	resp := &tandemv1.SearchContactsResponse{}
	for i := range cs {
		resp.Contacts = append(resp.Contacts, ToProto(&cs[i]))
	}
	return resp, nil
}
