package conversation_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/notify"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// whisperWorld is a rpctest.Quiet world (the test drains the reactors) with a
// second, ordinary agent ("agent2") and a conversation the agent owns.
func whisperWorld(t *testing.T, opts store.Options) (*world, string) {
	t.Helper()
	w := worldOn(t, rpctest.Start(t, opts, rpctest.Quiet))
	w.Users["agent2"] = w.NewUser("agent2")
	w.Join(w.W1, w.Users["agent2"], access.RoleAgent)
	conv := w.Conversation(w.Visitor)
	if _, err := w.Srv.Clients(rpcclient.Connect).Conversation.ClaimConversation(w.As("agent"),
		&tandemv1.ClaimConversationRequest{ConversationId: conv.ID}); err != nil {
		t.Fatal(err)
	}
	return w, conv.ID
}

// readers are the principals a whisper test reads as: the author
// (supervisor), the owner (agent), an admin, an ordinary agent who is
// neither, and an agent's API key.
var readers = []string{"supervisor", "agent", "admin", "agent2", "key:agent"}

// mayReadWhisper is who may read a supervisor's whisper to the agent.
func mayReadWhisper(name string) bool {
	return name == "supervisor" || name == "agent" || name == "admin"
}

func (w *world) tokenFor(name string) string {
	if k, ok := strings.CutPrefix(name, "key:"); ok {
		return w.Keys[k]
	}
	return w.Token(name)
}

// watchUntil gathers a stream's events, as JSON, up to the marker note.
func watchUntil(t *testing.T, stream *connect.ServerStreamForClient[tandemv1.WatchResponse], marker string) []string {
	t.Helper()
	_, seen := staffEvents(t, "the watcher", stream, marker)
	return seen
}

