package bot

import (
	"context"
	"fmt"
	"slices"
	"sort"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/conversation"
	"github.com/tandem-inbox/tandem/backend/internal/knowledge"
)

// gapLimit bounds the questions a knowledge-gaps report reads.
const gapLimit = 500

// Gap is a group of similar questions the AI agent could not answer.
type Gap struct {
	Label     string
	Terms     []string
	Questions []Handoff
	Tags      []string
	// Closest is the passage that came closest to answering the label, or
	// nil when none shares a word with it.
	Closest *knowledge.Hit
}

// maxClosest bounds the groups a report looks up a closest passage for
// (the largest ones).
const maxClosest = 20

// GapTag counts unanswered questions by a tag their conversations got.
type GapTag struct {
	Tag     string
	Count   int
	Samples []string
}

// KnowledgeGaps groups the questions of the period's low_confidence and
// bot_error handoffs (the newest gapLimit) by similarity (at least half of
// the shorter question's topic words shared with the group's label) and by
// their conversations' tags.
func (s *Service) KnowledgeGaps(ctx context.Context, workspaceID string, from, until int64) ([]Gap, []GapTag, int, error) {
	if until <= 0 {
		until = 1<<62 - 1
	}
	var hs []Handoff
	if err := s.db.SelectContext(ctx, &hs, `SELECT id, conversation_id, reason, detail, question, created_at FROM handoffs
		WHERE workspace_id = ? AND created_at >= ? AND created_at < ? AND reason IN (?, ?) AND question <> ''
		ORDER BY created_at DESC, id DESC LIMIT ?`, workspaceID, from, until,
		conversation.HandoffLowConfidence, conversation.HandoffBotError, gapLimit); err != nil {
		return nil, nil, 0, fmt.Errorf("list gaps: %w", err)
	}
	tagsOf, err := s.conversationTags(ctx, workspaceID, hs)
	if err != nil {
		return nil, nil, 0, err
	}
	type group struct {
		Gap
		words map[string]bool
		tags  map[string]int
	}
	var groups []*group
	byTag := map[string]*GapTag{}
	for _, h := range hs { // newest first: each group's label is its newest question
		words := contentWords(h.Question)
		var g *group
		for _, c := range groups {
			if overlap(words, c.words) >= 0.5 {
				g = c
				break
			}
		}
		if g == nil {
			g = &group{Gap: Gap{Label: h.Question}, words: words, tags: map[string]int{}}
			groups = append(groups, g)
		}
		g.Questions = append(g.Questions, h)
		for _, t := range tagsOf[h.ConversationID] {
			g.tags[t]++
			bt := byTag[t]
			if bt == nil {
				bt = &GapTag{Tag: t}
				byTag[t] = bt
			}
			bt.Count++
			if len(bt.Samples) < 3 {
				bt.Samples = append(bt.Samples, h.Question)
			}
		}
	}
	out := make([]Gap, 0, len(groups))
	for _, g := range groups {
		g.Terms = sharedTerms(g.Questions)
		g.Tags = byCount(g.tags)
		out = append(out, g.Gap)
	}
	sort.SliceStable(out, func(i, j int) bool { return len(out[i].Questions) > len(out[j].Questions) })
	for i := range out[:min(len(out), maxClosest)] {
		res, err := s.deps.Knowledge.Retrieve(ctx, workspaceID, knowledge.Query{Text: out[i].Label, Synonyms: knowledge.DefaultSynonyms}, 1)
		if err != nil {
			return nil, nil, 0, err
		}
		if len(res.Hits) > 0 && res.Hits[0].Relevance > 0 {
			out[i].Closest = &res.Hits[0]
		}
	}
	tags := make([]GapTag, 0, len(byTag))
	for _, t := range byTag {
		tags = append(tags, *t)
	}
	sort.Slice(tags, func(i, j int) bool {
		return tags[i].Count > tags[j].Count || (tags[i].Count == tags[j].Count && tags[i].Tag < tags[j].Tag)
	})
	return out, tags, len(hs), nil
}

