package server_test

import (
	"context"

	"github.com/google/uuid"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/automation"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
)

// Automation rules and custom actions: admins manage them, every member
// reads them; visitors list their workspace's buttons and press them in
// their own conversations.
func init() {
	authzParts = append(authzParts, authzPart{
		table: map[string]policy{
			"/tandem.v1.AutomationService/CreateRule":            member(access.RoleAdmin),
			"/tandem.v1.AutomationService/ListRules":             member(access.RoleAgent),
			"/tandem.v1.AutomationService/UpdateRule":            member(access.RoleAdmin),
			"/tandem.v1.AutomationService/DeleteRule":            member(access.RoleAdmin),
			"/tandem.v1.AutomationService/ReorderRules":          member(access.RoleAdmin),
			"/tandem.v1.AutomationService/CreateCustomAction":    member(access.RoleAdmin),
			"/tandem.v1.AutomationService/ListCustomActions":     member(access.RoleAgent),
			"/tandem.v1.AutomationService/UpdateCustomAction":    member(access.RoleAdmin),
			"/tandem.v1.AutomationService/DeleteCustomAction":    member(access.RoleAdmin),
			"/tandem.v1.AutomationService/ListWebhookDeliveries": member(access.RoleAdmin),
			"/tandem.v1.AutomationService/DryRunRule":            member(access.RoleAdmin),
			"/tandem.v1.AutomationService/RedeliverWebhook":      member(access.RoleAdmin),
			"/tandem.v1.WidgetService/ListCustomActions":         visitorOnly,
			"/tandem.v1.WidgetService/PressCustomAction":         visitorsOwn,
		},
		fixtures: automationFixtures,
		digest: []string{
			`SELECT id, name, enabled, position, trigger_kind, conditions, actions, updated_at FROM automation_rules WHERE workspace_id = ? ORDER BY id`,
			`SELECT id, label, enabled, position, actions, updated_at FROM custom_actions WHERE workspace_id = ? ORDER BY id`,
			`SELECT rule_id, event_id FROM rule_runs WHERE workspace_id = ? ORDER BY rule_id, event_id`,
			`SELECT id, status, attempts, next_attempt_at FROM webhook_deliveries WHERE workspace_id = ? ORDER BY id`,
		},
	})
}

func ruleSpec() *tandemv1.RuleSpec {
	return &tandemv1.RuleSpec{Name: rpctest.Unique("rule "), Enabled: true, Trigger: tandemv1.RuleTrigger_RULE_TRIGGER_CUSTOMER_MESSAGE,
		Conditions: []*tandemv1.Condition{rpctest.Keywords("refund")}, Actions: []*tandemv1.Action{rpctest.AddTag("refund")}}
}

func buttonSpec() *tandemv1.CustomActionSpec {
	return &tandemv1.CustomActionSpec{Label: rpctest.Unique("Track "), Enabled: true, Actions: []*tandemv1.Action{rpctest.AddTag("tracking")}}
}

