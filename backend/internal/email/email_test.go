package email_test

import (
	"log/slog"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/config"
	"github.com/tandem-inbox/tandem/backend/internal/demo"
	"github.com/tandem-inbox/tandem/backend/internal/email/mailtest"
	"github.com/tandem-inbox/tandem/backend/internal/fleet"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/server"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestEmailInbound runs tandemd's SMTP receiver (TANDEM_SMTP_ADDR) as the
// README shows it: an owner makes an inbox through EmailService, swaks
// sends a mail to its receiving address over TCP, and the inbox lists an
// email conversation with the mail's subject and words; an agent's reply
// through the API arrives in Mailpit, the inbox's SMTP server.
func TestEmailInbound(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		m := startMailServer(t, opts)
		w := rpctest.WorldOn(t, m.Server)
		c := w.Srv.Clients(rpcclient.GRPC)
		to := m.inbox(t, w, "help@shop.example", false).GetReceivingAddress()
		if !strings.HasSuffix(to, "@mail.test") {
			t.Fatalf("receiving address %q", to)
		}
		mailtest.Send(w.Ctx, t, m.smtp, "ada@example.com", to, "Where is my parcel?", "It has not arrived yet.")
		list, err := c.Conversation.ListConversations(w.As("agent"), &tandemv1.ListConversationsRequest{WorkspaceId: w.W1.ID,
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

		// The agent's reply goes out by mail, threaded, once.
		if _, err := c.Conversation.SendMessage(w.As("owner"), &tandemv1.SendMessageRequest{ConversationId: conv.GetId(),
			ClientId: uuid.NewString(), Body: "It is on its way."}); err != nil {
			t.Fatal(err)
		}
		if got := m.arrived(t, 1); len(got) != 1 || got[0].Subject != "Re: Where is my parcel?" || got[0].To[0].Address != "ada@example.com" {
			t.Errorf("arrived in Mailpit: %+v", got)
		}
		// The team sees the reply was mailed.
		mails, err := c.Email.ListEmailMessages(w.As("agent"), &tandemv1.ListEmailMessagesRequest{ConversationId: conv.GetId()})
		if err != nil {
			t.Fatal(err)
		}
		if d := mails.GetDeliveries(); len(d) != 1 || d[0].GetStatus() != "sent" || d[0].GetSentTimeMs() == 0 || len(mails.GetEmailMessages()) != 1 {
			t.Errorf("deliveries %v, mails %d", d, len(mails.GetEmailMessages()))
		}
	})
}

// mailServer is a tandemd with its SMTP receiver on (receiving addresses
// at mail.test) and a private Mailpit as the SMTP server inboxes send
// through.
type mailServer struct {
	*rpctest.Server
	mp   *mailtest.Mailpit
	smtp string // the receiver's address
}

func startMailServer(t *testing.T, opts store.Options, edit ...func(*config.Config)) *mailServer {
	t.Helper()
	m := &mailServer{mp: mailtest.StartMailpit(t, "")}
	m.Server = rpctest.Start(t, opts, func(c *config.Config) {
		c.SMTPAddr, c.MailDomain, c.SMTPPerMinute, c.SMTPBurst = "127.0.0.1:0", "mail.test", 60, 10
		for _, e := range edit {
			e(c)
		}
	})
	m.smtp = m.SMTPAddr()
	return m
}

// inbox makes an inbox of w's W1 with the support address, sending
// through Mailpit, as its owner does through EmailService.
func (m *mailServer) inbox(t *testing.T, w *rpctest.World, address string, aiAnswers bool) *tandemv1.EmailInbox {
	t.Helper()
	host, port, _ := strings.Cut(m.mp.SMTP, ":")
	p, _ := strconv.Atoi(port)
	created, err := m.Clients(rpcclient.GRPC).Email.CreateEmailInbox(w.As("owner"), &tandemv1.CreateEmailInboxRequest{WorkspaceId: w.W1.ID,
		Name: "Support", SupportAddress: address, SmtpHost: host, SmtpPort: int32(p), //nolint:gosec // a port
		SmtpTlsMode: tandemv1.SmtpTlsMode_SMTP_TLS_MODE_NONE, AiAnswers: aiAnswers})
	if err != nil {
		t.Fatal(err)
	}
	return created.GetEmailInbox()
}

// arrived waits (30 s at most) until Mailpit holds n mails and returns
// what it holds.
func (m *mailServer) arrived(t *testing.T, n int) []mailtest.Arrived {
	t.Helper()
	var got []mailtest.Arrived
	for deadline := time.Now().Add(30 * time.Second); len(got) < n; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d mails arrived in Mailpit, want %d", len(got), n)
		}
		got = m.mp.Messages(t)
	}
	return got
}

// TestEmailDemo does what the README's Email section shows against
// `make run`: tandemd --demo with TANDEM_SMTP_ADDR prints the demo inbox's
// receiving address, swaks mails it, and the owner finds the email
// conversation in the demo workspace.
func TestEmailDemo(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs tandemd")
	}
	mailtest.Swaks(t)
	smtpAddr := rpctest.FreeAddr(t)
	p := rpctest.StartProcess(t, rpctest.FreeAddr(t), map[string]string{"TANDEM_DATA_DIR": t.TempDir(), "TANDEM_SMTP_ADDR": smtpAddr}, "--demo")
	banner := regexp.MustCompile(`\(id ([0-9a-f-]{36}),[\s\S]*mail support@demo\.tandem at (in-[a-z0-9]+@localhost)`).FindStringSubmatch(p.Output())
	if banner == nil {
		t.Fatalf("no demo inbox in the banner:\n%s", p.Output())
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if c, err := (&net.Dialer{}).DialContext(t.Context(), "tcp", smtpAddr); err == nil {
			_ = c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the SMTP receiver does not listen")
		}
	}
	mailtest.Send(t.Context(), t, smtpAddr, "ada@example.com", banner[2], "Where is my parcel?", "It has not arrived yet.")
	c := rpcclient.New(p.URL, rpcclient.GRPC)
	login, err := c.Auth.Login(t.Context(), &tandemv1.LoginRequest{Email: demo.OwnerEmail, Password: demo.Password})
	if err != nil {
		t.Fatal(err)
	}
	list, err := c.Conversation.ListConversations(rpcclient.WithToken(t.Context(), login.GetToken()), &tandemv1.ListConversationsRequest{
		WorkspaceId: banner[1], Filter: &tandemv1.ConversationFilter{Channels: []tandemv1.Channel{tandemv1.Channel_CHANNEL_EMAIL}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.GetConversations()) != 1 || list.GetConversations()[0].GetSubject() != "Where is my parcel?" {
		t.Errorf("email conversations of the demo: %v", list.GetConversations())
	}
}

// TestEmailReceiverAddressTaken: tandemd whose SMTP address is already in
// use does not start, and says which setting to change, rather than run
// without its mail (and, in a test, let a mail reach whatever holds the
// port).
func TestEmailReceiverAddressTaken(t *testing.T) {
	t.Parallel()
	taken, err := (&net.ListenConfig{}).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = taken.Close() }()
	cfg := fleet.InProcessConfig(storetest.Options(t, "sqlite"))
	cfg.SMTPAddr = taken.Addr().String()
	s, err := server.New(t.Context(), cfg, slog.New(slog.DiscardHandler))
	if err == nil {
		_ = s.Close()
		t.Fatal("tandemd started on an SMTP address in use")
	}
	if !strings.Contains(err.Error(), "TANDEM_SMTP_ADDR") || !strings.Contains(err.Error(), taken.Addr().String()) {
		t.Errorf("error %q names neither the setting nor the address", err)
	}
}
