package conversation_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// rowsOf fingerprints a conversation: its row, its history and its events.
func (w *world) rowsOf(id string) string {
	w.T.Helper()
	var b []string
	for _, q := range []string{
		`SELECT state, assignee_id, last_seq, snoozed_until, closed_at, updated_at FROM conversations WHERE id = ?`,
		`SELECT id FROM messages WHERE conversation_id = ? ORDER BY seq`,
		`SELECT seq FROM events WHERE conversation_id = ? ORDER BY seq`,
	} {
		b = append(b, w.scanAll(q, id)...)
	}
	return joinStrings(b)
}

// scanAll returns every value of every row the query reads, as strings.
func (w *world) scanAll(q string, args ...any) []string {
	w.T.Helper()
	rows, err := w.Srv.DB().QueryContext(w.Ctx, q, args...)
	if err != nil {
		w.T.Fatal(err)
	}
	defer func() { _ = rows.Close() }()
	cols, err := rows.Columns()
	if err != nil {
		w.T.Fatal(err)
	}
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			w.T.Fatal(err)
		}
		for _, v := range vals {
			out = append(out, toString(v))
		}
	}
	return out
}

// TestIllegalTransitions tries every state change the machine forbids and
// checks that each is refused with FailedPrecondition and changes nothing.
// (Closing a closed conversation is no such change but a repeat, answered
// OK: see TestRepeatedChange.)
func TestIllegalTransitions(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := newWorld(t, opts)
		c := w.Srv.Clients(rpcclient.Connect)
		agent := w.As("agent")
		closed := func() string {
			conv := w.Conversation(w.Visitor)
			if _, err := c.Conversation.CloseConversation(agent, &tandemv1.CloseConversationRequest{ConversationId: conv.ID}); err != nil {
				t.Fatal(err)
			}
			return conv.ID
		}
		snoozed := func() string {
			conv := w.Conversation(w.Visitor)
			if _, err := c.Conversation.SnoozeConversation(agent, &tandemv1.SnoozeConversationRequest{ConversationId: conv.ID,
				UntilTimeMs: time.Now().Add(time.Hour).UnixMilli()}); err != nil {
				t.Fatal(err)
			}
			return conv.ID
		}
		pending := func() string { return w.Conversation(w.Visitor).ID }
		cases := []struct {
			name  string
			setup func() string
			do    func(id string) error
		}{
			{"reopen an open conversation", pending, func(id string) error {
				_, err := c.Conversation.ReopenConversation(agent, &tandemv1.ReopenConversationRequest{ConversationId: id})
				return err
			}},
			{"snooze a closed conversation", closed, func(id string) error {
				_, err := c.Conversation.SnoozeConversation(agent, &tandemv1.SnoozeConversationRequest{ConversationId: id, UntilTimeMs: time.Now().Add(time.Hour).UnixMilli()})
				return err
			}},
			{"snooze a snoozed conversation", snoozed, func(id string) error {
				_, err := c.Conversation.SnoozeConversation(agent, &tandemv1.SnoozeConversationRequest{ConversationId: id, UntilTimeMs: time.Now().Add(2 * time.Hour).UnixMilli()})
				return err
			}},
			{"agent reply to a closed conversation", closed, func(id string) error {
				_, err := c.Conversation.SendMessage(agent, &tandemv1.SendMessageRequest{ConversationId: id, ClientId: uuid.NewString(), Body: "hello?"})
				return err
			}},
		}
		for _, tc := range cases {
			id := tc.setup()
			before := w.rowsOf(id)
			err := tc.do(id)
			if connect.CodeOf(err) != connect.CodeFailedPrecondition {
				t.Errorf("%s: %v, want FailedPrecondition", tc.name, err)
			}
			if after := w.rowsOf(id); after != before {
				t.Errorf("%s changed the conversation:\nbefore %s\nafter  %s", tc.name, before, after)
			}
		}

		t.Run("legal moves", func(t *testing.T) {
			id := pending()
			resp, err := c.Conversation.SendMessage(agent, &tandemv1.SendMessageRequest{ConversationId: id, ClientId: uuid.NewString(), Body: "On it!"})
			if err != nil || resp.GetConversation().GetState() != tandemv1.ConversationState_CONVERSATION_STATE_ACTIVE ||
				resp.GetConversation().GetAssigneeUserId() != w.Users["agent"].ID {
				t.Fatalf("reply to pending: %v %v", resp.GetConversation(), err)
			}
			if _, err := c.Conversation.CloseConversation(agent, &tandemv1.CloseConversationRequest{ConversationId: id}); err != nil {
				t.Fatal(err)
			}
			// A customer writing to a closed conversation reopens it into the queue.
			sent, err := c.Widget.SendMessage(rpcclient.WithToken(w.Ctx, w.VisitorToken), &tandemv1.WidgetServiceSendMessageRequest{ConversationId: id, ClientId: uuid.NewString(), Body: "one more thing"})
			if err != nil || sent.GetConversation().GetState() != tandemv1.ConversationState_CONVERSATION_STATE_PENDING {
				t.Fatalf("customer message to closed: %v %v", sent.GetConversation(), err)
			}
		})
	})
}

