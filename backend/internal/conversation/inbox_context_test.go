package conversation_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/api/tandem/v1/tandemv1connect"
	"github.com/tandem-inbox/tandem/backend/internal/contact"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestPresenceOpenChats: setting one's status or capacity answers with the
// server's count of open chats, not zero (issue 15, item 7).
func TestPresenceOpenChats(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := newWorld(t, opts)
		c := w.Srv.Clients(rpcclient.Connect)
		agent := w.As("agent")
		for range 3 {
			conv := w.Conversation(w.Visitor)
			if _, err := c.Conversation.ClaimConversation(agent, &tandemv1.ClaimConversationRequest{ConversationId: conv.ID}); err != nil {
				t.Fatal(err)
			}
		}
		for _, st := range []tandemv1.PresenceStatus{tandemv1.PresenceStatus_PRESENCE_STATUS_AWAY, tandemv1.PresenceStatus_PRESENCE_STATUS_ONLINE} {
			resp, err := c.Presence.SetPresence(agent, &tandemv1.SetPresenceRequest{WorkspaceId: w.W1.ID, Status: st})
			if err != nil {
				t.Fatal(err)
			}
			if a := resp.GetAgent(); a.GetOpenChats() != 3 || a.GetStatus() != st || a.GetDisplayName() != "agent" {
				t.Errorf("SetPresence(%v) = %v, want 3 open chats", st, a)
			}
		}
		resp, err := c.Presence.SetAgentSettings(agent, &tandemv1.SetAgentSettingsRequest{WorkspaceId: w.W1.ID, MaxChats: 4})
		if err != nil {
			t.Fatal(err)
		}
		if a := resp.GetAgent(); a.GetOpenChats() != 3 || a.GetMaxChats() != 4 {
			t.Errorf("SetAgentSettings = %v, want 3/4", a)
		}
	})
}

// TestInboxCustomerPreviewAndName: the list carries the customer's own last
// words beside the latest message, and an anonymous visitor has one stable
// generated name in the list, the thread and the profile (issue 15, item 8).
func TestInboxCustomerPreviewAndName(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := newWorld(t, opts)
		c := w.Srv.Clients(rpcclient.Connect)
		agent := w.As("agent")
		sess, err := w.Srv.Domain().Contacts.StartSession(w.Ctx, contact.SessionRequest{PublicKey: w.W1.PublicKey})
		if err != nil {
			t.Fatal(err)
		}
		anon, err := w.Srv.Domain().Contacts.AuthenticateVisitor(w.Ctx, sess.Token)
		if err != nil {
			t.Fatal(err)
		}
		conv, _, err := w.Srv.Domain().Conversations.Start(w.Ctx, anon, uuid.NewString(), "", nil, "Where is my parcel?")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Conversation.SendMessage(agent, &tandemv1.SendMessageRequest{ConversationId: conv.ID, ClientId: uuid.NewString(),
			Body: "Our team is looking into it"}); err != nil {
			t.Fatal(err)
		}
		list, err := c.Conversation.ListConversations(agent, &tandemv1.ListConversationsRequest{WorkspaceId: w.W1.ID})
		if err != nil {
			t.Fatal(err)
		}
		var got *tandemv1.Conversation
		for _, cv := range list.GetConversations() {
			if cv.GetId() == conv.ID {
				got = cv
			}
		}
		want := contact.GeneratedName(anon.VisitorID)
		if got.GetLastCustomerMessagePreview() != "Where is my parcel?" || got.GetLastMessagePreview() != "Our team is looking into it" ||
			got.GetLastCustomerMessageTimeMs() == 0 {
			t.Errorf("previews: customer %q, latest %q", got.GetLastCustomerMessagePreview(), got.GetLastMessagePreview())
		}
		if n := got.GetContact().GetDisplayName(); n != want || n == "" || got.GetContact().GetName() != "" {
			t.Errorf("display name in the list = %q, want %q", n, want)
		}
		if want != contact.GeneratedName(anon.VisitorID) || contact.GeneratedName(uuid.NewString()) == "" {
			t.Error("generated names are not stable")
		}
		hist, err := c.Conversation.GetConversation(agent, &tandemv1.GetConversationRequest{ConversationId: conv.ID})
		if err != nil {
			t.Fatal(err)
		}
		if n := hist.GetConversation().GetContact().GetDisplayName(); n != want {
			t.Errorf("thread header names the customer %q, want %q", n, want)
		}
		for _, m := range hist.GetHistory() {
			if m.GetAuthorKind() == tandemv1.AuthorKind_AUTHOR_KIND_CUSTOMER && m.GetAuthorName() != want {
				t.Errorf("thread names the customer %q, want %q", m.GetAuthorName(), want)
			}
		}
		prof, err := c.Contact.GetContact(agent, &tandemv1.GetContactRequest{ContactId: anon.VisitorID})
		if err != nil || prof.GetContact().GetDisplayName() != want {
			t.Errorf("profile: %v, %v", prof.GetContact(), err)
		}
		// A named customer keeps their name.
		if n := w.conversationContact(agent, t, w.Conversation(w.Other).ID).GetDisplayName(); n == want || n == "" {
			t.Errorf("named customer shown as %q", n)
		}
	})
}

