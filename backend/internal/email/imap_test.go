package email_test

import (
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/config"
	"github.com/tandem-inbox/tandem/backend/internal/email/mailtest"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

const (
	imapUser     = "support@shop.example"
	imapPassword = "mailbox secret"
)

// TestEmailIMAP connects an inbox to a Dovecot mailbox as a team connects
// Gmail or Microsoft 365: mail of the last day already there is taken,
// older mail left alone; new mail arrives while the connection IDLEs (the
// poll interval is a minute, so only IDLE explains it arriving in
// seconds); a mail over the size limit is skipped; a reply threads; the
// same mail delivered twice is stored once;
// the inbox shows when the mailbox was read, and a wrong password shows as
// its error.
func TestEmailIMAP(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		d := mailtest.StartDovecot(t)
		d.User(t, imapUser, imapPassword)
		srv := rpctest.Start(t, opts, func(c *config.Config) { c.IMAPPoll, c.IMAPLease, c.SMTPMaxBytes = time.Minute, 3*time.Second, 1<<20 })
		w := rpctest.WorldOn(t, srv)
		c := srv.Clients(rpcclient.GRPC)

		d.Append(t, imapUser, imapPassword, "INBOX", time.Now().Add(-72*time.Hour),
			rawMail("old@example.com", "An old question", "From three days ago.", "<old@example.com>"))
		d.Append(t, imapUser, imapPassword, "INBOX", time.Now().Add(-time.Hour),
			rawMail("ada@example.com", "Where is my parcel?", "It has not arrived yet.", "<p1@example.com>"))
		inbox := imapInbox(t, w, d.Addr, imapPassword)
		if inbox.GetImapPasswordSet() != true || inbox.GetImapTlsMode() != tandemv1.ImapTlsMode_IMAP_TLS_MODE_NONE {
			t.Fatalf("inbox %v", inbox)
		}
		parcel := waitConversations(t, w, 1)[0]
		if parcel.GetSubject() != "Where is my parcel?" || parcel.GetContact().GetEmail() != "ada@example.com" {
			t.Fatalf("conversation %v", parcel)
		}

		// New mail while connected: IDLE brings it within seconds. A mail
		// over the size limit before it is skipped.
		d.Append(t, imapUser, imapPassword, "INBOX", time.Now(),
			rawMail("big@example.com", "Too big", strings.Repeat("A line of a huge mail.\r\n", 100_000), "<big@example.com>"))
		start := time.Now()
		d.Append(t, imapUser, imapPassword, "INBOX", time.Now(),
			rawMail("grace@example.com", "Refund", "Please refund order 7.", "<r1@example.com>"))
		waitConversations(t, w, 2)
		if took := time.Since(start); took > 20*time.Second {
			t.Errorf("new mail took %v to arrive", took)
		}
		// A reply joins its conversation; the same mail again stores nothing.
		d.Append(t, imapUser, imapPassword, "INBOX", time.Now(), rawMail("ada@example.com", "Re: Where is my parcel?",
			"Any news?", "<p2@example.com>", "In-Reply-To: <p1@example.com>", "References: <p1@example.com>"))
		d.Append(t, imapUser, imapPassword, "INBOX", time.Now(),
			rawMail("grace@example.com", "Refund", "Please refund order 7.", "<r1@example.com>"))
		d.Append(t, imapUser, imapPassword, "INBOX", time.Now(),
			rawMail("linus@example.com", "Invoice", "Where is my invoice?", "<i1@example.com>"))
		convs := waitConversations(t, w, 3)
		history, err := c.Conversation.GetConversation(w.As("agent"), &tandemv1.GetConversationRequest{ConversationId: parcel.GetId()})
		if err != nil {
			t.Fatal(err)
		}
		var bodies []string // newest first
		for _, m := range history.GetHistory() {
			bodies = append(bodies, m.GetBody())
		}
		if len(bodies) != 2 || !strings.Contains(bodies[0], "Any news?") {
			t.Errorf("the parcel conversation's messages: %q", bodies)
		}
		for _, cv := range convs {
			switch cv.GetSubject() {
			case "An old question":
				t.Error("mail older than a day was taken")
			case "Too big":
				t.Error("a mail over the size limit was taken")
			}
		}
		got, err := c.Email.GetEmailInbox(w.As("owner"), &tandemv1.GetEmailInboxRequest{EmailInboxId: inbox.GetId()})
		if err != nil {
			t.Fatal(err)
		}
		if got.GetEmailInbox().GetImapCheckedTimeMs() == 0 || got.GetEmailInbox().GetImapError() != "" {
			t.Errorf("IMAP status %v", got.GetEmailInbox())
		}

		// A wrong password shows on the inbox.
		if _, err := c.Email.UpdateEmailInbox(w.As("owner"), &tandemv1.UpdateEmailInboxRequest{EmailInboxId: inbox.GetId(),
			ImapPassword: ptr("wrong")}); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			got, err := c.Email.GetEmailInbox(w.As("owner"), &tandemv1.GetEmailInboxRequest{EmailInboxId: inbox.GetId()})
			if err != nil {
				t.Fatal(err)
			}
			if e := got.GetEmailInbox().GetImapError(); strings.Contains(e, "sign in") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no sign-in error on the inbox: %v", got.GetEmailInbox())
			}
		}
	})
}

