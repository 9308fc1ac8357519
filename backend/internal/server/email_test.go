package server_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/config"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestEmailInbound runs tandemd's SMTP receiver (TANDEM_SMTP_ADDR) as the
// README shows it: an owner makes an inbox through EmailService, swaks
// sends a mail to its receiving address over TCP, and the inbox lists an
// email conversation with the mail's subject and words.
func TestEmailInbound(t *testing.T) {
	swaks, err := exec.LookPath("swaks")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("swaks is not installed (.ci/setup installs it): %v", err)
		}
		t.Skipf("swaks is not installed: %v", err)
	}
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		smtpAddr := rpctest.FreeAddr(t)
		w := worldOn(t, rpctest.Start(t, opts, func(c *config.Config) {
			c.SMTPAddr, c.MailDomain, c.SMTPPerMinute, c.SMTPBurst = smtpAddr, "mail.test", 60, 10
		}))
		c := w.srv.Clients(rpctest.GRPC)
		created, err := c.Email.CreateEmailInbox(w.as("owner"), &tandemv1.CreateEmailInboxRequest{WorkspaceId: w.w1.ID,
			Name: "Support", SupportAddress: "help@shop.example", SmtpHost: "127.0.0.1", SmtpPort: 1025,
			SmtpTlsMode: tandemv1.SmtpTlsMode_SMTP_TLS_MODE_NONE})
		if err != nil {
			t.Fatal(err)
		}
		to := created.GetEmailInbox().GetReceivingAddress()
		if !strings.HasSuffix(to, "@mail.test") {
			t.Fatalf("receiving address %q", to)
		}
		host, port, _ := strings.Cut(smtpAddr, ":")
		out, err := exec.CommandContext(w.ctx, swaks, "--server", host, "--port", port, "--from", "ada@example.com",
			"--to", to, "--header", "Subject: Where is my parcel?", "--body", "It has not arrived yet.").CombinedOutput()
		if err != nil {
			t.Fatalf("swaks: %v\n%s", err, out)
		}
		list, err := c.Conversation.ListConversations(w.as("agent"), &tandemv1.ListConversationsRequest{WorkspaceId: w.w1.ID,
			Filter: &tandemv1.ConversationFilter{Channels: []tandemv1.Channel{tandemv1.Channel_CHANNEL_EMAIL}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(list.GetConversations()) != 1 {
			t.Fatalf("email conversations: %v", list.GetConversations())
		}
		conv := list.GetConversations()[0]
		if conv.GetSubject() != "Where is my parcel?" || conv.GetContact().GetEmail() != "ada@example.com" ||
			!strings.Contains(conv.GetLastCustomerMessagePreview(), "It has not arrived yet.") {
			t.Errorf("conversation %v", conv)
		}
	})
}
