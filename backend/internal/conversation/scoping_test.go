package conversation_test

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// everyState is the staff's filter: every state, closed included, where a
// rating lands.
var everyState = &tandemv1.ConversationFilter{States: []tandemv1.ConversationState{tandemv1.ConversationState_CONVERSATION_STATE_BOT,
	tandemv1.ConversationState_CONVERSATION_STATE_PENDING, tandemv1.ConversationState_CONVERSATION_STATE_ACTIVE,
	tandemv1.ConversationState_CONVERSATION_STATE_SNOOZED, tandemv1.ConversationState_CONVERSATION_STATE_CLOSED}}

// untilMarker reads a stream until an event whose message body is the marker
// and returns every event before it (and it) as JSON.
func untilMarker[T any](t *testing.T, name string, stream *connect.ServerStreamForClient[T], event func(*T) proto.Message, body func(*T) string, marker string) []string {
	t.Helper()
	var seen []string
	for stream.Receive() {
		ev := event(stream.Msg())
		if ev == nil || !ev.ProtoReflect().IsValid() {
			continue
		}
		b, err := protojson.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		seen = append(seen, string(b))
		if body(stream.Msg()) == marker {
			return seen
		}
	}
	t.Fatalf("%s: the stream ended before the marker: %v", name, stream.Err())
	return nil
}

func staffUntil(t *testing.T, name string, stream *connect.ServerStreamForClient[tandemv1.WatchResponse], marker string) []string {
	t.Helper()
	return untilMarker(t, name, stream, func(r *tandemv1.WatchResponse) proto.Message { return r.GetEvent() },
		func(r *tandemv1.WatchResponse) string { return r.GetEvent().GetMessage().GetBody() }, marker)
}

// staffEvents reads a staff stream until the marker's message and returns
// its events, and each as JSON.
func staffEvents(t *testing.T, name string, stream *connect.ServerStreamForClient[tandemv1.WatchResponse], marker string) ([]*tandemv1.Event, []string) {
	t.Helper()
	var evs []*tandemv1.Event
	var texts []string
	for stream.Receive() {
		ev := stream.Msg().GetEvent()
		if ev == nil {
			continue
		}
		b, err := protojson.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		evs, texts = append(evs, ev), append(texts, string(b))
		if ev.GetMessage().GetBody() == marker {
			return evs, texts
		}
	}
	t.Fatalf("%s: the stream ended before the marker: %v", name, stream.Err())
	return nil, nil
}

// carrying counts the events that contain s.
func carrying(evs []string, s string) int {
	n := 0
	for _, e := range evs {
		if strings.Contains(e, s) {
			n++
		}
	}
	return n
}

// cursorOf is where the watcher's stream starts, so that it misses nothing
// the test does after.
func cursorOf(ctx context.Context, t *testing.T, c rpcclient.Clients, workspaceID string) string {
	t.Helper()
	list, err := c.Conversation.ListConversations(ctx, &tandemv1.ListConversationsRequest{WorkspaceId: workspaceID})
	if err != nil {
		t.Fatal(err)
	}
	return list.GetCursor()
}

