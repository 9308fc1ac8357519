package metrics

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tandem-inbox/tandem/backend/internal/conversation"
)

// TestReadModel decodes payloads as the conversation package writes them
// (json.Marshal of a conversation.Payload, in its record) into the
// counters' read model: every member the counters use arrives, and the
// values they compare with are the conversation package's.
func TestReadModel(t *testing.T) {
	t.Parallel()
	conv := &conversation.Conversation{ID: "c", WorkspaceID: "w", State: conversation.StateClosed,
		Channel: conversation.ChannelEmail, HandoffReason: conversation.HandoffLowConfidence,
		CreatedAt: 1_000, ClosedAt: 61_000, ClosedFrom: conversation.StateBot}
	msg := &conversation.Message{ID: "m", Kind: conversation.KindText, AuthorKind: conversation.AuthorBot, Body: "hello",
		Meta: conversation.Meta{Bot: &conversation.BotAnswer{Method: "llm", Confidence: 0.75}}}
	data := map[string]string{"from": string(conversation.StateBot), "to": string(conversation.StateClosed),
		conversation.DataHandoff: string(conversation.HandoffAgentTakeover)}
	b, err := json.Marshal(conversation.Payload{Conversation: conv, Message: msg, Data: data})
	if err != nil {
		t.Fatal(err)
	}
	var got payload
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want := payload{
		Conversation: &conversationView{State: string(conversation.StateClosed), Channel: conversation.ChannelEmail, HandoffReason: string(conversation.HandoffLowConfidence),
			CreatedAt: 1_000, ClosedAt: 61_000},
		Message: &messageView{Kind: conversation.KindText, AuthorKind: conversation.AuthorBot},
		Data:    data,
	}
	want.Message.Meta.Bot = &botView{Method: "llm", Confidence: 0.75}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("read model (-want +got):\n%s", diff)
	}

	// A payload without a message (most events) or without meta decodes
	// to nil, which the counters skip.
	b, err = json.Marshal(conversation.Payload{Conversation: conv, Message: &conversation.Message{Kind: conversation.KindNote}})
	if err != nil {
		t.Fatal(err)
	}
	got = payload{}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.Message == nil || got.Message.Meta.Bot != nil || got.Message.Kind != conversation.KindNote {
		t.Errorf("note without meta: %+v", got.Message)
	}

	for name, pair := range map[string][2]string{
		"stateBot":    {stateBot, string(conversation.StateBot)},
		"stateClosed": {stateClosed, string(conversation.StateClosed)},
		"stateSpam":   {stateSpam, string(conversation.StateSpam)},
		"kindText":    {kindText, conversation.KindText},
		"dataHandoff": {dataHandoff, conversation.DataHandoff},
	} {
		if pair[0] != pair[1] {
			t.Errorf("%s = %q, the conversation package writes %q", name, pair[0], pair[1])
		}
	}
}
