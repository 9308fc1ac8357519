package email_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/emersion/go-msgauth/dkim"
	"github.com/emersion/go-smtp"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/config"
	"github.com/tandem-inbox/tandem/backend/internal/email/mailtest"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestSenderVerification sends tandemd's receiver mail from senders who
// prove who they are and from forgers, with a DNS server on loopback
// (TANDEM_MAIL_DNS) holding the DKIM keys of shop.example and
// evil.example: a mail shop.example signed is from a verified sender; a
// forged From without a signature, a mail signed by another domain, and a
// signed mail changed on the way are not. A trusted receiving server's
// Authentication-Results (TANDEM_MAIL_TRUSTED_SERVERS) verifies a sender;
// the same header claimed by anyone else does not. The team sees each
// mail's check, recipients, CC and full text.
func TestSenderVerification(t *testing.T) {
	t.Parallel()
	dns := mailtest.StartDNS(t)
	shopKey, evilKey := dkimKey(t, dns, "s1", "shop.example"), dkimKey(t, dns, "k", "evil.example")
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		m := startMailServer(t, opts, func(c *config.Config) {
			c.MailDNS, c.MailTrustedServers, c.SMTPPerMinute = dns.Addr, []string{"mx.trusted.example"}, 0
		})
		w := rpctest.WorldOn(t, m.Server)
		to := m.inbox(t, w, "help@shop.example", false).GetReceivingAddress()
		mail := func(from, subject string, extra ...string) []byte {
			return []byte(strings.Join(append(extra, "From: "+from, "To: help@shop.example", "Cc: boss@shop.example, Ann <ann@shop.example>",
				"Subject: "+subject, "Message-ID: <"+rpctest.Unique("v")+"@test>", "Date: Sun, 06 Dec 2026 10:00:00 +0000"), "\r\n") +
				"\r\n\r\nPlease wire the money today.\r\n\r\nOn Sat, Ada wrote:\r\n> earlier\r\n")
		}
		cases := []struct {
			subject  string
			raw      []byte
			verified bool
			check    string
		}{
			{"Signed", sign(t, mail("ada@shop.example", "Signed"), "shop.example", "s1", shopKey), true, "DKIM signature of shop.example"},
			{"Forged", mail("ceo@shop.example", "Forged"), false, "no DKIM signature"},
			{"Other signer", sign(t, mail("ceo@shop.example", "Other signer"), "evil.example", "k", evilKey), false, "not of the sender's domain"},
			{"Changed", bytes.Replace(sign(t, mail("ada@shop.example", "Changed"), "shop.example", "s1", shopKey), []byte("today"), []byte("now!!"), 1),
				false, "changed after signing"},
			{"Trusted server", mail("ceo@bank.example", "Trusted server",
				"Authentication-Results: mx.trusted.example; dkim=pass header.d=bank.example; dmarc=pass header.from=bank.example"), true,
				"DMARC pass at mx.trusted.example"},
			{"Untrusted claim", mail("ceo@bank.example", "Untrusted claim",
				"Authentication-Results: mx.anyone.example; dmarc=pass header.from=bank.example"), false, "no DKIM signature"},
		}
		for _, tc := range cases {
			sendRaw(t, m.smtp, strings.SplitN(strings.SplitN(string(tc.raw), "From: ", 2)[1], "\r\n", 2)[0], to, tc.raw)
		}
		c := m.Clients(rpcclient.GRPC)
		convs := waitConversations(t, w, len(cases))
		bySubject := map[string]string{}
		for _, cv := range convs {
			bySubject[cv.GetSubject()] = cv.GetId()
		}
		for _, tc := range cases {
			resp, err := c.Email.ListEmailMessages(w.As("agent"), &tandemv1.ListEmailMessagesRequest{ConversationId: bySubject[tc.subject]})
			if err != nil {
				t.Fatal(err)
			}
			if len(resp.GetEmailMessages()) != 1 {
				t.Fatalf("%s: %d mails", tc.subject, len(resp.GetEmailMessages()))
			}
			got := resp.GetEmailMessages()[0]
			if got.GetSenderVerified() != tc.verified || !strings.Contains(got.GetSenderCheck(), tc.check) {
				t.Errorf("%s: verified %v (%q), want %v (%q)", tc.subject, got.GetSenderVerified(), got.GetSenderCheck(), tc.verified, tc.check)
			}
			if strings.Join(got.GetCc(), ",") != "boss@shop.example,ann@shop.example" || got.GetTo()[0] != "help@shop.example" ||
				!strings.Contains(got.GetOriginalText(), "> earlier") {
				t.Errorf("%s: %v", tc.subject, got)
			}
		}
		// Another workspace's member sees none of it.
		if resp, err := c.Email.ListEmailMessages(w.As("w2owner"), &tandemv1.ListEmailMessagesRequest{ConversationId: bySubject["Signed"]}); err == nil {
			t.Errorf("another workspace read the mails: %v", resp)
		}
	})
}

// dkimKey makes a signing key for the domain and publishes it in dns.
func dkimKey(t *testing.T, dns *mailtest.DNS, selector, domain string) ed25519.PrivateKey {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	dns.TXT(selector+"._domainkey."+domain, "v=DKIM1; k=ed25519; p="+base64.StdEncoding.EncodeToString(pub))
	return priv
}

// sign DKIM-signs a mail as the domain.
func sign(t *testing.T, raw []byte, domain, selector string, key ed25519.PrivateKey) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := dkim.Sign(&out, bytes.NewReader(raw), &dkim.SignOptions{Domain: domain, Selector: selector, Signer: key,
		HeaderKeys: []string{"From", "To", "Cc", "Subject", "Date", "Message-ID"}}); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// sendRaw sends a raw mail over SMTP as the envelope sender.
func sendRaw(t *testing.T, addr, from, to string, raw []byte) {
	t.Helper()
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Close() }()
	if err := c.SendMail(strings.Trim(from, "<>"), []string{to}, bytes.NewReader(raw)); err != nil {
		t.Fatal(err)
	}
	_ = c.Quit()
}
