package contact_test

import (
	"testing"

	"connectrpc.com/connect"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/contact"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestContacts reads a customer's profile with their past conversations,
// edits what agents may edit (not what the store vouched for) and searches.
func TestContacts(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := rpctest.NewWorld(t, opts)
		c := w.Srv.Clients(rpcclient.Connect)
		agent := w.As("agent")
		ws, err := w.Srv.Domain().Workspaces.Get(w.Ctx, w.W1.ID)
		if err != nil {
			t.Fatal(err)
		}
		identity := rpctest.Stamped(`{"external_id":"CRM_7%","name":"Vera Lindqvist","email":"vera@example.com","attributes":{"vip":true}}`)
		sess, err := w.Srv.Domain().Contacts.StartSession(w.Ctx, contact.SessionRequest{PublicKey: ws.PublicKey, IdentityJSON: identity,
			IdentitySignature: contact.Sign(ws.WidgetSecret, identity), Attributes: map[string]string{"language": "sv"}})
		if err != nil {
			t.Fatal(err)
		}
		vera, err := w.Srv.Domain().Contacts.AuthenticateVisitor(w.Ctx, sess.Token)
		if err != nil {
			t.Fatal(err)
		}
		first, second := w.Conversation(vera), w.Conversation(vera)

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
		rpctest.WantCode(t, err, connect.CodeInvalidArgument)

		search := func(q string) []string {
			resp, err := c.Contact.SearchContacts(agent, &tandemv1.SearchContactsRequest{WorkspaceId: w.W1.ID, Query: q})
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
		if n := storetest.Count(t, w.Srv.DB(), "events", "type = ? AND workspace_id = ?", events.ContactUpdated, w.W1.ID); n < 1 {
			t.Error("no contact.updated event")
		}
	})
}