// TestEmailIMAPDisconnect cuts the connection to the IMAP server in the
// middle of fetching a mailbox full of mail: every mail still arrives,
// once.
func TestEmailIMAPDisconnect(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		d := mailtest.StartDovecot(t)
		d.User(t, imapUser, imapPassword)
		const n = 12
		for i := range n {
			d.Append(t, imapUser, imapPassword, "INBOX", time.Now(), rawMail(fmt.Sprintf("c%d@example.com", i),
				fmt.Sprintf("Question %d", i), strings.Repeat(fmt.Sprintf("Line %d of a long mail. ", i), 200), fmt.Sprintf("<q%d@example.com>", i)))
		}
		// The first connection is cut after 30 KB from the server: about
		// half the mailbox.
		proxy := cuttingProxy(t, d.Addr, 30_000)
		srv := rpctest.Start(t, opts, func(c *config.Config) { c.IMAPPoll, c.IMAPLease = time.Minute, 3*time.Second })
		w := rpctest.WorldOn(t, srv)
		imapInbox(t, w, proxy.addr, imapPassword)
		convs := waitConversations(t, w, n)
		seen := map[string]bool{}
		for _, cv := range convs {
			if seen[cv.GetSubject()] {
				t.Errorf("%q stored twice", cv.GetSubject())
			}
			seen[cv.GetSubject()] = true
		}
		if proxy.cuts() == 0 {
			t.Error("the connection was never cut")
		}
		time.Sleep(time.Second) // nothing more arrives
		if got := waitConversations(t, w, n); len(got) != n {
			t.Errorf("%d conversations, want %d", len(got), n)
		}
	})
}

// imapInbox makes an inbox of w's W1 that reads Dovecot's mailbox at addr.
func imapInbox(t *testing.T, w *rpctest.World, addr, password string) *tandemv1.EmailInbox {
	t.Helper()
	host, port, _ := strings.Cut(addr, ":")
	p, _ := strconv.Atoi(port)
	created, err := w.Srv.Clients(rpcclient.GRPC).Email.CreateEmailInbox(w.As("owner"), &tandemv1.CreateEmailInboxRequest{WorkspaceId: w.W1.ID,
		Name: "Support", SupportAddress: imapUser, SmtpHost: "127.0.0.1", SmtpPort: 25, SmtpTlsMode: tandemv1.SmtpTlsMode_SMTP_TLS_MODE_NONE,
		ImapHost: host, ImapPort: int32(p), ImapTlsMode: tandemv1.ImapTlsMode_IMAP_TLS_MODE_NONE, //nolint:gosec // a port
		ImapUsername: imapUser, ImapPassword: password})
	if err != nil {
		t.Fatal(err)
	}
	return created.GetEmailInbox()
}

// waitConversations waits (30 s at most) until W1 has at least n email
// conversations and returns them.
func waitConversations(t *testing.T, w *rpctest.World, n int) []*tandemv1.Conversation {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		list, err := w.Srv.Clients(rpcclient.GRPC).Conversation.ListConversations(w.As("agent"), &tandemv1.ListConversationsRequest{
			WorkspaceId: w.W1.ID, Filter: &tandemv1.ConversationFilter{Channels: []tandemv1.Channel{tandemv1.Channel_CHANNEL_EMAIL}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(list.GetConversations()) >= n {
			return list.GetConversations()
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d email conversations, want %d", len(list.GetConversations()), n)
		}
	}
}

// rawMail is a plain-text mail with the Message-ID and extra header lines.
func rawMail(from, subject, body, messageID string, headers ...string) []byte {
	h := []string{"From: " + from, "To: " + imapUser, "Subject: " + subject, "Message-ID: " + messageID,
		"Date: " + time.Now().Format(time.RFC1123Z), "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8"}
	return []byte(strings.Join(append(h, headers...), "\r\n") + "\r\n\r\n" + body + "\r\n")
}

func ptr[T any](v T) *T { return &v }

// proxy forwards TCP connections to a server, cutting the first one after
// the server has sent limit bytes through it.
type proxy struct {
	addr string
	mu   sync.Mutex
	cut  int
}

func (p *proxy) cuts() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cut
}

func cuttingProxy(t *testing.T, target string, limit int64) *proxy {
	t.Helper()
	l, err := (&net.ListenConfig{}).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	p := &proxy{addr: l.Addr().String()}
	first := true
	go func() {
		for {
			in, err := l.Accept()
			if err != nil {
				return
			}
			out, err := (&net.Dialer{}).DialContext(t.Context(), "tcp", target)
			if err != nil {
				_ = in.Close()
				continue
			}
			cut := first
			first = false
			go func() { _, _ = io.Copy(out, in); _ = out.Close() }()
			go func() {
				if cut {
					_, _ = io.CopyN(in, out, limit)
					p.mu.Lock()
					p.cut++
					p.mu.Unlock()
				} else {
					_, _ = io.Copy(in, out)
				}
				_ = in.Close()
				_ = out.Close()
			}()
		}
	}()
	return p
}
