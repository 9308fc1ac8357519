package conversation_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/config"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestStreamsAgreeWithLists replays, step by step, each way in which
// TestSnapshotPlusWatch found a list and the stream after it disagreeing
// (STR-04), and holds the same inbox client to a fresh list after it:
//
//   - a state change that also changed the owner (an agent's reply taking a
//     waiting conversation, a reopen, a customer's message to a closed one)
//     said the new owner where its event says what the conversation was
//     before, so views it left (unassigned, someone's) never heard of it;
//   - a snoozed conversation woke without its tags and participants;
//   - a deleted tag went from every conversation with no event saying which;
//   - a whisper moved its conversation (its last item, its activity) for
//     agents who may not read it, with nothing on their stream, and lists
//     showed it to them as unread;
//   - on MySQL, a change that waited for the conversation's lock after a
//     first read carried the tags of that read.
func TestStreamsAgreeWithLists(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		srv := rpctest.Start(t, opts, rpctest.Quiet, func(c *config.Config) { c.Heartbeat = 200 * time.Millisecond })
		w := worldOn(t, srv)
		cursors, err := events.LoadCursors(t.Context(), srv.DB())
		if err != nil {
			t.Fatal(err)
		}
		api := srv.Clients(rpcclient.Connect)
		var plainID, plainToken string // an agent who neither owns the conversations nor supervises
		for id, token := range w.AgentTokens(1) {
			plainID, plainToken = id, token
		}
		every := &tandemv1.ConversationFilter{States: []tandemv1.ConversationState{tandemv1.ConversationState_CONVERSATION_STATE_BOT,
			tandemv1.ConversationState_CONVERSATION_STATE_PENDING, tandemv1.ConversationState_CONVERSATION_STATE_ACTIVE,
			tandemv1.ConversationState_CONVERSATION_STATE_SNOOZED, tandemv1.ConversationState_CONVERSATION_STATE_CLOSED}}
		withStates := func(f *tandemv1.ConversationFilter) *tandemv1.ConversationFilter {
			f.States = every.GetStates()
			return f
		}
		// watch starts a client of the named member (or the plain agent)
		// with the view: it lists now.
		watch := func(t *testing.T, who string, filter *tandemv1.ConversationFilter) *inboxClient {
			t.Helper()
			id, token := plainID, plainToken
			if who != "plain agent" {
				id, token = w.Users[who].ID, w.Token(who)
			}
			c := newInboxClient(w, cursors, who+"'s inbox", id, token, filter, api)
			if err := c.start(t); err != nil {
				t.Fatal(err)
			}
			return c
		}
		agree := func(t *testing.T, clients ...*inboxClient) {
			t.Helper()
			for _, c := range clients {
				if d := c.disagreement(t, nil); d != "" {
					t.Fatal(d)
				}
			}
		}
		// ok(t)(call(...)) fails the test on the call's error.
		ok := func(t *testing.T) func(any, error) {
			return func(_ any, err error) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
			}
		}
		visitor := rpcclient.WithToken(t.Context(), w.VisitorToken)

		t.Run("an agent's reply takes a waiting conversation out of the unassigned view", func(t *testing.T) {
			conv := w.Conversation(w.Visitor)
			c := watch(t, "admin", &tandemv1.ConversationFilter{Assignee: tandemv1.ConversationFilter_ASSIGNEE_UNASSIGNED})
			ok(t)(api.Conversation.SendMessage(w.As("agent"), &tandemv1.SendMessageRequest{ConversationId: conv.ID,
				ClientId: uuid.NewString(), Body: "On it"}))
			agree(t, c)
		})
		t.Run("an agent's reopen takes a closed conversation out of the unassigned view", func(t *testing.T) {
			conv := w.Conversation(w.Visitor)
			ok(t)(api.Conversation.CloseConversation(w.As("agent"), &tandemv1.CloseConversationRequest{ConversationId: conv.ID}))
			c := watch(t, "admin", withStates(&tandemv1.ConversationFilter{Assignee: tandemv1.ConversationFilter_ASSIGNEE_UNASSIGNED}))
			ok(t)(api.Conversation.ReopenConversation(w.As("agent"), &tandemv1.ReopenConversationRequest{ConversationId: conv.ID}))
			agree(t, c)
		})
		t.Run("a customer's message takes a closed conversation from its offline owner's view", func(t *testing.T) {
			conv := w.Conversation(w.Visitor)
			ok(t)(api.Conversation.ClaimConversation(w.As("agent"), &tandemv1.ClaimConversationRequest{ConversationId: conv.ID}))
			ok(t)(api.Conversation.CloseConversation(w.As("agent"), &tandemv1.CloseConversationRequest{ConversationId: conv.ID}))
			c := watch(t, "agent", withStates(&tandemv1.ConversationFilter{Assignee: tandemv1.ConversationFilter_ASSIGNEE_ME}))
			ok(t)(api.Widget.SendMessage(visitor, &tandemv1.WidgetServiceSendMessageRequest{ConversationId: conv.ID,
				ClientId: uuid.NewString(), Body: "One more thing"}))
			agree(t, c)
		})
		t.Run("a snoozed conversation wakes with its tags", func(t *testing.T) {
			conv := w.Conversation(w.Visitor)
			ok(t)(api.Conversation.TagConversation(w.As("agent"), &tandemv1.TagConversationRequest{ConversationId: conv.ID, TagId: w.Tag(w.W1)}))
			ok(t)(api.Conversation.SnoozeConversation(w.As("agent"), &tandemv1.SnoozeConversationRequest{ConversationId: conv.ID,
				UntilTimeMs: time.Now().Add(time.Hour).UnixMilli()}))
			c := watch(t, "owner", nil)
			// The hour passes.
			storetest.MustExec(t, srv.DB(), `UPDATE conversations SET snoozed_until = 1 WHERE id = ?`, conv.ID)
			if _, err := srv.Domain().Conversations.WakeDue(t.Context()); err != nil {
				t.Fatal(err)
			}
			agree(t, c)
		})
		t.Run("a deleted tag leaves the conversations that had it", func(t *testing.T) {
			conv, tag := w.Conversation(w.Visitor), w.Tag(w.W1)
			ok(t)(api.Conversation.TagConversation(w.As("agent"), &tandemv1.TagConversationRequest{ConversationId: conv.ID, TagId: tag}))
			all, tagged := watch(t, "owner", nil), watch(t, "admin", &tandemv1.ConversationFilter{TagIds: []string{tag}})
			ok(t)(api.Tag.DeleteTag(w.As("admin"), &tandemv1.DeleteTagRequest{TagId: tag}))
			agree(t, all, tagged)
		})
		t.Run("a whisper moves its conversation for those who may not read it, and is nothing unread to them", func(t *testing.T) {
			conv := w.Conversation(w.Visitor)
			ok(t)(api.Conversation.ClaimConversation(w.As("agent"), &tandemv1.ClaimConversationRequest{ConversationId: conv.ID}))
			ok(t)(api.Conversation.MarkRead(rpcclient.WithToken(t.Context(), plainToken), &tandemv1.MarkReadRequest{ConversationId: conv.ID}))
			plain, owner := watch(t, "plain agent", nil), watch(t, "agent", nil)
			ok(t)(api.Conversation.AddNote(w.As("supervisor"), &tandemv1.AddNoteRequest{ConversationId: conv.ID, ClientId: uuid.NewString(),
				Body: "psst", Whisper: true}))
			agree(t, plain, owner)
		})
		t.Run("a change that waited for the conversation's lock carries its tags as they are", func(t *testing.T) {
			if opts.URL == "" {
				t.Skip("SQLite transactions take the database's lock as they begin: none reads before it waits")
			}
			conv, tag := w.Conversation(w.Visitor), w.Tag(w.W1)
			c := watch(t, "owner", nil)
			// Another transaction holds the conversation's lock while it
			// tags it (as Tag does); the customer's message waits for it,
			// after its first read.
			done := make(chan error, 1)
			holdLock(t, srv.DB(), conv.ID, func(tx *sqlx.Tx) error {
				if _, err := tx.ExecContext(t.Context(), `INSERT INTO conversation_tags (conversation_id, tag_id, workspace_id,
					applied_by_kind, applied_by_id, created_at) VALUES (?, ?, ?, 'user', ?, ?)`, conv.ID, tag, w.W1.ID, w.Users["agent"].ID,
					time.Now().UnixMilli()); err != nil {
					return err
				}
				go func() {
					_, err := api.Widget.SendMessage(visitor, &tandemv1.WidgetServiceSendMessageRequest{ConversationId: conv.ID,
						ClientId: uuid.NewString(), Body: "Still there?"})
					done <- err
				}()
				return nil
			})
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			agree(t, c)
		})
	})
}