// TestWhisperPrivacy (issue 15 item 13): a supervisor's whisper to a
// conversation's owner is read by its author, the owner and supervisors and
// up, by every path (the live stream, a stream resumed from a cursor, the
// history, search, notifications), and by nobody else: an ordinary agent
// (or an agent's API key) finds no trace of its words in any of them, data
// maps included. The owner is notified (type WHISPER); a whisper may
// mention only people who may read it.
func TestWhisperPrivacy(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w, convID := whisperWorld(t, opts)
		c := w.Srv.Clients(rpcclient.Connect)
		secret := rpctest.Unique("the discount code is SECRET")
		marker := rpctest.Unique("marker ")

		// Each reader's cursor before the whisper, and a live stream of the
		// ordinary agent.
		ctx, cancel := context.WithTimeout(w.Ctx, 60*time.Second)
		defer cancel()
		cursors, tokens := map[string]string{}, map[string]string{}
		for _, name := range readers {
			tokens[name] = w.tokenFor(name)
			list, err := c.Conversation.ListConversations(rpcclient.WithToken(ctx, tokens[name]), &tandemv1.ListConversationsRequest{WorkspaceId: w.W1.ID})
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			cursors[name] = list.GetCursor()
		}
		live, err := c.Conversation.Watch(rpcclient.WithToken(ctx, tokens["agent2"]), &tandemv1.WatchRequest{WorkspaceId: w.W1.ID})
		if err != nil {
			t.Fatal(err)
		}

		// A whisper may mention only those who may read it.
		_, err = c.Conversation.AddNote(w.As("supervisor"), &tandemv1.AddNoteRequest{ConversationId: convID, ClientId: uuid.NewString(),
			Body: "@agent2 " + secret, Whisper: true, MentionUserIds: []string{w.Users["agent2"].ID}})
		rpctest.WantCode(t, err, connect.CodeInvalidArgument)
		whisper, err := c.Conversation.AddNote(w.As("supervisor"), &tandemv1.AddNoteRequest{ConversationId: convID, ClientId: uuid.NewString(),
			Body: secret, Whisper: true, MentionUserIds: []string{w.Users["agent"].ID, w.Users["admin"].ID}})
		if err != nil || whisper.GetNote().GetBody() != secret {
			t.Fatalf("whisper: %v %v", whisper, err)
		}
		if _, err := c.Conversation.AddNote(w.As("supervisor"), &tandemv1.AddNoteRequest{ConversationId: convID, ClientId: uuid.NewString(), Body: marker}); err != nil {
			t.Fatal(err)
		}

		// The event stream, live and resumed from a cursor.
		leaks := func(evs []string) int {
			n := 0
			for _, e := range evs {
				if strings.Contains(e, secret) {
					n++
				}
			}
			return n
		}
		if n := leaks(watchUntil(t, live, marker)); n != 0 {
			t.Errorf("agent2's live stream carried the whisper %d times", n)
		}
		for _, name := range readers {
			stream, err := c.Conversation.Watch(rpcclient.WithToken(ctx, tokens[name]), &tandemv1.WatchRequest{WorkspaceId: w.W1.ID, Cursor: cursors[name]})
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			evs := watchUntil(t, stream, marker)
			switch n := leaks(evs); {
			case mayReadWhisper(name) && n == 0:
				t.Errorf("%s's stream did not carry the whisper", name)
			case !mayReadWhisper(name) && n > 0:
				t.Errorf("%s's stream carried the whisper's words %d times: %v", name, n, evs)
			}
		}

		// The history.
		for _, name := range readers {
			got, err := c.Conversation.GetConversation(rpcclient.WithToken(ctx, tokens[name]), &tandemv1.GetConversationRequest{ConversationId: convID})
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			var found, markerFound bool
			for _, m := range got.GetHistory() {
				found = found || strings.Contains(m.GetBody(), secret)
				markerFound = markerFound || m.GetBody() == marker
				if strings.Contains(m.GetBody(), secret) && m.GetActivityData()["whisper_to"] != w.Users["agent"].ID {
					t.Errorf("%s: the whisper in the history names no addressee: %v", name, m)
				}
			}
			if !markerFound || found != mayReadWhisper(name) {
				t.Errorf("%s: the history has the whisper: %v (and the note beside it: %v)", name, found, markerFound)
			}
		}

		// Search by its words.
		for _, name := range readers {
			got, err := c.Conversation.ListConversations(rpcclient.WithToken(ctx, tokens[name]), &tandemv1.ListConversationsRequest{WorkspaceId: w.W1.ID,
				Filter: &tandemv1.ConversationFilter{Text: secret}})
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if found := len(got.GetConversations()) == 1; found != mayReadWhisper(name) {
				t.Errorf("%s: searching the whisper's words finds %d conversations", name, len(got.GetConversations()))
			}
			if got, err := c.Conversation.ListConversations(rpcclient.WithToken(ctx, tokens[name]), &tandemv1.ListConversationsRequest{WorkspaceId: w.W1.ID,
				Filter: &tandemv1.ConversationFilter{Text: marker}}); err != nil || len(got.GetConversations()) != 1 {
				t.Errorf("%s: searching the plain note finds %v (%v)", name, got.GetConversations(), err)
			}
		}

		// Notifications: the owner is told of the whisper, with its words;
		// the admin it mentioned is told of the mention; nobody else hears
		// a word of it.
		n := w.Notified(convID, "agent", "admin", "agent2", "owner", "supervisor")
		if !slices.Contains(n["agent"], notify.Whisper) || slices.Contains(n["agent"], notify.Mention) {
			t.Errorf("the owner's notifications: %v, want a whisper (and no mention besides)", n["agent"])
		}
		if !slices.Contains(n["admin"], notify.Mention) {
			t.Errorf("the mentioned admin's notifications: %v", n["admin"])
		}
		var holders []string
		if err := w.Srv.DB().SelectContext(w.Ctx, &holders, `SELECT user_id FROM notifications WHERE body LIKE ? OR title LIKE ?`,
			"%"+secret+"%", "%"+secret+"%"); err != nil {
			t.Fatal(err)
		}
		for _, u := range holders {
			if u != w.Users["agent"].ID && u != w.Users["admin"].ID {
				t.Errorf("a notification of %s quotes the whisper", u)
			}
		}
		list, err := c.Notification.ListNotifications(w.As("agent"), &tandemv1.ListNotificationsRequest{WorkspaceId: w.W1.ID})
		if err != nil {
			t.Fatal(err)
		}
		var told bool
		for _, nt := range list.GetNotifications() {
			if nt.GetType() == tandemv1.NotificationType_NOTIFICATION_TYPE_WHISPER {
				told = nt.GetBody() == secret && nt.GetTitle() == "supervisor whispered to you" && nt.GetConversationId() == convID
			}
		}
		if !told {
			t.Errorf("the owner's notification list: %v", list.GetNotifications())
		}
		prefs, err := c.Notification.GetNotificationPreferences(w.As("agent"), &tandemv1.GetNotificationPreferencesRequest{WorkspaceId: w.W1.ID})
		if err != nil || !slices.ContainsFunc(prefs.GetPreferences(), func(p *tandemv1.NotificationPreference) bool {
			return p.GetType() == tandemv1.NotificationType_NOTIFICATION_TYPE_WHISPER && p.GetEnabled()
		}) {
			t.Errorf("preferences lack the whisper type: %v %v", prefs, err)
		}
	})
}

