package bot

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/tandem-inbox/tandem/backend/internal/conversation"
	"github.com/tandem-inbox/tandem/backend/internal/knowledge"
)

// answer is what the AI agent would say, or why it would not.
type answer struct {
	text     string
	info     conversation.BotAnswer
	handoff  string // a conversation.Handoff* reason when it must not answer
	detail   string
	question string
}

// stopwords carry no meaning for matching a question to a passage.
var stopwords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`a about above after again all am an and any are as at be because been before being
		below between both but by can cannot could did do does doing down during each few for from further had has have
		having he her here hers him his how i if in into is it its itself just me more most my no nor not now of off on once
		only or other our ours out over own same she should so some such than that the their theirs them then there these
		they this those through to too under until up very was we were what when where which while who whom why will with
		would you your yours hi hello hey please thanks thank tell know want need get got much many also`) {
		stopwords[w] = true
	}
}

// terms are the meaningful words of a text, lower-cased and crudely
// stemmed, so that "returns" meets "return" and "shipping" meets "ship".
func terms(text string) map[string]bool {
	out := map[string]bool{}
	for _, w := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		if stopwords[w] || len(w) < 2 {
			continue
		}
		out[stem(w)] = true
	}
	return out
}

func stem(w string) string {
	for _, suffix := range []string{"ing", "ed", "es", "s"} {
		if len(w) > len(suffix)+3 && strings.HasSuffix(w, suffix) {
			return strings.TrimSuffix(w, suffix)
		}
	}
	return w
}

// coverage is the share of the question's meaningful words that the passage
// (its text, heading and title) contains: 0 when the question has none.
func coverage(question string, h knowledge.Hit) float64 {
	q := terms(question)
	if len(q) == 0 {
		return 0
	}
	have := terms(h.Title + " " + h.Heading + " " + h.Text)
	n := 0
	for t := range q {
		if have[t] {
			n++
		}
	}
	return float64(n) / float64(len(q))
}

// grounding is the share of an answer's meaningful words found in the
// passages it cites: how far the answer says only what they say.
func grounding(text string, cited []knowledge.Hit) float64 {
	a := terms(text)
	if len(a) == 0 {
		return 0
	}
	var all strings.Builder
	for _, h := range cited {
		all.WriteString(h.Title + " " + h.Heading + " " + h.Text + " ")
	}
	have := terms(all.String())
	n := 0
	for t := range a {
		if have[t] {
			n++
		}
	}
	return float64(n) / float64(len(a))
}

func citation(h knowledge.Hit) conversation.Citation {
	return conversation.Citation{ChunkID: h.ChunkID, DocumentID: h.DocumentID, DocumentTitle: h.Title, Heading: h.Heading, URL: h.URL}
}

// extractive answers with the best passage, as confident as the passage
// covers the question.
func extractive(question string, hits []knowledge.Hit, threshold float64) answer {
	if len(hits) == 0 {
		return answer{handoff: conversation.HandoffLowConfidence, detail: "no passage matches", question: question}
	}
	best := hits[0]
	conf := coverage(question, best)
	info := conversation.BotAnswer{Confidence: round(conf), Method: "extractive", Citations: []conversation.Citation{citation(best)}}
	if conf < threshold {
		return answer{info: info, handoff: conversation.HandoffLowConfidence, question: question,
			detail: "confidence " + pct(conf) + " below " + pct(threshold)}
	}
	return answer{text: clip(best.Text, 1200), info: info}
}

// smallTalk answers a message with nothing to look up: a greeting or thanks.
func smallTalk(text string) answer {
	reply := "Hi! How can I help you today?"
	if lower := strings.ToLower(text); strings.Contains(lower, "thank") {
		reply = "You're welcome! Is there anything else I can help with?"
	}
	return answer{text: reply, info: conversation.BotAnswer{Confidence: 1, Method: "small_talk"}}
}

// clip cuts a passage at a sentence end near n bytes.
func clip(text string, n int) string {
	text = strings.TrimSpace(text)
	if len(text) <= n {
		return text
	}
	cut := strings.LastIndexAny(text[:n], ".!?\n")
	if cut < n/2 {
		cut = n - 1
		for cut > 0 && text[cut]&0xC0 == 0x80 {
			cut--
		}
		return strings.TrimSpace(text[:cut]) + "…"
	}
	return strings.TrimSpace(text[:cut+1])
}

func round(f float64) float64 { return float64(int(f*100+0.5)) / 100 }

func pct(f float64) string { return fmt.Sprintf("%.0f%%", f*100) }
