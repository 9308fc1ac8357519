package email_test

import (
	"strings"
	"testing"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/email/mailtest"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestEmailCcAndSubject: a mail that copies someone has its replies copy
// them too (not the inbox itself); an agent changes the CC and the subject
// of the replies to come, and the next reply goes out so; bad addresses, a
// subject with a line break and a conversation that is not email are
// refused, changing nothing.
func TestEmailCcAndSubject(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		m := startMailServer(t, opts)
		w := rpctest.WorldOn(t, m.Server)
		c := m.Clients(rpcclient.GRPC)
		to := m.inbox(t, w, "help@shop.example", false).GetReceivingAddress()
		mailtest.Send(w.Ctx, t, m.smtp, "ada@example.com", to, "Refund for order 7", "Please refund it.",
			"Cc: Boss <boss@example.com>, help@shop.example")
		conv := waitConversations(t, w, 1)[0]
		th, err := c.Email.GetEmailThread(w.As("agent"), &tandemv1.GetEmailThreadRequest{ConversationId: conv.GetId()})
		if err != nil {
			t.Fatal(err)
		}
		if got := th.GetEmailThread(); strings.Join(got.GetCc(), ",") != "boss@example.com" || got.GetCustomerAddress() != "ada@example.com" {
			t.Fatalf("thread %v", got)
		}
		reply := func(body string) {
			t.Helper()
			if _, err := c.Conversation.SendMessage(w.As("owner"), &tandemv1.SendMessageRequest{ConversationId: conv.GetId(),
				ClientId: uuid.NewString(), Body: body}); err != nil {
				t.Fatal(err)
			}
		}
		reply("We are on it.")
		first := m.arrived(t, 1)[0]
		if first.Subject != "Re: Refund for order 7" || len(first.Cc) != 1 || first.Cc[0].Address != "boss@example.com" {
			t.Errorf("first reply: subject %q, cc %v", first.Subject, first.Cc)
		}

		// The agent changes who is copied and the subject.
		if _, err := c.Email.UpdateEmailThread(w.As("agent"), &tandemv1.UpdateEmailThreadRequest{ConversationId: conv.GetId(),
			Cc: []string{"Ann@Example.com", "ann@example.com", "ada@example.com"}, Subject: "Your refund (order 7)"}); err != nil {
			t.Fatal(err)
		}
		reply("Refunded.")
		var second mailtest.Arrived
		for _, a := range m.arrived(t, 2) {
			if a.ID != first.ID {
				second = a
			}
		}
		if second.Subject != "Your refund (order 7)" || len(second.Cc) != 1 || second.Cc[0].Address != "ann@example.com" {
			t.Errorf("second reply: subject %q, cc %v", second.Subject, second.Cc)
		}

		// Refusals change nothing.
		for _, req := range []*tandemv1.UpdateEmailThreadRequest{
			{ConversationId: conv.GetId(), Cc: []string{"not an address"}},
			{ConversationId: conv.GetId(), Subject: "Line one\r\nBcc: evil@example.com"},
			{ConversationId: conv.GetId(), Cc: strings.Split(strings.Repeat("x@example.com,", 11)[:14*11-1], ",")},
		} {
			_, err := c.Email.UpdateEmailThread(w.As("agent"), req)
			rpctest.WantCode(t, err, connect.CodeInvalidArgument)
		}
		chat := w.Conversation(w.Visitor)
		_, err = c.Email.UpdateEmailThread(w.As("agent"), &tandemv1.UpdateEmailThreadRequest{ConversationId: chat.ID, Subject: "x"})
		rpctest.WantCode(t, err, connect.CodeFailedPrecondition)
		th, err = c.Email.GetEmailThread(w.As("agent"), &tandemv1.GetEmailThreadRequest{ConversationId: conv.GetId()})
		if err != nil || strings.Join(th.GetEmailThread().GetCc(), ",") != "ann@example.com" || th.GetEmailThread().GetSubject() != "Your refund (order 7)" {
			t.Errorf("after refusals: %v %v", th.GetEmailThread(), err)
		}
	})
}
