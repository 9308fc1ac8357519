package bot_test

import (
	"encoding/json"
	"net/http"
	"strings"
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

// TestBotWhileWaiting (issue 15, item 4), against the fake model over HTTP:
// a handoff for low confidence tells the customer the assistant could not
// answer (a customer's own request does not say so); while the chat waits
// for a person the AI agent answers what it is confident about, marked, and
// says nothing to the rest; an admin can turn that off.
func TestBotWhileWaiting(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		llm := newFakeLLM(t) // one per database: the subtests run at once
		srv := rpctest.Start(t, opts, func(c *config.Config) {
			c.LLMURL, c.LLMModel, c.LLMTimeout = llm.URL+"/v1", "test-model", 5*time.Second
		})
		w := botWorld(t, srv)
		c := srv.Clients(rpcclient.Connect)
		vctx := rpcclient.WithToken(w.Ctx, w.VisitorToken)
		confident := func(answer string) func(string, string) (int, string) {
			return func(_, user string) (int, string) {
				b, _ := json.Marshal(map[string]any{"answer": answer, "citations": passageIDs(user)[:1], "can_answer": true})
				return http.StatusOK, string(b)
			}
		}
		unsure := func(string, string) (int, string) {
			b, _ := json.Marshal(map[string]any{"answer": "", "citations": []string{}, "can_answer": false})
			return http.StatusOK, string(b)
		}
		customerView := func(id string) []*tandemv1.WidgetMessage {
			t.Helper()
			res, err := c.Widget.ListMessages(vctx, &tandemv1.ListMessagesRequest{ConversationId: id, PageSize: 100})
			if err != nil {
				t.Fatal(err)
			}
			return res.GetMessages() // newest first
		}
		say := func(id, body string) {
			t.Helper()
			if _, err := c.Widget.SendMessage(vctx, &tandemv1.WidgetServiceSendMessageRequest{ConversationId: id,
				ClientId: uuid.NewString(), Body: body}); err != nil {
				t.Fatal(err)
			}
			w.BotAnswer(id)
		}

		// The settings API shows the new setting, on by default.
		got, err := c.Bot.GetBotSettings(w.As("admin"), &tandemv1.GetBotSettingsRequest{WorkspaceId: w.W1.ID})
		if err != nil || !got.GetSettings().GetAnswerWhileWaiting() {
			t.Fatalf("default settings: %v %v", got, err)
		}

		// Low confidence: the customer hears that the assistant could not answer.
		llm.set(unsure)
		conv, a := w.Ask("Do you sell gift cards?")
		if a != nil || w.State(conv.ID).State != conversation.StatePending {
			t.Fatalf("low confidence: answered %v, state %s", a, w.State(conv.ID).State)
		}
		last := customerView(conv.ID)[0]
		if last.GetAuthorKind() != tandemv1.AuthorKind_AUTHOR_KIND_BOT || !strings.Contains(last.GetBody(), "can't answer this one") {
			t.Fatalf("low-confidence handoff said %q", last.GetBody())
		}

		// While it waits: a question the AI agent is confident about gets a marked answer.
		llm.set(confident("Express shipping delivers in 1 to 2 business days."))
		say(conv.ID, "How fast is express shipping?")
		view := customerView(conv.ID)
		if m := view[0]; m.GetAuthorKind() != tandemv1.AuthorKind_AUTHOR_KIND_BOT || !m.GetAnsweredWhileWaiting() ||
			m.GetBody() != "Express shipping delivers in 1 to 2 business days." || len(m.GetCitations()) != 1 {
			t.Fatalf("answer while waiting: %v", m)
		}
		if w.State(conv.ID).State != conversation.StatePending {
			t.Fatal("an answer while waiting took the chat from the queue")
		}
		// A question it is not sure about: no extra message at all.
		llm.set(unsure)
		before := len(customerView(conv.ID))
		say(conv.ID, "Can you gift wrap my order?")
		if after := customerView(conv.ID); len(after) != before+1 || after[0].GetAuthorKind() != tandemv1.AuthorKind_AUTHOR_KIND_CUSTOMER {
			t.Fatalf("low confidence while waiting: newest %v", after[0])
		}
		if got := w.Handoffs(conv.ID); len(got) != 1 {
			t.Fatalf("handoffs %v, want the first only", got)
		}

		// The customer's own request: no "could not answer".
		llm.set(confident("Standard shipping takes 3 to 5 business days."))
		asked, _ := w.Ask("How long does standard shipping take?")
		if _, err := c.Widget.RequestHuman(vctx, &tandemv1.RequestHumanRequest{ConversationId: asked.ID}); err != nil {
			t.Fatal(err)
		}
		if m := customerView(asked.ID)[0]; m.GetAuthorKind() != tandemv1.AuthorKind_AUTHOR_KIND_BOT || strings.Contains(m.GetBody(), "can't answer") {
			t.Fatalf("customer-requested handoff said %q", m.GetBody())
		}

		// Agents may not change it; an admin turns it off and the AI agent stays rpctest.Quiet.
		_, err = c.Bot.UpdateBotSettings(w.As("agent"), &tandemv1.UpdateBotSettingsRequest{WorkspaceId: w.W1.ID, AnswerWhileWaiting: proto.Bool(false)})
		rpctest.WantCode(t, err, connect.CodePermissionDenied)
		upd, err := c.Bot.UpdateBotSettings(w.As("admin"), &tandemv1.UpdateBotSettingsRequest{WorkspaceId: w.W1.ID, AnswerWhileWaiting: proto.Bool(false)})
		if err != nil || upd.GetSettings().GetAnswerWhileWaiting() || upd.GetSettings().GetName() != "Ava" {
			t.Fatalf("turn off: %v %v", upd, err)
		}
		say(asked.ID, "How fast is express shipping?")
		if m := customerView(asked.ID)[0]; m.GetAuthorKind() != tandemv1.AuthorKind_AUTHOR_KIND_CUSTOMER {
			t.Fatalf("answered while waiting though turned off: %v", m)
		}
		// Once a person has it, the AI agent is silent whatever the setting.
		if _, err := c.Bot.UpdateBotSettings(w.As("admin"), &tandemv1.UpdateBotSettingsRequest{WorkspaceId: w.W1.ID,
			AnswerWhileWaiting: proto.Bool(true)}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Conversation.ClaimConversation(w.As("agent"), &tandemv1.ClaimConversationRequest{ConversationId: asked.ID}); err != nil {
			t.Fatal(err)
		}
		say(asked.ID, "How long does standard shipping take to arrive?")
		if m := customerView(asked.ID)[0]; m.GetAuthorKind() != tandemv1.AuthorKind_AUTHOR_KIND_CUSTOMER {
			t.Fatalf("the AI agent spoke in a chat a person has: %v", m)
		}
	})
}

