package widget_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/contact"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestSignedIdentity starts widget sessions with a store-signed identity:
// signed fields are verified, unsigned ones kept as unverified, the same
// external id finds the same contact (and its history) on a new device, and
// a wrong signature is refused.
func TestSignedIdentity(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := newWorld(t, opts)
		ws, err := w.Srv.Domain().Workspaces.Get(w.Ctx, w.W1.ID)
		if err != nil {
			t.Fatal(err)
		}
		c := w.Srv.Clients(rpcclient.GRPCWeb)
		identity := rpctest.Stamped(`{"external_id":"cust-42","name":"Vera","email":"Vera@Example.com","attributes":{"vip":true,"cart_value":250,"vendor_tier":"gold"}}`)
		sig := contact.Sign(ws.WidgetSecret, identity)

		first, err := c.Widget.StartSession(w.Ctx, &tandemv1.StartSessionRequest{PublicKey: ws.PublicKey, IdentityJson: identity,
			IdentitySignature: sig, Attributes: map[string]string{"vip": "false", "language": "sv"}})
		rpctest.WantCode(t, err, 0)
		if !first.GetIdentityVerified() {
			t.Fatal("a correctly signed identity is not verified")
		}
		conv, err := c.Widget.StartConversation(rpcclient.WithToken(w.Ctx, first.GetToken()), &tandemv1.StartConversationRequest{ClientId: uuid.NewString(), Body: "hi"})
		rpctest.WantCode(t, err, 0)

		got, err := c.Conversation.GetConversation(w.As("agent"), &tandemv1.GetConversationRequest{ConversationId: conv.GetConversation().GetId()})
		rpctest.WantCode(t, err, 0)
		ct := got.GetConversation().GetContact()
		if ct.GetExternalId() != "cust-42" || ct.GetEmail() != "vera@example.com" || !ct.GetIdentityVerified() {
			t.Fatalf("contact = %v", ct)
		}
		if v := ct.GetVerifiedAttributes(); v["vip"] != "true" || v["cart_value"] != "250" || v["vendor_tier"] != "gold" {
			t.Errorf("verified attributes = %v", v)
		}
		// The unsigned "vip": "false" must not override the signed one.
		if u := ct.GetUnverifiedAttributes(); u["language"] != "sv" || u["vip"] != "" {
			t.Errorf("unverified attributes = %v", u)
		}

		// Another device, same shopper: same contact, same history.
		second, err := c.Widget.StartSession(w.Ctx, &tandemv1.StartSessionRequest{PublicKey: ws.PublicKey, IdentityJson: identity, IdentitySignature: strings.ToUpper(sig)})
		rpctest.WantCode(t, err, 0)
		if second.GetContactId() != first.GetContactId() {
			t.Fatalf("same external id, new contact: %s vs %s", second.GetContactId(), first.GetContactId())
		}
		mine, err := c.Widget.ListMyConversations(rpcclient.WithToken(w.Ctx, second.GetToken()), &tandemv1.ListMyConversationsRequest{})
		rpctest.WantCode(t, err, 0)
		if len(mine.GetConversations()) != 1 {
			t.Fatalf("history on the second device: %v", mine.GetConversations())
		}

		for name, req := range map[string]*tandemv1.StartSessionRequest{
			"forged attributes":     {PublicKey: ws.PublicKey, IdentityJson: strings.Replace(identity, "gold", "platinum", 1), IdentitySignature: sig},
			"signed by W2's key":    {PublicKey: ws.PublicKey, IdentityJson: identity, IdentitySignature: contact.Sign("another secret", identity)},
			"signature, no JSON":    {PublicKey: ws.PublicKey, IdentitySignature: sig},
			"signed, not an object": {PublicKey: ws.PublicKey, IdentityJson: `"x"`, IdentitySignature: contact.Sign(ws.WidgetSecret, `"x"`)},
		} {
			_, err := c.Widget.StartSession(w.Ctx, req)
			if connect.CodeOf(err) != connect.CodeInvalidArgument {
				t.Errorf("%s: %v, want InvalidArgument", name, err)
			}
		}
		_, err = c.Widget.StartSession(w.Ctx, &tandemv1.StartSessionRequest{PublicKey: "pk_unknown"})
		rpctest.WantCode(t, err, connect.CodeNotFound)

		// Anonymous sessions are separate contacts with unverified attributes.
		anon, err := c.Widget.StartSession(w.Ctx, &tandemv1.StartSessionRequest{PublicKey: ws.PublicKey, Name: "Guest", Attributes: map[string]string{"cart_value": "999"}})
		rpctest.WantCode(t, err, 0)
		if anon.GetIdentityVerified() || anon.GetContactId() == first.GetContactId() {
			t.Fatalf("anonymous session = %v", anon)
		}
	})
}

