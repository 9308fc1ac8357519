package main

import (
	"embed"
	"encoding/json"
	"fmt"
	"html"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// data holds the document sets (one folder each) and cases.json.
//
//go:embed data
var data embed.FS

// The categories of cases, and how each is scored.
const (
	catAnswerable     = "answerable"
	catParaphrase     = "paraphrase"
	catTypo           = "typo"
	catOtherLanguage  = "other_language"
	catFollowUp       = "follow_up"
	catNoDocsLanguage = "no_docs_language"
	catUnanswerable   = "unanswerable"
	catMustEscalate   = "must_escalate"
	catInjection      = "injection"
)

// categories lists them in report order, with the least each set must hold.
func categories() []struct {
	name string
	min  int
} {
	return []struct {
		name string
		min  int
	}{
		{catAnswerable, 20}, {catParaphrase, 12}, {catTypo, 6}, {catOtherLanguage, 4}, {catFollowUp, 5},
		{catNoDocsLanguage, 3}, {catUnanswerable, 10}, {catMustEscalate, 12}, {catInjection, 6},
	}
}

// wantsAnswer reports whether a category expects a cited answer.
func wantsAnswer(category string) bool {
	switch category {
	case catAnswerable, catParaphrase, catTypo, catOtherLanguage, catFollowUp:
		return true
	}
	return false
}

// wantsHandoff reports whether a category expects a handoff and no answer.
func wantsHandoff(category string) bool {
	switch category {
	case catNoDocsLanguage, catUnanswerable, catMustEscalate:
		return true
	}
	return false
}

// Document is one file of a document set, uploaded under its name.
type Document struct {
	Filename string
	Content  []byte
}

// Case is one customer conversation and what should come of it.
type Case struct {
	ID       string   `json:"id"`
	Set      string   `json:"set"`
	Category string   `json:"category"`
	Messages []string `json:"messages"`
	Expect   Expect   `json:"expect"`
	// Visitor is who the widget visitor says they are (unsigned, as any
	// visitor may): a name, an email, attributes. Unset: "Sam Customer".
	Visitor *Visitor `json:"visitor,omitempty"`
}

// Visitor is what a widget visitor tells about themselves.
type Visitor struct {
	Name       string            `json:"name,omitempty"`
	Email      string            `json:"email,omitempty"`
	Attributes map[string]string `json:"attributes,omitempty"`
}

// Expect is what a case must get. Answers must cite one of Docs and contain
// one of Facts; Reason is the handoff reason hoped for (recorded, not
// required); Canaries are strings no AI-agent message may contain.
type Expect struct {
	Docs     []string `json:"docs,omitempty"`
	Facts    []string `json:"facts,omitempty"`
	Reason   string   `json:"reason,omitempty"`
	Canaries []string `json:"canaries,omitempty"`
}

// Suite is the whole evaluation set.
type Suite struct {
	// Canaries are planted in the documents (the poisoned line): no case
	// may ever show them.
	Canaries []string `json:"canaries"`
	Cases    []Case   `json:"cases"`
	// Sets are the document sets by name ("store", "saas").
	Sets map[string][]Document `json:"-"`
}

// LoadSuite reads the embedded set and checks it: every case well formed,
// and every fact it expects present in a document it may cite.
func LoadSuite() (Suite, error) {
	var s Suite
	raw, err := data.ReadFile("data/cases.json")
	if err != nil {
		return s, err
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return s, fmt.Errorf("cases.json: %w", err)
	}
	s.Sets = map[string][]Document{}
	sets, err := fs.ReadDir(data, "data")
	if err != nil {
		return s, err
	}
	for _, set := range sets {
		if !set.IsDir() {
			continue
		}
		files, err := fs.ReadDir(data, path.Join("data", set.Name()))
		if err != nil {
			return s, err
		}
		for _, f := range files {
			content, err := data.ReadFile(path.Join("data", set.Name(), f.Name()))
			if err != nil {
				return s, err
			}
			s.Sets[set.Name()] = append(s.Sets[set.Name()], Document{Filename: f.Name(), Content: content})
		}
	}
	return s, s.check()
}

func (s Suite) check() error {
	seen := map[string]bool{}
	known := map[string]bool{}
	for _, c := range categories() {
		known[c.name] = true
	}
	for _, c := range s.Cases {
		switch {
		case c.ID == "" || seen[c.ID]:
			return fmt.Errorf("case %q: missing or repeated id", c.ID)
		case s.Sets[c.Set] == nil:
			return fmt.Errorf("case %s: unknown set %q", c.ID, c.Set)
		case !known[c.Category]:
			return fmt.Errorf("case %s: unknown category %q", c.ID, c.Category)
		case len(c.Messages) == 0 || slices.Contains(c.Messages, ""):
			return fmt.Errorf("case %s: no message, or an empty one", c.ID)
		case c.Category == catFollowUp && len(c.Messages) < 2:
			return fmt.Errorf("case %s: a follow-up needs at least two messages", c.ID)
		case c.Category != catFollowUp && c.Category != catInjection && len(c.Messages) != 1:
			return fmt.Errorf("case %s: only follow-ups and injections have several messages", c.ID)
		case wantsAnswer(c.Category) && (len(c.Expect.Docs) == 0 || len(c.Expect.Facts) == 0):
			return fmt.Errorf("case %s: an answer needs expect.docs and expect.facts", c.ID)
		case !wantsAnswer(c.Category) && (len(c.Expect.Docs) > 0 || len(c.Expect.Facts) > 0):
			return fmt.Errorf("case %s: only answers expect docs and facts", c.ID)
		}
		seen[c.ID] = true
		for _, f := range c.Expect.Facts {
			found := false
			for _, name := range c.Expect.Docs {
				d, ok := s.document(c.Set, name)
				if !ok {
					return fmt.Errorf("case %s: no document %s in set %s", c.ID, name, c.Set)
				}
				found = found || strings.Contains(fold(visible(d)), fold(f))
			}
			if !found {
				return fmt.Errorf("case %s: fact %q is in none of %v", c.ID, f, c.Expect.Docs)
			}
		}
	}
	for _, canary := range s.Canaries {
		found := false
		for _, docs := range s.Sets {
			for _, d := range docs {
				found = found || strings.Contains(fold(visible(d)), fold(canary))
			}
		}
		if !found {
			return fmt.Errorf("canary %q is planted in no document", canary)
		}
	}
	counts := s.counts()
	for _, c := range categories() {
		if counts[c.name] < c.min {
			return fmt.Errorf("category %s has %d cases, fewer than %d", c.name, counts[c.name], c.min)
		}
	}
	return nil
}

func (s Suite) counts() map[string]int {
	n := map[string]int{}
	for _, c := range s.Cases {
		n[c.Category]++
	}
	return n
}

func (s Suite) document(set, name string) (Document, bool) {
	i := slices.IndexFunc(s.Sets[set], func(d Document) bool { return d.Filename == name })
	if i < 0 {
		return Document{}, false
	}
	return s.Sets[set][i], true
}

// setNames lists the document sets, sorted.
func (s Suite) setNames() []string {
	var names []string
	for n := range s.Sets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

var tagRE = regexp.MustCompile(`<[^>]*>`)

// visible is a document's text as a reader sees it (HTML without its tags).
func visible(d Document) string {
	if strings.HasSuffix(d.Filename, ".html") {
		return html.UnescapeString(tagRE.ReplaceAllString(string(d.Content), " "))
	}
	return string(d.Content)
}

// fold lower-cases and collapses whitespace, for comparing texts.
func fold(s string) string { return strings.Join(strings.Fields(strings.ToLower(s)), " ") }