// holdLock locks the conversation's row in a MySQL transaction (one try:
// during must run once), runs during (which starts what should wait for
// the lock), waits until another connection waits for a row lock, and
// commits.
func holdLock(t *testing.T, db *store.DB, conversationID string, during func(tx *sqlx.Tx) error) {
	t.Helper()
	ctx := t.Context()
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	var conn int64
	if _, err = tx.ExecContext(ctx, `SELECT id FROM conversations WHERE id = ?`+db.Dialect.ForUpdate(), conversationID); err == nil {
		err = during(tx)
	}
	if err == nil {
		err = tx.GetContext(ctx, &conn, `SELECT CONNECTION_ID()`)
	}
	if err == nil {
		err = waitForLocker(ctx, db, conn)
	}
	if err == nil {
		err = tx.Commit()
	}
	if err != nil {
		t.Fatal(err)
	}
}

// waitForLocker polls until a connection to this database other than conn
// is running a locking read: with conn holding the lock, it is waiting for
// it. (The lock-wait tables do not show a transaction that read before it
// waits, which is the case here.)
func waitForLocker(ctx context.Context, db *store.DB, conn int64) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		var n int
		if err := db.GetContext(ctx, &n, `SELECT COUNT(*) FROM information_schema.PROCESSLIST
			WHERE DB = DATABASE() AND ID <> ? AND COMMAND <> 'Sleep' AND INFO LIKE '%FOR UPDATE'`, conn); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return errors.New("nothing came to wait for the conversation's lock")
		case <-tick.C:
		}
	}
}
