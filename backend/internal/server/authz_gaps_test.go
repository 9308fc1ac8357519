package server_test

import (
	"context"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
)

// The knowledge-gaps report: admins, who write the documents, read it.
func init() {
	authzParts = append(authzParts, authzPart{
		table: map[string]policy{
			"/tandem.v1.BotService/ListKnowledgeGaps": member(access.RoleAdmin),
		},
		fixtures: func(w *world) map[string]func(tg target) call {
			return map[string]func(tg target) call{
				"/tandem.v1.BotService/ListKnowledgeGaps": func(tg target) call {
					id := w.targetWorkspace(tg)
					return func(ctx context.Context, c rpcclient.Clients) error {
						_, err := c.Bot.ListKnowledgeGaps(ctx, &tandemv1.ListKnowledgeGapsRequest{WorkspaceId: id})
						return err
					}
				},
			}
		},
	})
}
