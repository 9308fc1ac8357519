package notify

import (
	"testing"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
)

func TestFromEvent(t *testing.T) {
	long := ""
	for range 200 {
		long += "é"
	}
	n, ok := FromEvent(&tandemv1.Event{Type: EventType, Data: map[string]string{"notification_id": "n1", "type": "handoff",
		"conversation_id": "c1", "title": "A customer\nneeds a person", "body": long}})
	if !ok || n.ID != "n1" || n.Kind != "handoff" || n.ConversationID != "c1" || n.Title != "A customer needs a person" {
		t.Fatalf("FromEvent = %+v, %v", n, ok)
	}
	if r := []rune(n.Body); len(r) != 160 || r[159] != '…' {
		t.Errorf("body kept %d runes", len(r))
	}
	for _, ev := range []*tandemv1.Event{
		{Type: "message.created", Data: map[string]string{"notification_id": "n1", "title": "x"}},
		{Type: EventType, Data: map[string]string{"title": "no id"}},
	} {
		if _, ok := FromEvent(ev); ok {
			t.Errorf("FromEvent(%v) made a notification", ev)
		}
	}
}

func TestKinds(t *testing.T) {
	for v := range tandemv1.NotificationType_name {
		typ := tandemv1.NotificationType(v)
		if typ == tandemv1.NotificationType_NOTIFICATION_TYPE_UNSPECIFIED {
			continue
		}
		if back := TypeOf(KindOf(typ)); back != typ {
			t.Errorf("%v -> %q -> %v", typ, KindOf(typ), back)
		}
	}
	if KindOf(tandemv1.NotificationType_NOTIFICATION_TYPE_SLA_BREACH) != "sla_breach" {
		t.Error("sla_breach")
	}
	if TypeOf("fax") != tandemv1.NotificationType_NOTIFICATION_TYPE_UNSPECIFIED {
		t.Error("unknown kind")
	}
}