// TestMessageSizeCap refuses a message over 16 KiB before anything is written.
func TestMessageSizeCap(t *testing.T) {
	t.Parallel()
	w := newWorld(t, storetest.Options(t, "sqlite"))
	conv := w.Conversation(w.Visitor)
	c := w.Srv.Clients(rpcclient.Connect)
	visitor := rpcclient.WithToken(w.Ctx, w.VisitorToken)
	_, err := c.Widget.SendMessage(visitor, &tandemv1.WidgetServiceSendMessageRequest{ConversationId: conv.ID, ClientId: uuid.NewString(), Body: strings.Repeat("é", 8192)})
	rpctest.WantCode(t, err, 0) // 16,384 bytes: at the cap
	before := storetest.Count(t, w.Srv.DB(), "messages", "")
	_, err = c.Widget.SendMessage(visitor, &tandemv1.WidgetServiceSendMessageRequest{ConversationId: conv.ID, ClientId: uuid.NewString(), Body: strings.Repeat("é", 8192) + "!"})
	if connect.CodeOf(err) != connect.CodeInvalidArgument || !strings.Contains(err.Error(), "body") {
		t.Fatalf("over the cap: %v", err)
	}
	if after := storetest.Count(t, w.Srv.DB(), "messages", ""); after != before {
		t.Fatal("an oversized message was stored")
	}
}

// TestWidgetConfig: the widget reads its workspace's settings, the AI
// agent's greeting and the departments to choose from, and starts a
// conversation in the department chosen (only one of its own workspace).
func TestWidgetConfig(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := newWorld(t, opts)
		c := w.Srv.Clients(rpcclient.Connect)
		g := w.Group(w.W1)
		if _, err := c.Workspace.UpdateWorkspace(w.As("admin"), &tandemv1.UpdateWorkspaceRequest{WorkspaceId: w.W1.ID,
			Widget: &tandemv1.WidgetSettings{ChooseGroup: true, AskEmail: true, AccentColor: "#0f766e"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Bot.UpdateBotSettings(w.As("admin"), &tandemv1.UpdateBotSettingsRequest{WorkspaceId: w.W1.ID,
			Enabled: proto.Bool(true), Greeting: proto.String("Hello from Ava")}); err != nil {
			t.Fatal(err)
		}
		vctx := rpcclient.WithToken(w.Ctx, w.VisitorToken)
		cfg, err := c.Widget.GetWidgetConfig(vctx, &tandemv1.GetWidgetConfigRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if !cfg.GetBotEnabled() || cfg.GetGreeting() != "Hello from Ava" || cfg.GetSettings().GetAccentColor() != "#0f766e" ||
			!cfg.GetSettings().GetAskEmail() || cfg.GetMaxFileBytes() != 0 || len(cfg.GetGroups()) != 1 || cfg.GetGroups()[0].GetId() != g.ID {
			t.Fatalf("config = %v", cfg)
		}
		started, err := c.Widget.StartConversation(vctx, &tandemv1.StartConversationRequest{ClientId: uuid.NewString(), GroupId: g.ID, Body: "hi"})
		if err != nil {
			t.Fatal(err)
		}
		if got := w.State(started.GetConversation().GetId()); got.GroupID != g.ID || got.State != "bot" {
			t.Fatalf("started in group %q, state %s", got.GroupID, got.State)
		}
		_, err = c.Widget.StartConversation(vctx, &tandemv1.StartConversationRequest{ClientId: uuid.NewString(), GroupId: w.Group(w.W2).ID})
		rpctest.WantCode(t, err, connect.CodeInvalidArgument)
	})
}

// TestQueueStatus: a waiting customer's stream says where they stand, and
// says nothing once a person has the conversation.
func TestQueueStatus(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := newWorld(t, opts)
		c := w.Srv.Clients(rpcclient.Connect)
		first, second := w.Conversation(w.Visitor), w.Conversation(w.Other)
		watch := func(token, id string) *tandemv1.QueueStatus {
			t.Helper()
			ctx, cancel := context.WithTimeout(rpcclient.WithToken(w.Ctx, token), 10*time.Second)
			defer cancel()
			stream, err := c.Widget.Watch(ctx, &tandemv1.WidgetServiceWatchRequest{ConversationId: id})
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = stream.Close() }()
			for stream.Receive() {
				if stream.Msg().GetHeartbeat() {
					return stream.Msg().GetQueue()
				}
			}
			t.Fatalf("no heartbeat: %v", stream.Err())
			return nil
		}
		if q := watch(w.VisitorToken, first.ID); q.GetPosition() != 1 || q.GetAgentsOnline() {
			t.Errorf("first in line: %v", q)
		}
		if q := watch(w.TokenOf(w.Other), second.ID); q.GetPosition() != 2 {
			t.Errorf("second in line: %v", q)
		}
		if _, err := c.Conversation.ClaimConversation(w.As("agent"), &tandemv1.ClaimConversationRequest{ConversationId: first.ID}); err != nil {
			t.Fatal(err)
		}
		if q := watch(w.VisitorToken, first.ID); q != nil {
			t.Errorf("claimed conversation still queued: %v", q)
		}
		if q := watch(w.TokenOf(w.Other), second.ID); q.GetPosition() != 1 || q.GetExpectedWaitMs() != 0 ||
			q.GetWait() != tandemv1.QueueWait_QUEUE_WAIT_UNSPECIFIED {
			t.Errorf("after the first was taken: %v (nobody online: no estimate)", q)
		}
	})
}

