package demo

import (
	"context"
	"fmt"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/email"
	"github.com/tandem-inbox/tandem/backend/internal/workspace"
)

// Demo email inbox: replies go to a Mailpit on its default port
// (.bin/mailpit after make test-env), whose web page shows them.
const (
	InboxAddress = "support@demo.tandem"
	mailpitHost  = "127.0.0.1"
	mailpitPort  = 1025
)

// seedEmail gives the demo workspace its email inbox.
func seedEmail(ctx context.Context, svc Services, w workspace.Workspace, owner *access.Principal) error {
	if svc.Email == nil {
		return nil
	}
	name, address, host, port, mode := "Support", InboxAddress, mailpitHost, mailpitPort, email.TLSNone
	signature := "-- \nThe Demo Store team"
	if _, err := svc.Email.Create(ctx, owner, w.ID, email.Settings{Name: &name, SupportAddress: &address, SMTPHost: &host,
		SMTPPort: &port, SMTPTLSMode: &mode, Signature: &signature}); err != nil {
		return fmt.Errorf("demo email inbox: %w", err)
	}
	return nil
}

// inboxLine is the banner's line on the demo inbox: where to mail it, when
// the SMTP receiver runs.
func inboxLine(ctx context.Context, svc Services, where Banner, w workspace.Workspace) string {
	if svc.Email == nil || where.SMTPAddr == "" {
		return ""
	}
	inboxes, err := svc.Email.List(ctx, w.ID)
	if err != nil || len(inboxes) == 0 {
		return ""
	}
	return fmt.Sprintf("  email      mail %s at %s (SMTP %s; replies go to Mailpit on %s:%d)\n",
		inboxes[0].SupportAddress, inboxes[0].ReceivingAddress(where.MailDomain), where.SMTPAddr, mailpitHost, mailpitPort)
}
