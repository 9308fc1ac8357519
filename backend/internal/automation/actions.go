package automation

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/conversation"
	"github.com/tandem-inbox/tandem/backend/internal/outbound"
)

var priorities = []string{"none", "low", "medium", "high", "urgent"} //nolint:gochecknoglobals // read-only table

// button lists the actions a custom action may run: what a customer may
// cause by pressing a button.
var button = []string{ActHandOff, ActAddTag, ActRemoveTag, ActPriority, ActNote, ActCanned, ActWebhook} //nolint:gochecknoglobals // read-only table

// checkActions validates actions; forButton limits them to a button's.
func checkActions(as []Action, forButton bool) error {
	for _, a := range as {
		if forButton && !slices.Contains(button, a.Kind) {
			return apperr.Invalid("actions", fmt.Sprintf("a custom action cannot %s", strings.ReplaceAll(a.Kind, "_", " ")))
		}
		bad := false
		switch a.Kind {
		case ActAddTag, ActRemoveTag, ActAssignGroup, ActAssignUser, ActCanned:
			bad = strings.TrimSpace(a.Value) == ""
		case ActNote:
			bad = strings.TrimSpace(a.Value) == "" || len(a.Value) > 4000
		case ActPriority:
			bad = !slices.Contains(priorities, a.Value)
		case ActHandOff:
			bad = a.Reason != "" && !a.Reason.Actionable()
		case ActSnooze:
			bad = a.Minutes < 1 || a.Minutes > 43200
		case ActWebhook:
			bad = outbound.CheckURL(a.Value) != nil || len(a.Value) > 2000 || len(a.Secret) < 16 || len(a.Secret) > 200
		case ActClose:
		default:
			return apperr.Invalid("actions", fmt.Sprintf("unknown action %q", a.Kind))
		}
		if bad {
			return apperr.Invalid("actions", fmt.Sprintf("the %s action is incomplete", strings.ReplaceAll(a.Kind, "_", " ")))
		}
	}
	return nil
}

// exec does actions in one conversation as one principal. Each action is
// idempotent for its key (the rule and event, or the button press): a
// redelivered event changes nothing more.
type exec struct {
	s    *Service
	p    *access.Principal
	conv *conversation.Conversation
	key  string
	// handoffReason is the reason of a hand off that names none; detail
	// and question go with it.
	handoffReason    conversation.HandoffReason
	detail, question string
	// source, trigger and message describe the call in a webhook's body.
	source  webhookSource
	trigger *webhookEvent
	message *conversation.Message
}

// do runs one action. A refusal by the conversation (closed, not the AI
// agent's any more, a deleted tag or canned response) skips the action;
// anything else fails it, to be retried.
func (x *exec) do(ctx context.Context, i int, a Action) error {
	err := x.act(ctx, i, a)
	switch apperr.KindOf(err) {
	case apperr.Internal, apperr.Unavailable, apperr.Aborted:
		return err
	}
	if err != nil {
		x.s.logger.Info("automation action skipped", "workspace_id", x.conv.WorkspaceID, "conversation_id", x.conv.ID,
			"action", a.Kind, "err", err)
	}
	return nil
}

func (x *exec) act(ctx context.Context, i int, a Action) error {
	ws, id, convs := x.conv.WorkspaceID, x.conv.ID, x.s.deps.Conversations
	switch a.Kind {
	case ActAddTag:
		t, err := x.s.deps.Tags.Ensure(ctx, x.p, ws, a.Value)
		if err != nil {
			return err
		}
		_, err = convs.Tag(ctx, x.p, ws, id, t.ID)
		return err
	case ActRemoveTag:
		for _, tagID := range x.conv.TagIDs {
			t, err := x.s.deps.Tags.Get(ctx, tagID)
			if err == nil && strings.EqualFold(t.Name, strings.TrimSpace(a.Value)) {
				_, err = convs.Untag(ctx, x.p, ws, id, t.ID)
				return err
			}
		}
		return nil
	case ActHandOff:
		reason := a.Reason
		if reason == "" {
			reason = x.handoffReason
		}
		_, err := x.s.deps.HandOff(ctx, x.p, ws, id, reason, x.detail, x.question)
		return err
	case ActAssignGroup:
		c, err := convs.Get(ctx, ws, id)
		if err != nil || (c.GroupID == a.Value && c.AssigneeID == "") {
			return err
		}
		_, err = convs.Transfer(ctx, x.p, ws, id, "", a.Value, "")
		return err
	case ActAssignUser:
		_, err := convs.Assign(ctx, x.p, ws, id, a.Value)
		return err
	case ActPriority:
		_, err := convs.SetPriority(ctx, x.p, ws, id, a.Value)
		return err
	case ActCanned:
		body, err := x.s.deps.Canned.Render(ctx, x.p, &access.Scope{WorkspaceID: ws, Role: access.RoleSupervisor}, a.Value, id)
		if err != nil {
			return err
		}
		_, _, err = convs.Post(ctx, x.p, ws, id, x.clientID(i), body, conversation.KindText)
		return err
	case ActNote:
		_, _, err := convs.Post(ctx, x.p, ws, id, x.clientID(i), a.Value, conversation.KindNote)
		return err
	case ActClose:
		c, err := convs.Get(ctx, ws, id)
		if err != nil || c.State == conversation.StateClosed {
			return err
		}
		_, err = convs.Close(ctx, x.p, ws, id)
		return err
	case ActWebhook:
		return x.enqueue(ctx, i, a)
	case ActSnooze:
		c, err := convs.Get(ctx, ws, id)
		if err != nil || c.State == conversation.StateSnoozed {
			return err
		}
		_, err = convs.Snooze(ctx, x.p, ws, id, x.s.now().Add(time.Duration(a.Minutes)*time.Minute))
		return err
	}
	return nil
}

// clientID is the id of a message an action sends: the same for a
// redelivered event, so it is sent once.
func (x *exec) clientID(i int) string {
	return uuid.NewSHA1(actionNamespace, fmt.Appendf(nil, "%s:%d", x.key, i)).String()
}

var actionNamespace = uuid.MustParse("9d7b3c1e-2f64-4a8e-b1c0-6a2e5d4f7a93") //nolint:gochecknoglobals // a constant UUID namespace, parsed once