// conversationContact is the contact of a conversation as the API lists it.
func (w *world) conversationContact(ctx context.Context, t *testing.T, id string) *tandemv1.Contact {
	t.Helper()
	resp, err := w.Srv.Clients(rpcclient.Connect).Conversation.GetConversation(ctx, &tandemv1.GetConversationRequest{ConversationId: id})
	if err != nil {
		t.Fatal(err)
	}
	return resp.GetConversation().GetContact()
}

// TestInboxSearchContacts: the inbox search finds conversations by the
// customer's name, email and external id too, taking LIKE wildcards
// literally and staying in the workspace (issue 15, item 9).
func TestInboxSearchContacts(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := newWorld(t, opts)
		c := w.Srv.Clients(rpcclient.Connect)
		agent := w.As("agent")
		named := func(key, name, email string) string {
			t.Helper()
			sess, err := w.Srv.Domain().Contacts.StartSession(w.Ctx, contact.SessionRequest{PublicKey: key, Name: name, Email: email})
			if err != nil {
				t.Fatal(err)
			}
			p, err := w.Srv.Domain().Contacts.AuthenticateVisitor(w.Ctx, sess.Token)
			if err != nil {
				t.Fatal(err)
			}
			conv, _, err := w.Srv.Domain().Conversations.Start(w.Ctx, p, uuid.NewString(), "", nil, "hello there")
			if err != nil {
				t.Fatal(err)
			}
			return conv.ID
		}
		marta := named(w.W1.PublicKey, "Marta Kowalska", "marta@example.test")
		percent := named(w.W1.PublicKey, "Ann 100% Sure", "ann@example.test")
		named(w.W2.PublicKey, "Marta Kowalska", "marta@example.test") // another workspace's Marta
		signed := w.SignedVisitor(nil)
		sc, _, err := w.Srv.Domain().Conversations.Start(w.Ctx, signed, uuid.NewString(), "", nil, "hello there")
		if err != nil {
			t.Fatal(err)
		}
		ext, err := w.Srv.Domain().Contacts.Get(w.Ctx, w.W1.ID, signed.VisitorID)
		if err != nil || ext.ExternalID == nil {
			t.Fatal(ext, err)
		}
		search := func(text string) []string {
			t.Helper()
			resp, err := c.Conversation.ListConversations(agent, &tandemv1.ListConversationsRequest{WorkspaceId: w.W1.ID,
				Filter: &tandemv1.ConversationFilter{Text: text}})
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, cv := range resp.GetConversations() {
				out = append(out, cv.GetId())
			}
			slices.Sort(out)
			return out
		}
		for _, tt := range []struct {
			text string
			want []string
		}{
			{"kowalska", []string{marta}},
			{"MARTA@EXAMPLE", []string{marta}},
			{*ext.ExternalID, []string{sc.ID}},
			{"100%", []string{percent}},
			{"100_", nil},
			{"%", []string{percent}}, // literally: only the name with a percent sign
			{"_", nil},
			{"nobody-like-this", nil},
		} {
			want := slices.Clone(tt.want)
			slices.Sort(want)
			if got := search(tt.text); !slices.Equal(got, want) {
				t.Errorf("search %q = %v, want %v", tt.text, got, want)
			}
		}
	})
}

// userAgentHeader sets a browser's User-Agent on widget calls.
type userAgentHeader string

func (u userAgentHeader) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		req.Header().Set("User-Agent", string(u))
		return next(ctx, req)
	}
}

func (u userAgentHeader) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

func (u userAgentHeader) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return next
}