// TestWatchScoping (ISO-03, issue 21 item 2): the generator
// (scoping_cast_test.go) makes every type of event events/types.go
// declares, in W1 and, as canaries, in W2. W1's Watch streams, of every
// role, of API keys and of a widget visitor, carry no W2 event (no W2
// event id, id or canary text); each staff stream carries each type as
// the audiences table says, a whisper only to its readers and a personal
// canned response only to its owner; the visitor's stream carries only
// its own conversation's visitorTypes, populates only the fields of
// visitorFields and holds no text of W1's but its own and the public
// reply. A declared type the generator does not make fails the test
// (checkCoverage), unless notProduced says why it cannot.
func TestWatchScoping(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := worldOn(t, rpctest.Start(t, opts, rpctest.Quiet))
		ctx, cancel := context.WithTimeout(w.Ctx, 60*time.Second)
		defer cancel()
		canary := rpctest.Unique("w2canary")
		w1, w2 := newSide(ctx, t, w, w.W1, "", "w1 words"), newSide(ctx, t, w, w.W2, "w2", canary)
		sides := []*side{w2, w1} // W2 first: its events are long written when W1's marker ends the reading
		for _, s := range sides {
			s.setUp()
		}
		c := w.Srv.Clients(rpcclient.Connect)

		// Every stream starts before anything below happens.
		streams := map[string]*connect.ServerStreamForClient[tandemv1.WatchResponse]{}
		for _, wt := range watchers {
			as := rpcclient.WithToken(ctx, w.tokenFor(wt.name))
			s, err := c.Conversation.Watch(as, &tandemv1.WatchRequest{WorkspaceId: w.W1.ID, Cursor: cursorOf(as, t, c, w.W1.ID), Filter: everyState})
			if err != nil {
				t.Fatalf("%s: %v", wt.name, err)
			}
			streams[wt.name] = s
		}
		page, err := c.Widget.ListMessages(w1.visitor, &tandemv1.ListMessagesRequest{ConversationId: w1.conv})
		if err != nil {
			t.Fatal(err)
		}
		visitorStream, err := c.Widget.Watch(w1.visitor, &tandemv1.WidgetServiceWatchRequest{ConversationId: w1.conv, Cursor: page.GetCursor()})
		if err != nil {
			t.Fatal(err)
		}

		for _, s := range sides {
			s.people()
			s.settings()
			s.conversation()
		}
		reactions(ctx, t, w.Srv, sides)
		marker := w1.text("marker")
		w1.done(c.Conversation.SendMessage(w1.as["agent"], &tandemv1.SendMessageRequest{ConversationId: w1.conv, ClientId: uuid.NewString(), Body: marker}))

		// What W1's streams must never carry: W2's events, ids and texts.
		var w2events []string
		if err := w.Srv.DB().SelectContext(ctx, &w2events, `SELECT id FROM events WHERE workspace_id = ?`, w.W2.ID); err != nil {
			t.Fatal(err)
		}
		w2ids := append([]string{canary, w.W2.ID, w.W2.PublicKey, w2.conv, w2.other, w2.visitorID}, slices.Collect(maps.Values(w2.users))...)
		seen := map[events.Type]bool{}
		for _, wt := range watchers {
			evs, texts := staffEvents(t, wt.name, streams[wt.name], marker)
			for _, ev := range evs {
				seen[events.Type(ev.GetType())] = true
				if ev.GetId() != "" && slices.Contains(w2events, ev.GetId()) {
					t.Errorf("%s's W1 stream carried W2's event %s", wt.name, oneLine(ev))
				}
			}
			for _, s := range w2ids {
				if n := carrying(texts, s); n != 0 {
					t.Errorf("%s's W1 stream carried W2's %q %d times", wt.name, s, n)
				}
			}
			checkAudiences(t, wt, w1.users[wt.user], w1.users["agent2"], evs)
			// What the types do not tell apart: a whisper and a note, a
			// personal canned response and a shared one.
			for _, k := range []struct {
				what string
				want bool
			}{
				{"note", true}, {"transfer note", true}, {"public words", true}, {"canned", true},
				{"whisper", wt.whisper}, {"personal canned", wt.name == "agent"}, {"personal canned retitled", wt.name == "agent"},
			} {
				if n := carrying(texts, w1.texts[k.what]); (n > 0) != k.want {
					t.Errorf("%s's stream carried the %s %d times, want it: %v", wt.name, k.what, n, k.want)
				}
			}
		}

		visitorSeen := checkVisitor(t, visitorStream, w1, marker, slices.Concat(w2ids, []string{w1.other}), slices.Collect(maps.Values(w.Users)))
		for typ := range visitorSeen {
			seen[typ] = true
		}

		// Every type written to the log has its canary in W2's.
		var logged []events.Type
		if err := w.Srv.DB().SelectContext(ctx, &logged, `SELECT DISTINCT type FROM events WHERE workspace_id = ?`, w.W2.ID); err != nil {
			t.Fatal(err)
		}
		canaries := map[events.Type]bool{}
		for _, typ := range logged {
			canaries[typ] = true
		}
		checkCoverage(t, seen, canaries)
	})
}

