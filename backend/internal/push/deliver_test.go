package push_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/notify"
	"github.com/tandem-inbox/tandem/backend/internal/push"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestPushDelivers: a customer starts a conversation, which notifies every
// member; the agent, subscribed with a key pair of the test's, gets it at
// their endpoint on a real push service: signed with the server's VAPID key
// (the one GetPushConfig gives) for that service's origin, encrypted for the
// agent's browser alone, carrying the notification. Members without a
// subscription cause no push.
func TestPushDelivers(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := newWorld(t, opts)
		c := w.Srv.Clients(rpcclient.Connect)
		ps := newPushService(t)
		cfg, err := c.Notification.GetPushConfig(w.As("agent"), &tandemv1.GetPushConfigRequest{WorkspaceId: w.W1.ID})
		if err != nil {
			t.Fatal(err)
		}
		agent := newBrowser(t)
		agent.subscribe(t, w, "agent", ps.endpoint("agent"))

		conv := w.Conversation(w.Visitor)
		react(t, w)

		got := ps.pushes("agent")
		if len(got) != 1 {
			t.Fatalf("the agent's endpoint got %d pushes, want 1", len(got))
		}
		h := got[0].header
		checkVAPID(t, h.Get("Authorization"), cfg.GetVapidPublicKey(), ps.URL)
		if h.Get("Content-Encoding") != "aes128gcm" {
			t.Errorf("Content-Encoding = %q", h.Get("Content-Encoding"))
		}
		if ttl, err := strconv.Atoi(h.Get("TTL")); err != nil || ttl < 86000 || ttl > 86400 {
			t.Errorf("TTL = %q, want about a day", h.Get("TTL"))
		}
		if h.Get("Urgency") != "high" {
			t.Errorf("Urgency = %q, want high for a new conversation", h.Get("Urgency"))
		}
		plain, err := agent.decrypt(got[0].body)
		if err != nil {
			t.Fatalf("decrypt: %v", err)
		}
		var msg push.Message
		if err := json.Unmarshal(plain, &msg); err != nil {
			t.Fatalf("payload %q: %v", plain, err)
		}
		list, err := c.Notification.ListNotifications(w.As("agent"), &tandemv1.ListNotificationsRequest{WorkspaceId: w.W1.ID})
		if err != nil || len(list.GetNotifications()) != 1 {
			t.Fatalf("the agent's notifications: %v %v", list, err)
		}
		n := list.GetNotifications()[0]
		want := push.Message{NotificationID: n.GetId(), WorkspaceID: w.W1.ID, ConversationID: conv.ID, Type: notify.NewConversation,
			Title: n.GetTitle(), Body: n.GetBody()}
		if msg != want {
			t.Errorf("payload = %+v, want %+v", msg, want)
		}
		if msg.Title != "New conversation" || !strings.HasPrefix(msg.Body, "hello ") {
			t.Errorf("title %q, body %q: want the customer's first words", msg.Title, msg.Body)
		}
		if topic := h.Get("Topic"); topic != strings.ReplaceAll(n.GetId(), "-", "") {
			t.Errorf("Topic = %q, want the notification id's 32 hex digits", topic)
		}
		// Another browser's keys cannot read it.
		if _, err := newBrowser(t).decrypt(got[0].body); err == nil {
			t.Error("another browser's key decrypted the push")
		}

		// A later notification of another kind: normal urgency, and no
		// push for the earlier one again.
		if _, err := c.Conversation.AssignConversation(w.As("admin"), &tandemv1.AssignConversationRequest{ConversationId: conv.ID,
			UserId: w.Users["agent"].ID}); err != nil {
			t.Fatal(err)
		}
		react(t, w)
		if got = ps.pushes("agent"); len(got) != 2 || got[1].header.Get("Urgency") != "normal" {
			t.Fatalf("after the assignment the agent's endpoint got %d pushes (last urgency %q), want 2, normal", len(got), got[len(got)-1].header.Get("Urgency"))
		}
		if plain, err = agent.decrypt(got[1].body); err != nil || json.Unmarshal(plain, &msg) != nil || msg.Type != notify.Assigned {
			t.Errorf("second push: %s %v", plain, err)
		}
		if _, err := uuid.Parse(msg.NotificationID); err != nil {
			t.Errorf("notification id %q", msg.NotificationID)
		}
	})
}
