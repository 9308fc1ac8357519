package notify_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/notify"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestNotifications: who hears of what. Unassigned conversations notify
// their group (everyone without one), assigned ones their owner (and those
// who joined); mentions the mentioned; nobody hears of their own doing;
// preferences turn types off; the Watch stream carries each member's own
// notifications and nobody else's; marking read counts down.
func TestNotifications(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := rpctest.NewWorld(t, opts)
		c := w.Srv.Clients(rpcclient.Connect)
		everyone := []string{"owner", "admin", "supervisor", "agent"}

		// The agent watches; the stream must carry their notifications only.
		ctx, cancel := context.WithTimeout(w.As("agent"), 30*time.Second)
		defer cancel()
		stream, err := c.Conversation.Watch(ctx, &tandemv1.WatchRequest{WorkspaceId: w.W1.ID})
		if err != nil {
			t.Fatal(err)
		}
		got := make(chan map[string]string, 100)
		go func() {
			for stream.Receive() {
				if ev := stream.Msg().GetEvent(); ev.GetType() == string(events.NotificationCreated) {
					got <- ev.GetData()
				}
			}
		}()

		open := w.Conversation(w.Visitor) // no group: everyone hears
		n := w.Notified(open.ID, everyone...)
		for _, name := range everyone {
			if !slices.Equal(n[name], []string{notify.NewConversation}) {
				t.Errorf("%s: %v, want a new-conversation notification", name, n[name])
			}
		}
		select {
		case d := <-got:
			if d["type"] != notify.NewConversation || d["conversation_id"] != open.ID || d["user_id"] != w.Users["agent"].ID {
				t.Errorf("stream notification = %v", d)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the agent's stream carried no notification")
		}

		// A conversation in a group notifies its members only.
		g := w.Group(w.W1)
		if _, err := c.Workspace.AddGroupMember(w.As("admin"), &tandemv1.AddGroupMemberRequest{GroupId: g.ID, UserId: w.Users["supervisor"].ID}); err != nil {
			t.Fatal(err)
		}
		grouped := w.Conversation(w.Visitor)
		if _, err := c.Conversation.TransferConversation(w.As("admin"), &tandemv1.TransferConversationRequest{ConversationId: grouped.ID,
			To: &tandemv1.TransferConversationRequest_GroupId{GroupId: g.ID}}); err != nil {
			t.Fatal(err)
		}

		// Assigned: the owner hears; they then hear of the customer's
		// messages, and so does a supervisor who joins; the agent who
		// assigned themselves hears nothing of it.
		if _, err := c.Conversation.AssignConversation(w.As("admin"), &tandemv1.AssignConversationRequest{ConversationId: open.ID,
			UserId: w.Users["agent"].ID}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Conversation.JoinConversation(w.As("supervisor"), &tandemv1.JoinConversationRequest{ConversationId: open.ID}); err != nil {
			t.Fatal(err)
		}
		vctx := rpcclient.WithToken(w.Ctx, w.VisitorToken)
		if _, err := c.Widget.SendMessage(vctx, &tandemv1.WidgetServiceSendMessageRequest{ConversationId: open.ID,
			ClientId: uuid.NewString(), Body: "where is my parcel?"}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Conversation.AddNote(w.As("supervisor"), &tandemv1.AddNoteRequest{ConversationId: open.ID, ClientId: uuid.NewString(),
			Body: "@agent please check the carrier", MentionUserIds: []string{w.Users["agent"].ID}}); err != nil {
			t.Fatal(err)
		}
		n = w.Notified(open.ID, everyone...)
		want := map[string][]string{
			"agent":      {notify.Assigned, notify.Mention, notify.NewConversation, notify.NewMessage},
			"supervisor": {notify.NewConversation, notify.NewMessage},
			"admin":      {notify.NewConversation},
			"owner":      {notify.NewConversation},
		}
		for name, types := range want {
			slices.Sort(n[name])
			if !slices.Equal(n[name], types) {
				t.Errorf("%s: %v, want %v", name, n[name], types)
			}
		}
		// The grouped conversation: the group's member heard, others did
		// not hear twice (the transfer is not a new conversation).
		n = w.Notified(grouped.ID, everyone...)
		if !slices.Equal(n["agent"], []string{notify.NewConversation}) {
			t.Errorf("agent on the grouped conversation: %v", n["agent"])
		}

		// Preferences: the agent turns new messages off.
		if _, err := c.Notification.UpdateNotificationPreferences(w.As("agent"), &tandemv1.UpdateNotificationPreferencesRequest{
			WorkspaceId: w.W1.ID, Preferences: []*tandemv1.NotificationPreference{{
				Type: tandemv1.NotificationType_NOTIFICATION_TYPE_NEW_MESSAGE, Enabled: false}}}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Widget.SendMessage(vctx, &tandemv1.WidgetServiceSendMessageRequest{ConversationId: open.ID,
			ClientId: uuid.NewString(), Body: "hello?"}); err != nil {
			t.Fatal(err)
		}
		n = w.Notified(open.ID, "agent", "supervisor")
		if len(n["agent"]) != 4 || len(n["supervisor"]) != 3 {
			t.Errorf("after turning new messages off: %v", n)
		}

		// The inbox: list, unread count, mark read.
		list, err := c.Notification.ListNotifications(w.As("agent"), &tandemv1.ListNotificationsRequest{WorkspaceId: w.W1.ID, PageSize: 2})
		if err != nil {
			t.Fatal(err)
		}
		if len(list.GetNotifications()) != 2 || list.GetNextPageToken() == "" || list.GetUnreadCount() != 5 {
			t.Fatalf("list = %d notifications, next %q, unread %d", len(list.GetNotifications()), list.GetNextPageToken(), list.GetUnreadCount())
		}
		read, err := c.Notification.MarkNotificationsRead(w.As("agent"), &tandemv1.MarkNotificationsReadRequest{WorkspaceId: w.W1.ID,
			NotificationIds: []string{list.GetNotifications()[0].GetId()}})
		if err != nil || read.GetUnreadCount() != 4 {
			t.Fatalf("mark one read: %v %v", read, err)
		}
		if read, err = c.Notification.MarkNotificationsRead(w.As("agent"), &tandemv1.MarkNotificationsReadRequest{WorkspaceId: w.W1.ID}); err != nil || read.GetUnreadCount() != 0 {
			t.Fatalf("mark all read: %v %v", read, err)
		}
		// Another member's notification ids are not the caller's to mark.
		other, _ := c.Notification.ListNotifications(w.As("owner"), &tandemv1.ListNotificationsRequest{WorkspaceId: w.W1.ID})
		if _, err := c.Notification.MarkNotificationsRead(w.As("agent"), &tandemv1.MarkNotificationsReadRequest{WorkspaceId: w.W1.ID,
			NotificationIds: []string{other.GetNotifications()[0].GetId()}}); err != nil {
			t.Fatal(err)
		}
		if still, _ := c.Notification.ListNotifications(w.As("owner"), &tandemv1.ListNotificationsRequest{WorkspaceId: w.W1.ID, UnreadOnly: true}); still.GetUnreadCount() != other.GetUnreadCount() {
			t.Errorf("the agent marked the owner's notification read")
		}
		// Another workspace's conversations notify nobody here.
		foreign := w.Conversation(w.W2Visitor)
		if err := w.Srv.NotifyReactor().Drain(w.Ctx, w.W2.ID); err != nil {
			t.Fatal(err)
		}
		for _, name := range everyone {
			if n := storetest.Count(t, w.Srv.DB(), "notifications", "user_id = ? AND conversation_id = ?", w.Users[name].ID, foreign.ID); n != 0 {
				t.Errorf("%s of W1 was notified of a W2 conversation", name)
			}
		}
		if n := storetest.Count(t, w.Srv.DB(), "notifications", "user_id = ? AND conversation_id = ?", w.Users["w2owner"].ID, foreign.ID); n != 1 {
			t.Errorf("W2's owner got %d notifications of its new conversation", n)
		}
		// The stream never carried anyone else's notification.
		for len(got) > 0 {
			if d := <-got; d["user_id"] != w.Users["agent"].ID {
				t.Errorf("the agent's stream carried %v", d)
			}
		}
		_, err = c.Notification.ListNotifications(rpcclient.WithToken(w.Ctx, w.Keys["admin"]), &tandemv1.ListNotificationsRequest{WorkspaceId: w.W1.ID})
		rpctest.WantCode(t, err, connect.CodeFailedPrecondition)
	})
}

// TestCSAT: the customer rates a closed conversation once; the owner is
// notified; an open conversation or a second rating is refused.
func TestCSAT(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := rpctest.NewWorld(t, opts)
		c := w.Srv.Clients(rpcclient.Connect)
		conv := w.Conversation(w.Visitor)
		vctx := rpcclient.WithToken(w.Ctx, w.VisitorToken)
		if _, err := c.Conversation.ClaimConversation(w.As("agent"), &tandemv1.ClaimConversationRequest{ConversationId: conv.ID}); err != nil {
			t.Fatal(err)
		}
		_, err := c.Widget.RateConversation(vctx, &tandemv1.RateConversationRequest{ConversationId: conv.ID, Rating: 5})
		rpctest.WantCode(t, err, connect.CodeFailedPrecondition)
		if _, err := c.Conversation.CloseConversation(w.As("agent"), &tandemv1.CloseConversationRequest{ConversationId: conv.ID}); err != nil {
			t.Fatal(err)
		}
		_, err = c.Widget.RateConversation(vctx, &tandemv1.RateConversationRequest{ConversationId: conv.ID, Rating: 6})
		rpctest.WantCode(t, err, connect.CodeInvalidArgument)
		rated, err := c.Widget.RateConversation(vctx, &tandemv1.RateConversationRequest{ConversationId: conv.ID, Rating: 4, Comment: "quick and kind"})
		if err != nil || rated.GetConversation().GetCsatRating() != 4 {
			t.Fatalf("rate: %v %v", rated, err)
		}
		_, err = c.Widget.RateConversation(vctx, &tandemv1.RateConversationRequest{ConversationId: conv.ID, Rating: 1})
		rpctest.WantCode(t, err, connect.CodeAlreadyExists)
		got, err := c.Conversation.GetConversation(w.As("agent"), &tandemv1.GetConversationRequest{ConversationId: conv.ID})
		if err != nil || got.GetConversation().GetCsatRating() != 4 || got.GetConversation().GetCsatComment() != "quick and kind" {
			t.Fatalf("conversation after rating: %v %v", got.GetConversation(), err)
		}
		if n := w.Notified(conv.ID, "agent"); !slices.Contains(n["agent"], notify.CSAT) {
			t.Errorf("the owner was not told of the rating: %v", n["agent"])
		}
		_, err = c.Widget.RateConversation(rpcclient.WithToken(w.Ctx, w.TokenOf(w.Other)), &tandemv1.RateConversationRequest{ConversationId: conv.ID, Rating: 1})
		rpctest.WantCode(t, err, connect.CodeNotFound)
	})
}