// TestCitationLinks (issue 15, item 5): a document's public URL (http or
// https only) reaches the widget with the AI agent's citations of it.
func TestCitationLinks(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := botWorld(t, rpctest.Start(t, opts))
		c := w.Srv.Clients(rpcclient.Connect)
		for _, bad := range []string{"javascript:alert(1)", "ftp://example.com/x", "/relative/path", "https://"} {
			_, err := c.Knowledge.UploadDocument(w.As("admin"), &tandemv1.UploadDocumentRequest{WorkspaceId: w.W1.ID,
				Filename: "gifts.md", Content: []byte("# Gift cards\n\nGift cards are sold in the store."), SourceUrl: bad})
			rpctest.WantCode(t, err, connect.CodeInvalidArgument)
		}
		doc, err := c.Knowledge.UploadDocument(w.As("admin"), &tandemv1.UploadDocumentRequest{WorkspaceId: w.W1.ID,
			Filename: "gifts.md", Content: []byte("# Gift cards\n\nGift cards are sold in every store and online, from $10 to $500."),
			SourceUrl: "https://shop.example/help/gift-cards"})
		if err != nil || doc.GetDocument().GetSourceUrl() != "https://shop.example/help/gift-cards" {
			t.Fatalf("upload: %v %v", doc, err)
		}
		conv, a := w.Ask("Do you sell gift cards online?")
		if a == nil {
			t.Fatal("no answer")
		}
		res, err := c.Widget.ListMessages(rpcclient.WithToken(w.Ctx, w.VisitorToken), &tandemv1.ListMessagesRequest{ConversationId: conv.ID})
		if err != nil {
			t.Fatal(err)
		}
		cites := res.GetMessages()[0].GetCitations()
		if len(cites) != 1 || cites[0].GetUrl() != "https://shop.example/help/gift-cards" {
			t.Fatalf("citations %v", cites)
		}
		// Removing the URL removes it from later answers.
		empty := ""
		if _, err := c.Knowledge.ReplaceDocument(w.As("admin"), &tandemv1.ReplaceDocumentRequest{DocumentId: doc.GetDocument().GetId(),
			Filename: "gifts.md", Content: []byte("# Gift cards\n\nGift cards are sold in every store and online, from $10 to $500."),
			SourceUrl: &empty}); err != nil {
			t.Fatal(err)
		}
		bad := "javascript:alert(1)"
		_, err = c.Knowledge.ReplaceDocument(w.As("admin"), &tandemv1.ReplaceDocumentRequest{DocumentId: doc.GetDocument().GetId(),
			Filename: "gifts.md", Content: []byte("x"), SourceUrl: &bad})
		rpctest.WantCode(t, err, connect.CodeInvalidArgument)
		_, a = w.Ask("Are gift cards sold online?")
		if a == nil || len(a.Meta.Bot.Citations) != 1 || a.Meta.Bot.Citations[0].URL != "" {
			t.Fatalf("after removing the URL: %+v", a)
		}
	})
}
