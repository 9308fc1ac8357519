package presence

import (
	"context"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/api/tandem/v1/tandemv1connect"
	"github.com/tandem-inbox/tandem/backend/internal/access"
)

// Member is who belongs to a workspace, as presence lists them.
type Member struct {
	UserID      string
	DisplayName string
}

// Deps are the handler's collaborators, what ListAgents combines with
// presence: the workspace's members (workspace package) and their open
// chats (conversation package). Deps holds collaborators, never settings
// (see server/wire.go).
type Deps struct {
	Members   func(ctx context.Context, workspaceID string) ([]Member, error)
	OpenChats func(ctx context.Context, workspaceID string) (map[string]int, error)
}

// Handler serves tandem.v1.PresenceService.
type Handler struct {
	svc  *Service
	deps Deps
}

var _ tandemv1connect.PresenceServiceHandler = (*Handler)(nil)

// NewHandler returns the PresenceService handler.
func NewHandler(svc *Service, deps Deps) *Handler { return &Handler{svc: svc, deps: deps} }

var statusToProto = map[Status]tandemv1.PresenceStatus{ //nolint:gochecknoglobals // read-only table
	Online: tandemv1.PresenceStatus_PRESENCE_STATUS_ONLINE, Away: tandemv1.PresenceStatus_PRESENCE_STATUS_AWAY,
	Offline: tandemv1.PresenceStatus_PRESENCE_STATUS_OFFLINE,
}

func toProto(a Agent, name string, open int) *tandemv1.AgentStatus {
	return &tandemv1.AgentStatus{UserId: a.UserID, DisplayName: name, Status: statusToProto[a.Status], MaxChats: int32(a.MaxChats), //nolint:gosec // set through the API as an int32
		Skills: a.Skills(), OpenChats: int32(open), StatusChangeTimeMs: a.StatusChangedAt} //nolint:gosec // an agent's open chats, far below 2^31
}

// SetPresence implements PresenceService.SetPresence.
func (h *Handler) SetPresence(ctx context.Context, req *tandemv1.SetPresenceRequest) (*tandemv1.SetPresenceResponse, error) {
	var status Status
	for k, v := range statusToProto {
		if v == req.GetStatus() {
			status = k
		}
	}
	a, err := h.svc.SetStatus(ctx, access.PrincipalFrom(ctx), access.ScopeFrom(ctx).WorkspaceID, status)
	if err != nil {
		return nil, err
	}
	out, err := h.full(ctx, a)
	if err != nil {
		return nil, err
	}
	return &tandemv1.SetPresenceResponse{Agent: out}, nil
}

// SetAgentSettings implements PresenceService.SetAgentSettings.
func (h *Handler) SetAgentSettings(ctx context.Context, req *tandemv1.SetAgentSettingsRequest) (*tandemv1.SetAgentSettingsResponse, error) {
	a, err := h.svc.SetSettings(ctx, access.PrincipalFrom(ctx), access.ScopeFrom(ctx), req.GetUserId(), int(req.GetMaxChats()), req.GetSkills())
	if err != nil {
		return nil, err
	}
	out, err := h.full(ctx, a)
	if err != nil {
		return nil, err
	}
	return &tandemv1.SetAgentSettingsResponse{Agent: out}, nil
}

// full converts an agent's changed presence with what ListAgents shows of
// them too, their name and open chats: a client showing "2/4 chats" keeps
// the server's count rather than a zero.
func (h *Handler) full(ctx context.Context, a Agent) (*tandemv1.AgentStatus, error) {
	members, err := h.deps.Members(ctx, a.WorkspaceID)
	if err != nil {
		return nil, err
	}
	name := ""
	for _, m := range members {
		if m.UserID == a.UserID {
			name = m.DisplayName
		}
	}
	open, err := h.deps.OpenChats(ctx, a.WorkspaceID)
	if err != nil {
		return nil, err
	}
	return toProto(a, name, open[a.UserID]), nil
}

// ListAgents implements PresenceService.ListAgents.
func (h *Handler) ListAgents(ctx context.Context, _ *tandemv1.ListAgentsRequest) (*tandemv1.ListAgentsResponse, error) {
	ws := access.ScopeFrom(ctx).WorkspaceID
	members, err := h.deps.Members(ctx, ws)
	if err != nil {
		return nil, err
	}
	presence, err := h.svc.All(ctx, ws)
	if err != nil {
		return nil, err
	}
	open, err := h.deps.OpenChats(ctx, ws)
	if err != nil {
		return nil, err
	}
	resp := &tandemv1.ListAgentsResponse{}
	for _, m := range members {
		a, ok := presence[m.UserID]
		if !ok {
			a = offline(ws, m.UserID)
		}
		resp.Agents = append(resp.Agents, toProto(a, m.DisplayName, open[m.UserID]))
	}
	return resp, nil
}