// TestGroupTransferNotifies (issue 15 item 14): a transfer to a group's
// queue notifies the group's members (as a new conversation there, naming
// who transferred it and quoting the customer), not the one who
// transferred it, nor anyone outside the group.
func TestGroupTransferNotifies(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := rpctest.WorldOn(t, rpctest.Start(t, opts, rpctest.Quiet)) // only the test drains the reactors
		c := w.Srv.Clients(rpcclient.Connect)
		w.Users["agent2"] = w.NewUser("agent2")
		w.Join(w.W1, w.Users["agent2"], access.RoleAgent)
		g := w.Group(w.W1)
		for _, name := range []string{"agent", "agent2", "supervisor"} {
			if _, err := w.Srv.Domain().Workspaces.AddGroupMember(w.Ctx, w.Principal("owner"), g.ID, w.Users[name].ID); err != nil {
				t.Fatal(err)
			}
		}
		conv := w.Conversation(w.Visitor)
		if _, err := c.Conversation.ClaimConversation(w.As("supervisor"), &tandemv1.ClaimConversationRequest{ConversationId: conv.ID}); err != nil {
			t.Fatal(err)
		}
		before := w.Notified(conv.ID, "agent", "agent2", "supervisor", "admin")
		if _, err := c.Conversation.TransferConversation(w.As("supervisor"), &tandemv1.TransferConversationRequest{ConversationId: conv.ID,
			To: &tandemv1.TransferConversationRequest_GroupId{GroupId: g.ID}}); err != nil {
			t.Fatal(err)
		}
		after := w.Notified(conv.ID, "agent", "agent2", "supervisor", "admin")
		for _, name := range []string{"agent", "agent2", "supervisor", "admin"} {
			got := len(after[name]) - len(before[name])
			want := 0
			if name == "agent" || name == "agent2" {
				want = 1
			}
			if got != want {
				t.Errorf("%s: %d notifications of the transfer (%v), want %d", name, got, after[name], want)
			}
		}
		var n struct {
			Type  string `db:"type"`
			Title string `db:"title"`
			Body  string `db:"body"`
		}
		if err := w.Srv.DB().GetContext(w.Ctx, &n, `SELECT type, title, body FROM notifications WHERE user_id = ? AND conversation_id = ?
			ORDER BY created_at DESC LIMIT 1`, w.Users["agent2"].ID, conv.ID); err != nil {
			t.Fatal(err)
		}
		if n.Type != notify.NewConversation || n.Title != "supervisor transferred a conversation to your group" || n.Body != conv.LastCustomerPreview {
			t.Errorf("the transfer's notification = %+v (the customer said %q)", n, conv.LastCustomerPreview)
		}
	})
}

