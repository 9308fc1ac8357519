package app_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/desktop/internal/apiclient"
	"github.com/tandem-inbox/tandem/desktop/internal/app"
	"github.com/tandem-inbox/tandem/desktop/internal/tandemtest"
)

func decodeInbox(t *testing.T, raw json.RawMessage) *tandemv1.EmailInbox {
	t.Helper()
	i := &tandemv1.EmailInbox{}
	if err := protojson.Unmarshal(raw, i); err != nil {
		t.Fatal(err)
	}
	return i
}

// TestEmailInboxes: an owner sees the demo's inbox, adds one that reads an
// IMAP mailbox (the passwords stored, never shown), changes it (IMAP off,
// another name, a password kept by leaving it out) and deletes it; a TLS
// mode the app does not know is refused before sending; an agent may not
// see the inboxes.
func TestEmailInboxes(t *testing.T) {
	srv := tandemtest.Start(t, nil)
	boss := launch(t, "")
	if _, err := boss.app.SignIn(srv.URL, tandemtest.OwnerEmail, tandemtest.Password); err != nil {
		t.Fatal(err)
	}
	list := func() []*tandemv1.EmailInbox {
		t.Helper()
		raws, err := boss.app.EmailInboxes()
		if err != nil {
			t.Fatal(err)
		}
		var out []*tandemv1.EmailInbox
		for _, r := range raws {
			out = append(out, decodeInbox(t, r))
		}
		return out
	}
	if got := list(); len(got) != 1 || got[0].GetSupportAddress() != "support@demo.tandem" {
		t.Fatalf("demo inboxes = %v", got)
	}
	s := func(v string) *string { return &v }
	n := func(v int32) *int32 { return &v }
	raw, err := boss.app.SaveEmailInbox(app.InboxChange{Name: s("Billing"), SupportAddress: s("billing@shop.example"), SMTPHost: s("smtp.shop.example"),
		SMTPPort: n(587), SMTPTLSMode: s("starttls"), SMTPUsername: s("billing@shop.example"), SMTPPassword: s("smtp secret"),
		IMAPHost: s("imap.shop.example"), IMAPTLSMode: s("implicit"), IMAPUsername: s("billing@shop.example"), IMAPPassword: s("imap secret")})
	if err != nil {
		t.Fatal(err)
	}
	made := decodeInbox(t, raw)
	if made.GetReceivingAddress() == "" || !made.GetSmtpPasswordSet() || !made.GetImapPasswordSet() || made.GetImapHost() != "imap.shop.example" {
		t.Fatalf("created %v", made)
	}
	raw, err = boss.app.SaveEmailInbox(app.InboxChange{ID: made.GetId(), Name: s("Billing team"), IMAPHost: s("")})
	if err != nil {
		t.Fatal(err)
	}
	if got := decodeInbox(t, raw); got.GetName() != "Billing team" || got.GetImapHost() != "" || !got.GetSmtpPasswordSet() {
		t.Fatalf("updated %v", got)
	}
	if _, err := boss.app.SaveEmailInbox(app.InboxChange{ID: made.GetId(), SMTPTLSMode: s("ssl3")}); apiclient.KindOf(err) != apiclient.KindInvalid {
		t.Fatalf("an unknown TLS mode = %v", err)
	}
	if _, err := boss.app.SaveEmailInbox(app.InboxChange{Name: s("Nope"), SupportAddress: s("not an address"), SMTPHost: s("smtp.shop.example"),
		SMTPPort: n(25), SMTPTLSMode: s("none")}); apiclient.KindOf(err) != apiclient.KindInvalid {
		t.Fatalf("a bad support address = %v", err)
	}
	if err := boss.app.DeleteEmailInbox(made.GetId()); err != nil {
		t.Fatal(err)
	}
	if got := list(); len(got) != 1 {
		t.Fatalf("after delete: %v", got)
	}

	agent := launch(t, "")
	if _, err := agent.app.SignIn(srv.URL, tandemtest.AgentEmail, tandemtest.Password); err != nil {
		t.Fatal(err)
	}
	if _, err := agent.app.EmailInboxes(); apiclient.KindOf(err) != apiclient.KindForbidden {
		t.Fatalf("an agent listing inboxes = %v", err)
	}
}

