package server_test

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"

	"github.com/google/uuid"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
)

// Notifications and ratings in the authorization matrix. Notification RPCs
// admit any member of the workspace and act on the caller's own
// notifications (and push subscriptions); API keys have none. The VAPID
// public key is the server's, not a person's: any member may read it.
func init() {
	authzParts = append(authzParts, authzPart{
		table: map[string]policy{
			"/tandem.v1.NotificationService/ListNotifications":             people(access.RoleAgent),
			"/tandem.v1.NotificationService/MarkNotificationsRead":         people(access.RoleAgent),
			"/tandem.v1.NotificationService/GetNotificationPreferences":    people(access.RoleAgent),
			"/tandem.v1.NotificationService/UpdateNotificationPreferences": people(access.RoleAgent),
			"/tandem.v1.NotificationService/GetPushConfig":                 member(access.RoleAgent),
			"/tandem.v1.NotificationService/SubscribePush":                 people(access.RoleAgent),
			"/tandem.v1.NotificationService/UnsubscribePush":               people(access.RoleAgent),
			"/tandem.v1.WidgetService/RateConversation":                    visitorsOwn,
		},
		fixtures: notifyFixtures,
		digest: []string{
			`SELECT id, user_id, type, read_at FROM notifications WHERE workspace_id = ? ORDER BY id`,
			`SELECT user_id, type, enabled FROM notification_prefs WHERE workspace_id = ? ORDER BY user_id, type`,
			`SELECT id, csat_rating FROM conversations WHERE workspace_id = ? ORDER BY id`,
			`SELECT id, user_id, endpoint, p256dh, auth, updated_at FROM push_subscriptions WHERE workspace_id = ? ORDER BY id`,
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
		"/tandem.v1.NotificationService/GetPushConfig": func(tg target) call {
			return ws(tg, func(ctx context.Context, c rpcclient.Clients, id string) error {
				_, err := c.Notification.GetPushConfig(ctx, &tandemv1.GetPushConfigRequest{WorkspaceId: id})
				return err
			})
		},
		"/tandem.v1.NotificationService/SubscribePush": func(tg target) call {
			// A browser of the test's: its keys, and an endpoint of its own
			// (never sent to: the matrix runs no reactions).
			return ws(tg, func(ctx context.Context, c rpcclient.Clients, id string) error {
				_, err := c.Notification.SubscribePush(ctx, &tandemv1.SubscribePushRequest{WorkspaceId: id,
					Endpoint: "https://push.example.test/v1/" + uuid.NewString(), P256Dh: pushKey, Auth: "AAECAwQFBgcICQoLDA0ODw"})
				return err
			})
		},
		"/tandem.v1.NotificationService/UnsubscribePush": func(tg target) call {
			return ws(tg, func(ctx context.Context, c rpcclient.Clients, id string) error {
				_, err := c.Notification.UnsubscribePush(ctx, &tandemv1.UnsubscribePushRequest{WorkspaceId: id,
					Endpoint: "https://push.example.test/v1/" + uuid.NewString()})
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

// pushKey is a browser's P-256 public key in base64url, for the matrix's
// push subscriptions.
var pushKey = func() string {
	k, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(k.PublicKey().Bytes())
}()
