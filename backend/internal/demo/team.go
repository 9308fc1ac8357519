package demo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/conversation"
	"github.com/tandem-inbox/tandem/backend/internal/files"
	"github.com/tandem-inbox/tandem/backend/internal/sla"
	"github.com/tandem-inbox/tandem/backend/internal/workspace"
)

// seedTeam gives the demo team its working setup: skills and capacity, an
// SLA policy with follow-ups, a file in a conversation, a skill a waiting
// chat needs, and a rating on the closed one.
func seedTeam(ctx context.Context, svc Services, ws workspace.Workspace, owner, agent *access.Principal) error {
	scope := &access.Scope{WorkspaceID: ws.ID, Role: access.RoleOwner}
	if _, err := svc.Presence.SetSettings(ctx, owner, scope, agent.UserID, 4, []string{"en", "returns"}); err != nil {
		return fmt.Errorf("demo agent skills: %w", err)
	}
	if _, err := svc.Presence.SetSettings(ctx, owner, scope, owner.UserID, 6, []string{"en", "de", "billing"}); err != nil {
		return fmt.Errorf("demo owner skills: %w", err)
	}
	if _, err := svc.SLA.Save(ctx, owner, ws.ID, sla.Policy{Name: "Standard", FirstResponse: 15 * 60, NextResponse: 30 * 60,
		Resolution: 24 * 3600, WarningPercent: 80}); err != nil {
		return fmt.Errorf("demo SLA policy: %w", err)
	}
	if _, err := svc.SLA.SetFollowUps(ctx, owner, ws.ID, sla.FollowUp{RemindAfter: 30 * time.Minute, CloseAfter: 24 * time.Hour}); err != nil {
		return fmt.Errorf("demo follow-ups: %w", err)
	}

	convs, _, err := svc.Conversations.List(ctx, ws.ID, owner.UserID, conversation.Filter{
		States: []conversation.State{conversation.StatePending, conversation.StateActive, conversation.StateClosed}}, 50, "")
	if err != nil {
		return err
	}
	for _, c := range convs {
		switch c.State {
		case conversation.StatePending: // Sam writes in English about an order
			if _, err := svc.Conversations.SetSkills(ctx, owner, ws.ID, c.ID, []string{"en"}); err != nil {
				return fmt.Errorf("demo required skills: %w", err)
			}
		case conversation.StateActive: // the agent sends Vera the order details
			f, err := svc.Files.Put(ctx, files.Upload{WorkspaceID: ws.ID, ConversationID: c.ID, UploaderKind: "user",
				UploaderID: agent.UserID, ClientID: uuid.NewString(), Name: "order-1042.csv"},
				strings.NewReader("item,qty,price\nBlue kettle,1,49.00\nVIP20 discount,1,-9.80\n"))
			if err != nil {
				return fmt.Errorf("demo file: %w", err)
			}
			if _, _, err := svc.Conversations.PostFiles(ctx, agent, ws.ID, c.ID, uuid.NewString(),
				"Here is your order with the discount applied.", []string{f.ID}); err != nil {
				return fmt.Errorf("demo file message: %w", err)
			}
		case conversation.StateClosed: // Mia was happy
			visitor := &access.Principal{Kind: access.KindVisitor, WorkspaceID: ws.ID, VisitorID: c.ContactID}
			if _, err := svc.Conversations.Rate(ctx, visitor, ws.ID, c.ID, 5, "Quick and friendly, thanks!"); err != nil {
				return fmt.Errorf("demo rating: %w", err)
			}
		}
	}
	return nil
}
