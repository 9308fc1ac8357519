package server_test

import (
	"testing"

	"connectrpc.com/connect"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/contact"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestContacts reads a customer's profile with their past conversations,
// edits what agents may edit (not what the store vouched for) and searches.
func TestContacts(t *testing.T) {
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := newWorld(t, opts)
		c := w.srv.Clients(rpctest.Connect)
		agent := w.as("agent")
		ws, err := w.srv.Workspaces.Get(w.ctx, w.w1.ID)
		if err != nil {
			t.Fatal(err)
		}
		identity := stamped(`{"external_id":"CRM_7%","name":"Vera Lindqvist","email":"vera@example.com","attributes":{"vip":true}}`)
		sess, err := w.srv.Contacts.StartSession(w.ctx, contact.SessionRequest{PublicKey: ws.PublicKey, IdentityJSON: identity,
			IdentitySignature: contact.Sign(ws.WidgetSecret, identity), Attributes: map[string]string{"language": "sv"}})
		if err != nil {
			t.Fatal(err)
		}
		vera, err := w.srv.Contacts.AuthenticateVisitor(w.ctx, sess.Token)
		if err != nil {
			t.Fatal(err)
		}
		first, second := w.conversation(vera), w.conversation(vera)

		got, err := c.Contact.GetContact(agent, &tandemv1.GetContactRequest{ContactId: vera.VisitorID})
		if err != nil {
			t.Fatal(err)
		}
		if got.GetContact().GetName() != "Vera Lindqvist" || len(got.GetConversations()) != 2 ||
			got.GetConversations()[0].GetId() != second.ID || got.GetConversations()[1].GetId() != first.ID {
			t.Fatalf("profile: %v", got)
		}

		name, email := "Vera L.", "VERA@work.example"
		upd, err := c.Contact.UpdateContact(agent, &tandemv1.UpdateContactRequest{ContactId: vera.VisitorID, Name: &name, Email: &email,
			Attributes: map[string]string{"language": "", "segment": "b2b"}})
		if err != nil {
			t.Fatal(err)
		}
		u := upd.GetContact()
		if u.GetName() != "Vera L." || u.GetEmail() != "vera@work.example" || u.GetUnverifiedAttributes()["segment"] != "b2b" ||
			u.GetUnverifiedAttributes()["language"] != "" || u.GetVerifiedAttributes()["vip"] != "true" {
			t.Fatalf("after update: %v", u)
		}
		_, err = c.Contact.UpdateContact(agent, &tandemv1.UpdateContactRequest{ContactId: vera.VisitorID, Attributes: map[string]string{"vip": "false"}})
		wantCode(t, err, connect.CodeInvalidArgument)

		search := func(q string) []string {
			resp, err := c.Contact.SearchContacts(agent, &tandemv1.SearchContactsRequest{WorkspaceId: w.w1.ID, Query: q})
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, ct := range resp.GetContacts() {
				ids = append(ids, ct.GetId())
			}
			return ids
		}
		for _, q := range []string{"vera l", "WORK.example", "crm_7%"} {
			if ids := search(q); len(ids) != 1 || ids[0] != vera.VisitorID {
				t.Errorf("search %q: %v", q, ids)
			}
		}
		if ids := search("crm%7"); len(ids) != 0 {
			t.Errorf("wildcards are not literal: %v", ids)
		}
		if n := storetest.Count(t, w.srv.DB(), "events", "type = 'contact.updated' AND workspace_id = ?", w.w1.ID); n < 1 {
			t.Error("no contact.updated event")
		}
	})
}
