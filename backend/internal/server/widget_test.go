package server_test

import (
	"strings"
	"testing"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/contact"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestSignedIdentity starts widget sessions with a store-signed identity:
// signed fields are verified, unsigned ones kept as unverified, the same
// external id finds the same contact (and its history) on a new device, and
// a wrong signature is refused.
func TestSignedIdentity(t *testing.T) {
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := newWorld(t, opts)
		ws, err := w.srv.Workspaces.Get(w.ctx, w.w1.ID)
		if err != nil {
			t.Fatal(err)
		}
		c := w.srv.Clients(rpctest.GRPCWeb)
		identity := `{"external_id":"cust-42","name":"Vera","email":"Vera@Example.com","attributes":{"vip":true,"cart_value":250,"vendor_tier":"gold"}}`
		sig := contact.Sign(ws.WidgetSecret, identity)

		first, err := c.Widget.StartSession(w.ctx, &tandemv1.StartSessionRequest{PublicKey: ws.PublicKey, IdentityJson: identity,
			IdentitySignature: sig, Attributes: map[string]string{"vip": "false", "language": "sv"}})
		wantCode(t, err, 0)
		if !first.GetIdentityVerified() {
			t.Fatal("a correctly signed identity is not verified")
		}
		conv, err := c.Widget.StartConversation(rpctest.WithToken(w.ctx, first.GetToken()), &tandemv1.StartConversationRequest{ClientId: uuid.NewString(), Body: "hi"})
		wantCode(t, err, 0)

		got, err := c.Conversation.GetConversation(w.as("agent"), &tandemv1.GetConversationRequest{ConversationId: conv.GetConversation().GetId()})
		wantCode(t, err, 0)
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
		second, err := c.Widget.StartSession(w.ctx, &tandemv1.StartSessionRequest{PublicKey: ws.PublicKey, IdentityJson: identity, IdentitySignature: strings.ToUpper(sig)})
		wantCode(t, err, 0)
		if second.GetContactId() != first.GetContactId() {
			t.Fatalf("same external id, new contact: %s vs %s", second.GetContactId(), first.GetContactId())
		}
		mine, err := c.Widget.ListMyConversations(rpctest.WithToken(w.ctx, second.GetToken()), &tandemv1.ListMyConversationsRequest{})
		wantCode(t, err, 0)
		if len(mine.GetConversations()) != 1 {
			t.Fatalf("history on the second device: %v", mine.GetConversations())
		}

		for name, req := range map[string]*tandemv1.StartSessionRequest{
			"forged attributes":     {PublicKey: ws.PublicKey, IdentityJson: strings.Replace(identity, "gold", "platinum", 1), IdentitySignature: sig},
			"signed by W2's key":    {PublicKey: ws.PublicKey, IdentityJson: identity, IdentitySignature: contact.Sign("another secret", identity)},
			"signature, no JSON":    {PublicKey: ws.PublicKey, IdentitySignature: sig},
			"signed, not an object": {PublicKey: ws.PublicKey, IdentityJson: `"x"`, IdentitySignature: contact.Sign(ws.WidgetSecret, `"x"`)},
		} {
			_, err := c.Widget.StartSession(w.ctx, req)
			if connect.CodeOf(err) != connect.CodeInvalidArgument {
				t.Errorf("%s: %v, want InvalidArgument", name, err)
			}
		}
		_, err = c.Widget.StartSession(w.ctx, &tandemv1.StartSessionRequest{PublicKey: "pk_unknown"})
		wantCode(t, err, connect.CodeNotFound)

		// Anonymous sessions are separate contacts with unverified attributes.
		anon, err := c.Widget.StartSession(w.ctx, &tandemv1.StartSessionRequest{PublicKey: ws.PublicKey, Name: "Guest", Attributes: map[string]string{"cart_value": "999"}})
		wantCode(t, err, 0)
		if anon.GetIdentityVerified() || anon.GetContactId() == first.GetContactId() {
			t.Fatalf("anonymous session = %v", anon)
		}
	})
}

// TestMessageSizeCap refuses a message over 16 KiB before anything is written.
func TestMessageSizeCap(t *testing.T) {
	w := newWorld(t, storetest.Options(t, "sqlite"))
	conv := w.conversation(w.visitor)
	c := w.srv.Clients(rpctest.Connect)
	visitor := rpctest.WithToken(w.ctx, w.visitorToken)
	_, err := c.Widget.SendMessage(visitor, &tandemv1.WidgetServiceSendMessageRequest{ConversationId: conv.ID, ClientId: uuid.NewString(), Body: strings.Repeat("é", 8192)})
	wantCode(t, err, 0) // 16,384 bytes: at the cap
	before := storetest.Count(t, w.srv.DB(), "messages", "")
	_, err = c.Widget.SendMessage(visitor, &tandemv1.WidgetServiceSendMessageRequest{ConversationId: conv.ID, ClientId: uuid.NewString(), Body: strings.Repeat("é", 8192) + "!"})
	if connect.CodeOf(err) != connect.CodeInvalidArgument || !strings.Contains(err.Error(), "body") {
		t.Fatalf("over the cap: %v", err)
	}
	if after := storetest.Count(t, w.srv.DB(), "messages", ""); after != before {
		t.Fatal("an oversized message was stored")
	}
}
