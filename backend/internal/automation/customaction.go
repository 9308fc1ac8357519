package automation

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/conversation"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

func checkActionSpec(spec *CustomActionSpec) error {
	spec.Label = strings.TrimSpace(spec.Label)
	if spec.Label == "" || len(spec.Label) > 60 {
		return apperr.Invalid("action.label", "must be 1 to 60 characters")
	}
	if len(spec.Actions) == 0 {
		return apperr.Invalid("action.actions", "a button needs an action")
	}
	return checkActions(spec.Actions, true)
}

// CreateCustomAction adds a button at the end of the workspace's.
func (s *Service) CreateCustomAction(ctx context.Context, actor *access.Principal, workspaceID string, spec CustomActionSpec) (CustomAction, error) {
	if err := checkActionSpec(&spec); err != nil {
		return CustomAction{}, err
	}
	if err := s.checkRefs(ctx, workspaceID, "action", nil, spec.Actions); err != nil {
		return CustomAction{}, err
	}
	if err := s.checkDestinations(ctx, "action", spec.Actions); err != nil {
		return CustomAction{}, err
	}
	now := store.NowMillis(s.now())
	a := CustomAction{ID: uuid.NewString(), WorkspaceID: workspaceID, Label: spec.Label, Enabled: spec.Enabled,
		Actions: spec.Actions, CreatedAt: now, UpdatedAt: now}
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if a.Position, err = nextPosition(ctx, tx, "custom_actions", workspaceID); err != nil {
			return fmt.Errorf("custom action position: %w", err)
		}
		if err := insertAction(ctx, tx, &a); err != nil {
			return fmt.Errorf("insert custom action: %w", err)
		}
		return s.actionEvent(ctx, tx, actor, events.AutomationCustomActionCreated, &a)
	})
	return a, err
}

func (s *Service) actionEvent(ctx context.Context, tx *store.Tx, actor *access.Principal, typ events.Type, a *CustomAction) error {
	payload, err := json.Marshal(map[string]any{"custom_action": a})
	if err != nil {
		return fmt.Errorf("encode %s: %w", typ, err)
	}
	kind, id := actor.Actor()
	return s.log.Append(ctx, tx, &events.Event{WorkspaceID: a.WorkspaceID, Type: typ, ActorKind: kind, ActorID: id,
		Visibility: events.Admins, Payload: payload})
}

// CustomActions lists the workspace's buttons in their order.
func (s *Service) CustomActions(ctx context.Context, workspaceID string) ([]CustomAction, error) {
	as, err := actionsOf(ctx, s.db, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("list custom actions: %w", err)
	}
	return as, nil
}

// UpdateCustomAction replaces a button's spec.
func (s *Service) UpdateCustomAction(ctx context.Context, actor *access.Principal, id string, spec CustomActionSpec) (CustomAction, error) {
	if err := checkActionSpec(&spec); err != nil {
		return CustomAction{}, err
	}
	ws, err := s.CustomActionWorkspace(ctx, id) // a button never changes workspace
	if err != nil {
		return CustomAction{}, err
	}
	if err := s.checkRefs(ctx, ws, "action", nil, spec.Actions); err != nil {
		return CustomAction{}, err
	}
	if err := s.checkDestinations(ctx, "action", spec.Actions); err != nil {
		return CustomAction{}, err
	}
	var a CustomAction
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if a, err = s.lockAction(ctx, tx, id); err != nil {
			return err
		}
		a.Label, a.Enabled, a.Actions, a.UpdatedAt = spec.Label, spec.Enabled, spec.Actions, store.NowMillis(s.now())
		if spec.Position != nil {
			a.Position = *spec.Position
		}
		if err := updateAction(ctx, tx, &a); err != nil {
			return fmt.Errorf("update custom action: %w", err)
		}
		return s.actionEvent(ctx, tx, actor, events.AutomationCustomActionUpdated, &a)
	})
	return a, err
}

// DeleteCustomAction removes a button.
func (s *Service) DeleteCustomAction(ctx context.Context, actor *access.Principal, id string) error {
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		a, err := s.lockAction(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM custom_actions WHERE id = ?`, id); err != nil {
			return fmt.Errorf("delete custom action: %w", err)
		}
		return s.actionEvent(ctx, tx, actor, events.AutomationCustomActionDeleted, &a)
	})
}

func (s *Service) lockAction(ctx context.Context, tx *store.Tx, id string) (CustomAction, error) {
	a, err := actionByID(ctx, tx, id, tx.Dialect.ForUpdate())
	if store.ErrNoRows(err) {
		return CustomAction{}, apperr.ErrNotFound
	}
	if err != nil {
		return CustomAction{}, fmt.Errorf("load custom action: %w", err)
	}
	return a, nil
}

// CustomActionWorkspace resolves a button id to its workspace, for
// authorization.
func (s *Service) CustomActionWorkspace(ctx context.Context, id string) (string, error) {
	a, err := actionByID(ctx, s.db, id, "")
	if store.ErrNoRows(err) {
		return "", apperr.ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("resolve custom action: %w", err)
	}
	return a.WorkspaceID, nil
}

// Buttons lists the enabled buttons the widget shows in the workspace.
func (s *Service) Buttons(ctx context.Context, workspaceID string) ([]CustomAction, error) {
	as, err := s.CustomActions(ctx, workspaceID)
	out := as[:0]
	for _, a := range as {
		if a.Enabled {
			out = append(out, a)
		}
	}
	return out, err
}

// Press runs a button's actions in a conversation, for the visitor who
// pressed it (the caller checked that the conversation is theirs). The
// actions act as the button, so the history says which button did what; a
// hand off is a customer request, and pressing again hands off nothing more.
func (s *Service) Press(ctx context.Context, visitor *access.Principal, workspaceID, conversationID, actionID string) error {
	a, err := actionByID(ctx, s.db, actionID, "")
	if store.ErrNoRows(err) || (err == nil && (a.WorkspaceID != workspaceID || !a.Enabled)) {
		return apperr.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("load custom action: %w", err)
	}
	conv, err := s.deps.Conversations.Get(ctx, workspaceID, conversationID)
	if err != nil {
		return err
	}
	if conv.ContactID != visitor.VisitorID {
		return apperr.ErrNotFound
	}
	x := exec{s: s, p: access.Rule(workspaceID, a.ID, a.Label), conv: &conv, key: "press:" + a.ID + ":" + uuid.NewString(),
		handoffReason: conversation.HandoffCustomerRequest, detail: fmt.Sprintf("the customer pressed %q", a.Label),
		source: webhookSource{Kind: "custom_action", ID: a.ID, Name: a.Label}}
	for i, act := range a.Actions {
		if err := x.do(ctx, i, act); err != nil {
			return err
		}
	}
	return nil
}
