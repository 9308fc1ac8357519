package account

import (
	"context"
	"time"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/api/tandem/v1/tandemv1connect"
	"github.com/tandem-inbox/tandem/backend/internal/access"
)

// Membership is a user's role in a workspace, as WhoAmI shows it.
type Membership struct {
	WorkspaceID   string
	WorkspaceName string
	Role          access.Role
}

// MembershipLister lists a user's workspaces (the workspace domain's).
type MembershipLister interface {
	Memberships(ctx context.Context, userID string) ([]Membership, error)
}

// Handler serves tandem.v1.AuthService.
type Handler struct {
	svc         *Service
	memberships MembershipLister
}

var _ tandemv1connect.AuthServiceHandler = (*Handler)(nil)

// NewHandler returns the AuthService handler.
func NewHandler(svc *Service, memberships MembershipLister) *Handler {
	return &Handler{svc: svc, memberships: memberships}
}

// Login implements AuthService.Login.
func (h *Handler) Login(ctx context.Context, req *tandemv1.LoginRequest) (*tandemv1.LoginResponse, error) {
	issued, err := h.svc.Login(ctx, req.GetEmail(), req.GetPassword(), access.ClientIP(ctx))
	if err != nil {
		return nil, err
	}
	return &tandemv1.LoginResponse{Token: issued.Token, ExpireTimeMs: issued.ExpiresAt, User: UserToProto(issued.User)}, nil
}

// Logout implements AuthService.Logout.
func (h *Handler) Logout(ctx context.Context, _ *tandemv1.LogoutRequest) (*tandemv1.LogoutResponse, error) {
	if err := h.svc.Logout(ctx, access.PrincipalFrom(ctx).SessionID); err != nil {
		return nil, err
	}
	return &tandemv1.LogoutResponse{}, nil
}

// WhoAmI implements AuthService.WhoAmI.
func (h *Handler) WhoAmI(ctx context.Context, _ *tandemv1.WhoAmIRequest) (*tandemv1.WhoAmIResponse, error) {
	p := access.PrincipalFrom(ctx)
	resp := &tandemv1.WhoAmIResponse{}
	if p.Kind == access.KindAPIKey {
		k, err := h.svc.APIKey(ctx, p.APIKeyID)
		if err != nil {
			return nil, err
		}
		resp.ApiKey = APIKeyToProto(k)
		ms, err := h.memberships.Memberships(ctx, p.UserID)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			if m.WorkspaceID == p.WorkspaceID {
				resp.Memberships = append(resp.Memberships, &tandemv1.Membership{
					WorkspaceId: m.WorkspaceID, WorkspaceName: m.WorkspaceName, Role: access.RoleToProto(k.Role)})
			}
		}
		return resp, nil
	}
	u, err := h.svc.User(ctx, p.UserID)
	if err != nil {
		return nil, err
	}
	resp.User = UserToProto(u)
	ms, err := h.memberships.Memberships(ctx, p.UserID)
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		resp.Memberships = append(resp.Memberships, &tandemv1.Membership{
			WorkspaceId: m.WorkspaceID, WorkspaceName: m.WorkspaceName, Role: access.RoleToProto(m.Role)})
	}
	return resp, nil
}

// ChangePassword implements AuthService.ChangePassword.
func (h *Handler) ChangePassword(ctx context.Context, req *tandemv1.ChangePasswordRequest) (*tandemv1.ChangePasswordResponse, error) {
	issued, err := h.svc.ChangePassword(ctx, access.PrincipalFrom(ctx).UserID, req.GetCurrentPassword(), req.GetNewPassword(),
		access.ClientIP(ctx))
	if err != nil {
		return nil, err
	}
	return &tandemv1.ChangePasswordResponse{Token: issued.Token, ExpireTimeMs: issued.ExpiresAt}, nil
}

// CreateApiKey implements AuthService.CreateApiKey.
func (h *Handler) CreateApiKey(ctx context.Context, req *tandemv1.CreateApiKeyRequest) (*tandemv1.CreateApiKeyResponse, error) { //nolint:revive // generated name
	k, secret, err := h.svc.CreateAPIKey(ctx, access.PrincipalFrom(ctx), access.ScopeFrom(ctx), req.GetName(),
		access.RoleFromProto(req.GetRole()), time.Duration(req.GetTtlSeconds())*time.Second)
	if err != nil {
		return nil, err
	}
	return &tandemv1.CreateApiKeyResponse{ApiKey: APIKeyToProto(k), Secret: secret}, nil
}

// ListApiKeys implements AuthService.ListApiKeys.
func (h *Handler) ListApiKeys(ctx context.Context, _ *tandemv1.ListApiKeysRequest) (*tandemv1.ListApiKeysResponse, error) { //nolint:revive // generated name
	ks, err := h.svc.APIKeys(ctx, access.ScopeFrom(ctx).WorkspaceID)
	if err != nil {
		return nil, err
	}
	resp := &tandemv1.ListApiKeysResponse{}
	for _, k := range ks {
		resp.ApiKeys = append(resp.ApiKeys, APIKeyToProto(k))
	}
	return resp, nil
}

// RevokeApiKey implements AuthService.RevokeApiKey.
func (h *Handler) RevokeApiKey(ctx context.Context, req *tandemv1.RevokeApiKeyRequest) (*tandemv1.RevokeApiKeyResponse, error) { //nolint:revive // generated name
	if err := h.svc.RevokeAPIKey(ctx, access.PrincipalFrom(ctx), access.ScopeFrom(ctx), req.GetApiKeyId()); err != nil {
		return nil, err
	}
	return &tandemv1.RevokeApiKeyResponse{}, nil
}

// UserToProto converts a user for the API (never its password hash).
func UserToProto(u User) *tandemv1.User {
	return &tandemv1.User{Id: u.ID, Email: u.Email, DisplayName: u.DisplayName, CreateTimeMs: u.CreatedAt}
}

// APIKeyToProto converts a key for the API (never its secret or hash).
func APIKeyToProto(k APIKey) *tandemv1.ApiKey {
	return &tandemv1.ApiKey{Id: k.ID, WorkspaceId: k.WorkspaceID, Name: k.Name, Role: access.RoleToProto(k.Role),
		Prefix: k.Prefix, CreatedByUserId: k.CreatedBy, CreateTimeMs: k.CreatedAt, ExpireTimeMs: k.ExpiresAt,
		RevokeTimeMs: k.RevokedAt, LastUsedTimeMs: k.LastUsedAt}
}