// conversationTags names the tags of the handoffs' conversations.
func (s *Service) conversationTags(ctx context.Context, workspaceID string, hs []Handoff) (map[string][]string, error) {
	names := map[string]string{}
	out := map[string][]string{}
	for _, h := range hs {
		if _, done := out[h.ConversationID]; done {
			continue
		}
		c, err := s.deps.Conversations.Get(ctx, workspaceID, h.ConversationID)
		if apperr.Is(err, apperr.NotFound) {
			out[h.ConversationID] = nil
			continue
		}
		if err != nil {
			return nil, err
		}
		var tags []string
		for _, id := range c.TagIDs {
			name, ok := names[id]
			if !ok {
				t, err := s.deps.Tags.Get(ctx, id)
				if err != nil && !apperr.Is(err, apperr.NotFound) {
					return nil, err
				}
				name, names[id] = t.Name, t.Name
			}
			if name != "" {
				tags = append(tags, name)
			}
		}
		out[h.ConversationID] = tags
	}
	return out, nil
}

// contentWords are what a question is about, as the AI agent matches it
// (see knowledge.Terms): analyzed in its language, synonyms as one word.
func contentWords(q string) map[string]bool {
	out := map[string]bool{}
	for _, t := range knowledge.Terms(q) {
		out[t] = true
	}
	return out
}

// overlap is the share of the shorter question's words the other has (the
// overlap coefficient): short questions about one thing still meet.
func overlap(a, b map[string]bool) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	both := 0
	for w := range a {
		if b[w] {
			both++
		}
	}
	return float64(both) / float64(min(len(a), len(b)))
}

// sharedTerms are the words at least half of the questions use.
func sharedTerms(hs []Handoff) []string {
	counts := map[string]int{}
	for _, h := range hs {
		for w := range contentWords(h.Question) {
			counts[w]++
		}
	}
	var out []string
	for w, n := range counts {
		if 2*n >= len(hs) {
			out = append(out, w)
		}
	}
	slices.Sort(out)
	return out
}

func byCount(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return m[out[i]] > m[out[j]] || (m[out[i]] == m[out[j]] && out[i] < out[j]) })
	return out
}

// ListKnowledgeGaps implements BotService.ListKnowledgeGaps.
func (h *Handler) ListKnowledgeGaps(ctx context.Context, req *tandemv1.ListKnowledgeGapsRequest) (*tandemv1.ListKnowledgeGapsResponse, error) {
	gaps, tags, n, err := h.svc.KnowledgeGaps(ctx, access.ScopeFrom(ctx).WorkspaceID, req.GetStartTimeMs(), req.GetEndTimeMs())
	if err != nil {
		return nil, err
	}
	resp := &tandemv1.ListKnowledgeGapsResponse{QuestionCount: int32(n)} //nolint:gosec // at most gapLimit
	for _, g := range gaps {
		pg := &tandemv1.KnowledgeGap{Label: g.Label, Terms: g.Terms, Count: int32(len(g.Questions)), Tags: g.Tags} //nolint:gosec // at most gapLimit
		if c := g.Closest; c != nil {
			pg.ClosestPassage = &tandemv1.KnowledgeGapPassage{ChunkId: c.ChunkID, DocumentId: c.DocumentID, DocumentTitle: c.Title,
				Heading: c.Heading, Relevance: round(c.Relevance), Excerpt: clip(c.Text, 200)}
		}
		for _, q := range g.Questions[:min(len(g.Questions), 10)] {
			pg.Questions = append(pg.Questions, &tandemv1.KnowledgeGapQuestion{ConversationId: q.ConversationID, Question: q.Question,
				Reason: conversation.HandoffReasonToProto(q.Reason), CreateTimeMs: q.CreatedAt})
		}
		resp.Gaps = append(resp.Gaps, pg)
	}
	for _, t := range tags {
		resp.ByTag = append(resp.ByTag, &tandemv1.KnowledgeGapTag{Tag: t.Tag, Count: int32(t.Count), SampleQuestions: t.Samples}) //nolint:gosec // at most gapLimit
	}
	return resp, nil
}
