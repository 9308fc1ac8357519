package email_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/config"
	"github.com/tandem-inbox/tandem/backend/internal/contact"
	"github.com/tandem-inbox/tandem/backend/internal/email/mailtest"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// publicURL is where the test servers say customers reach them; links in
// mails are read back onto the server's own loopback address.
const publicURL = "https://support.shop.example"

// withPublicURL gives the server the public address confirmation links
// are made with.
func withPublicURL(c *config.Config) { c.PublicURL = publicURL }

// confirmLinkPattern finds a confirmation mail's link.
var confirmLinkPattern = regexp.MustCompile(regexp.QuoteMeta(publicURL) + `/transcripts/confirm\?token=[A-Za-z0-9_%-]+`)

// mailsTo waits (30 s at most) until n mails to the address arrived, and
// returns them.
func (m *mailServer) mailsTo(t *testing.T, address string, n int) []mailtest.Arrived {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		var got []mailtest.Arrived
		for _, a := range m.mp.Messages(t) {
			for _, to := range a.To {
				if strings.EqualFold(to.Address, address) {
					got = append(got, a)
				}
			}
		}
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d mails to %s arrived, want %d", len(got), address, n)
		}
	}
}

// confirmLink is the link of the one confirmation mail among mails (which
// must hold exactly one), on the test server.
func (m *mailServer) confirmLink(t *testing.T, mails []mailtest.Arrived) string {
	t.Helper()
	var links []string
	for _, a := range mails {
		links = append(links, confirmLinkPattern.FindAllString(a.Text, -1)...)
	}
	if len(links) != 1 {
		t.Fatalf("%d confirmation links in %d mails, want 1", len(links), len(mails))
	}
	return m.URL + strings.TrimPrefix(links[0], publicURL)
}

// openLink GETs a confirmation link, as a person or a mail scanner does.
func openLink(t *testing.T, link string) (int, string) {
	t.Helper()
	resp, body := rpctest.Do(t, http.DefaultClient, http.MethodGet, link, nil, "")
	return resp.StatusCode, body
}

// sendForm POSTs the confirmation page's form for a link's token.
func sendForm(t *testing.T, link string) (int, string) {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	resp, body := rpctest.Do(t, http.DefaultClient, http.MethodPost, strings.Split(link, "?")[0],
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, url.Values{"token": {u.Query().Get("token")}}.Encode())
	return resp.StatusCode, body
}

// confirmedAt is when the contact's address was confirmed (0: not yet).
func (m *mailServer) confirmedAt(t *testing.T, address string) int64 {
	t.Helper()
	var at int64
	if err := m.DB().GetContext(t.Context(), &at, `SELECT MAX(confirmed_at) FROM transcript_confirmations WHERE email = ?`, address); err != nil {
		t.Fatal(err)
	}
	return at
}