// TestWatchAccessChanges (ISO-04, issue 21 item 2): an access change made on
// one replica reaches a live stream on another at once, ordered by the log
// (the stream re-reads the role when the change's event passes; there is no
// permission cache or TTL to wait out). An admin demoted to agent stops
// receiving whispers to others and admins-only events, and a reconnect from
// a cursor before the change replays those filtered by the role of now,
// the words written while they were admin included; so does an admin API
// key the admin made. A member removed from
// the workspace has their stream ended and is denied by unary calls and by
// a new stream at once. Groups narrow nothing on Watch (see audiences), so a
// change of an agent's groups has nothing to revoke; the product has no
// user deactivation besides removal.
func TestWatchAccessChanges(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		// Streams on the last replica, changes through the first: two on
		// MariaDB, sharing the database only (the second hears of commits by
		// polling the log), one on SQLite.
		first := rpctest.Start(t, opts, rpctest.Quiet)
		streamOn := first
		if opts.URL != "" {
			streamOn = rpctest.Start(t, opts, rpctest.Quiet)
		}
		w := worldOn(t, first)
		w.Users["agent2"] = w.NewUser("agent2")
		w.Join(w.W1, w.Users["agent2"], access.RoleAgent)
		convID := w.Conversation(w.Visitor).ID
		c, sc := first.Clients(rpcclient.Connect), streamOn.Clients(rpcclient.Connect)
		ctx, cancel := context.WithTimeout(w.Ctx, 60*time.Second)
		defer cancel()
		must := func(_ any, err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		if _, err := c.Conversation.ClaimConversation(w.As("agent"), &tandemv1.ClaimConversationRequest{ConversationId: convID}); err != nil {
			t.Fatal(err)
		}
		// The admin, and an admin API key the admin made (a key never acts
		// above its creator's current role), are demoted together.
		_, keySecret, err := w.Srv.Domain().Accounts.CreateAPIKey(w.Ctx, w.Principal("admin"), &access.Scope{WorkspaceID: w.W1.ID, Role: access.RoleAdmin},
			"admin's key", access.RoleAdmin, 0)
		if err != nil {
			t.Fatal(err)
		}
		admin, agent2 := rpcclient.WithToken(ctx, w.Token("admin")), rpcclient.WithToken(ctx, w.Token("agent2"))
		demoted := map[string]context.Context{"admin": admin, "admin's key": rpcclient.WithToken(ctx, keySecret)}
		before := map[string]string{"agent2": cursorOf(agent2, t, sc, w.W1.ID)}
		live := map[string]*connect.ServerStreamForClient[tandemv1.WatchResponse]{}
		for name, as := range demoted {
			before[name] = cursorOf(as, t, sc, w.W1.ID)
			if live[name], err = sc.Conversation.Watch(as, &tandemv1.WatchRequest{WorkspaceId: w.W1.ID, Cursor: before[name]}); err != nil {
				t.Fatal(err)
			}
		}
		agent2Live, err := sc.Conversation.Watch(agent2, &tandemv1.WatchRequest{WorkspaceId: w.W1.ID, Cursor: before["agent2"]})
		if err != nil {
			t.Fatal(err)
		}
		supervisor, owner := w.As("supervisor"), w.As("owner")
		// round writes a whisper to the agent, an invitation (admins only)
		// and a plain note, the marker, and returns the whisper's words and
		// the marker.
		round := func() (string, string) {
			whisper, marker := rpctest.Unique("whisper words "), rpctest.Unique("marker ")
			must(c.Conversation.AddNote(supervisor, &tandemv1.AddNoteRequest{ConversationId: convID, ClientId: uuid.NewString(), Body: whisper, Whisper: true}))
			must(c.Workspace.InviteMember(owner, &tandemv1.InviteMemberRequest{WorkspaceId: w.W1.ID, Email: rpctest.Unique("invited") + "@example.test",
				Role: tandemv1.Role_ROLE_AGENT}))
			must(c.Conversation.AddNote(supervisor, &tandemv1.AddNoteRequest{ConversationId: convID, ClientId: uuid.NewString(), Body: marker}))
			return whisper, marker
		}
		invitations := func(evs []string) int { return carrying(evs, string(events.MemberInvited)) }

		// While admin, the live stream carries both: what it must stop
		// carrying is there to stop.
		whisper1, marker1 := round()
		for name := range demoted {
			if evs := staffUntil(t, name, live[name], marker1); carrying(evs, whisper1) == 0 || invitations(evs) == 0 {
				t.Fatalf("%s's stream lacks the whisper or the invitation: %v", name, evs)
			}
		}
		if evs := staffUntil(t, "agent2", agent2Live, marker1); carrying(evs, whisper1) != 0 || invitations(evs) != 0 {
			t.Fatalf("agent2's stream carried the whisper or the invitation: %v", evs)
		}

		// The changes, through the other replica.
		must(c.Workspace.UpdateMemberRole(owner, &tandemv1.UpdateMemberRoleRequest{WorkspaceId: w.W1.ID, UserId: w.Users["admin"].ID,
			Role: tandemv1.Role_ROLE_AGENT}))
		must(c.Workspace.RemoveMember(owner, &tandemv1.RemoveMemberRequest{WorkspaceId: w.W1.ID, UserId: w.Users["agent2"].ID}))

		// Unary calls deny at once, on either replica.
		for _, cl := range []rpcclient.Clients{c, sc} {
			for _, as := range demoted {
				_, err := cl.Workspace.InviteMember(as, &tandemv1.InviteMemberRequest{WorkspaceId: w.W1.ID, Email: rpctest.Unique("x") + "@example.test",
					Role: tandemv1.Role_ROLE_AGENT})
				rpctest.WantCode(t, err, connect.CodePermissionDenied)
			}
			_, err = cl.Conversation.GetConversation(agent2, &tandemv1.GetConversationRequest{ConversationId: convID})
			rpctest.WantCode(t, err, connect.CodeNotFound)
		}

		// The removed member's stream ends, carrying nothing written after.
		whisper2, marker2 := round()
		for agent2Live.Receive() {
			if ev := agent2Live.Msg().GetEvent(); ev != nil && ev.GetType() != string(events.MemberRoleChanged) && ev.GetType() != string(events.MemberRemoved) {
				t.Errorf("agent2's stream carried %v after their removal", ev)
			}
		}
		rpctest.WantCode(t, agent2Live.Err(), connect.CodeNotFound)
		again, err := sc.Conversation.Watch(agent2, &tandemv1.WatchRequest{WorkspaceId: w.W1.ID, Cursor: before["agent2"]})
		if err == nil {
			for again.Receive() {
				if ev := again.Msg().GetEvent(); ev != nil {
					t.Errorf("agent2's new stream carried %v", ev)
				}
			}
			err = again.Err()
		}
		rpctest.WantCode(t, err, connect.CodeNotFound)

		// The demoted live streams go on without what an agent may not
		// see; a reconnect from before replays nothing of it either.
		for name, as := range demoted {
			if evs := staffUntil(t, name+" live", live[name], marker2); carrying(evs, whisper2) != 0 || invitations(evs) != 0 {
				t.Errorf("the demoted %s's live stream carried the whisper or an invitation: %v", name, evs)
			}
			replay, err := sc.Conversation.Watch(as, &tandemv1.WatchRequest{WorkspaceId: w.W1.ID, Cursor: before[name]})
			if err != nil {
				t.Fatal(err)
			}
			evs := staffUntil(t, name+" replay", replay, marker2)
			if carrying(evs, marker1) == 0 {
				t.Fatalf("%s's replay does not reach back to before the change: %v", name, evs)
			}
			for _, s := range []string{whisper1, whisper2} {
				if n := carrying(evs, s); n != 0 {
					t.Errorf("the demoted %s's replay carried a whisper to another %d times", name, n)
				}
			}
			if n := invitations(evs); n != 0 {
				t.Errorf("the demoted %s's replay carried %d invitations", name, n)
			}
		}
	})
}
