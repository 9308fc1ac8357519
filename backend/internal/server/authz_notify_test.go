package server_test

import (
	"context"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
)

// Notifications and ratings in the authorization matrix. Notification RPCs
// admit any member of the workspace and act on the caller's own
// notifications; API keys have none.
func init() {
	authzParts = append(authzParts, authzPart{
		table: map[string]policy{
			"/tandem.v1.NotificationService/ListNotifications":             people(access.RoleAgent),
			"/tandem.v1.NotificationService/MarkNotificationsRead":         people(access.RoleAgent),
			"/tandem.v1.NotificationService/GetNotificationPreferences":    people(access.RoleAgent),
			"/tandem.v1.NotificationService/UpdateNotificationPreferences": people(access.RoleAgent),
			"/tandem.v1.WidgetService/RateConversation":                    visitorsOwn,
		},
		fixtures: notifyFixtures,
		digest: []string{
			`SELECT id, user_id, type, read_at FROM notifications WHERE workspace_id = ? ORDER BY id`,
			`SELECT user_id, type, enabled FROM notification_prefs WHERE workspace_id = ? ORDER BY user_id, type`,
			`SELECT id, csat_rating FROM conversations WHERE workspace_id = ? ORDER BY id`,
		},
	})
}

func notifyFixtures(w *world) map[string]func(tg target) call {
	ws := func(tg target, do func(ctx context.Context, c rpcclient.Clients, id string) error) call {
		id := w.targetWorkspace(tg)
		return func(ctx context.Context, c rpcclient.Clients) error { return do(ctx, c, id) }
	}
	return map[string]func(tg target) call{
		"/tandem.v1.NotificationService/ListNotifications": func(tg target) call {
			return ws(tg, func(ctx context.Context, c rpcclient.Clients, id string) error {
				_, err := c.Notification.ListNotifications(ctx, &tandemv1.ListNotificationsRequest{WorkspaceId: id})
				return err
			})
		},
		"/tandem.v1.NotificationService/MarkNotificationsRead": func(tg target) call {
			return ws(tg, func(ctx context.Context, c rpcclient.Clients, id string) error {
				_, err := c.Notification.MarkNotificationsRead(ctx, &tandemv1.MarkNotificationsReadRequest{WorkspaceId: id})
				return err
			})
		},
		"/tandem.v1.NotificationService/GetNotificationPreferences": func(tg target) call {
			return ws(tg, func(ctx context.Context, c rpcclient.Clients, id string) error {
				_, err := c.Notification.GetNotificationPreferences(ctx, &tandemv1.GetNotificationPreferencesRequest{WorkspaceId: id})
				return err
			})
		},
		"/tandem.v1.NotificationService/UpdateNotificationPreferences": func(tg target) call {
			return ws(tg, func(ctx context.Context, c rpcclient.Clients, id string) error {
				_, err := c.Notification.UpdateNotificationPreferences(ctx, &tandemv1.UpdateNotificationPreferencesRequest{WorkspaceId: id,
					Preferences: []*tandemv1.NotificationPreference{{Type: tandemv1.NotificationType_NOTIFICATION_TYPE_CSAT, Enabled: false}}})
				return err
			})
		},
		"/tandem.v1.WidgetService/RateConversation": func(tg target) call {
			id := w.visitorTarget(tg)
			if tg == own { // a closed conversation of the caller's: rateable
				if _, err := w.Srv.Domain().Conversations.Close(w.Ctx, w.Principal("owner"), w.W1.ID, id); err != nil {
					w.T.Fatal(err)
				}
			}
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Widget.RateConversation(ctx, &tandemv1.RateConversationRequest{ConversationId: id, Rating: 5})
				return err
			}
		},
	}
}
