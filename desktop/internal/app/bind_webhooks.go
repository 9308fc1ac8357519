package app

import (
	"encoding/json"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/desktop/internal/apiclient"
)

// webhookPageSize is how many deliveries one page of WebhookDeliveries
// holds; the screen asks for more as the admin scrolls back.
const webhookPageSize = 50

// webhookStatuses are the filters WebhookDeliveries takes; "" is all.
var webhookStatuses = map[string]tandemv1.WebhookDeliveryStatus{ //nolint:gochecknoglobals // constant table
	"":          tandemv1.WebhookDeliveryStatus_WEBHOOK_DELIVERY_STATUS_UNSPECIFIED,
	"pending":   tandemv1.WebhookDeliveryStatus_WEBHOOK_DELIVERY_STATUS_PENDING,
	"delivered": tandemv1.WebhookDeliveryStatus_WEBHOOK_DELIVERY_STATUS_DELIVERED,
	"dead":      tandemv1.WebhookDeliveryStatus_WEBHOOK_DELIVERY_STATUS_DEAD,
}

// WebhookPage is a page of the workspace's webhook calls, newest first
// (protobuf JSON WebhookDeliveries). More continues to older ones ("" at
// the end). Sources names, by id, the rules and buttons that made the
// calls on the page, since a delivery carries only their id; one deleted
// since is absent.
type WebhookPage struct {
	Deliveries []json.RawMessage        `json:"deliveries"`
	More       string                   `json:"more"`
	Sources    map[string]WebhookSource `json:"sources"`
}

// WebhookSource is what made a webhook call: a rule, with the trigger it
// reacts to (the protobuf enum name, such as
// RULE_TRIGGER_CONVERSATION_CREATED), or a button customers press.
type WebhookSource struct {
	Kind    string `json:"kind"`
	Name    string `json:"name"`
	Trigger string `json:"trigger,omitempty"`
}

// WebhookDeliveries lists the webhook calls rules and buttons made, for
// admins: status "" for all, or "pending", "delivered" or "dead" (dead
// letters, which only a redelivery sends again); pageToken "" for the
// newest page, or a page's More.
func (a *App) WebhookDeliveries(status, pageToken string) (WebhookPage, error) {
	st, ok := webhookStatuses[status]
	if !ok {
		return WebhookPage{}, apiclient.Errorf(apiclient.KindInvalid, "Show all deliveries, or the pending, delivered or dead ones.")
	}
	sess, ws, err := a.c.current()
	if err != nil {
		return WebhookPage{}, err
	}
	auto := sess.client.Automation
	res, err := auto.ListWebhookDeliveries(a.c.ctx(), &tandemv1.ListWebhookDeliveriesRequest{WorkspaceId: ws.id, Status: st,
		PageSize: webhookPageSize, PageToken: pageToken})
	if err != nil {
		return WebhookPage{}, err
	}
	used := map[string]bool{}
	for _, d := range res.GetDeliveries() {
		used[d.GetSourceId()] = true
	}
	sources := map[string]WebhookSource{}
	rules, err := auto.ListRules(a.c.ctx(), &tandemv1.ListRulesRequest{WorkspaceId: ws.id})
	if err != nil {
		return WebhookPage{}, err
	}
	for _, r := range rules.GetRules() {
		if used[r.GetId()] {
			sources[r.GetId()] = WebhookSource{Kind: "rule", Name: r.GetName(), Trigger: r.GetTrigger().String()}
		}
	}
	buttons, err := auto.ListCustomActions(a.c.ctx(), &tandemv1.ListCustomActionsRequest{WorkspaceId: ws.id})
	if err != nil {
		return WebhookPage{}, err
	}
	for _, b := range buttons.GetActions() {
		if used[b.GetId()] {
			sources[b.GetId()] = WebhookSource{Kind: "button", Name: b.GetLabel()}
		}
	}
	return WebhookPage{Deliveries: wires(res.GetDeliveries()), More: res.GetNextPageToken(), Sources: sources}, nil
}

// RedeliverWebhook sends a delivery again (the same event id and body)
// with a fresh set of retries, and returns it as it now stands: pending.
func (a *App) RedeliverWebhook(deliveryID string) (json.RawMessage, error) {
	sess, _, err := a.c.current()
	if err != nil {
		return nil, err
	}
	res, err := sess.client.Automation.RedeliverWebhook(a.c.ctx(), &tandemv1.RedeliverWebhookRequest{DeliveryId: deliveryID})
	if err != nil {
		return nil, err
	}
	return wire(res.GetDelivery()), nil
}
