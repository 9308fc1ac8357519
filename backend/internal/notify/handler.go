package notify

import (
	"context"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/api/tandem/v1/tandemv1connect"
	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
)

// Handler serves tandem.v1.NotificationService: the notifications here,
// their Web Push delivery through Push.
type Handler struct {
	svc *Service
	Push
}

var _ tandemv1connect.NotificationServiceHandler = (*Handler)(nil)

// Push serves the service's Web Push RPCs (the push package's Handler):
// push sends notifications that notify keeps, so it knows of notify and
// notify only of this interface.
type Push interface {
	GetPushConfig(context.Context, *tandemv1.GetPushConfigRequest) (*tandemv1.GetPushConfigResponse, error)
	SubscribePush(context.Context, *tandemv1.SubscribePushRequest) (*tandemv1.SubscribePushResponse, error)
	UnsubscribePush(context.Context, *tandemv1.UnsubscribePushRequest) (*tandemv1.UnsubscribePushResponse, error)
}

// NewHandler returns the NotificationService handler.
func NewHandler(svc *Service, push Push) *Handler { return &Handler{svc: svc, Push: push} }

var typeToProto = map[string]tandemv1.NotificationType{ //nolint:gochecknoglobals // read-only table
	NewConversation: tandemv1.NotificationType_NOTIFICATION_TYPE_NEW_CONVERSATION,
	Assigned:        tandemv1.NotificationType_NOTIFICATION_TYPE_ASSIGNED,
	Handoff:         tandemv1.NotificationType_NOTIFICATION_TYPE_HANDOFF,
	Mention:         tandemv1.NotificationType_NOTIFICATION_TYPE_MENTION,
	NewMessage:      tandemv1.NotificationType_NOTIFICATION_TYPE_NEW_MESSAGE,
	SLAWarning:      tandemv1.NotificationType_NOTIFICATION_TYPE_SLA_WARNING,
	SLABreach:       tandemv1.NotificationType_NOTIFICATION_TYPE_SLA_BREACH,
	CSAT:            tandemv1.NotificationType_NOTIFICATION_TYPE_CSAT,
	Whisper:         tandemv1.NotificationType_NOTIFICATION_TYPE_WHISPER,
	NeedsAttention:  tandemv1.NotificationType_NOTIFICATION_TYPE_NEEDS_ATTENTION,
}

func typeFromProto(t tandemv1.NotificationType) string {
	for k, v := range typeToProto {
		if v == t {
			return k
		}
	}
	return ""
}

// person returns the calling member: notifications are people's.
func person(ctx context.Context) (string, string, error) {
	p := access.PrincipalFrom(ctx)
	if p.Kind != access.KindUser {
		return "", "", apperr.New(apperr.FailedPrecondition, "notifications belong to signed-in people, not API keys")
	}
	return access.ScopeFrom(ctx).WorkspaceID, p.UserID, nil
}

// ListNotifications implements NotificationService.ListNotifications.
func (h *Handler) ListNotifications(ctx context.Context, req *tandemv1.ListNotificationsRequest) (*tandemv1.ListNotificationsResponse, error) {
	ws, user, err := person(ctx)
	if err != nil {
		return nil, err
	}
	ns, next, unread, err := h.svc.List(ctx, ws, user, req.GetUnreadOnly(), req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	resp := &tandemv1.ListNotificationsResponse{NextPageToken: next, UnreadCount: unread}
	for _, n := range ns {
		resp.Notifications = append(resp.Notifications, &tandemv1.Notification{Id: n.ID, WorkspaceId: n.WorkspaceID,
			Type: typeToProto[n.Type], ConversationId: n.ConversationID, Title: n.Title, Body: n.Body,
			CreateTimeMs: n.CreatedAt, Read: n.ReadAt != 0})
	}
	return resp, nil
}

// MarkNotificationsRead implements NotificationService.MarkNotificationsRead.
func (h *Handler) MarkNotificationsRead(ctx context.Context, req *tandemv1.MarkNotificationsReadRequest) (*tandemv1.MarkNotificationsReadResponse, error) {
	ws, user, err := person(ctx)
	if err != nil {
		return nil, err
	}
	unread, err := h.svc.MarkRead(ctx, ws, user, req.GetNotificationIds())
	if err != nil {
		return nil, err
	}
	return &tandemv1.MarkNotificationsReadResponse{UnreadCount: unread}, nil
}

func prefsToProto(prefs map[string]bool) []*tandemv1.NotificationPreference {
	out := make([]*tandemv1.NotificationPreference, 0, len(Types))
	for _, t := range Types {
		out = append(out, &tandemv1.NotificationPreference{Type: typeToProto[t], Enabled: prefs[t]})
	}
	return out
}

// GetNotificationPreferences implements NotificationService.GetNotificationPreferences.
func (h *Handler) GetNotificationPreferences(ctx context.Context, _ *tandemv1.GetNotificationPreferencesRequest) (*tandemv1.GetNotificationPreferencesResponse, error) {
	ws, user, err := person(ctx)
	if err != nil {
		return nil, err
	}
	prefs, err := h.svc.Preferences(ctx, ws, user)
	if err != nil {
		return nil, err
	}
	return &tandemv1.GetNotificationPreferencesResponse{Preferences: prefsToProto(prefs)}, nil
}

// UpdateNotificationPreferences implements NotificationService.UpdateNotificationPreferences.
func (h *Handler) UpdateNotificationPreferences(ctx context.Context, req *tandemv1.UpdateNotificationPreferencesRequest) (*tandemv1.UpdateNotificationPreferencesResponse, error) {
	ws, user, err := person(ctx)
	if err != nil {
		return nil, err
	}
	set := map[string]bool{}
	for _, p := range req.GetPreferences() {
		set[typeFromProto(p.GetType())] = p.GetEnabled()
	}
	prefs, err := h.svc.SetPreferences(ctx, ws, user, set)
	if err != nil {
		return nil, err
	}
	return &tandemv1.UpdateNotificationPreferencesResponse{Preferences: prefsToProto(prefs)}, nil
}
