package demo

import (
	"context"
	"fmt"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/bot"
	"github.com/tandem-inbox/tandem/backend/internal/knowledge"
	"github.com/tandem-inbox/tandem/backend/internal/workspace"
)

// documents are the demo store's help center, which the AI agent answers from.
// documents are the demo knowledge base; url is where a store would publish
// each (the widget links the AI agent's sources there).
var documents = []struct{ name, url, body string }{ //nolint:gochecknoglobals // read-only table
	{"return-policy.md", "https://example.com/help/returns", `# Return policy

## Returns
You can return any item within 30 days of delivery for a full refund. Items must be unused and in their original packaging.
Start a return from the order page in your account and print the prepaid return label.

## Refund timing
Refunds go back to the original payment method within 5 business days after the returned item arrives at our warehouse.

## Exchanges
To exchange an item for another size or color, return it and place a new order; we ship exchanges first, free of charge.`},
	{"shipping.md", "https://example.com/help/shipping", `# Shipping times

## Delivery times
Orders ship within 1 business day. Standard delivery takes 2 to 4 business days; express delivery takes 1 business day.

## Shipping costs
Standard shipping is free on orders over $50, and $4.95 otherwise. Express shipping costs $12.

## International shipping
We ship to the EU, the UK and Canada. International delivery takes 7 to 14 business days; customs fees are paid by the recipient.

## Tracking your order
Every order gets a tracking number by email as soon as the parcel leaves our warehouse.`},
	{"supplier-faq.md", "", `# Supplier FAQ

## Becoming a supplier
Suppliers apply through the partner portal with their company details and catalog. We review applications within 10 business days.

## Supplier payments
Supplier invoices are paid net 30 by bank transfer, in the supplier's currency.

## Product listings
Suppliers update prices and stock in the partner portal; changes show in the store within an hour.`},
}

// seedAI gives the demo workspace its knowledge base, turns its AI agent on
// and lets customers pick a department in the widget.
func seedAI(ctx context.Context, svc Services, ws workspace.Workspace, owner *access.Principal) error {
	for _, doc := range documents {
		if _, err := svc.Knowledge.Upload(ctx, owner, ws.ID, knowledge.Upload{Filename: doc.name, Content: []byte(doc.body), SourceURL: doc.url}); err != nil {
			return fmt.Errorf("demo document %s: %w", doc.name, err)
		}
	}
	on, name := true, "Ava"
	if _, err := svc.Bot.Update(ctx, owner, ws.ID, bot.Patch{Enabled: &on, Name: &name}); err != nil {
		return fmt.Errorf("demo AI agent: %w", err)
	}
	widget := workspace.WidgetSettings{ChooseGroup: true, AskName: true, AllowFiles: true}
	if _, err := svc.Workspaces.Update(ctx, owner, ws.ID, nil, &widget); err != nil {
		return fmt.Errorf("demo widget: %w", err)
	}
	return nil
}
