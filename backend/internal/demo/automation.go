package demo

import (
	"context"
	"fmt"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/automation"
	"github.com/tandem-inbox/tandem/backend/internal/workspace"
)

// rules are the demo store's automation: money matters, big carts and VIPs
// go to people, whatever the AI agent could say.
var rules = []automation.RuleSpec{ //nolint:gochecknoglobals // read-only table
	{Name: "Refunds, cancellations and disputes go to a person", Enabled: true, Trigger: automation.TriggerCustomerMessage,
		Conditions: automation.Conditions{{Kind: automation.CondText,
			Words: []string{"refund", "refunds", "cancel", "cancelled", "canceled", "cancellation", "chargeback", "fraud", "dispute",
				"money back"}}},
		Actions: automation.Actions{{Kind: automation.ActAddTag, Value: "billing"}, {Kind: automation.ActPriority, Value: "high"},
			{Kind: automation.ActHandOff}}},
	{Name: "Carts over $200 get a person", Enabled: true, Trigger: automation.TriggerConversationCreated,
		Conditions: automation.Conditions{{Kind: automation.CondAttribute, Key: "cart_value", Op: automation.OpGt, Values: []string{"200"}}},
		Actions: automation.Actions{{Kind: automation.ActAddTag, Value: "big cart"}, {Kind: automation.ActPriority, Value: "high"},
			{Kind: automation.ActHandOff}}},
	{Name: "VIPs go straight to a person", Enabled: true, Trigger: automation.TriggerConversationCreated,
		Conditions: automation.Conditions{{Kind: automation.CondAttribute, Key: "vip", Op: automation.OpEq, Values: []string{"true"},
			VerifiedOnly: true}},
		Actions: automation.Actions{{Kind: automation.ActAddTag, Value: "vip"}, {Kind: automation.ActPriority, Value: "urgent"},
			{Kind: automation.ActHandOff}}},
	{Name: "Nobody picked it up for 10 minutes", Enabled: true, Trigger: automation.TriggerPendingFor, DelayMinutes: 10,
		Actions: automation.Actions{{Kind: automation.ActPriority, Value: "urgent"},
			{Kind: automation.ActNote, Value: "Waiting in the queue for 10 minutes: can someone pick this up?"}}},
}

// seedAutomation gives the demo workspace its rules and the widget's
// "Talk to a person" button.
func seedAutomation(ctx context.Context, svc Services, ws workspace.Workspace, owner *access.Principal) error {
	if svc.Automation == nil {
		return nil
	}
	for _, r := range rules {
		if _, err := svc.Automation.CreateRule(ctx, owner, ws.ID, r); err != nil {
			return fmt.Errorf("demo rule %q: %w", r.Name, err)
		}
	}
	if _, err := svc.Automation.CreateCustomAction(ctx, owner, ws.ID, automation.CustomActionSpec{Label: "Talk to a person",
		Enabled: true, Actions: automation.Actions{{Kind: automation.ActHandOff}}}); err != nil {
		return fmt.Errorf("demo custom action: %w", err)
	}
	return nil
}
