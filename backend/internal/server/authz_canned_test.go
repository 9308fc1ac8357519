package server_test

import (
	"context"

	"github.com/google/uuid"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
)

// cannedFixtures extend the matrix to CannedResponseService. Each targets
// W1 (own), W2 (foreign) or nothing (missing); the responses are
// workspace-wide, as personal ones are nobody's but their owner's (the
// canned package tests those).
func cannedFixtures(w *world) map[string]func(tg target) call {
	return map[string]func(tg target) call{
		"/tandem.v1.CannedResponseService/CreateCannedResponse": func(tg target) call {
			id, shortcut := w.targetWorkspace(tg), rpctest.Unique("reply-")
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Canned.CreateCannedResponse(ctx, &tandemv1.CreateCannedResponseRequest{WorkspaceId: id,
					Shortcut: shortcut, Title: "Refunds", Body: "Hi {{customer.name}}"})
				return err
			}
		},
		"/tandem.v1.CannedResponseService/ListCannedResponses": func(tg target) call {
			id := w.targetWorkspace(tg)
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Canned.ListCannedResponses(ctx, &tandemv1.ListCannedResponsesRequest{WorkspaceId: id, Query: "ref"})
				return err
			}
		},
		"/tandem.v1.CannedResponseService/UpdateCannedResponse": func(tg target) call {
			id, title := w.cannedResponse(tg), rpctest.Unique("title ")
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Canned.UpdateCannedResponse(ctx, &tandemv1.UpdateCannedResponseRequest{CannedResponseId: id, Title: &title})
				return err
			}
		},
		"/tandem.v1.CannedResponseService/DeleteCannedResponse": func(tg target) call {
			id := w.cannedResponse(tg)
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Canned.DeleteCannedResponse(ctx, &tandemv1.DeleteCannedResponseRequest{CannedResponseId: id})
				return err
			}
		},
		"/tandem.v1.CannedResponseService/RenderCannedResponse": func(tg target) call {
			id, conv := w.cannedResponse(tg), uuid.NewString()
			if tg == own {
				conv = w.Conversation(w.Visitor).ID
			}
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Canned.RenderCannedResponse(ctx, &tandemv1.RenderCannedResponseRequest{CannedResponseId: id, ConversationId: conv})
				return err
			}
		},
	}
}

// targetWorkspace is W1 (own), W2 (foreign) or a missing workspace's id.
func (w *world) targetWorkspace(tg target) string {
	switch tg {
	case own:
		return w.W1.ID
	case foreign:
		return w.W2.ID
	}
	return uuid.NewString()
}

// cannedResponse makes a workspace-wide canned response in W1 (own) or W2
// (foreign), or names a missing one, and returns its id.
func (w *world) cannedResponse(tg target) string {
	w.T.Helper()
	if tg == missing {
		return uuid.NewString()
	}
	ws, owner := w.W1, w.Principal("owner")
	if tg == foreign {
		ws, owner = w.W2, w.Principal("w2owner")
	}
	r, err := w.Srv.Domain().Canned.Create(w.Ctx, owner, w.OwnerScope(ws), rpctest.Unique("reply-"), "Refunds", "Hi {{customer.name}}", false)
	if err != nil {
		w.T.Fatal(err)
	}
	return r.ID
}
