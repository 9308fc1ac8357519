package workspace

import (
	"context"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/api/tandem/v1/tandemv1connect"
	"github.com/tandem-inbox/tandem/backend/internal/access"
)

// Handler serves tandem.v1.WorkspaceService.
type Handler struct {
	svc *Service
}

var _ tandemv1connect.WorkspaceServiceHandler = (*Handler)(nil)

// NewHandler returns the WorkspaceService handler.
func NewHandler(svc *Service) *Handler { return &Handler{svc: svc} }

// CreateWorkspace implements WorkspaceService.CreateWorkspace.
func (h *Handler) CreateWorkspace(ctx context.Context, req *tandemv1.CreateWorkspaceRequest) (*tandemv1.CreateWorkspaceResponse, error) {
	w, err := h.svc.Create(ctx, access.PrincipalFrom(ctx), req.GetName())
	if err != nil {
		return nil, err
	}
	return &tandemv1.CreateWorkspaceResponse{Workspace: ToProto(w)}, nil
}

// ListWorkspaces implements WorkspaceService.ListWorkspaces.
func (h *Handler) ListWorkspaces(ctx context.Context, req *tandemv1.ListWorkspacesRequest) (*tandemv1.ListWorkspacesResponse, error) {
	ws, next, err := h.svc.List(ctx, access.PrincipalFrom(ctx), req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	resp := &tandemv1.ListWorkspacesResponse{NextPageToken: next}
	for _, w := range ws {
		resp.Workspaces = append(resp.Workspaces, ToProto(w))
	}
	return resp, nil
}

// GetWorkspace implements WorkspaceService.GetWorkspace.
func (h *Handler) GetWorkspace(ctx context.Context, _ *tandemv1.GetWorkspaceRequest) (*tandemv1.GetWorkspaceResponse, error) {
	w, err := h.svc.Get(ctx, access.ScopeFrom(ctx).WorkspaceID)
	if err != nil {
		return nil, err
	}
	return &tandemv1.GetWorkspaceResponse{Workspace: ToProto(w)}, nil
}

// UpdateWorkspace implements WorkspaceService.UpdateWorkspace.
func (h *Handler) UpdateWorkspace(ctx context.Context, req *tandemv1.UpdateWorkspaceRequest) (*tandemv1.UpdateWorkspaceResponse, error) {
	var widget *WidgetSettings
	if ws := req.GetWidget(); ws != nil {
		widget = &WidgetSettings{ChooseGroup: ws.GetChooseGroup(), AskName: ws.GetAskName(), AskEmail: ws.GetAskEmail(),
			AllowFiles: ws.GetAllowFiles(), AccentColor: ws.GetAccentColor(), AskEmailAfterMinutes: int(ws.GetAskEmailAfterMinutes())}
	}
	w, err := h.svc.Update(ctx, access.PrincipalFrom(ctx), access.ScopeFrom(ctx).WorkspaceID, req.Name, widget)
	if err != nil {
		return nil, err
	}
	return &tandemv1.UpdateWorkspaceResponse{Workspace: ToProto(w)}, nil
}

// InviteMember implements WorkspaceService.InviteMember.
func (h *Handler) InviteMember(ctx context.Context, req *tandemv1.InviteMemberRequest) (*tandemv1.InviteMemberResponse, error) {
	token, expires, err := h.svc.Invite(ctx, access.PrincipalFrom(ctx), access.ScopeFrom(ctx), req.GetEmail(),
		access.RoleFromProto(req.GetRole()))
	if err != nil {
		return nil, err
	}
	return &tandemv1.InviteMemberResponse{InviteToken: token, ExpireTimeMs: expires}, nil
}

// AcceptInvite implements WorkspaceService.AcceptInvite.
func (h *Handler) AcceptInvite(ctx context.Context, req *tandemv1.AcceptInviteRequest) (*tandemv1.AcceptInviteResponse, error) {
	w, issued, err := h.svc.AcceptInvite(ctx, access.PrincipalFrom(ctx), Acceptance{Token: req.GetInviteToken(),
		DisplayName: req.GetDisplayName(), Password: req.GetPassword(), ClientIP: access.ClientIP(ctx)})
	if err != nil {
		return nil, err
	}
	return &tandemv1.AcceptInviteResponse{Workspace: ToProto(w), Token: issued.Token, ExpireTimeMs: issued.ExpiresAt}, nil
}

// ListMembers implements WorkspaceService.ListMembers.
func (h *Handler) ListMembers(ctx context.Context, req *tandemv1.ListMembersRequest) (*tandemv1.ListMembersResponse, error) {
	ms, next, err := h.svc.Members(ctx, access.ScopeFrom(ctx).WorkspaceID, req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	resp := &tandemv1.ListMembersResponse{NextPageToken: next}
	for _, m := range ms {
		resp.Members = append(resp.Members, MemberToProto(m))
	}
	return resp, nil
}

// UpdateMemberRole implements WorkspaceService.UpdateMemberRole.
func (h *Handler) UpdateMemberRole(ctx context.Context, req *tandemv1.UpdateMemberRoleRequest) (*tandemv1.UpdateMemberRoleResponse, error) {
	m, err := h.svc.UpdateMemberRole(ctx, access.PrincipalFrom(ctx), access.ScopeFrom(ctx), req.GetUserId(),
		access.RoleFromProto(req.GetRole()))
	if err != nil {
		return nil, err
	}
	return &tandemv1.UpdateMemberRoleResponse{Member: MemberToProto(m)}, nil
}

// RemoveMember implements WorkspaceService.RemoveMember.
func (h *Handler) RemoveMember(ctx context.Context, req *tandemv1.RemoveMemberRequest) (*tandemv1.RemoveMemberResponse, error) {
	if err := h.svc.RemoveMember(ctx, access.PrincipalFrom(ctx), access.ScopeFrom(ctx), req.GetUserId()); err != nil {
		return nil, err
	}
	return &tandemv1.RemoveMemberResponse{}, nil
}

// CreateGroup implements WorkspaceService.CreateGroup.
func (h *Handler) CreateGroup(ctx context.Context, req *tandemv1.CreateGroupRequest) (*tandemv1.CreateGroupResponse, error) {
	g, err := h.svc.CreateGroup(ctx, access.PrincipalFrom(ctx), access.ScopeFrom(ctx), req.GetName(), req.GetDescription(), int(req.GetMaxChatsPerAgent()))
	if err != nil {
		return nil, err
	}
	return &tandemv1.CreateGroupResponse{Group: GroupToProto(g)}, nil
}

// ListGroups implements WorkspaceService.ListGroups.
func (h *Handler) ListGroups(ctx context.Context, req *tandemv1.ListGroupsRequest) (*tandemv1.ListGroupsResponse, error) {
	gs, next, err := h.svc.Groups(ctx, access.ScopeFrom(ctx).WorkspaceID, req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	resp := &tandemv1.ListGroupsResponse{NextPageToken: next}
	for _, g := range gs {
		resp.Groups = append(resp.Groups, GroupToProto(g))
	}
	return resp, nil
}

// UpdateGroup implements WorkspaceService.UpdateGroup.
func (h *Handler) UpdateGroup(ctx context.Context, req *tandemv1.UpdateGroupRequest) (*tandemv1.UpdateGroupResponse, error) {
	g, err := h.svc.UpdateGroup(ctx, access.PrincipalFrom(ctx), req.GetGroupId(), req.Name, req.Description, optInt(req.MaxChatsPerAgent))
	if err != nil {
		return nil, err
	}
	return &tandemv1.UpdateGroupResponse{Group: GroupToProto(g)}, nil
}

// DeleteGroup implements WorkspaceService.DeleteGroup.
func (h *Handler) DeleteGroup(ctx context.Context, req *tandemv1.DeleteGroupRequest) (*tandemv1.DeleteGroupResponse, error) {
	if err := h.svc.DeleteGroup(ctx, access.PrincipalFrom(ctx), req.GetGroupId()); err != nil {
		return nil, err
	}
	return &tandemv1.DeleteGroupResponse{}, nil
}

// AddGroupMember implements WorkspaceService.AddGroupMember.
func (h *Handler) AddGroupMember(ctx context.Context, req *tandemv1.AddGroupMemberRequest) (*tandemv1.AddGroupMemberResponse, error) {
	g, err := h.svc.AddGroupMember(ctx, access.PrincipalFrom(ctx), req.GetGroupId(), req.GetUserId())
	if err != nil {
		return nil, err
	}
	return &tandemv1.AddGroupMemberResponse{Group: GroupToProto(g)}, nil
}

// RemoveGroupMember implements WorkspaceService.RemoveGroupMember.
func (h *Handler) RemoveGroupMember(ctx context.Context, req *tandemv1.RemoveGroupMemberRequest) (*tandemv1.RemoveGroupMemberResponse, error) {
	g, err := h.svc.RemoveGroupMember(ctx, access.PrincipalFrom(ctx), req.GetGroupId(), req.GetUserId())
	if err != nil {
		return nil, err
	}
	return &tandemv1.RemoveGroupMemberResponse{Group: GroupToProto(g)}, nil
}

// ToProto converts a workspace for the API (never its widget secret).
func ToProto(w Workspace) *tandemv1.Workspace {
	return &tandemv1.Workspace{Id: w.ID, Name: w.Name, PublicKey: w.PublicKey, CreateTimeMs: w.CreatedAt, UpdateTimeMs: w.UpdatedAt,
		Widget: WidgetToProto(w.Widget)}
}

// WidgetToProto converts widget settings.
func WidgetToProto(ws WidgetSettings) *tandemv1.WidgetSettings {
	return &tandemv1.WidgetSettings{ChooseGroup: ws.ChooseGroup, AskName: ws.AskName, AskEmail: ws.AskEmail,
		AllowFiles: ws.AllowFiles, AccentColor: ws.AccentColor, AskEmailAfterMinutes: int32(ws.AskEmailAfterMinutes)} //nolint:gosec // 0..1440
}

// MemberToProto converts a member for the API.
func MemberToProto(m Member) *tandemv1.Member {
	return &tandemv1.Member{UserId: m.UserID, Email: m.Email, DisplayName: m.DisplayName, Role: access.RoleToProto(m.Role), JoinTimeMs: m.CreatedAt}
}

// GroupToProto converts a group for the API.
func GroupToProto(g Group) *tandemv1.Group {
	return &tandemv1.Group{Id: g.ID, WorkspaceId: g.WorkspaceID, Name: g.Name, Description: g.Description,
		MemberUserIds: g.MemberIDs, CreateTimeMs: g.CreatedAt, MaxChatsPerAgent: int32(g.MaxChatsPerAgent)} //nolint:gosec // set through the API as an int32
}

func optInt(v *int32) *int {
	if v == nil {
		return nil
	}
	n := int(*v)
	return &n
}

// GetWidgetSecret implements WorkspaceService.GetWidgetSecret.
func (h *Handler) GetWidgetSecret(ctx context.Context, _ *tandemv1.GetWidgetSecretRequest) (*tandemv1.GetWidgetSecretResponse, error) {
	s, err := h.svc.GetWidgetSecret(ctx, access.ScopeFrom(ctx).WorkspaceID)
	if err != nil {
		return nil, err
	}
	return &tandemv1.GetWidgetSecretResponse{Secret: s.Secret, PreviousExpireTimeMs: s.PreviousExpiresAt}, nil
}

// RotateWidgetSecret implements WorkspaceService.RotateWidgetSecret.
func (h *Handler) RotateWidgetSecret(ctx context.Context, req *tandemv1.RotateWidgetSecretRequest) (*tandemv1.RotateWidgetSecretResponse, error) {
	s, err := h.svc.RotateWidgetSecret(ctx, access.PrincipalFrom(ctx), access.ScopeFrom(ctx).WorkspaceID, req.GetRevokePrevious())
	if err != nil {
		return nil, err
	}
	return &tandemv1.RotateWidgetSecretResponse{Secret: s.Secret, PreviousExpireTimeMs: s.PreviousExpiresAt}, nil
}
