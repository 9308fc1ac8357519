package server_test

import (
	"context"

	"github.com/google/uuid"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
)

// The AI agent's settings and handoffs, and the widget's configuration and
// "Talk to a person", in the authorization matrix.
func init() {
	authzParts = append(authzParts, authzPart{
		table: map[string]policy{
			"/tandem.v1.BotService/GetBotSettings":     member(access.RoleAgent),
			"/tandem.v1.BotService/UpdateBotSettings":  member(access.RoleAdmin),
			"/tandem.v1.BotService/ListHandoffs":       member(access.RoleAgent),
			"/tandem.v1.WidgetService/RequestHuman":    visitorsOwn,
			"/tandem.v1.WidgetService/GetWidgetConfig": visitorOnly,
			"/tandem.v1.WidgetService/UpdateVisitor":   visitorOnly,
		},
		fixtures: botFixtures,
		digest: []string{
			`SELECT workspace_id, enabled, name, handoff_tag, updated_at FROM bot_settings WHERE workspace_id = ?`,
			`SELECT id, conversation_id, reason FROM handoffs WHERE workspace_id = ? ORDER BY id`,
		},
	})
}

func botFixtures(w *world) map[string]func(tg target) call {
	return map[string]func(tg target) call{
		"/tandem.v1.BotService/GetBotSettings": func(tg target) call {
			id := w.targetWorkspace(tg)
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Bot.GetBotSettings(ctx, &tandemv1.GetBotSettingsRequest{WorkspaceId: id})
				return err
			}
		},
		"/tandem.v1.BotService/UpdateBotSettings": func(tg target) call {
			id, name := w.targetWorkspace(tg), rpctest.Unique("Bot ")
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Bot.UpdateBotSettings(ctx, &tandemv1.UpdateBotSettingsRequest{WorkspaceId: id, Name: &name})
				return err
			}
		},
		"/tandem.v1.BotService/ListHandoffs": func(tg target) call {
			id := w.targetWorkspace(tg)
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Bot.ListHandoffs(ctx, &tandemv1.ListHandoffsRequest{WorkspaceId: id})
				return err
			}
		},
		"/tandem.v1.WidgetService/UpdateVisitor": func(target) call {
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Widget.UpdateVisitor(ctx, &tandemv1.UpdateVisitorRequest{Attributes: map[string]string{"cart_total": "42"}})
				return err
			}
		},
		"/tandem.v1.WidgetService/GetWidgetConfig": func(target) call {
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Widget.GetWidgetConfig(ctx, &tandemv1.GetWidgetConfigRequest{})
				return err
			}
		},
		"/tandem.v1.WidgetService/RequestHuman": func(tg target) call {
			id := w.visitorTarget(tg)
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Widget.RequestHuman(ctx, &tandemv1.RequestHumanRequest{ConversationId: id})
				return err
			}
		},
	}
}

// visitorTarget is a conversation of the calling visitor (own), of another
// visitor (foreign) or a missing one.
func (w *world) visitorTarget(tg target) string {
	switch tg {
	case own:
		return w.Conversation(w.Visitor).ID
	case foreign:
		return w.Conversation(w.Other).ID
	}
	return uuid.NewString()
}
