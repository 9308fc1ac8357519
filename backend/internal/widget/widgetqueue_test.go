package widget_test

import (
	"context"
	"testing"
	"time"

	"connectrpc.com/connect"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// heartbeatQueue opens the visitor's stream and returns the queue status of
// its first heartbeat.
func (w *world) heartbeatQueue(token, id string) *tandemv1.QueueStatus {
	w.T.Helper()
	c := w.Srv.Clients(rpcclient.Connect)
	ctx, cancel := context.WithTimeout(rpcclient.WithToken(w.Ctx, token), 10*time.Second)
	defer cancel()
	stream, err := c.Widget.Watch(ctx, &tandemv1.WidgetServiceWatchRequest{ConversationId: id})
	if err != nil {
		w.T.Fatal(err)
	}
	defer func() { _ = stream.Close() }()
	for stream.Receive() {
		if stream.Msg().GetHeartbeat() {
			return stream.Msg().GetQueue()
		}
	}
	w.T.Fatalf("no heartbeat: %v", stream.Err())
	return nil
}

// TestQueueWaitEstimate (issue 15, item 3): with nobody online the queue
// status gives no wait estimate and says whether the team can answer by
// email; the visitor's email, once told, is on the contact. With agents
// online the estimate comes from the workspace's measured pick-up times,
// as a range.
func TestQueueWaitEstimate(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := newWorld(t, opts)
		c := w.Srv.Clients(rpcclient.Connect)
		if _, err := c.Routing.UpdateRoutingSettings(w.As("admin"), &tandemv1.UpdateRoutingSettingsRequest{WorkspaceId: w.W1.ID,
			Mode: tandemv1.RoutingMode_ROUTING_MODE_OFF}); err != nil {
			t.Fatal(err)
		}
		// Three earlier chats that waited about 12 minutes each for a person.
		var picked []string
		for range 3 {
			conv := w.Conversation(w.Other)
			if _, err := c.Conversation.ClaimConversation(w.As("agent"), &tandemv1.ClaimConversationRequest{ConversationId: conv.ID}); err != nil {
				t.Fatal(err)
			}
			picked = append(picked, conv.ID)
		}
		for _, id := range picked {
			if _, err := w.Srv.DB().ExecContext(w.Ctx, `UPDATE conversations SET created_at = created_at - ? WHERE id = ?`,
				(12 * time.Minute).Milliseconds(), id); err != nil {
				t.Fatal(err)
			}
		}
		waiting := w.Conversation(w.Visitor)
		q := w.heartbeatQueue(w.VisitorToken, waiting.ID)
		if q.GetPosition() != 1 || q.GetAgentsOnline() || q.GetExpectedWaitMs() != 0 || q.GetWait() != tandemv1.QueueWait_QUEUE_WAIT_UNSPECIFIED ||
			q.GetEmailKnown() {
			t.Fatalf("nobody online: %v, want no estimate and no email", q)
		}
		// The visitor leaves an email address: validated, kept on the contact.
		vctx := rpcclient.WithToken(w.Ctx, w.VisitorToken)
		bad := "not an email"
		_, err := c.Widget.UpdateVisitor(vctx, &tandemv1.UpdateVisitorRequest{Email: &bad})
		rpctest.WantCode(t, err, connect.CodeInvalidArgument)
		email := "sam@example.com"
		if _, err := c.Widget.UpdateVisitor(vctx, &tandemv1.UpdateVisitorRequest{Email: &email}); err != nil {
			t.Fatal(err)
		}
		if q := w.heartbeatQueue(w.VisitorToken, waiting.ID); !q.GetEmailKnown() {
			t.Fatalf("after the email: %v", q)
		}
		// An agent comes online: about 12 minutes when next, about twice that second in line.
		if _, err := c.Presence.SetPresence(w.As("agent"), &tandemv1.SetPresenceRequest{WorkspaceId: w.W1.ID,
			Status: tandemv1.PresenceStatus_PRESENCE_STATUS_ONLINE}); err != nil {
			t.Fatal(err)
		}
		q = w.heartbeatQueue(w.VisitorToken, waiting.ID)
		if !q.GetAgentsOnline() || q.GetWait() != tandemv1.QueueWait_QUEUE_WAIT_10_TO_20_MINUTES ||
			q.GetExpectedWaitMs() < (11*time.Minute).Milliseconds() || q.GetExpectedWaitMs() > (13*time.Minute).Milliseconds() {
			t.Fatalf("next with one agent online: %v, want about 12 minutes", q)
		}
		second := w.Conversation(w.Other)
		if q := w.heartbeatQueue(w.TokenOf(w.Other), second.ID); q.GetPosition() != 2 || q.GetWait() != tandemv1.QueueWait_QUEUE_WAIT_20_TO_40_MINUTES {
			t.Fatalf("second in line: %v, want 20-40 minutes", q)
		}
	})
}

