package conversation_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestInboxFilters lists conversations by state, assignee, channel, text
// and time, pages through them, and checks the unread markers.
func TestInboxFilters(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := newWorld(t, opts)
		c := w.Srv.Clients(rpcclient.Connect)
		agent, admin := w.As("agent"), w.As("admin")
		start := time.Now().UnixMilli()
		queued := w.Conversation(w.Visitor)
		mine := w.Conversation(w.Other)
		if _, err := c.Conversation.SendMessage(agent, &tandemv1.SendMessageRequest{ConversationId: mine.ID, ClientId: uuid.NewString(), Body: "Your refund_100% is on its way"}); err != nil {
			t.Fatal(err)
		}
		theirs := w.Conversation(w.Visitor)
		if _, err := c.Conversation.SendMessage(admin, &tandemv1.SendMessageRequest{ConversationId: theirs.ID, ClientId: uuid.NewString(), Body: "Looking into it"}); err != nil {
			t.Fatal(err)
		}
		closed := w.Conversation(w.Visitor)
		if _, err := c.Conversation.CloseConversation(agent, &tandemv1.CloseConversationRequest{ConversationId: closed.ID}); err != nil {
			t.Fatal(err)
		}

		ids := func(f *tandemv1.ConversationFilter) []string {
			t.Helper()
			resp, err := c.Conversation.ListConversations(agent, &tandemv1.ListConversationsRequest{WorkspaceId: w.W1.ID, Filter: f})
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, cv := range resp.GetConversations() {
				out = append(out, cv.GetId())
			}
			return out
		}
		same := func(name string, got []string, want ...string) {
			t.Helper()
			if len(got) != len(want) {
				t.Errorf("%s: got %v, want %v", name, got, want)
				return
			}
			for i := range got {
				if got[i] != want[i] {
					t.Errorf("%s: got %v, want %v (most recent first)", name, got, want)
					return
				}
			}
		}
		same("open (default)", ids(nil), theirs.ID, mine.ID, queued.ID)
		same("closed", ids(&tandemv1.ConversationFilter{States: []tandemv1.ConversationState{tandemv1.ConversationState_CONVERSATION_STATE_CLOSED}}), closed.ID)
		same("mine", ids(&tandemv1.ConversationFilter{Assignee: tandemv1.ConversationFilter_ASSIGNEE_ME}), mine.ID)
		same("unassigned", ids(&tandemv1.ConversationFilter{Assignee: tandemv1.ConversationFilter_ASSIGNEE_UNASSIGNED}), queued.ID)
		same("a user", ids(&tandemv1.ConversationFilter{Assignee: tandemv1.ConversationFilter_ASSIGNEE_USER, AssigneeUserId: w.Users["admin"].ID}), theirs.ID)
		same("text, with LIKE wildcards taken literally", ids(&tandemv1.ConversationFilter{Text: "refund_100%"}), mine.ID)
		same("text that matches nothing", ids(&tandemv1.ConversationFilter{Text: "refund%100"}))
		same("web channel", ids(&tandemv1.ConversationFilter{Channels: []tandemv1.Channel{tandemv1.Channel_CHANNEL_WEB}}), theirs.ID, mine.ID, queued.ID)
		same("api channel", ids(&tandemv1.ConversationFilter{Channels: []tandemv1.Channel{tandemv1.Channel_CHANNEL_API}}))
		same("updated since the future", ids(&tandemv1.ConversationFilter{UpdatedSinceTimeMs: time.Now().Add(time.Hour).UnixMilli()}))
		same("updated since the start", ids(&tandemv1.ConversationFilter{UpdatedSinceTimeMs: start}), theirs.ID, mine.ID, queued.ID)

		// Paging one at a time returns each once, in order.
		var paged []string
		token := ""
		for {
			resp, err := c.Conversation.ListConversations(agent, &tandemv1.ListConversationsRequest{WorkspaceId: w.W1.ID, PageSize: 1, PageToken: token})
			if err != nil {
				t.Fatal(err)
			}
			for _, cv := range resp.GetConversations() {
				paged = append(paged, cv.GetId())
			}
			if token = resp.GetNextPageToken(); token == "" {
				break
			}
		}
		same("paged", paged, theirs.ID, mine.ID, queued.ID)

		// Unread: the agent's own reply is read; a customer's new message is not.
		unread := func(id string) bool {
			resp, err := c.Conversation.ListConversations(agent, &tandemv1.ListConversationsRequest{WorkspaceId: w.W1.ID})
			if err != nil {
				t.Fatal(err)
			}
			for _, cv := range resp.GetConversations() {
				if cv.GetId() == id {
					return cv.GetUnread()
				}
			}
			t.Fatalf("%s not listed", id)
			return false
		}
		if unread(mine.ID) {
			t.Error("the agent's own reply made the conversation unread")
		}
		if _, err := c.Widget.SendMessage(rpcclient.WithToken(w.Ctx, w.TokenOf(w.Other)), &tandemv1.WidgetServiceSendMessageRequest{ConversationId: mine.ID, ClientId: uuid.NewString(), Body: "thanks!"}); err != nil {
			t.Fatal(err)
		}
		if !unread(mine.ID) {
			t.Error("a new customer message is not unread")
		}
		if _, err := c.Conversation.MarkRead(agent, &tandemv1.MarkReadRequest{ConversationId: mine.ID}); err != nil {
			t.Fatal(err)
		}
		if unread(mine.ID) {
			t.Error("still unread after MarkRead")
		}

		// History pages backwards, newest first, notes included for agents.
		if _, err := c.Conversation.AddNote(agent, &tandemv1.AddNoteRequest{ConversationId: mine.ID, ClientId: uuid.NewString(), Body: "internal"}); err != nil {
			t.Fatal(err)
		}
		var seqs []int64
		token = ""
		for {
			resp, err := c.Conversation.GetConversation(agent, &tandemv1.GetConversationRequest{ConversationId: mine.ID, PageSize: 2, PageToken: token})
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range resp.GetHistory() {
				seqs = append(seqs, m.GetSeq())
			}
			if token = resp.GetNextPageToken(); token == "" {
				break
			}
		}
		// first message, state change to active, reply, customer's thanks, note
		if len(seqs) != 5 {
			t.Fatalf("history has %d items: %v", len(seqs), seqs)
		}
		for i := 1; i < len(seqs); i++ {
			if seqs[i] >= seqs[i-1] {
				t.Fatalf("history not newest first: %v", seqs)
			}
		}
	})
}

