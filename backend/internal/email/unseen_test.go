package email_test

import (
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/config"
	"github.com/tandem-inbox/tandem/backend/internal/email/mailtest"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestEmailUnseenReplies follows a customer who left the chat: they gave
// their email in the widget while the team was away, and the replies they
// did not see in the widget reach them by mail (two replies, one mail,
// with a link back to the chat's page); a reply the widget showed them is
// not mailed; and their answer by mail lands in the same chat.
func TestEmailUnseenReplies(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		m := startMailServer(t, opts, func(c *config.Config) {
			c.MailUnseenAfter, c.MailSecret = 2*time.Second, strings.Repeat("s", 32)
		})
		w := rpctest.WorldOn(t, m.Server)
		c := m.Clients(rpcclient.GRPC)
		m.inbox(t, w, "help@shop.example", false)
		conv := w.Conversation(w.Visitor)
		visitor := rpcclient.WithToken(w.Ctx, w.VisitorToken)
		if _, err := c.Widget.UpdateVisitor(visitor, &tandemv1.UpdateVisitorRequest{Email: ptr("ada@example.com")}); err != nil {
			t.Fatal(err)
		}
		reply := func(body string) *tandemv1.Message {
			t.Helper()
			resp, err := c.Conversation.SendMessage(w.As("owner"), &tandemv1.SendMessageRequest{ConversationId: conv.ID,
				ClientId: uuid.NewString(), Body: body})
			if err != nil {
				t.Fatal(err)
			}
			return resp.GetMessage()
		}
		reply("Let me check your order.")
		reply("It left our warehouse this morning.")
		m.arrived(t, 1)
		time.Sleep(2500 * time.Millisecond) // a second mail would be due by now
		got := m.mp.Messages(t)
		if len(got) != 1 {
			t.Fatalf("%d mails for two unseen replies, want one", len(got))
		}
		mail := got[0]
		if mail.To[0].Address != "ada@example.com" || !strings.HasPrefix(mail.Subject, "New replies to your chat") ||
			!strings.Contains(mail.Text, "Let me check your order.") || !strings.Contains(mail.Text, "It left our warehouse this morning.") ||
			!strings.Contains(mail.Text, "Continue the chat: https://shop.example/") {
			t.Errorf("the mail of unseen replies: %+v", mail)
		}
		if len(mail.ReplyTo) != 1 || !strings.HasSuffix(mail.ReplyTo[0].Address, "@mail.test") {
			t.Fatalf("Reply-To %v", mail.ReplyTo)
		}

		// A reply the widget shows in time is not mailed.
		seen := reply("Anything else?")
		if _, err := c.Widget.MarkSeen(visitor, &tandemv1.MarkSeenRequest{ConversationId: conv.ID, Seq: seen.GetSeq()}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(3 * time.Second)
		if n := len(m.mp.Messages(t)); n != 1 {
			t.Errorf("%d mails after a reply the customer saw, want still one", n)
		}

		// The customer answers the mail: it lands in the chat.
		mailtest.Send(w.Ctx, t, m.smtp, "ada@example.com", mail.ReplyTo[0].Address, "Re: "+mail.Subject, "Thanks, that helps!",
			"In-Reply-To: <"+mail.MessageID+">")
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			h, err := c.Conversation.GetConversation(w.As("owner"), &tandemv1.GetConversationRequest{ConversationId: conv.ID})
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(h.GetHistory()[0].GetBody(), "Thanks, that helps!") {
				if h.GetConversation().GetChannel() != tandemv1.Channel_CHANNEL_WEB {
					t.Errorf("the chat's channel became %v", h.GetConversation().GetChannel())
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the customer's mail is not in the chat: newest %q", h.GetHistory()[0].GetBody())
			}
		}
		if convs := waitConversations(t, w, 0); len(convs) != 0 {
			t.Errorf("the answer started an email conversation: %v", convs)
		}
	})
}

// TestMarkSeenRefused: a visitor marks only their own conversation, up to
// its last item.
func TestMarkSeenRefused(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := rpctest.NewWorld(t, opts)
		c := w.Srv.Clients(rpcclient.Connect)
		mine, theirs := w.Conversation(w.Visitor), w.Conversation(w.Other)
		visitor := rpcclient.WithToken(w.Ctx, w.VisitorToken)
		_, err := c.Widget.MarkSeen(visitor, &tandemv1.MarkSeenRequest{ConversationId: theirs.ID, Seq: 1})
		rpctest.WantCode(t, err, connect.CodeNotFound)
		_, err = c.Widget.MarkSeen(visitor, &tandemv1.MarkSeenRequest{ConversationId: mine.ID, Seq: mine.LastSeq + 100})
		rpctest.WantCode(t, err, connect.CodeInvalidArgument)
		if _, err := c.Widget.MarkSeen(visitor, &tandemv1.MarkSeenRequest{ConversationId: mine.ID, Seq: mine.LastSeq}); err != nil {
			t.Fatal(err)
		}
		if seq, err := w.Srv.Domain().Conversations.SeenSeq(w.Ctx, w.W1.ID, mine.ID); err != nil || seq != mine.LastSeq {
			t.Errorf("seen seq %d (%v), want %d", seq, err, mine.LastSeq)
		}
		// Marking an earlier item again does not move it back.
		if _, err := c.Widget.MarkSeen(visitor, &tandemv1.MarkSeenRequest{ConversationId: mine.ID, Seq: 0}); err != nil {
			t.Fatal(err)
		}
		if seq, _ := w.Srv.Domain().Conversations.SeenSeq(w.Ctx, w.W1.ID, mine.ID); seq != mine.LastSeq {
			t.Errorf("seen seq moved back to %d", seq)
		}
	})
}