// TestSendIdempotent retries one SendMessage many times, also concurrently
// and over different protocols: one row, the same message each time; the
// same client id with other content is AlreadyExists.
func TestSendIdempotent(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := newWorld(t, opts)
		conv := w.Conversation(w.Visitor)
		clientID := uuid.NewString()
		visitor := rpcclient.WithToken(w.Ctx, w.VisitorToken)
		var wg sync.WaitGroup
		ids := make(chan string, 12)
		for i := range cap(ids) {
			wg.Go(func() {
				c := w.Srv.Clients(rpcclient.Protocols()[i%3])
				resp, err := c.Widget.SendMessage(visitor, &tandemv1.WidgetServiceSendMessageRequest{ConversationId: conv.ID, ClientId: clientID, Body: "Is this in stock?"})
				if err != nil {
					t.Errorf("send %d: %v", i, err)
					return
				}
				ids <- resp.GetMessage().GetId()
			})
		}
		wg.Wait()
		close(ids)
		var first string
		for id := range ids {
			if first == "" {
				first = id
			} else if id != first {
				t.Fatalf("retries returned different messages: %s and %s", first, id)
			}
		}
		if n := storetest.Count(t, w.Srv.DB(), "messages", "workspace_id = ? AND client_id = ?", w.W1.ID, clientID); n != 1 {
			t.Fatalf("%d rows for one client id", n)
		}
		if n := storetest.Count(t, w.Srv.DB(), "events", "conversation_id = ? AND type = ?", conv.ID, events.MessageCreated); n != 2 { // the first message and this one
			t.Fatalf("%d message events, want 2", n)
		}
		_, err := w.Srv.Clients(rpcclient.Connect).Widget.SendMessage(visitor, &tandemv1.WidgetServiceSendMessageRequest{ConversationId: conv.ID, ClientId: clientID, Body: "something else"})
		if connect.CodeOf(err) != connect.CodeAlreadyExists {
			t.Fatalf("same id, other content: %v, want AlreadyExists", err)
		}

		// Agents' replies and conversation starts are idempotent the same way.
		c := w.Srv.Clients(rpcclient.GRPC)
		agent := w.As("agent")
		replyID := uuid.NewString()
		r1, err1 := c.Conversation.SendMessage(agent, &tandemv1.SendMessageRequest{ConversationId: conv.ID, ClientId: replyID, Body: "Yes!"})
		r2, err2 := c.Conversation.SendMessage(agent, &tandemv1.SendMessageRequest{ConversationId: conv.ID, ClientId: replyID, Body: "Yes!"})
		if err1 != nil || err2 != nil || r1.GetMessage().GetId() != r2.GetMessage().GetId() || r1.GetMessage().GetSeq() != r2.GetMessage().GetSeq() {
			t.Fatalf("agent retry: %v %v %v %v", r1, err1, r2, err2)
		}
		startID := uuid.NewString()
		s1, err1 := c.Widget.StartConversation(visitor, &tandemv1.StartConversationRequest{ClientId: startID, Body: "hi"})
		s2, err2 := c.Widget.StartConversation(visitor, &tandemv1.StartConversationRequest{ClientId: startID, Body: "hi"})
		if err1 != nil || err2 != nil || s1.GetConversation().GetId() != s2.GetConversation().GetId() {
			t.Fatalf("start retry: %v %v %v %v", s1, err1, s2, err2)
		}
		if n := storetest.Count(t, w.Srv.DB(), "conversations", "workspace_id = ? AND client_id = ?", w.W1.ID, startID); n != 1 {
			t.Fatalf("%d conversations for one client id", n)
		}
	})
}