// copiesFor counts the transcripts queued or sent to the address: read
// from the outbox, so that none sent early can hide behind mail timing.
func (m *mailServer) copiesFor(t *testing.T, address string) int {
	t.Helper()
	var n int
	if err := m.DB().GetContext(t.Context(), &n, `SELECT COUNT(*) FROM email_outbox WHERE kind = 'transcript' AND body = ?`, address); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestTranscriptConfirmation: a transcript goes only to an address its
// customer can be trusted to own. An address the visitor typed is first
// sent a confirmation mail with no chat text; opening its link confirms
// nothing, the page's form does, once, within 24 hours, and then the copy
// arrives; later copies go straight there. A signed identity's address is
// confirmed too (the contact does not record which fields were signed).
// Confirmation mails count against the address's
// daily cap; a token sends its own conversation to its own address and
// verifies that address for its own contact only.
func TestTranscriptConfirmation(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		m := startMailServer(t, opts, withPublicURL)
		w := rpctest.WorldOn(t, m.Server)
		c := m.Clients(rpcclient.Connect)
		m.inbox(t, w, "help@shop.example", false)
		ask := func(token, conversationID, address string) (*tandemv1.EmailTranscriptResponse, error) {
			return c.Widget.EmailTranscript(rpcclient.WithToken(w.Ctx, token),
				&tandemv1.EmailTranscriptRequest{ConversationId: conversationID, Email: address})
		}
		reply := func(conversationID, body string) {
			t.Helper()
			if _, err := c.Conversation.SendMessage(w.As("owner"), &tandemv1.SendMessageRequest{ConversationId: conversationID,
				ClientId: uuid.NewString(), Body: body}); err != nil {
				t.Fatal(err)
			}
		}
		chat := func() (string, string, string) { // a new visitor's token, conversation and a secret of it
			t.Helper()
			p, token := w.NewVisitor(w.W1)
			conv := w.Conversation(p)
			secret := rpctest.Unique("secret-")
			reply(conv.ID, "Your code is "+secret)
			return token, conv.ID, secret
		}

		t.Run("an address the visitor typed is confirmed by the form, not the link", func(t *testing.T) {
			token, conv, secret := chat()
			ada := rpctest.Unique("ada") + "@example.com"
			resp, err := ask(token, conv, ada)
			if err != nil || !resp.GetConfirmationSent() || resp.GetEmail() != ada {
				t.Fatalf("asking for a copy: %v %v", resp, err)
			}
			first := m.mailsTo(t, ada, 1)
			if len(first) != 1 || strings.Contains(first[0].Text+first[0].HTML, secret) || strings.Contains(first[0].Text, "hello") {
				t.Fatalf("%d mails before confirming, the first:\n%s", len(first), first[0].Text)
			}
			link := m.confirmLink(t, first)
			for range 2 { // a mail scanner, then the person
				code, body := openLink(t, link)
				if code != http.StatusOK || !strings.Contains(body, `<form method="post"`) {
					t.Fatalf("opening the link: %d\n%s", code, body)
				}
			}
			resp2, _ := rpctest.Do(t, http.DefaultClient, http.MethodGet, link, nil, "")
			if resp2.Header.Get("Referrer-Policy") != "no-referrer" || !strings.Contains(resp2.Header.Get("Content-Security-Policy"), "default-src 'none'") ||
				!strings.Contains(resp2.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
				t.Errorf("page headers: %v", resp2.Header)
			}
			if at := m.confirmedAt(t, ada); at != 0 {
				t.Fatalf("opening the link confirmed the address at %d", at)
			}
			if n := m.copiesFor(t, ada); n != 0 {
				t.Fatalf("%d copies for an unconfirmed address", n)
			}
			if code, body := sendForm(t, link); code != http.StatusOK || !strings.Contains(body, "Address confirmed") {
				t.Fatalf("sending the form: %d\n%s", code, body)
			}
			got := m.mailsTo(t, ada, 2)
			if !strings.Contains(got[0].Text+got[1].Text, secret) {
				t.Fatalf("no copy after confirming:\n%s\n%s", got[0].Text, got[1].Text)
			}
			if code, body := sendForm(t, link); code != http.StatusGone || !strings.Contains(body, "already used") {
				t.Errorf("the form sent twice: %d\n%s", code, body)
			}
			// Confirmed: the next copy goes straight there.
			reply(conv, "More news.")
			if resp, err := ask(token, conv, ""); err != nil || resp.GetConfirmationSent() {
				t.Fatalf("a copy to a confirmed address: %v %v", resp, err)
			}
			m.mailsTo(t, ada, 3)
		})

		t.Run("a link expires after 24 hours", func(t *testing.T) {
			token, conv, secret := chat()
			bob := rpctest.Unique("bob") + "@example.com"
			if resp, err := ask(token, conv, bob); err != nil || !resp.GetConfirmationSent() {
				t.Fatalf("asking for a copy: %v %v", resp, err)
			}
			link := m.confirmLink(t, m.mailsTo(t, bob, 1))
			if _, err := m.DB().ExecContext(t.Context(), `UPDATE transcript_confirmations SET expires_at = ? WHERE email = ?`,
				time.Now().Add(-time.Second).UnixMilli(), bob); err != nil {
				t.Fatal(err)
			}
			if code, body := openLink(t, link); code != http.StatusGone || !strings.Contains(body, "expired") {
				t.Errorf("opening an expired link: %d\n%s", code, body)
			}
			if code, body := sendForm(t, link); code != http.StatusGone || !strings.Contains(body, "expired") {
				t.Errorf("sending an expired link's form: %d\n%s", code, body)
			}
			if at := m.confirmedAt(t, bob); at != 0 {
				t.Fatalf("an expired link confirmed the address at %d", at)
			}
			// Asking again sends a new link; still no chat text.
			if resp, err := ask(token, conv, ""); err != nil || !resp.GetConfirmationSent() {
				t.Fatalf("asking again: %v %v", resp, err)
			}
			if n := m.copiesFor(t, bob); n != 0 {
				t.Fatalf("%d copies for an unconfirmed address", n)
			}
			got := m.mailsTo(t, bob, 2)
			for _, a := range got {
				if strings.Contains(a.Text+a.HTML, secret) {
					t.Fatalf("chat text to an unconfirmed address:\n%s", a.Text)
				}
			}
		})

		t.Run("a signed identity's address is confirmed too", func(t *testing.T) {
			carol := rpctest.Unique("carol") + "@example.com"
			identity := rpctest.Stamped(`{"external_id":"` + rpctest.Unique("shopper-") + `"}`)
			sess, err := w.Srv.Domain().Contacts.StartSession(w.Ctx, contact.SessionRequest{PublicKey: w.W1.PublicKey, Email: carol,
				IdentityJSON: identity, IdentitySignature: contact.Sign(w.W1.WidgetSecret, identity)})
			if err != nil {
				t.Fatal(err)
			}
			p, err := w.Srv.Domain().Contacts.AuthenticateVisitor(w.Ctx, sess.Token)
			if err != nil {
				t.Fatal(err)
			}
			conv := w.Conversation(p)
			secret := rpctest.Unique("secret-")
			reply(conv.ID, "Your code is "+secret)
			// The identity is signed, the address beside it typed.
			if resp, err := ask(sess.Token, conv.ID, ""); err != nil || !resp.GetConfirmationSent() || resp.GetEmail() != carol {
				t.Fatalf("asking for a copy: %v %v", resp, err)
			}
			if got := m.mailsTo(t, carol, 1); strings.Contains(got[0].Text, secret) {
				t.Fatalf("a signed identity's typed address was mailed the chat unconfirmed:\n%s", got[0].Text)
			}
		})

		t.Run("confirmation mails count against the address's daily cap", func(t *testing.T) {
			dan := rpctest.Unique("dan") + "@example.com"
			for i := 1; i <= 11; i++ {
				token, conv, _ := chat()
				resp, err := ask(token, conv, dan)
				if i <= 10 && (err != nil || !resp.GetConfirmationSent()) {
					t.Fatalf("confirmation %d: %v %v", i, resp, err)
				}
				if i == 11 && connect.CodeOf(err) != connect.CodeResourceExhausted {
					t.Errorf("an eleventh mail to one address in a day: %v %v", resp, err)
				}
			}
		})

		t.Run("a token mails its own conversation to its own address, for its own contact", func(t *testing.T) {
			_, victimConv, victimSecret := chat()
			eveToken, eveConv, eveSecret := chat()
			eve := rpctest.Unique("eve") + "@example.com"
			if _, err := ask(eveToken, eveConv, eve); err != nil {
				t.Fatal(err)
			}
			link := m.confirmLink(t, m.mailsTo(t, eve, 1))
			// The form's extra fields choose nothing: the token is bound.
			u, _ := url.Parse(link)
			resp, body := rpctest.Do(t, http.DefaultClient, http.MethodPost, strings.Split(link, "?")[0],
				http.Header{"Content-Type": {"application/x-www-form-urlencoded"}},
				url.Values{"token": {u.Query().Get("token")}, "conversation_id": {victimConv}, "email": {"other@example.com"}}.Encode())
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("confirming: %d\n%s", resp.StatusCode, body)
			}
			m.mailsTo(t, eve, 2) // the confirmation and the copy
			// Eve's confirmed address is not verified for another contact:
			// Mallory asking for his chat there gets a confirmation mail.
			malToken, malConv, _ := chat()
			if resp, err := ask(malToken, malConv, eve); err != nil || !resp.GetConfirmationSent() {
				t.Fatalf("another contact asking for a confirmed address: %v %v", resp, err)
			}
			got := m.mailsTo(t, eve, 3)
			copies := 0
			for _, a := range got {
				if strings.Contains(a.Text+a.HTML, victimSecret) {
					t.Fatalf("someone else's chat mailed to %s:\n%s", eve, a.Text)
				}
				if strings.Contains(a.Text, eveSecret) {
					copies++
				}
			}
			if copies != 1 {
				t.Errorf("%d copies of eve's chat, want 1", copies)
			}
			if n := len(m.mailsTo(t, "other@example.com", 0)); n != 0 {
				t.Errorf("%d mails to an address the form named", n)
			}
		})
	})
}
