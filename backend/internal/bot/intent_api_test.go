package bot_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/config"
	"github.com/tandem-inbox/tandem/backend/internal/conversation"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// handoffDetail returns the detail of the conversation's one handoff for
// an escalation intent, as BotService.ListHandoffs lists it.
func (w *world) handoffDetail(conversationID string) string {
	w.T.Helper()
	list, err := w.Srv.Clients(rpcclient.Connect).Bot.ListHandoffs(w.As("agent"), &tandemv1.ListHandoffsRequest{WorkspaceId: w.W1.ID,
		Reason: tandemv1.HandoffReason_HANDOFF_REASON_ESCALATION_INTENT, PageSize: 100})
	if err != nil {
		w.T.Fatal(err)
	}
	for _, h := range list.GetHandoffs() {
		if h.GetConversationId() == conversationID {
			return h.GetDetail()
		}
	}
	return ""
}

// TestEscalationIntents (issue 16, item 4): with no rule of its own, a
// workspace's AI agent hands a typed request for a person to the team; an
// admin can turn an intent off (the AI agent then answers) and add phrases
// to one; agents cannot change them; bad updates are refused.
func TestEscalationIntents(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := botWorld(t, rpctest.Start(t, opts, rpctest.Quiet)) // only the test drains the reactors
		c := w.Srv.Clients(rpcclient.Connect)
		vctx := rpcclient.WithToken(w.Ctx, w.VisitorToken)

		// The settings list every intent, on, with its description and examples.
		got, err := c.Bot.GetBotSettings(w.As("admin"), &tandemv1.GetBotSettingsRequest{WorkspaceId: w.W1.ID})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, in := range got.GetSettings().GetEscalationIntents() {
			names = append(names, in.GetName())
			if !in.GetEnabled() || in.GetDescription() == "" || len(in.GetExamples()) < 6 || len(in.GetPhrases()) != 0 {
				t.Errorf("default intent %v", in)
			}
		}
		if want := []string{"human", "refund", "chargeback", "fraud", "legal", "cancellation", "anger"}; !slices.Equal(names, want) {
			t.Fatalf("intents %v, want %v", names, want)
		}

		// A widget customer types a request for a person mid-conversation.
		conv := w.ConversationWith(w.Visitor, "Hello")
		w.BotAnswer(conv.ID)
		if _, err := c.Widget.SendMessage(vctx, &tandemv1.WidgetServiceSendMessageRequest{ConversationId: conv.ID,
			ClientId: uuid.NewString(), Body: "I need to talk to a real person"}); err != nil {
			t.Fatal(err)
		}
		w.BotAnswer(conv.ID)
		if got := w.State(conv.ID); got.State != conversation.StatePending || got.HandoffReason != conversation.HandoffEscalationIntent {
			t.Fatalf("a typed request for a person: state %s, reason %q", got.State, got.HandoffReason)
		}
		if d := w.handoffDetail(conv.ID); d != "intent: human" {
			t.Errorf("handoff detail %q, want intent: human", d)
		}

		// The same kind of message, on a question the documents answer: handed off while human is on ...
		const ask = "Human please, how long does standard shipping take?"
		before, a := w.Ask(ask)
		if a != nil || w.handoffDetail(before.ID) != "intent: human" {
			t.Fatalf("human on: answered %v, detail %q", a, w.handoffDetail(before.ID))
		}
		// ... and answered by the AI agent once an admin turns it off.
		upd, err := c.Bot.UpdateBotSettings(w.As("admin"), &tandemv1.UpdateBotSettingsRequest{WorkspaceId: w.W1.ID,
			EscalationIntents: []*tandemv1.EscalationIntentUpdate{{Name: "human", Enabled: proto.Bool(false)}}})
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range upd.GetSettings().GetEscalationIntents() {
			if in.GetEnabled() != (in.GetName() != "human") {
				t.Errorf("after turning human off: %v", in)
			}
		}
		after, a := w.Ask(ask)
		if a == nil || w.State(after.ID).State != conversation.StateBot || len(w.Handoffs(after.ID)) != 0 {
			t.Fatalf("human off: answer %v, state %s, handoffs %v", a, w.State(after.ID).State, w.Handoffs(after.ID))
		}

		// An admin's phrase on refund hands off a message containing it.
		const warranty = "Does the Extended Warranty cover shipping damage?"
		plain, a := w.Ask(warranty)
		if w.handoffDetail(plain.ID) != "" {
			t.Fatalf("before the phrase: %q was handed off for an intent (answer %v)", warranty, a)
		}
		upd, err = c.Bot.UpdateBotSettings(w.As("admin"), &tandemv1.UpdateBotSettingsRequest{WorkspaceId: w.W1.ID,
			EscalationIntents: []*tandemv1.EscalationIntentUpdate{{Name: "refund", Phrases: []string{" extended warranty "}}}})
		if err != nil {
			t.Fatal(err)
		}
		if ph := upd.GetSettings().GetEscalationIntents()[1].GetPhrases(); len(ph) != 1 || ph[0] != "extended warranty" {
			t.Errorf("refund phrases %q", ph)
		}
		phrased, a := w.Ask(warranty)
		if a != nil || w.handoffDetail(phrased.ID) != "intent: refund" {
			t.Fatalf("with the phrase: answer %v, detail %q", a, w.handoffDetail(phrased.ID))
		}

		// Agents cannot change the intents; bad updates name the field.
		_, err = c.Bot.UpdateBotSettings(w.As("agent"), &tandemv1.UpdateBotSettingsRequest{WorkspaceId: w.W1.ID,
			EscalationIntents: []*tandemv1.EscalationIntentUpdate{{Name: "human", Enabled: proto.Bool(true)}}})
		rpctest.WantCode(t, err, connect.CodePermissionDenied)
		for name, req := range map[string][]*tandemv1.EscalationIntentUpdate{
			"unknown":   {{Name: "weather", Enabled: proto.Bool(false)}},
			"duplicate": {{Name: "anger", Enabled: proto.Bool(false)}, {Name: "anger", Enabled: proto.Bool(true)}},
			"blank":     {{Name: "fraud", Phrases: []string{"phishing mail", "   "}}},
		} {
			_, err := c.Bot.UpdateBotSettings(w.As("admin"), &tandemv1.UpdateBotSettingsRequest{WorkspaceId: w.W1.ID, EscalationIntents: req})
			if connect.CodeOf(err) != connect.CodeInvalidArgument {
				t.Errorf("%s: %v, want InvalidArgument", name, err)
			}
		}
		got, err = c.Bot.GetBotSettings(w.As("admin"), &tandemv1.GetBotSettingsRequest{WorkspaceId: w.W1.ID})
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range got.GetSettings().GetEscalationIntents() {
			if want := in.GetName() != "human"; in.GetEnabled() != want || (in.GetName() == "fraud" && len(in.GetPhrases()) != 0) {
				t.Errorf("after refused updates: %v", in)
			}
		}
	})
}

