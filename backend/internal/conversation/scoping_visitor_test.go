package conversation_test

import (
	"maps"
	"slices"
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/account"
	"github.com/tandem-inbox/tandem/backend/internal/events"
)

// What the scoping test lets a widget visitor's stream carry: the types,
// the fields and the texts of theirs.

// visitorTypes are the types a widget visitor's stream may carry for
// their conversation, each made there by the generator: the public
// history and state, who helps them, the agents' typing, and
// conversation.changed in place of a change they may not see. A type not
// listed fails the test, like a field not in visitorFields. (The
// conversation's conversation.created precedes their stream.)
var visitorTypes = []events.Type{events.MessageCreated, events.ConversationStateChanged, events.ConversationAssigned,
	events.ConversationJoined, events.ConversationLeft, events.ConversationChanged, events.Typing}

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
	// The files of a public message are the customer's to download.
	"event.message.attachments.id": true, "event.message.attachments.name": true,
	"event.message.attachments.content_type": true, "event.message.attachments.size_bytes": true,
}

// visitorTexts are the texts of the generator's that the visitor's stream
// may carry: their own words and the public reply with its file. Every
// other text W1 writes is a secret from them.
var visitorTexts = []string{"visitor's first words", "visitor's words", "visitor waits", "public words", "attachment", "marker"}

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

// checkVisitor reads the visitor's stream until the marker's message and
// holds it to visitorTypes (each at least once), visitorFields and
// visitorTexts: no event of another conversation, no text of W1's but
// theirs, none of the secrets (W2's ids and texts, a group's id) and no
// member's email or id. It returns the types the stream carried.
func checkVisitor(t *testing.T, stream *connect.ServerStreamForClient[tandemv1.WidgetServiceWatchResponse], w1 *side, marker string,
	secrets []string, members []account.User) map[events.Type]int {
	t.Helper()
	var texts []string
	fields, types := map[string]bool{}, map[events.Type]int{}
	for stream.Receive() {
		msg := stream.Msg()
		populated(msg.ProtoReflect(), "", fields)
		ev := msg.GetEvent()
		if ev == nil {
			continue
		}
		b, err := protojson.Marshal(msg)
		if err != nil {
			t.Fatal(err)
		}
		texts = append(texts, string(b))
		types[events.Type(ev.GetType())]++
		if id := ev.GetConversationId(); id != w1.conv {
			t.Errorf("the visitor's stream carried an event of conversation %s", id)
		}
		if ev.GetMessage().GetBody() == marker {
			break
		}
	}
	if carrying(texts, marker) == 0 {
		t.Fatalf("the visitor's stream ended before the marker (%v): %v", stream.Err(), texts)
	}
	for typ, n := range types {
		if !slices.Contains(visitorTypes, typ) {
			t.Errorf("the visitor's stream carried %d %s events, which is not in visitorTypes", n, typ)
		}
	}
	for _, typ := range visitorTypes {
		if types[typ] == 0 {
			t.Errorf("the visitor's stream carried no %s: the generator no longer makes it in their conversation", typ)
		}
	}
	for what, s := range w1.texts {
		if !slices.Contains(visitorTexts, what) {
			secrets = append(secrets, s)
		}
	}
	for _, u := range members {
		secrets = append(secrets, u.Email, u.ID)
	}
	for _, s := range secrets {
		if n := carrying(texts, s); n != 0 {
			t.Errorf("the visitor's stream carried %q %d times", s, n)
		}
	}
	for _, what := range []string{"public words", "attachment", "visitor's words"} {
		if carrying(texts, w1.texts[what]) == 0 {
			t.Errorf("the visitor's stream lacks the %s", what)
		}
	}
	for _, f := range slices.Sorted(maps.Keys(fields)) {
		if !visitorFields[f] {
			t.Errorf("the visitor's stream populated %s, which is not in visitorFields", f)
		}
	}
	return types
}
