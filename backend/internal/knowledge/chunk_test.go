package knowledge_test

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/tandem-inbox/tandem/backend/internal/knowledge"
)

func TestSplitShortSections(t *testing.T) {
	t.Parallel()
	sections := []knowledge.Section{
		{Paragraphs: []string{"Welcome."}},
		{Heading: []string{"Returns"}, Paragraphs: []string{"Within 30 days.", "Unused items only."}},
		{Heading: []string{"Returns", "Refunds"}, Paragraphs: []string{"Card: 5 days."}},
	}
	got := knowledge.Split("doc", sections)
	want := []knowledge.Chunk{
		{DocumentID: "doc", Position: 0, Heading: "", Text: "Welcome."},
		{DocumentID: "doc", Position: 1, Heading: "Returns", Text: "Within 30 days.\n\nUnused items only."},
		{DocumentID: "doc", Position: 2, Heading: "Returns > Refunds", Text: "Card: 5 days."},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("chunks (-want +got):\n%s", diff)
	}
	if id := got[2].ID(); id != "doc#2" {
		t.Errorf("chunk id %q, want doc#2", id)
	}
}

func TestSplitSizes(t *testing.T) {
	t.Parallel()
	sentence := func(i int) string { return fmt.Sprintf("Sentence number %d says something useful about returns.", i) }
	var long []string
	for i := range 100 {
		long = append(long, sentence(i))
	}
	para := func(n int) string { return strings.Repeat("word ", n/5) }
	sections := []knowledge.Section{{
		Heading: []string{"Policy"},
		Paragraphs: []string{
			para(300), para(300), para(300), // two fit in one chunk, the third starts another
			strings.Join(long, " "),   // ~5,700 characters: cut at sentence ends
			para(1200),                // over the target, under the max: kept whole
			strings.Repeat("x", 4000), // one 4,000-character word: cut anywhere
			"Line one\nline two\n" + strings.Repeat("y ", 900), // long, with line breaks
		},
	}}
	chunks := knowledge.Split("d", sections)
	var joined []string
	for i, c := range chunks {
		n := utf8.RuneCountInString(c.Text)
		if c.Position != i || c.DocumentID != "d" || c.Heading != "Policy" {
			t.Errorf("chunk %d: position %d, document %q, heading %q", i, c.Position, c.DocumentID, c.Heading)
		}
		if n > knowledge.MaxChunk || n == 0 {
			t.Errorf("chunk %d has %d characters, want 1 to %d", i, n, knowledge.MaxChunk)
		}
		joined = append(joined, strings.Fields(c.Text)...)
	}
	var all []string
	for _, p := range sections[0].Paragraphs {
		all = append(all, strings.Fields(p)...)
	}
	// Words are only ever cut when longer than a chunk, so the text
	// without its spacing is the same.
	if strings.Join(all, "") != strings.Join(joined, "") {
		t.Error("chunks lost, added or reordered text")
	}
	// Sentences are cut at their ends: every chunk of the long paragraph
	// starts a sentence and ends one.
	for _, c := range chunks {
		if strings.HasPrefix(c.Text, "Sentence") && !strings.HasSuffix(c.Text, "returns.") {
			t.Errorf("chunk cut mid-sentence: ...%q", c.Text[len(c.Text)-30:])
		}
	}
	if got := knowledge.Split("d", sections); !cmp.Equal(chunks, got) {
		t.Error("Split is not deterministic")
	}
	if len(chunks) < 10 {
		t.Errorf("%d chunks; the long paragraphs were not cut", len(chunks))
	}
	first := utf8.RuneCountInString(chunks[0].Text)
	if first > knowledge.TargetChunk || first < 500 {
		t.Errorf("first chunk has %d characters, want two short paragraphs joined up to the target", first)
	}
}