func automationFixtures(w *world) map[string]func(tg target) call {
	return map[string]func(tg target) call{
		"/tandem.v1.AutomationService/CreateRule": func(tg target) call {
			id := w.targetWorkspace(tg)
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Automation.CreateRule(ctx, &tandemv1.CreateRuleRequest{WorkspaceId: id, Rule: ruleSpec()})
				return err
			}
		},
		"/tandem.v1.AutomationService/ListRules": func(tg target) call {
			id := w.targetWorkspace(tg)
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Automation.ListRules(ctx, &tandemv1.ListRulesRequest{WorkspaceId: id})
				return err
			}
		},
		"/tandem.v1.AutomationService/UpdateRule": func(tg target) call {
			id := w.automationRule(tg)
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Automation.UpdateRule(ctx, &tandemv1.UpdateRuleRequest{RuleId: id, Rule: ruleSpec()})
				return err
			}
		},
		"/tandem.v1.AutomationService/DeleteRule": func(tg target) call {
			id := w.automationRule(tg)
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Automation.DeleteRule(ctx, &tandemv1.DeleteRuleRequest{RuleId: id})
				return err
			}
		},
		"/tandem.v1.AutomationService/ReorderRules": func(tg target) call {
			id := w.targetWorkspace(tg)
			return func(ctx context.Context, c rpcclient.Clients) error {
				var ids []string
				if tg == own { // the current order, whatever it is
					rs, err := w.Srv.Domain().Automation.Rules(w.Ctx, id)
					if err != nil {
						return err
					}
					for _, r := range rs {
						ids = append(ids, r.ID)
					}
				}
				_, err := c.Automation.ReorderRules(ctx, &tandemv1.ReorderRulesRequest{WorkspaceId: id, RuleIds: ids})
				return err
			}
		},
		"/tandem.v1.AutomationService/CreateCustomAction": func(tg target) call {
			id := w.targetWorkspace(tg)
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Automation.CreateCustomAction(ctx, &tandemv1.CreateCustomActionRequest{WorkspaceId: id, Action: buttonSpec()})
				return err
			}
		},
		"/tandem.v1.AutomationService/ListCustomActions": func(tg target) call {
			id := w.targetWorkspace(tg)
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Automation.ListCustomActions(ctx, &tandemv1.ListCustomActionsRequest{WorkspaceId: id})
				return err
			}
		},
		"/tandem.v1.AutomationService/UpdateCustomAction": func(tg target) call {
			id := w.customAction(tg)
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Automation.UpdateCustomAction(ctx, &tandemv1.UpdateCustomActionRequest{CustomActionId: id, Action: buttonSpec()})
				return err
			}
		},
		"/tandem.v1.AutomationService/DeleteCustomAction": func(tg target) call {
			id := w.customAction(tg)
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Automation.DeleteCustomAction(ctx, &tandemv1.DeleteCustomActionRequest{CustomActionId: id})
				return err
			}
		},
		"/tandem.v1.AutomationService/ListWebhookDeliveries": func(tg target) call {
			id := w.targetWorkspace(tg)
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Automation.ListWebhookDeliveries(ctx, &tandemv1.ListWebhookDeliveriesRequest{WorkspaceId: id})
				return err
			}
		},
		"/tandem.v1.AutomationService/DryRunRule": func(tg target) call {
			id := w.targetWorkspace(tg)
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Automation.DryRunRule(ctx, &tandemv1.DryRunRuleRequest{WorkspaceId: id, Rule: ruleSpec()})
				return err
			}
		},
		"/tandem.v1.AutomationService/RedeliverWebhook": func(tg target) call {
			id := w.webhookDelivery(tg)
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Automation.RedeliverWebhook(ctx, &tandemv1.RedeliverWebhookRequest{DeliveryId: id})
				return err
			}
		},
		"/tandem.v1.WidgetService/ListCustomActions": func(target) call {
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Widget.ListCustomActions(ctx, &tandemv1.WidgetServiceListCustomActionsRequest{})
				return err
			}
		},
		"/tandem.v1.WidgetService/PressCustomAction": func(tg target) call {
			conv, action := w.visitorTarget(tg), w.customAction(own)
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Widget.PressCustomAction(ctx, &tandemv1.PressCustomActionRequest{ConversationId: conv, CustomActionId: action})
				return err
			}
		},
	}
}

// automationRule makes a rule in W1 (own) or W2 (foreign), or names a
// missing one, and returns its id.
func (w *world) automationRule(tg target) string {
	w.T.Helper()
	if tg == missing {
		return uuid.NewString()
	}
	ws, owner := w.W1, w.Principal("owner")
	if tg == foreign {
		ws, owner = w.W2, w.Principal("w2owner")
	}
	r, err := w.Srv.Domain().Automation.CreateRule(w.Ctx, owner, ws.ID, automation.RuleSpec{Name: rpctest.Unique("rule "), Enabled: true,
		Trigger: automation.TriggerCustomerMessage, Conditions: automation.Conditions{{Kind: automation.CondText, Words: []string{"refund"}}},
		Actions: automation.Actions{{Kind: automation.ActAddTag, Value: "refund"}}})
	if err != nil {
		w.T.Fatal(err)
	}
	return r.ID
}

// customAction makes a button in W1 (own) or W2 (foreign), or names a
// missing one, and returns its id.
func (w *world) customAction(tg target) string {
	w.T.Helper()
	if tg == missing {
		return uuid.NewString()
	}
	ws, owner := w.W1, w.Principal("owner")
	if tg == foreign {
		ws, owner = w.W2, w.Principal("w2owner")
	}
	a, err := w.Srv.Domain().Automation.CreateCustomAction(w.Ctx, owner, ws.ID, automation.CustomActionSpec{Label: rpctest.Unique("Track "), Enabled: true,
		Actions: automation.Actions{{Kind: automation.ActAddTag, Value: "tracking"}}})
	if err != nil {
		w.T.Fatal(err)
	}
	return a.ID
}

// webhookDelivery stores a dead webhook delivery in W1 (own) or W2
// (foreign), or names a missing one, and returns its id.
func (w *world) webhookDelivery(tg target) string {
	w.T.Helper()
	id := uuid.NewString()
	if tg == missing {
		return id
	}
	ws := w.W1.ID
	if tg == foreign {
		ws = w.W2.ID
	}
	if _, err := w.Srv.DB().ExecContext(w.Ctx, `INSERT INTO webhook_deliveries (id, workspace_id, source_id, conversation_id, url,
		secret, payload, status, attempts, next_attempt_at, lease_until, last_status_code, last_error, created_at, updated_at, delivered_at)
		VALUES (?, ?, ?, ?, 'http://192.0.2.1/', 'secret', '{}', 'dead', 8, 0, 0, 500, '', 1, 1, 0)`,
		id, ws, uuid.NewString(), uuid.NewString()); err != nil {
		w.T.Fatal(err)
	}
	return id
}