// TestVisitorIsolation checks that a visitor reaches only their own
// conversations and never sees internal notes, on lists and on the stream.
func TestVisitorIsolation(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := newWorld(t, opts)
		c := w.Srv.Clients(rpcclient.GRPCWeb)
		mine := w.Conversation(w.Visitor)
		theirs := w.Conversation(w.Other)
		visitor := rpcclient.WithToken(w.Ctx, w.VisitorToken)
		agent := w.As("agent")

		_, err := c.Widget.ListMessages(visitor, &tandemv1.ListMessagesRequest{ConversationId: theirs.ID})
		rpctest.WantCode(t, err, connect.CodeNotFound)
		_, err = c.Widget.SendMessage(visitor, &tandemv1.WidgetServiceSendMessageRequest{ConversationId: theirs.ID, ClientId: uuid.NewString(), Body: "x"})
		rpctest.WantCode(t, err, connect.CodeNotFound)
		list, err := c.Widget.ListMyConversations(visitor, &tandemv1.ListMyConversationsRequest{})
		rpctest.WantCode(t, err, 0)
		for _, cv := range list.GetConversations() {
			if cv.GetId() == theirs.ID {
				t.Fatal("another visitor's conversation is listed")
			}
		}

		ctx, cancel := context.WithTimeout(visitor, 20*time.Second)
		defer cancel()
		stream, err := c.Widget.Watch(ctx, &tandemv1.WidgetServiceWatchRequest{ConversationId: mine.ID})
		rpctest.WantCode(t, err, 0)
		if _, err := c.Conversation.AddNote(agent, &tandemv1.AddNoteRequest{ConversationId: mine.ID, ClientId: uuid.NewString(), Body: "SECRET NOTE: refund fraud risk"}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Conversation.SendMessage(agent, &tandemv1.SendMessageRequest{ConversationId: theirs.ID, ClientId: uuid.NewString(), Body: "for the other visitor"}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Conversation.SendMessage(agent, &tandemv1.SendMessageRequest{ConversationId: mine.ID, ClientId: uuid.NewString(), Body: "Hello from the team"}); err != nil {
			t.Fatal(err)
		}
		for stream.Receive() {
			ev := stream.Msg().GetEvent()
			if ev == nil {
				continue
			}
			if ev.GetConversationId() != mine.ID {
				t.Fatalf("visitor stream carried another conversation's event: %v", ev)
			}
			if ev.GetMessage().GetKind() == tandemv1.MessageKind_MESSAGE_KIND_NOTE || ev.GetType() == string(events.NoteCreated) {
				t.Fatalf("visitor stream carried a note: %v", ev)
			}
			if ev.GetMessage().GetBody() == "Hello from the team" {
				if ev.GetMessage().GetAuthorName() != "agent" {
					t.Errorf("reply author = %q", ev.GetMessage().GetAuthorName())
				}
				break
			}
		}
		if err := stream.Err(); err != nil {
			t.Fatal(err)
		}
		_ = stream.Close()
		history, err := c.Widget.ListMessages(visitor, &tandemv1.ListMessagesRequest{ConversationId: mine.ID})
		rpctest.WantCode(t, err, 0)
		for _, m := range history.GetMessages() {
			if m.GetKind() == tandemv1.MessageKind_MESSAGE_KIND_NOTE {
				t.Fatalf("visitor history holds a note: %v", m)
			}
		}
	})
}

// TestStreamScoping checks that an agent of another workspace sees nothing of
// this one on their stream, and that a member removed from a workspace has
// their stream ended at once.
func TestStreamScoping(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := newWorld(t, opts)
		c := w.Srv.Clients(rpcclient.GRPC)
		ctx, cancel := context.WithTimeout(w.Ctx, 20*time.Second)
		defer cancel()
		w2stream, err := c.Conversation.Watch(rpcclient.WithToken(ctx, w.Token("w2owner")), &tandemv1.WatchRequest{WorkspaceId: w.W2.ID})
		rpctest.WantCode(t, err, 0)
		agentStream, err := c.Conversation.Watch(rpcclient.WithToken(ctx, w.Token("agent")), &tandemv1.WatchRequest{WorkspaceId: w.W1.ID})
		rpctest.WantCode(t, err, 0)
		time.Sleep(100 * time.Millisecond) // let both streams open
		for range 5 {
			w.Conversation(w.Visitor) // W1 activity
		}
		w2conv := w.Conversation(w.W2Visitor)
		for w2stream.Receive() {
			ev := w2stream.Msg().GetEvent()
			if ev == nil {
				continue
			}
			if ev.GetConversationId() != w2conv.ID {
				t.Fatalf("W2 stream carried a W1 event: %v", ev)
			}
			break
		}
		_ = w2stream.Close()

		if _, err := c.Workspace.RemoveMember(w.As("owner"), &tandemv1.RemoveMemberRequest{WorkspaceId: w.W1.ID, UserId: w.Users["agent"].ID}); err != nil {
			t.Fatal(err)
		}
		for agentStream.Receive() {
		}
		if connect.CodeOf(agentStream.Err()) != connect.CodeNotFound {
			t.Fatalf("removed member's stream ended with %v, want NotFound", agentStream.Err())
		}
	})
}
