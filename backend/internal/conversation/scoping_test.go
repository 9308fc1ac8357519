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
	"google.golang.org/protobuf/reflect/protoreflect"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// watchers are the W1 principals whose Watch streams the scoping tests
// read: every role, an ordinary agent who neither wrote nor receives the
// whisper ("agent2"), and API keys of an agent and of an admin.
var watchers = []string{"owner", "admin", "supervisor", "agent", "agent2", "key:agent", "key:admin"}

// entitled is what each watcher's stream carries, by the rules of
// visible() in watch.go: a note reaches every agent of the workspace (no
// group or team narrows it: a conversation moved to a group the agent is not
// in still reaches them); a whisper reaches its author, its addressee and
// supervisors and up; an admins-only event (an invitation) reaches admins
// and up, an API key capped at its own role.
var entitled = map[string]struct{ note, whisper, admins bool }{
	"owner":      {note: true, whisper: true, admins: true},
	"admin":      {note: true, whisper: true, admins: true},
	"supervisor": {note: true, whisper: true},
	"agent":      {note: true, whisper: true}, // the whisper's addressee
	"agent2":     {note: true},
	"key:agent":  {note: true},
	"key:admin":  {note: true, whisper: true, admins: true},
}

// visitorFields are the fields a widget visitor's stream may populate, as
// paths from WidgetServiceWatchResponse. A field not listed fails the test,
// so a new one is denied to visitors until someone decides it is theirs.
var visitorFields = map[string]bool{
	"cursor": true, "heartbeat": true,
	"queue.position": true, "queue.expected_wait_ms": true, "queue.agents_online": true, "queue.wait": true,
	"queue.email_known": true, "queue.ask_email": true,
	"event.seq": true, "event.type": true, "event.conversation_id": true, "event.create_time_ms": true,
	"event.typing": true, "event.actor_kind": true, "event.actor_name": true,
	"event.conversation.id": true, "event.conversation.state": true, "event.conversation.create_time_ms": true,
	"event.conversation.close_time_ms": true, "event.conversation.last_seq": true, "event.conversation.agent_name": true, "event.conversation.csat_rating": true,
	"event.message.id": true, "event.message.kind": true, "event.message.author_kind": true, "event.message.author_name": true,
	"event.message.body": true, "event.message.activity": true, "event.message.client_id": true,
	"event.message.create_time_ms": true, "event.message.seq": true,
}

// populated adds to into the paths of the scalar, map and list fields set in
// m, and of those of the messages in it.
func populated(m protoreflect.Message, prefix string, into map[string]bool) {
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		path := prefix + string(fd.Name())
		switch {
		case fd.Message() == nil || fd.IsMap():
			into[path] = true
		case fd.IsList():
			for i := range v.List().Len() {
				populated(v.List().Get(i).Message(), path+".", into)
			}
		default:
			populated(v.Message(), path+".", into)
		}
		return true
	})
}

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

