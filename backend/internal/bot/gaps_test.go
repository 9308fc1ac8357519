package bot_test

import (
	"slices"
	"strings"
	"testing"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestKnowledgeGaps: the questions the AI agent handed off for want of an
// answer come back grouped by similarity, labelled and counted, and by the
// tags their conversations got; answered questions and customer requests
// are not gaps.
func TestKnowledgeGaps(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := botWorld(t, rpctest.Start(t, opts))
		giftTag, err := w.Srv.Domain().Tags.Ensure(w.Ctx, w.Principal("owner"), w.W1.ID, "gift cards")
		if err != nil {
			t.Fatal(err)
		}
		gifts := []string{"Do you sell gift cards?", "Can I buy a gift card?", "Are gift cards refundable or do gift cards expire?"}
		for _, q := range append(slices.Clone(gifts), "What is the capital of France?") {
			conv, answer := w.Ask(q)
			if answer != nil {
				t.Fatalf("%q was answered: the fixture needs unanswerable questions", q)
			}
			if slices.Contains(gifts, q) {
				if _, err := w.Srv.Domain().Conversations.Tag(w.Ctx, w.Principal("owner"), w.W1.ID, conv.ID, giftTag.ID); err != nil {
					t.Fatal(err)
				}
			}
		}
		if _, a := w.Ask("Do you ship to Canada?"); a == nil {
			t.Fatal("an answerable question was not answered")
		}

		c := w.Srv.Clients(rpcclient.Connect)
		resp, err := c.Bot.ListKnowledgeGaps(w.As("admin"), &tandemv1.ListKnowledgeGapsRequest{WorkspaceId: w.W1.ID})
		if err != nil {
			t.Fatal(err)
		}
		if resp.GetQuestionCount() != 4 || len(resp.GetGaps()) != 2 {
			t.Fatalf("%d questions in %d gaps, want 4 in 2: %v", resp.GetQuestionCount(), len(resp.GetGaps()), resp.GetGaps())
		}
		top := resp.GetGaps()[0]
		if top.GetCount() != 3 || top.GetLabel() != gifts[2] || !slices.Contains(top.GetTerms(), "gift") ||
			!slices.Contains(top.GetTags(), "gift cards") {
			t.Fatalf("top gap %v", top)
		}
		// The refund passage came closest to "are gift cards refundable",
		// not close enough to answer it; nothing came near the capital of
		// France.
		if cp := top.GetClosestPassage(); cp == nil || !strings.Contains(cp.GetHeading(), "Refund") || cp.GetRelevance() >= 0.5 ||
			cp.GetDocumentTitle() != "Return policy" || cp.GetExcerpt() == "" {
			t.Errorf("closest passage of the gift cards gap: %v", cp)
		}
		if cp := resp.GetGaps()[1].GetClosestPassage(); cp != nil {
			t.Errorf("closest passage to the capital of France: %v", cp)
		}
		if top.GetQuestions()[0].GetReason() != tandemv1.HandoffReason_HANDOFF_REASON_LOW_CONFIDENCE {
			t.Fatalf("reason %v", top.GetQuestions()[0].GetReason())
		}
		counts := map[string]int32{}
		for _, bt := range resp.GetByTag() {
			counts[bt.GetTag()] = bt.GetCount()
		}
		if counts["gift cards"] != 3 || counts["handoff"] != 4 {
			t.Fatalf("by tag %v", resp.GetByTag())
		}
		if _, err := c.Bot.ListKnowledgeGaps(w.As("agent"), &tandemv1.ListKnowledgeGapsRequest{WorkspaceId: w.W1.ID}); err == nil {
			t.Fatal("an agent read the knowledge gaps")
		}
	})
}