// TestNewConversationNotificationBody (issue 15 item 14): a new
// conversation's notification quotes the customer's first words, on one
// line and shortened when they are long.
func TestNewConversationNotificationBody(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := rpctest.WorldOn(t, rpctest.Start(t, opts, rpctest.Quiet)) // only the test drains the reactors
		for _, tc := range []struct{ said, want string }{
			{"Where is my order #1234?", "Where is my order #1234?"},
			{"Hello,\n  my parcel   never came", "Hello, my parcel never came"},
			{strings.Repeat("word ", 40), strings.TrimSpace(strings.Repeat("word ", 23)) + "…"},
		} {
			conv, _, err := w.Srv.Domain().Conversations.Start(w.Ctx, w.Visitor, uuid.NewString(), "https://shop.example/", nil, tc.said)
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Srv.NotifyReactor().Drain(w.Ctx, w.W1.ID); err != nil {
				t.Fatal(err)
			}
			var bodies []string
			if err := w.Srv.DB().SelectContext(w.Ctx, &bodies, `SELECT body FROM notifications WHERE conversation_id = ? AND type = ?`,
				conv.ID, notify.NewConversation); err != nil {
				t.Fatal(err)
			}
			if len(bodies) == 0 {
				t.Fatalf("%q: nobody was notified", tc.said)
			}
			for _, b := range bodies {
				if b != tc.want {
					t.Errorf("new-conversation notification body = %q, want %q", b, tc.want)
				}
			}
		}
	})
}