// TestEmailRoundTrip is the email channel as a customer and an agent meet
// it, with the demo data: the customer mails the demo inbox (swaks into
// tandemd's SMTP receiver), the agent answers in the app, the reply
// reaches the customer's mail server (Mailpit) threaded under their mail,
// and the customer's answer lands in the same conversation, which the app
// shows.
func TestEmailRoundTrip(t *testing.T) {
	mp := tandemtest.StartMailpit(t)
	smtpAddr := tandemtest.FreeAddr(t)
	srv := tandemtest.Start(t, map[string]string{"TANDEM_SMTP_ADDR": smtpAddr, "TANDEM_MAIL_SECRET": strings.Repeat("k", 32)})
	boss := launch(t, "")
	if _, err := boss.app.SignIn(srv.URL, tandemtest.OwnerEmail, tandemtest.Password); err != nil {
		t.Fatal(err)
	}
	raws, err := boss.app.EmailInboxes()
	if err != nil || len(raws) != 1 {
		t.Fatalf("inboxes = %d, %v", len(raws), err)
	}
	demo := decodeInbox(t, raws[0])
	host, port, _ := strings.Cut(mp.SMTP, ":")
	p, _ := strconv.Atoi(port)
	s := func(v string) *string { return &v }
	n := int32(p) //nolint:gosec // a port
	if _, err := boss.app.SaveEmailInbox(app.InboxChange{ID: demo.GetId(), SMTPHost: s(host), SMTPPort: &n, SMTPTLSMode: s("none")}); err != nil {
		t.Fatal(err)
	}

	tandemtest.Swaks(t, smtpAddr, "ada@example.com", demo.GetReceivingAddress(), "Where is my parcel?", "Order 7 has not arrived.",
		"Message-Id: <ada-1@example.com>")
	var id string
	eventually(t, "the mail in the inbox", func() bool {
		list, err := boss.app.Conversations()
		if err != nil {
			t.Fatal(err)
		}
		for _, raw := range list {
			if c := decodeConv(t, raw); c.GetSubject() == "Where is my parcel?" && c.GetChannel() == tandemv1.Channel_CHANNEL_EMAIL {
				id = c.GetId()
			}
		}
		return id != ""
	})
	if _, err := boss.app.Open(id); err != nil {
		t.Fatal(err)
	}
	if _, err := boss.app.Reply(id, "It ships today.", nil); err != nil {
		t.Fatal(err)
	}
	var reply tandemtest.Mail
	eventually(t, "the reply in the customer's mailbox", func() bool {
		got := mp.Messages(t)
		if len(got) == 1 {
			reply = got[0]
		}
		return len(got) == 1
	})
	if reply.Subject != "Re: Where is my parcel?" || reply.To[0].Address != "ada@example.com" || !strings.Contains(reply.Text, "It ships today.") ||
		strings.Join(reply.Headers["In-Reply-To"], "") != "<ada-1@example.com>" {
		t.Fatalf("the reply: %+v", reply)
	}

	// The customer answers from their mail client: reply-to address, threaded.
	replyTo := strings.Trim(strings.Join(reply.Headers["Reply-To"], ""), "<>")
	tandemtest.Swaks(t, smtpAddr, "ada@example.com", replyTo, "Re: Where is my parcel?", "Thanks, that helps!",
		"In-Reply-To: <"+reply.MessageID+">", "References: <ada-1@example.com> <"+reply.MessageID+">")
	eventually(t, "the answer in the same conversation", func() bool {
		view, err := boss.app.Open(id)
		if err != nil {
			t.Fatal(err)
		}
		last := decodeMsg(t, view.History[len(view.History)-1])
		return strings.Contains(last.GetBody(), "Thanks, that helps!")
	})
	list, err := boss.app.Conversations()
	if err != nil {
		t.Fatal(err)
	}
	emails := 0
	for _, raw := range list {
		if decodeConv(t, raw).GetChannel() == tandemv1.Channel_CHANNEL_EMAIL {
			emails++
		}
	}
	if emails != 1 {
		t.Errorf("%d email conversations, want the one", emails)
	}
}
