package email_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestEmailTranscript: a customer has a copy of their chat mailed to them
// from the widget, once they confirmed the address they typed
// (TestTranscriptConfirmation): the public messages, oldest first, never
// the team's internal notes; asking again for the same chat sends nothing
// more; a chat gets at most five copies, an address ten mails a day
// (confirmations included); without an address or an inbox the widget is
// told why.
func TestEmailTranscript(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		m := startMailServer(t, opts, withPublicURL)
		w := rpctest.WorldOn(t, m.Server)
		c := m.Clients(rpcclient.Connect)
		visitor := rpcclient.WithToken(w.Ctx, w.VisitorToken)
		conv := w.Conversation(w.Visitor)
		ask := func(email string) (*tandemv1.EmailTranscriptResponse, error) {
			return c.Widget.EmailTranscript(visitor, &tandemv1.EmailTranscriptRequest{ConversationId: conv.ID, Email: email})
		}
		if _, err := ask("ada@example.com"); connect.CodeOf(err) != connect.CodeFailedPrecondition {
			t.Errorf("a workspace without an inbox: %v", err)
		}
		if cfg, err := c.Widget.GetWidgetConfig(visitor, &tandemv1.GetWidgetConfigRequest{}); err != nil || cfg.GetEmailTranscripts() {
			t.Errorf("config without an inbox: %v %v", cfg, err)
		}
		m.inbox(t, w, "help@shop.example", false)
		if cfg, err := c.Widget.GetWidgetConfig(visitor, &tandemv1.GetWidgetConfigRequest{}); err != nil || !cfg.GetEmailTranscripts() {
			t.Errorf("config with an inbox: %v %v", cfg, err)
		}
		if _, err := ask(""); connect.CodeOf(err) != connect.CodeInvalidArgument {
			t.Errorf("no address known: %v", err)
		}
		if _, err := c.Conversation.SendMessage(w.As("owner"), &tandemv1.SendMessageRequest{ConversationId: conv.ID, ClientId: uuid.NewString(),
			Body: "Your parcel ships today."}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Conversation.AddNote(w.As("owner"), &tandemv1.AddNoteRequest{ConversationId: conv.ID, ClientId: uuid.NewString(),
			Body: "Internal: customer is grumpy"}); err != nil {
			t.Fatal(err)
		}
		resp, err := ask("ada@example.com")
		if err != nil || resp.GetEmail() != "ada@example.com" || !resp.GetConfirmationSent() {
			t.Fatalf("asking for a copy: %v %v", resp, err)
		}
		if code, body := sendForm(t, m.confirmLink(t, m.arrived(t, 1))); code != http.StatusOK {
			t.Fatalf("confirming the address: %d\n%s", code, body)
		}
		got := m.arrived(t, 2)
		if !strings.HasPrefix(got[0].Subject, "Your conversation") {
			got[0] = got[1]
		}
		text := strings.ReplaceAll(got[0].Text, "\r\n", "\n")
		hello, ships := strings.Index(text, "You:\nhello "), strings.Index(text, "Your parcel ships today.")
		if got[0].To[0].Address != "ada@example.com" || hello < 0 || ships < hello || strings.Contains(text, "grumpy") {
			t.Fatalf("the copy:\n%s", text)
		}
		// The same state again: nothing more is sent.
		if resp, err := ask(""); err != nil || resp.GetConfirmationSent() {
			t.Fatal(resp, err)
		}
		time.Sleep(1500 * time.Millisecond)
		if n := len(m.mp.Messages(t)); n != 2 {
			t.Errorf("%d mails: a confirmation and copies of one state", n)
		}
		// New messages make new copies, five in all.
		for i := 2; i <= 6; i++ {
			if _, err := c.Conversation.SendMessage(w.As("owner"), &tandemv1.SendMessageRequest{ConversationId: conv.ID,
				ClientId: uuid.NewString(), Body: "More news."}); err != nil {
				t.Fatal(err)
			}
			_, err := ask("")
			if i <= 5 && err != nil {
				t.Fatalf("copy %d: %v", i, err)
			}
			if i == 6 && connect.CodeOf(err) != connect.CodeResourceExhausted {
				t.Errorf("a sixth copy: %v", err)
			}
		}
		m.arrived(t, 6)

		// Nobody floods a mailbox: other visitors asking for copies to the
		// same address (each sent a confirmation) get ten mails a day in all.
		refused := 0
		for range 9 {
			other, token := w.NewVisitor(w.W1)
			chat := w.Conversation(other)
			_, err := c.Widget.EmailTranscript(rpcclient.WithToken(w.Ctx, token), &tandemv1.EmailTranscriptRequest{ConversationId: chat.ID,
				Email: "ada@example.com"})
			if connect.CodeOf(err) == connect.CodeResourceExhausted {
				refused++
			} else if err != nil {
				t.Fatal(err)
			}
		}
		if refused != 5 { // 1 confirmation and 5 copies before, 4 more allowed, 5 of 9 refused
			t.Errorf("%d of 9 more mails to one address refused, want 5", refused)
		}
	})
}