// TestVisitorProfile: the profile of an anonymous visitor shows their
// browser and device (from the User-Agent the widget's calls carry), their
// time zone, the pages they opened chats on, when they were first seen and
// how their past conversations ended (issue 15, item 12).
func TestVisitorProfile(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := newWorld(t, opts)
		c := w.Srv.Clients(rpcclient.Connect)
		agent := w.As("agent")
		const iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
		widget := tandemv1connect.NewWidgetServiceClient(rpcclient.HTTPClient(rpcclient.Connect), w.Srv.URL,
			append(rpcclient.ClientOptions(rpcclient.Connect), connect.WithInterceptors(userAgentHeader(iphone)))...)
		_, err := widget.StartSession(w.Ctx, &tandemv1.StartSessionRequest{PublicKey: w.W1.PublicKey, TimeZone: "Nonsense zone!"})
		if err != nil {
			t.Fatal(err)
		}
		sess, err := widget.StartSession(w.Ctx, &tandemv1.StartSessionRequest{PublicKey: w.W1.PublicKey, TimeZone: "America/Argentina/Buenos_Aires",
			PageUrl: "https://shop.example/cart"})
		if err != nil {
			t.Fatal(err)
		}
		vis := rpcclient.WithToken(w.Ctx, sess.GetToken())
		first, err := widget.StartConversation(vis, &tandemv1.StartConversationRequest{ClientId: uuid.NewString(),
			PageUrl: "https://shop.example/shipping", Body: "How much is express?"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := widget.CloseConversation(vis, &tandemv1.WidgetServiceCloseConversationRequest{ConversationId: first.GetConversation().GetId()}); err != nil {
			t.Fatal(err)
		}
		second, err := widget.StartConversation(vis, &tandemv1.StartConversationRequest{ClientId: uuid.NewString(),
			PageUrl: "https://shop.example/returns", Body: "And returns?"})
		if err != nil {
			t.Fatal(err)
		}
		prof, err := c.Contact.GetContact(agent, &tandemv1.GetContactRequest{ContactId: sess.GetContactId()})
		if err != nil {
			t.Fatal(err)
		}
		ct := prof.GetContact()
		if ct.GetBrowser() != "Safari 17" || ct.GetOs() != "iOS 17" || ct.GetDevice() != "Phone" || ct.GetUserAgent() != iphone {
			t.Errorf("device: browser %q, os %q, device %q", ct.GetBrowser(), ct.GetOs(), ct.GetDevice())
		}
		if ct.GetTimeZone() != "America/Argentina/Buenos_Aires" {
			t.Errorf("time zone %q", ct.GetTimeZone())
		}
		var pages []string
		for _, p := range ct.GetPagesVisited() {
			pages = append(pages, p.GetUrl())
			if p.GetTimeMs() == 0 {
				t.Errorf("page %s without a time", p.GetUrl())
			}
		}
		if want := []string{"https://shop.example/returns", "https://shop.example/shipping", "https://shop.example/cart"}; !slices.Equal(pages, want) {
			t.Errorf("pages %v, want %v", pages, want)
		}
		if ct.GetFirstSeenTimeMs() == 0 || ct.GetFirstSeenTimeMs() > time.Now().UnixMilli() {
			t.Errorf("first seen %d", ct.GetFirstSeenTimeMs())
		}
		outcomes := map[string]tandemv1.ConversationOutcome{}
		for _, cv := range prof.GetConversations() {
			outcomes[cv.GetId()] = cv.GetOutcome()
		}
		if outcomes[first.GetConversation().GetId()] != tandemv1.ConversationOutcome_CONVERSATION_OUTCOME_ABANDONED ||
			outcomes[second.GetConversation().GetId()] != tandemv1.ConversationOutcome_CONVERSATION_OUTCOME_OPEN {
			t.Errorf("outcomes %v", outcomes)
		}
		// The browser's claims are the visitor's only: another workspace's
		// agents cannot read them.
		_, err = c.Contact.GetContact(w.As("w2owner"), &tandemv1.GetContactRequest{ContactId: sess.GetContactId()})
		rpctest.WantCode(t, err, connect.CodeNotFound)
		// Too long a zone is refused, naming the field.
		_, err = widget.StartSession(w.Ctx, &tandemv1.StartSessionRequest{PublicKey: w.W1.PublicKey, TimeZone: string(make([]byte, 65))})
		rpctest.WantCode(t, err, connect.CodeInvalidArgument)
	})
}