// TestQueueAsksForEmail (issue 19): the widget asks a waiting customer
// for their email when nobody is online, and, with the team online, once
// the chat has waited longer than the workspace's ask_email_after_minutes
// (counted from the AI agent's hand-off when there was one); never once an
// address is known; a setting out of range is refused.
func TestQueueAsksForEmail(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := newWorld(t, opts)
		c := w.Srv.Clients(rpcclient.Connect)
		if _, err := c.Routing.UpdateRoutingSettings(w.As("admin"), &tandemv1.UpdateRoutingSettingsRequest{WorkspaceId: w.W1.ID,
			Mode: tandemv1.RoutingMode_ROUTING_MODE_OFF}); err != nil {
			t.Fatal(err)
		}
		setting := func(minutes int32) error {
			_, err := c.Workspace.UpdateWorkspace(w.As("owner"), &tandemv1.UpdateWorkspaceRequest{WorkspaceId: w.W1.ID,
				Widget: &tandemv1.WidgetSettings{AllowFiles: true, AskEmailAfterMinutes: minutes}})
			return err
		}
		rpctest.WantCode(t, setting(1441), connect.CodeInvalidArgument)
		if err := setting(5); err != nil {
			t.Fatal(err)
		}
		waiting := w.Conversation(w.Visitor)
		if q := w.heartbeatQueue(w.VisitorToken, waiting.ID); !q.GetAskEmail() {
			t.Fatalf("nobody online: %v, want the email asked", q)
		}
		if _, err := c.Presence.SetPresence(w.As("agent"), &tandemv1.SetPresenceRequest{WorkspaceId: w.W1.ID,
			Status: tandemv1.PresenceStatus_PRESENCE_STATUS_ONLINE}); err != nil {
			t.Fatal(err)
		}
		if q := w.heartbeatQueue(w.VisitorToken, waiting.ID); q.GetAskEmail() {
			t.Fatalf("team online, waited under 5 minutes: %v", q)
		}
		if _, err := w.Srv.DB().ExecContext(w.Ctx, `UPDATE conversations SET created_at = created_at - ? WHERE id = ?`,
			(6 * time.Minute).Milliseconds(), waiting.ID); err != nil {
			t.Fatal(err)
		}
		if q := w.heartbeatQueue(w.VisitorToken, waiting.ID); !q.GetAskEmail() {
			t.Fatalf("team online, waited 6 minutes: %v, want the email asked", q)
		}
		if err := setting(0); err != nil {
			t.Fatal(err)
		}
		if q := w.heartbeatQueue(w.VisitorToken, waiting.ID); q.GetAskEmail() {
			t.Fatalf("setting off, team online: %v", q)
		}
		if err := setting(5); err != nil {
			t.Fatal(err)
		}
		email := "sam@example.com"
		if _, err := c.Widget.UpdateVisitor(rpcclient.WithToken(w.Ctx, w.VisitorToken), &tandemv1.UpdateVisitorRequest{Email: &email}); err != nil {
			t.Fatal(err)
		}
		if q := w.heartbeatQueue(w.VisitorToken, waiting.ID); q.GetAskEmail() || !q.GetEmailKnown() {
			t.Fatalf("email known: %v", q)
		}
	})
}

// TestWidgetSeesWhoHelps (issue 15, item 1): the customer's stream tells
// when a person has the chat, and who, also when the change itself is not
// public (a claim); the widget hides hand-off buttons once with the team.
func TestWidgetSeesWhoHelps(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := newWorld(t, opts)
		c := w.Srv.Clients(rpcclient.Connect)
		conv := w.Conversation(w.Visitor)
		ctx, cancel := context.WithTimeout(rpcclient.WithToken(w.Ctx, w.VisitorToken), 15*time.Second)
		defer cancel()
		stream, err := c.Widget.Watch(ctx, &tandemv1.WidgetServiceWatchRequest{ConversationId: conv.ID})
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = stream.Close() }()
		if _, err := c.Conversation.ClaimConversation(w.As("agent"), &tandemv1.ClaimConversationRequest{ConversationId: conv.ID}); err != nil {
			t.Fatal(err)
		}
		want := w.Users["agent"].DisplayName
		var got *tandemv1.WidgetConversation
		for got == nil && stream.Receive() {
			if wc := stream.Msg().GetEvent().GetConversation(); wc.GetAgentName() != "" {
				got = wc
			}
		}
		if got.GetAgentName() != want || got.GetState() != tandemv1.ConversationState_CONVERSATION_STATE_ACTIVE {
			t.Fatalf("stream said %v, want %q helping (%v)", got, want, stream.Err())
		}
		list, err := c.Widget.ListMyConversations(rpcclient.WithToken(w.Ctx, w.VisitorToken), &tandemv1.ListMyConversationsRequest{})
		if err != nil || list.GetConversations()[0].GetAgentName() != want {
			t.Fatalf("listed: %v %v", list, err)
		}

		// A button that hands off says so; one that only tags does not.
		for _, tc := range []struct {
			label  string
			action *tandemv1.Action
		}{
			{"Talk to a person", &tandemv1.Action{Kind: &tandemv1.Action_HandOff{HandOff: &tandemv1.HandOffAction{}}}},
			{"Track my order", &tandemv1.Action{Kind: &tandemv1.Action_AddTag{AddTag: "order"}}},
		} {
			if _, err := c.Automation.CreateCustomAction(w.As("admin"), &tandemv1.CreateCustomActionRequest{WorkspaceId: w.W1.ID,
				Action: &tandemv1.CustomActionSpec{Label: tc.label, Enabled: true, Actions: []*tandemv1.Action{tc.action}}}); err != nil {
				t.Fatal(err)
			}
		}
		buttons, err := c.Widget.ListCustomActions(rpcclient.WithToken(w.Ctx, w.VisitorToken), &tandemv1.WidgetServiceListCustomActionsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range buttons.GetActions() {
			if b.GetHandsOff() != (b.GetLabel() == "Talk to a person") {
				t.Errorf("%q hands off: %v", b.GetLabel(), b.GetHandsOff())
			}
		}
	})
}
