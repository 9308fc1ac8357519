package app_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/desktop/internal/apiclient"
	"github.com/tandem-inbox/tandem/desktop/internal/tandemtest"
)

// TestNotifications: what the server tells the agent (handoffs, assignments,
// mentions, customer messages) reaches the window as native notifications,
// under the preferences the agent sets in the app; clicking one opens the
// conversation and marks the notification read on the server.
func TestNotifications(t *testing.T) {
	srv := tandemtest.Start(t, nil)
	r := launch(t, "")
	v, err := r.app.SignIn(srv.URL, tandemtest.AgentEmail, tandemtest.Password)
	if err != nil {
		t.Fatal(err)
	}
	owner := srv.Login(t, tandemtest.OwnerEmail)
	ctx := context.Background()
	kinds := func() []string {
		var out []string
		for _, n := range r.shell.notifications() {
			out = append(out, string(n.Kind))
		}
		return out
	}

	cust := srv.StartConversation(t, "Ann", "Hello there")
	id := cust.Conversation.GetId()
	cust.HandOff(t)
	eventually(t, "the handoff", func() bool { return slices.Contains(kinds(), "handoff") })
	if _, err := owner.Conversations.AssignConversation(ctx, &tandemv1.AssignConversationRequest{ConversationId: id, UserId: v.UserID}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the assignment", func() bool { return slices.Contains(kinds(), "assigned") })
	mention := func(body string) {
		if _, err := owner.Conversations.AddNote(ctx, &tandemv1.AddNoteRequest{ConversationId: id, ClientId: uuid.NewString(),
			Body: body, MentionUserIds: []string{v.UserID}}); err != nil {
			t.Fatal(err)
		}
	}
	mention("@Alex please check this one")
	eventually(t, "the mention", func() bool { return slices.Contains(kinds(), "mention") })
	for _, n := range r.shell.notifications() {
		if n.Kind == "mention" && (n.Title != "Olivia Owner mentioned you" || n.Body != "@Alex please check this one" || n.ConversationID != id) {
			t.Errorf("mention = %+v", n)
		}
	}

	// Mentions off: the server stops making them; the rest still come.
	prefs, err := r.app.NotificationPrefs()
	if err != nil || !prefs["mention"] || !prefs["handoff"] {
		t.Fatalf("prefs = %v, %v", prefs, err)
	}
	if prefs, err = r.app.SetNotificationPref("mention", false); err != nil || prefs["mention"] {
		t.Fatalf("prefs after switching mentions off = %v, %v", prefs, err)
	}
	if _, err := r.app.SetNotificationPref("fax", true); apiclient.KindOf(err) != apiclient.KindInvalid {
		t.Fatalf("unknown kind = %v", err)
	}
	mention("@Alex muted")
	if _, err := cust.Widget.SendMessage(ctx, &tandemv1.WidgetServiceSendMessageRequest{ConversationId: id, ClientId: uuid.NewString(), Body: "Any news?"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the customer's message", func() bool { return slices.Contains(kinds(), "new_message") })
	time.Sleep(time.Second)
	n := 0
	for _, k := range kinds() {
		if k == "mention" {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d mention notifications (%v), want 1: the second came after mentions were switched off", n, kinds())
	}
	// The agent's own actions notify nobody: claiming another is silent.
	other := srv.StartConversation(t, "Bo", "Hi")
	before := len(kinds())
	if _, err := r.app.Claim(other.Conversation.GetId()); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	if after := kinds(); len(after) != before {
		t.Fatalf("claiming notified the agent: %v", after[before:])
	}

	// A click opens the conversation and marks the notification read.
	c, _ := apiclient.New(srv.URL, apiclient.Options{Token: func() string { return readToken(t, r.dir) }})
	unread := func() int64 {
		res, err := c.Notifications.ListNotifications(ctx, &tandemv1.ListNotificationsRequest{WorkspaceId: srv.WorkspaceID, UnreadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		return res.GetUnreadCount()
	}
	was := unread()
	first := r.shell.notifications()[0]
	r.host.OpenConversation(first.ConversationID, first.ID)
	if got := unread(); got != was-1 {
		t.Fatalf("unread notifications %d -> %d, want one fewer", was, got)
	}
	r.shell.mu.Lock()
	var opened any
	for _, e := range r.shell.events {
		if e.name == "open" {
			opened = e.data
		}
	}
	r.shell.mu.Unlock()
	if opened != first.ConversationID {
		t.Fatalf("click opened %v, want %s", opened, first.ConversationID)
	}
}