// TestEscalationIntentModel: the model's needs_human hands off as an
// escalation intent ("intent: model"); while a handed-off conversation
// waits for a person, a message showing an intent gets no AI answer, though
// the model would answer it (and does answer an ordinary question).
func TestEscalationIntentModel(t *testing.T) {
	t.Parallel()
	llm := newFakeLLM(t)
	srv := rpctest.Start(t, storetest.Options(t, "sqlite"), rpctest.Quiet, func(c *config.Config) {
		c.LLMURL, c.LLMModel, c.LLMTimeout = llm.URL+"/v1", "test-model", 5*time.Second
	})
	w := botWorld(t, srv)
	c := srv.Clients(rpcclient.Connect)
	vctx := rpcclient.WithToken(w.Ctx, w.VisitorToken)
	reply := func(fields map[string]any) func(string, string) (int, string) {
		return func(_, user string) (int, string) {
			if _, ok := fields["citations"]; !ok {
				fields["citations"] = passageIDs(user)[:1]
			}
			b, _ := json.Marshal(fields)
			return http.StatusOK, string(b)
		}
	}

	llm.set(reply(map[string]any{"answer": "", "can_answer": true, "needs_human": true, "citations": []string{}}))
	// A question the documents answer (so the relevance gate calls the
	// model) that the model judges a person must handle.
	conv, a := w.Ask("Who pays customs fees on international delivery?")
	if a != nil || w.State(conv.ID).HandoffReason != conversation.HandoffEscalationIntent || w.handoffDetail(conv.ID) != "intent: model" {
		t.Fatalf("needs_human: answer %v, reason %q, detail %q", a, w.State(conv.ID).HandoffReason, w.handoffDetail(conv.ID))
	}

	// It waits for a person now: the model answers an ordinary question ...
	llm.set(reply(map[string]any{"answer": "Standard shipping takes 3 to 5 business days.", "can_answer": true}))
	say := func(body string) *tandemv1.WidgetMessage {
		t.Helper()
		if _, err := c.Widget.SendMessage(vctx, &tandemv1.WidgetServiceSendMessageRequest{ConversationId: conv.ID,
			ClientId: uuid.NewString(), Body: body}); err != nil {
			t.Fatal(err)
		}
		w.BotAnswer(conv.ID)
		res, err := c.Widget.ListMessages(vctx, &tandemv1.ListMessagesRequest{ConversationId: conv.ID, PageSize: 100})
		if err != nil {
			t.Fatal(err)
		}
		return res.GetMessages()[0]
	}
	if m := say("How long does standard shipping take?"); !m.GetAnsweredWhileWaiting() {
		t.Fatalf("an ordinary question while waiting: newest %v", m)
	}
	// ... but not one that shows an intent, though it would answer that too.
	if m := say("How long does standard shipping take? I want my money back"); m.GetAuthorKind() != tandemv1.AuthorKind_AUTHOR_KIND_CUSTOMER {
		t.Fatalf("an intent while waiting was answered: %v", m)
	}
	if got := w.Handoffs(conv.ID); len(got) != 1 {
		t.Errorf("handoffs %v, want the first only", got)
	}
}
