package inbox

import (
	"testing"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
)

func conv(id string, seq, active int64, unread bool) *tandemv1.Conversation {
	return &tandemv1.Conversation{Id: id, LastSeq: seq, LastActivityTimeMs: active, Unread: unread,
		State: tandemv1.ConversationState_CONVERSATION_STATE_PENDING}
}

func TestUnreadCarriedAcrossEvents(t *testing.T) {
	b := New("me")
	b.Reset([]*tandemv1.Conversation{conv("a", 5, 100, false), conv("b", 7, 200, true)})
	steps := []struct {
		name   string
		ev     *tandemv1.Event
		unread bool
	}{
		{"customer writes", &tandemv1.Event{Type: "message.created", ConversationId: "a", ActorId: "cust",
			Conversation: conv("a", 6, 110, false), Message: &tandemv1.Message{Seq: 6}}, true},
		{"priority change keeps it", &tandemv1.Event{Type: "conversation.priority_changed", ConversationId: "a", ActorId: "other",
			Conversation: conv("a", 6, 120, false)}, true},
		{"read up to an older seq", &tandemv1.Event{Type: "conversation.read", ConversationId: "a", ActorId: "me",
			Data: map[string]string{"seq": "5"}}, true},
		{"read to the end", &tandemv1.Event{Type: "conversation.read", ConversationId: "a", ActorId: "me",
			Data: map[string]string{"seq": "6"}}, false},
		{"a teammate's note", &tandemv1.Event{Type: "note.created", ConversationId: "a", ActorId: "mate",
			Conversation: conv("a", 7, 130, false), Message: &tandemv1.Message{Seq: 7}}, true},
		{"my reply", &tandemv1.Event{Type: "message.created", ConversationId: "a", ActorId: "me",
			Conversation: conv("a", 8, 140, false), Message: &tandemv1.Message{Seq: 8}}, false},
		{"someone else's read", &tandemv1.Event{Type: "conversation.read", ConversationId: "a", ActorId: "mate",
			Data: map[string]string{"seq": "8"}}, false},
	}
	for _, s := range steps {
		b.Apply(s.ev)
		got, _ := b.Get("a")
		if got.GetUnread() != s.unread {
			t.Errorf("after %s: unread = %v, want %v", s.name, got.GetUnread(), s.unread)
		}
	}
	if got, _ := b.Get("b"); !got.GetUnread() {
		t.Error("an untouched conversation lost its unread marker")
	}
}

func TestNewConversationAndOrder(t *testing.T) {
	b := New("me")
	b.Reset([]*tandemv1.Conversation{conv("a", 5, 100, false)})
	got := b.Apply(&tandemv1.Event{Type: "message.created", ConversationId: "n", ActorId: "cust",
		Conversation: conv("n", 9, 300, false), Message: &tandemv1.Message{Seq: 9}})
	if got == nil || !got.GetUnread() {
		t.Fatalf("new conversation = %v, want unread", got)
	}
	list := b.List()
	if len(list) != 2 || list[0].GetId() != "n" {
		t.Fatalf("list = %v, want the newest first", list)
	}
	if b.Apply(&tandemv1.Event{Type: "typing", ConversationId: "a"}) != nil {
		t.Error("typing changed a conversation")
	}
}

func TestUpsertIgnoresStaleCopies(t *testing.T) {
	b := New("me")
	b.Apply(&tandemv1.Event{Type: "message.created", ConversationId: "a", ActorId: "cust",
		Conversation: conv("a", 9, 300, false), Message: &tandemv1.Message{Seq: 9}})
	got := b.Upsert(conv("a", 8, 200, false), false) // a claim's answer, overtaken by the stream
	if got.GetLastSeq() != 9 || !got.GetUnread() {
		t.Fatalf("upsert of an older copy = seq %d unread %v, want the newer one kept", got.GetLastSeq(), got.GetUnread())
	}
}