// TestWatchScoping (ISO-03, issue 21 item 2): W1's Watch streams, of every
// role, of API keys and of a widget visitor, carry no W2 event; each staff
// stream carries notes, whispers and admins-only events as the entitled
// table says; the visitor's stream carries only its own conversation's
// public messages, populates only the fields of visitorFields and names no
// note, whisper, transfer note, invitation or agent's email.
func TestWatchScoping(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w, convID := whisperWorld(t, opts)
		c := w.Srv.Clients(rpcclient.Connect)
		ctx, cancel := context.WithTimeout(w.Ctx, 60*time.Second)
		defer cancel()
		mine, other := w.Group(w.W1), w.Group(w.W1)
		if _, err := w.Srv.Domain().Workspaces.AddGroupMember(w.Ctx, w.Principal("owner"), mine.ID, w.Users["agent"].ID); err != nil {
			t.Fatal(err)
		}

		// Every stream starts before anything below happens.
		streams := map[string]*connect.ServerStreamForClient[tandemv1.WatchResponse]{}
		for _, name := range watchers {
			as := rpcclient.WithToken(ctx, w.tokenFor(name))
			s, err := c.Conversation.Watch(as, &tandemv1.WatchRequest{WorkspaceId: w.W1.ID, Cursor: cursorOf(as, t, c, w.W1.ID)})
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			streams[name] = s
		}
		visitorCtx := rpcclient.WithToken(ctx, w.VisitorToken)
		page, err := c.Widget.ListMessages(visitorCtx, &tandemv1.ListMessagesRequest{ConversationId: convID})
		if err != nil {
			t.Fatal(err)
		}
		visitorStream, err := c.Widget.Watch(visitorCtx, &tandemv1.WidgetServiceWatchRequest{ConversationId: convID, Cursor: page.GetCursor()})
		if err != nil {
			t.Fatal(err)
		}

		// W2: a conversation with a message, a note and a tag.
		w2secret := rpctest.Unique("W2 words ")
		w2conv := w.Conversation(w.W2Visitor)
		w2owner := w.As("w2owner")
		must := func(_ any, err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(c.Conversation.SendMessage(w2owner, &tandemv1.SendMessageRequest{ConversationId: w2conv.ID, ClientId: uuid.NewString(), Body: w2secret}))
		must(c.Conversation.AddNote(w2owner, &tandemv1.AddNoteRequest{ConversationId: w2conv.ID, ClientId: uuid.NewString(), Body: w2secret}))
		must(c.Conversation.TagConversation(w2owner, &tandemv1.TagConversationRequest{ConversationId: w2conv.ID, TagId: w.Tag(w.W2)}))
		must(c.Conversation.SetTyping(w2owner, &tandemv1.SetTypingRequest{ConversationId: w2conv.ID, Typing: true}))

		// W1: messages both ways, a note with a mention, a whisper, typing,
		// a tag, a close and a reopen, a transfer to a group the agent is
		// not in, an invitation, then the marker.
		note, whisper, transferNote := rpctest.Unique("note words "), rpctest.Unique("whisper words "), rpctest.Unique("transfer words ")
		invited := rpctest.Unique("invited") + "@example.test"
		public, marker := rpctest.Unique("public words "), rpctest.Unique("marker ")
		agent, supervisor, owner := w.As("agent"), w.As("supervisor"), w.As("owner")
		must(c.Widget.SendMessage(visitorCtx, &tandemv1.WidgetServiceSendMessageRequest{ConversationId: convID, ClientId: uuid.NewString(), Body: "help " + public}))
		must(c.Conversation.SendMessage(agent, &tandemv1.SendMessageRequest{ConversationId: convID, ClientId: uuid.NewString(), Body: public}))
		must(c.Conversation.AddNote(supervisor, &tandemv1.AddNoteRequest{ConversationId: convID, ClientId: uuid.NewString(), Body: "@agent2 " + note,
			MentionUserIds: []string{w.Users["agent2"].ID}}))
		must(c.Conversation.AddNote(supervisor, &tandemv1.AddNoteRequest{ConversationId: convID, ClientId: uuid.NewString(), Body: whisper, Whisper: true}))
		must(c.Conversation.SetTyping(agent, &tandemv1.SetTypingRequest{ConversationId: convID, Typing: true}))
		must(c.Conversation.TagConversation(agent, &tandemv1.TagConversationRequest{ConversationId: convID, TagId: w.Tag(w.W1)}))
		must(c.Conversation.CloseConversation(agent, &tandemv1.CloseConversationRequest{ConversationId: convID}))
		must(c.Conversation.ReopenConversation(agent, &tandemv1.ReopenConversationRequest{ConversationId: convID}))
		must(c.Conversation.TransferConversation(supervisor, &tandemv1.TransferConversationRequest{ConversationId: convID,
			To: &tandemv1.TransferConversationRequest_GroupId{GroupId: other.ID}, Note: transferNote}))
		must(c.Workspace.InviteMember(owner, &tandemv1.InviteMemberRequest{WorkspaceId: w.W1.ID, Email: invited, Role: tandemv1.Role_ROLE_AGENT}))
		must(c.Conversation.SendMessage(owner, &tandemv1.SendMessageRequest{ConversationId: convID, ClientId: uuid.NewString(), Body: marker}))

		for _, name := range watchers {
			evs := staffUntil(t, name, streams[name], marker)
			for _, s := range []string{w2secret, w2conv.ID, w.W2.ID} {
				if n := carrying(evs, s); n != 0 {
					t.Errorf("%s's W1 stream carried W2's %q %d times", name, s, n)
				}
			}
			want := entitled[name]
			for _, k := range []struct {
				what  string
				words string
				want  bool
			}{
				{"the note", note, want.note}, {"the transfer note", transferNote, want.note}, {"the whisper", whisper, want.whisper},
				{"the invitation", string(events.MemberInvited), want.admins}, {"the public message", public, true},
			} {
				if n := carrying(evs, k.words); (n > 0) != k.want {
					t.Errorf("%s's stream carried %s %d times, want it: %v", name, k.what, n, k.want)
				}
			}
			// The move to a group the agent is not in reaches them too.
			if n := carrying(evs, other.ID); n == 0 {
				t.Errorf("%s's stream did not carry the transfer to the other group", name)
			}
		}

		// The visitor: their own conversation's public words and nothing
		// else, in the allowed fields only.
		var evs []string
		fields := map[string]bool{}
		for visitorStream.Receive() {
			msg := visitorStream.Msg()
			populated(msg.ProtoReflect(), "", fields)
			if ev := msg.GetEvent(); ev != nil {
				b, err := protojson.Marshal(msg)
				if err != nil {
					t.Fatal(err)
				}
				evs = append(evs, string(b))
				if id := ev.GetConversationId(); id != convID {
					t.Errorf("the visitor's stream carried an event of conversation %s", id)
				}
				if ev.GetMessage().GetBody() == marker {
					break
				}
			}
		}
		if carrying(evs, marker) == 0 || carrying(evs, public) == 0 {
			t.Fatalf("the visitor's stream ended without the public messages (%v): %v", visitorStream.Err(), evs)
		}
		secrets := []string{note, whisper, transferNote, invited, w2secret, w2conv.ID, w.W2.ID, mine.ID, other.ID}
		for _, u := range w.Users {
			secrets = append(secrets, u.Email, u.ID)
		}
		for _, s := range secrets {
			if n := carrying(evs, s); n != 0 {
				t.Errorf("the visitor's stream carried %q %d times", s, n)
			}
		}
		for _, f := range slices.Sorted(maps.Keys(fields)) {
			if !visitorFields[f] {
				t.Errorf("the visitor's stream populated %s, which is not in visitorFields", f)
			}
		}
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
// a new stream at once. Groups narrow nothing on Watch (see entitled), so a
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