// TestTypingAndSnooze checks that typing reaches the other side (and not the
// typist), and that a snoozed conversation wakes when its time comes.
func TestTypingAndSnooze(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := newWorld(t, opts)
		c := w.Srv.Clients(rpcclient.GRPC)
		conv := w.Conversation(w.Visitor)
		ctx, cancel := context.WithTimeout(w.Ctx, 20*time.Second)
		defer cancel()
		visitorStream, err := c.Widget.Watch(rpcclient.WithToken(ctx, w.VisitorToken), &tandemv1.WidgetServiceWatchRequest{ConversationId: conv.ID})
		if err != nil {
			t.Fatal(err)
		}
		agentStream, err := c.Conversation.Watch(rpcclient.WithToken(ctx, w.Token("agent")), &tandemv1.WatchRequest{WorkspaceId: w.W1.ID})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Conversation.SetTyping(w.As("agent"), &tandemv1.SetTypingRequest{ConversationId: conv.ID, Typing: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Widget.SetTyping(rpcclient.WithToken(w.Ctx, w.VisitorToken), &tandemv1.WidgetServiceSetTypingRequest{ConversationId: conv.ID, Typing: true}); err != nil {
			t.Fatal(err)
		}
		for visitorStream.Receive() {
			if ev := visitorStream.Msg().GetEvent(); ev.GetType() == string(events.Typing) {
				if ev.GetActorName() != "agent" || !ev.GetTyping() || ev.GetActorKind() != tandemv1.AuthorKind_AUTHOR_KIND_AGENT {
					t.Fatalf("visitor saw typing %v", ev)
				}
				break
			}
		}
		for agentStream.Receive() {
			if ev := agentStream.Msg().GetEvent(); ev.GetType() == string(events.Typing) {
				if ev.GetActorKind() != tandemv1.AuthorKind_AUTHOR_KIND_CUSTOMER || ev.GetConversationId() != conv.ID {
					t.Fatalf("agent saw typing %v (their own?)", ev)
				}
				break
			}
		}

		// Three seconds ahead: the check just below must run before then,
		// even on a loaded machine.
		until := time.Now().Add(3 * time.Second)
		if _, err := c.Conversation.SnoozeConversation(w.As("agent"), &tandemv1.SnoozeConversationRequest{ConversationId: conv.ID, UntilTimeMs: until.UnixMilli()}); err != nil {
			t.Fatal(err)
		}
		if n, err := w.Srv.Domain().Conversations.WakeDue(w.Ctx); err != nil || n != 0 {
			t.Fatalf("woke %d before the time: %v", n, err)
		}
		time.Sleep(time.Until(until) + 10*time.Millisecond)
		// This call or the server's own background waker wakes it: either way, once.
		if _, err := w.Srv.Domain().Conversations.WakeDue(w.Ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Srv.Domain().Conversations.WakeDue(w.Ctx); err != nil {
			t.Fatal(err)
		}
		if n := storetest.Count(t, w.Srv.DB(), "messages", "conversation_id = ? AND activity = 'state_changed' AND activity_data LIKE '%snooze_ended%'", conv.ID); n != 1 {
			t.Fatalf("woken %d times, want once", n)
		}
		got, err := w.Srv.Domain().Conversations.Get(w.Ctx, w.W1.ID, conv.ID)
		if err != nil || got.State != "pending" || got.SnoozedUntil != 0 {
			t.Fatalf("after waking: %+v %v", got, err)
		}
	})
}

// TestWatchFilter watches "mine": events of conversations assigned to others
// stay out, and a conversation of mine that leaves the view (closed) still
// sends the event that says so.
func TestWatchFilter(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := newWorld(t, opts)
		c := w.Srv.Clients(rpcclient.Connect)
		ctx, cancel := context.WithTimeout(w.Ctx, 20*time.Second)
		defer cancel()
		stream, err := c.Conversation.Watch(rpcclient.WithToken(ctx, w.Token("agent")), &tandemv1.WatchRequest{WorkspaceId: w.W1.ID,
			Filter: &tandemv1.ConversationFilter{Assignee: tandemv1.ConversationFilter_ASSIGNEE_ME}})
		if err != nil {
			t.Fatal(err)
		}
		others := w.Conversation(w.Visitor)
		mine := w.Conversation(w.Other)
		if _, err := c.Conversation.SendMessage(w.As("admin"), &tandemv1.SendMessageRequest{ConversationId: others.ID, ClientId: uuid.NewString(), Body: "admin's"}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Conversation.SendMessage(w.As("agent"), &tandemv1.SendMessageRequest{ConversationId: mine.ID, ClientId: uuid.NewString(), Body: "agent's"}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Conversation.CloseConversation(w.As("agent"), &tandemv1.CloseConversationRequest{ConversationId: mine.ID}); err != nil {
			t.Fatal(err)
		}
		var got []string
		for stream.Receive() {
			ev := stream.Msg().GetEvent()
			switch ev.GetType() {
			case "", string(events.NotificationCreated), // the member's own, in every view
				string(events.ConversationSLAUpdated): // the SLA reactor's, whenever it gets to it
				continue
			}
			if ev.GetConversationId() != mine.ID {
				t.Fatalf("event of a conversation not mine: %s %s", ev.GetType(), ev.GetConversationId())
			}
			got = append(got, ev.GetType())
			if ev.GetConversation().GetState() == tandemv1.ConversationState_CONVERSATION_STATE_CLOSED {
				break
			}
		}
		// Becoming mine (state change to active), my reply, then the close.
		want := []string{string(events.ConversationStateChanged), string(events.MessageCreated), string(events.ConversationStateChanged)}
		if len(got) != len(want) {
			t.Fatalf("events %v, want %v", got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("events %v, want %v", got, want)
			}
		}
	})
}
