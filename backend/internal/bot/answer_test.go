package bot

import (
	"strings"
	"testing"

	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/conversation"
	"github.com/tandem-inbox/tandem/backend/internal/knowledge"
)

// TestLeaks finds the instructions in an answer however a model dressed
// them: re-cased, one word per line, punctuated differently.
func TestLeaks(t *testing.T) {
	t.Parallel()
	system := policy + "\nThe business's own guidance on tone and scope: be brief."
	words := strings.Fields(system)
	for _, answer := range []string{
		system,
		strings.ToUpper(strings.Join(words[10:30], "\n")),
		"Sure! " + strings.Join(words[3:12], " - ") + "...",
		strings.ReplaceAll(strings.Join(words[20:40], "  "), ",", ";"),
	} {
		if !leaks(answer, system) {
			t.Errorf("missed a leak: %q", answer)
		}
	}
	for _, answer := range []string{
		"Standard shipping takes 3 to 5 business days.",
		"You can answer the survey using only the passages of the email we sent.", // a few shared words, not a stretch
	} {
		if leaks(answer, system) {
			t.Errorf("not a leak: %q", answer)
		}
	}
}

func TestCompose(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		hit  knowledge.Hit
		want string
	}{
		{knowledge.Hit{Heading: "Shipping > Express", Text: "It takes one day. Other text.", Answer: []string{"It takes one day."}},
			"Express: It takes one day."},
		{knowledge.Hit{Heading: "Shipping > Express delivery", Text: "Express delivery takes one day.", Answer: []string{"Express delivery takes one day."}},
			"Express delivery takes one day."},
		{knowledge.Hit{Heading: "FAQ > Can I pause?", Question: "Can I pause?", Text: "Yes, for 3 months.", Answer: []string{"Yes, for 3 months."}},
			"Yes, for 3 months."},
		{knowledge.Hit{Text: "No heading here."}, "No heading here."},
	} {
		if got := compose(tc.hit); got != tc.want {
			t.Errorf("compose(%+v) = %q, want %q", tc.hit, got, tc.want)
		}
	}
}

func TestPreviousQuestion(t *testing.T) {
	t.Parallel()
	history := []turn{{From: conversation.AuthorCustomer, Text: "How much is shipping?"},
		{From: conversation.AuthorBot, Text: "Standard shipping is free."}}
	if got := previousQuestion(history); got != "How much is shipping?" {
		t.Errorf("previous question %q", got)
	}
	if got := previousQuestion(nil); got != "" {
		t.Errorf("previous question of nothing: %q", got)
	}
}

func TestParseSynonyms(t *testing.T) {
	t.Parallel()
	clean, err := cleanSynonyms(" refund,money  back \n\n box , parcel,package ")
	if err != nil || clean != "refund, money back\nbox, parcel, package" {
		t.Errorf("clean %q, %v", clean, err)
	}
	for _, bad := range []string{"alone", "a, " + strings.Repeat("x", 51), strings.Repeat("a, b\n", 101),
		strings.Repeat("w, ", 21)} {
		if _, err := cleanSynonyms(bad); !apperr.Is(err, apperr.InvalidArgument) || !strings.Contains(err.Error(), "synonyms") {
			t.Errorf("cleanSynonyms(%.40q): %v, want InvalidArgument naming synonyms", bad, err)
		}
	}
}