// TestUpdateVisitor: a visitor tells their name, email and the store's
// unsigned attributes mid-session (pre-chat fields, a cart that changes),
// in the same contact; what the store signed cannot be changed that way.
func TestUpdateVisitor(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := newWorld(t, opts)
		c := w.Srv.Clients(rpcclient.Connect)
		vctx := rpcclient.WithToken(w.Ctx, w.VisitorToken)
		name, email := "Pat Shopper", "Pat@Example.com"
		_, err := c.Widget.UpdateVisitor(vctx, &tandemv1.UpdateVisitorRequest{Name: &name, Email: &email,
			Attributes: map[string]string{"cart_total": "250", "page": "checkout"}})
		rpctest.WantCode(t, err, 0)
		_, err = c.Widget.UpdateVisitor(vctx, &tandemv1.UpdateVisitorRequest{Attributes: map[string]string{"page": ""}})
		rpctest.WantCode(t, err, 0)
		got, err := w.Srv.Domain().Contacts.Get(w.Ctx, w.W1.ID, w.Visitor.VisitorID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != name || got.Email != "pat@example.com" || got.Unverified["cart_total"] != "250" || got.Unverified["page"] != "" {
			t.Errorf("contact after updates: %q %q %v", got.Name, got.Email, got.Unverified)
		}
		bad := "not an email"
		_, err = c.Widget.UpdateVisitor(vctx, &tandemv1.UpdateVisitorRequest{Email: &bad})
		rpctest.WantCode(t, err, connect.CodeInvalidArgument)
		if err != nil && !strings.Contains(err.Error(), "email") {
			t.Errorf("error does not name the field: %v", err)
		}

		// A shopper the store signed in keeps the name and attributes it vouched for.
		ws, err := w.Srv.Domain().Workspaces.Get(w.Ctx, w.W1.ID)
		if err != nil {
			t.Fatal(err)
		}
		identity := rpctest.Stamped(`{"external_id":"cust-77","name":"Vera","attributes":{"vip":true}}`)
		signed, err := c.Widget.StartSession(w.Ctx, &tandemv1.StartSessionRequest{PublicKey: ws.PublicKey, IdentityJson: identity,
			IdentitySignature: contact.Sign(ws.WidgetSecret, identity)})
		rpctest.WantCode(t, err, 0)
		sctx := rpcclient.WithToken(w.Ctx, signed.GetToken())
		_, err = c.Widget.UpdateVisitor(sctx, &tandemv1.UpdateVisitorRequest{Name: &name})
		rpctest.WantCode(t, err, connect.CodeInvalidArgument)
		_, err = c.Widget.UpdateVisitor(sctx, &tandemv1.UpdateVisitorRequest{Attributes: map[string]string{"vip": "false"}})
		rpctest.WantCode(t, err, connect.CodeInvalidArgument)
		_, err = c.Widget.UpdateVisitor(sctx, &tandemv1.UpdateVisitorRequest{Attributes: map[string]string{"cart_total": "99"}})
		rpctest.WantCode(t, err, 0)
	})
}

// TestHistoryCarriesConversation: a handoff made before the customer's stream
// opens shows in the first page of history, whose conversation is the one
// the cursor reflects (the widget then said "Ava · AI assistant" over a chat
// already waiting for the team).
func TestHistoryCarriesConversation(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := botWorld(t, rpctest.Start(t, opts, rpctest.Quiet))
		c := w.Srv.Clients(rpcclient.Connect)
		vctx := rpcclient.WithToken(w.Ctx, w.VisitorToken)
		conv, answer := w.Ask("Is the moon made of cheese?") // no document says: a low-confidence handoff
		if answer != nil {
			t.Fatalf("the AI agent answered %q", answer.Body)
		}
		page, err := c.Widget.ListMessages(vctx, &tandemv1.ListMessagesRequest{ConversationId: conv.ID, PageSize: 1})
		if err != nil {
			t.Fatal(err)
		}
		if got := page.GetConversation(); got.GetId() != conv.ID || got.GetState() != tandemv1.ConversationState_CONVERSATION_STATE_PENDING {
			t.Fatalf("history's conversation = %v, want %s pending", got, conv.ID)
		}
		if page.GetNextPageToken() == "" {
			t.Fatal("one message per page should leave more")
		}
		older, err := c.Widget.ListMessages(vctx, &tandemv1.ListMessagesRequest{ConversationId: conv.ID, PageSize: 1, PageToken: page.GetNextPageToken()})
		if err != nil || older.GetConversation() != nil {
			t.Fatalf("an older page carries %v, %v; want no conversation", older.GetConversation(), err)
		}
	})
}
