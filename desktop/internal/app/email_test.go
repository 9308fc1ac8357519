package app_test

import (
	"encoding/json"
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
