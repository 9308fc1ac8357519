package app_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/desktop/internal/apiclient"
	"github.com/tandem-inbox/tandem/desktop/internal/app"
	"github.com/tandem-inbox/tandem/desktop/internal/tandemtest"
)

// recorder passes every call on and keeps the request bodies of one RPC
// (Connect unary with the proto codec: the body is the message).
type recorder struct {
	procedure string
	mu        sync.Mutex
	bodies    [][]byte
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if strings.HasSuffix(req.URL.Path, r.procedure) && req.Body != nil {
		b, err := io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return nil, err
		}
		if enc := req.Header.Get("Content-Encoding"); enc != "" && enc != "identity" {
			return nil, &apiclient.Error{Kind: apiclient.KindInternal, Message: "recorder: compressed request " + enc}
		}
		r.mu.Lock()
		r.bodies = append(r.bodies, b)
		r.mu.Unlock()
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	return http.DefaultTransport.RoundTrip(req)
}

// requests decodes the recorded bodies as M.
func requests[M proto.Message](t *testing.T, r *recorder, mk func() M) []M {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []M
	for _, b := range r.bodies {
		m := mk()
		if err := proto.Unmarshal(b, m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

func decodeBot(t *testing.T, raw json.RawMessage) *tandemv1.BotSettings {
	t.Helper()
	st := &tandemv1.BotSettings{}
	if err := protojson.Unmarshal(raw, st); err != nil {
		t.Fatal(err)
	}
	return st
}

func ptr[T any](v T) *T { return &v }

// TestBotSettings saves the AI agent's plain settings through the app
// against tandemd, and checks on the wire that a save sends only what
// changed, escalation intents and synonyms included (the synonyms go as
// typed and come back tidied; a wrong line is the server's refusal naming
// it, a blank text clears them), and that nothing is sent when a phrase
// breaks the API's limits. An agent reads the settings but is refused a
// change in plain words.
func TestBotSettings(t *testing.T) {
	srv := tandemtest.Start(t, nil)
	rec := &recorder{procedure: "/tandem.v1.BotService/UpdateBotSettings"}
	boss := launchVia(t, "", rec)
	if _, err := boss.app.SignIn(srv.URL, tandemtest.OwnerEmail, tandemtest.Password); err != nil {
		t.Fatal(err)
	}
	raw, err := boss.app.BotSettings()
	if err != nil {
		t.Fatal(err)
	}
	before := decodeBot(t, raw)
	if !before.GetEnabled() || before.GetName() != "Ava" {
		t.Fatalf("demo AI agent = %v", before)
	}

	raw, err = boss.app.UpdateBotSettings(app.BotChange{
		Name:                ptr("  Aria "),
		ConfidenceThreshold: ptr(0.55),
		HandoffMessage:      ptr("A teammate will be with you in {{wait}}."),
		AnswerWhileWaiting:  ptr(!before.GetAnswerWhileWaiting()),
		Synonyms:            ptr("parcel ,  package\n\nmoney back, refund , "),
		Intents: []app.IntentChange{
			{Name: "refund", Enabled: ptr(false)},
			{Name: "human", Phrases: &[]string{" speak to a manager ", "real person please"}},
			{Name: "anger", Phrases: &[]string{}},
			{Name: "legal"}, // named, unchanged: not sent
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	after := decodeBot(t, raw)
	if after.GetName() != "Aria" || after.GetConfidenceThreshold() != 0.55 || after.GetHandoffMessage() != "A teammate will be with you in {{wait}}." ||
		after.GetAnswerWhileWaiting() == before.GetAnswerWhileWaiting() || !after.GetEnabled() || after.GetGreeting() != before.GetGreeting() ||
		after.GetSynonyms() != "parcel, package\nmoney back, refund" {
		t.Fatalf("after the save: %v", after)
	}
	raw, err = boss.app.BotSettings()
	if err != nil || decodeBot(t, raw).GetName() != "Aria" {
		t.Fatalf("read back = %s, %v", raw, err)
	}

	sent := requests(t, rec, func() *tandemv1.UpdateBotSettingsRequest { return &tandemv1.UpdateBotSettingsRequest{} })
	want := &tandemv1.UpdateBotSettingsRequest{
		WorkspaceId:         srv.WorkspaceID,
		Name:                ptr("Aria"),
		ConfidenceThreshold: ptr(0.55),
		HandoffMessage:      ptr("A teammate will be with you in {{wait}}."),
		AnswerWhileWaiting:  ptr(!before.GetAnswerWhileWaiting()),
		Synonyms:            ptr("parcel ,  package\n\nmoney back, refund , "),
		EscalationIntents: []*tandemv1.EscalationIntentUpdate{
			{Name: "refund", Enabled: ptr(false)},
			{Name: "human", Phrases: []string{"speak to a manager", "real person please"}},
			{Name: "anger", ClearPhrases: true},
		},
	}
	if len(sent) != 1 || !proto.Equal(sent[0], want) {
		t.Fatalf("sent %v\nwant %v", sent, want)
	}

	// One switch alone sends that switch alone.
	if _, err := boss.app.UpdateBotSettings(app.BotChange{Intents: []app.IntentChange{{Name: "fraud", Enabled: ptr(true)}}}); err != nil {
		t.Fatal(err)
	}
	if sent = requests(t, rec, func() *tandemv1.UpdateBotSettingsRequest { return &tandemv1.UpdateBotSettingsRequest{} }); len(sent) != 2 ||
		!proto.Equal(sent[1], &tandemv1.UpdateBotSettingsRequest{WorkspaceId: srv.WorkspaceID,
			EscalationIntents: []*tandemv1.EscalationIntentUpdate{{Name: "fraud", Enabled: ptr(true)}}}) {
		t.Fatalf("a single switch sent %v", sent[len(sent)-1])
	}

	// A wrong line is the server's refusal, naming the field and the line
	// as typed (blank lines counted); the synonyms stay as they were.
	_, err = boss.app.UpdateBotSettings(app.BotChange{Synonyms: ptr("refund, money back\n\nparcel")})
	if e := apiclient.From(err); e == nil || e.Kind != apiclient.KindInvalid || !strings.Contains(e.Message, "Synonyms: line 3:") || !strings.Contains(e.Message, "two entries") {
		t.Fatalf("a one-word group: %+v", e)
	}
	// Blank clears them, and that is sent as a blank, not left out.
	raw, err = boss.app.UpdateBotSettings(app.BotChange{Synonyms: ptr("")})
	if err != nil || decodeBot(t, raw).GetSynonyms() != "" {
		t.Fatalf("clearing the synonyms = %s, %v", raw, err)
	}
	if sent = requests(t, rec, func() *tandemv1.UpdateBotSettingsRequest { return &tandemv1.UpdateBotSettingsRequest{} }); len(sent) != 4 ||
		!proto.Equal(sent[3], &tandemv1.UpdateBotSettingsRequest{WorkspaceId: srv.WorkspaceID, Synonyms: ptr("")}) {
		t.Fatalf("clearing the synonyms sent %v", sent[len(sent)-1])
	}

	// Nothing changed: nothing is sent, the settings come back.
	raw, err = boss.app.UpdateBotSettings(app.BotChange{Intents: []app.IntentChange{{Name: "legal"}}})
	if err != nil || decodeBot(t, raw).GetName() != "Aria" {
		t.Fatalf("empty change = %s, %v", raw, err)
	}

	// Refused before sending, in plain words.
	many := make([]string, 51)
	for i := range many {
		many[i] = strings.Repeat("x", 3) + string(rune('a'+i%26)) + string(rune('a'+i/26))
	}
	for _, tc := range []struct {
		name   string
		change app.BotChange
		words  string
	}{
		{"short phrase", app.BotChange{Intents: []app.IntentChange{{Name: "human", Phrases: &[]string{"ok", " x "}}}}, `"x"`},
		{"long phrase", app.BotChange{Intents: []app.IntentChange{{Name: "human", Phrases: &[]string{strings.Repeat("é", 101)}}}}, "2 to 100 characters"},
		{"51 phrases", app.BotChange{Intents: []app.IntentChange{{Name: "human", Phrases: &many}}}, "more than 50 phrases"},
		{"threshold", app.BotChange{ConfidenceThreshold: ptr(1.5)}, "between 0 and 1"},
		{"blank name", app.BotChange{Name: ptr("  ")}, "name must be"},
		{"twice", app.BotChange{Intents: []app.IntentChange{{Name: "human", Enabled: ptr(true)}, {Name: "human", Enabled: ptr(false)}}}, "twice"},
	} {
		_, err := boss.app.UpdateBotSettings(tc.change)
		if e := apiclient.From(err); e == nil || e.Kind != apiclient.KindInvalid || !strings.Contains(e.Message, tc.words) {
			t.Errorf("%s: %+v, want invalid naming %s", tc.name, e, tc.words)
		}
	}
	// An intent the server does not know is its refusal, naming the field.
	_, err = boss.app.UpdateBotSettings(app.BotChange{Intents: []app.IntentChange{{Name: "weather", Enabled: ptr(false)}}})
	if e := apiclient.From(err); e == nil || e.Kind != apiclient.KindInvalid || !strings.Contains(e.Message, "name") {
		t.Errorf("unknown intent: %+v", e)
	}
	if n := len(requests(t, rec, func() *tandemv1.UpdateBotSettingsRequest { return &tandemv1.UpdateBotSettingsRequest{} })); n != 5 {
		t.Fatalf("%d requests sent, want 5 (three saves and the server's two refusals)", n)
	}

	agent := launch(t, "")
	if _, err := agent.app.SignIn(srv.URL, tandemtest.AgentEmail, tandemtest.Password); err != nil {
		t.Fatal(err)
	}
	if raw, err := agent.app.BotSettings(); err != nil || decodeBot(t, raw).GetName() != "Aria" {
		t.Fatalf("agent reads the settings: %s, %v", raw, err)
	}
	_, err = agent.app.UpdateBotSettings(app.BotChange{Enabled: ptr(false)})
	if e := apiclient.From(err); e == nil || e.Kind != apiclient.KindForbidden || !strings.Contains(e.Message, "AI agent") {
		t.Fatalf("agent changes the settings: %+v", e)
	}
	if _, err := agent.app.KnowledgeGaps(7); apiclient.KindOf(err) != apiclient.KindForbidden {
		t.Fatalf("agent reads the knowledge gaps: %v", err)
	}
}
