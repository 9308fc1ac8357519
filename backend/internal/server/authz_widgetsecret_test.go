package server_test

import (
	"context"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
)

// The widget secret, with which stores sign shoppers' identities: admins
// and owners (and admin API keys) read and rotate it, nobody below.
func init() {
	authzParts = append(authzParts, authzPart{
		table: map[string]policy{
			"/tandem.v1.WorkspaceService/GetWidgetSecret":    member(access.RoleAdmin),
			"/tandem.v1.WorkspaceService/RotateWidgetSecret": member(access.RoleAdmin),
		},
		fixtures: func(w *world) map[string]func(tg target) call {
			return map[string]func(tg target) call{
				"/tandem.v1.WorkspaceService/GetWidgetSecret": func(tg target) call {
					id := w.targetWorkspace(tg)
					return func(ctx context.Context, c rpcclient.Clients) error {
						_, err := c.Workspace.GetWidgetSecret(ctx, &tandemv1.GetWidgetSecretRequest{WorkspaceId: id})
						return err
					}
				},
				"/tandem.v1.WorkspaceService/RotateWidgetSecret": func(tg target) call {
					id := w.targetWorkspace(tg)
					return func(ctx context.Context, c rpcclient.Clients) error {
						_, err := c.Workspace.RotateWidgetSecret(ctx, &tandemv1.RotateWidgetSecretRequest{WorkspaceId: id})
						return err
					}
				},
			}
		},
		digest: []string{
			`SELECT widget_secret, previous_widget_secret, previous_widget_secret_expires_at FROM workspaces WHERE id = ?`,
		},
	})
}