// TestWhisperBackfill: whispers written before whispers were private
// (visibility "agents", the addressee only in their activity data) are
// made private by migration 00024, in the history and the event log.
func TestWhisperBackfill(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w, convID := whisperWorld(t, opts)
		c := w.Srv.Clients(rpcclient.Connect)
		secret := rpctest.Unique("old whisper ")
		cursor, err := c.Conversation.ListConversations(w.As("agent2"), &tandemv1.ListConversationsRequest{WorkspaceId: w.W1.ID})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Conversation.AddNote(w.As("supervisor"), &tandemv1.AddNoteRequest{ConversationId: convID, ClientId: uuid.NewString(),
			Body: secret, Whisper: true}); err != nil {
			t.Fatal(err)
		}
		marker := rpctest.Unique("marker ")
		if _, err := c.Conversation.AddNote(w.As("supervisor"), &tandemv1.AddNoteRequest{ConversationId: convID, ClientId: uuid.NewString(), Body: marker}); err != nil {
			t.Fatal(err)
		}
		// Make it what an older server wrote.
		db := w.Srv.DB()
		for _, q := range []string{
			`UPDATE messages SET visibility = 'agents', whisper_to = '' WHERE visibility = 'whisper'`,
			`UPDATE events SET visibility = 'agents' WHERE visibility = 'whisper'`,
		} {
			if _, err := db.ExecContext(w.Ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		historyHas := func() bool {
			got, err := c.Conversation.GetConversation(w.As("agent2"), &tandemv1.GetConversationRequest{ConversationId: convID})
			if err != nil {
				t.Fatal(err)
			}
			return slices.ContainsFunc(got.GetHistory(), func(m *tandemv1.Message) bool { return m.GetBody() == secret })
		}
		if !historyHas() {
			t.Fatal("the test's old-style whisper is not as an older server left it")
		}
		// The migration's data statements, as written.
		b, err := os.ReadFile(filepath.Join("..", "store", "migrations", db.Dialect.Name(), "00024_whispers.sql"))
		if err != nil {
			t.Fatal(err)
		}
		up, _, _ := strings.Cut(string(b), "-- +goose Down")
		for _, stmt := range regexp.MustCompile(`(?s)UPDATE .*?;`).FindAllString(up, -1) {
			if _, err := db.ExecContext(w.Ctx, stmt); err != nil {
				t.Fatalf("%s: %v", stmt, err)
			}
		}
		if historyHas() {
			t.Error("after the migration, agent2's history still has the old whisper")
		}
		if n := storetest.Count(t, db, "messages", "conversation_id = ? AND visibility = 'whisper' AND whisper_to = ?", convID, w.Users["agent"].ID); n != 1 {
			t.Errorf("%d migrated whisper rows naming the owner, want 1", n)
		}
		ctx, cancel := context.WithTimeout(w.Ctx, 30*time.Second)
		defer cancel()
		stream, err := c.Conversation.Watch(rpcclient.WithToken(ctx, w.Token("agent2")), &tandemv1.WatchRequest{WorkspaceId: w.W1.ID, Cursor: cursor.GetCursor()})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range watchUntil(t, stream, marker) {
			if strings.Contains(e, secret) {
				t.Errorf("after the migration, agent2's stream replays the old whisper: %s", e)
			}
		}
		got, err := c.Conversation.GetConversation(w.As("agent"), &tandemv1.GetConversationRequest{ConversationId: convID})
		if err != nil || !slices.ContainsFunc(got.GetHistory(), func(m *tandemv1.Message) bool { return m.GetBody() == secret }) {
			t.Errorf("after the migration, the owner's history lacks the whisper to them: %v", err)
		}
	})
}
