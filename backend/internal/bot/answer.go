package bot

import (
	"fmt"
	"strings"
	"unicode"

	porterstemmer "github.com/blevesearch/go-porterstemmer"

	"github.com/tandem-inbox/tandem/backend/internal/conversation"
	"github.com/tandem-inbox/tandem/backend/internal/knowledge"
)

// answer is what the AI agent would say, or why it would not.
type answer struct {
	text     string
	info     conversation.BotAnswer
	handoff  conversation.HandoffReason // why it must not answer, when it must not
	detail   string
	question string
	// lang is the language the customer wrote in (ISO 639-1), or "".
	lang string
	// noDocs: no document is written in the customer's language.
	noDocs bool
}

// stopwords carry no meaning for matching a question to a passage.
//
//nolint:gochecknoglobals // read-only table, built once
var stopwords = wordSet(`a about above after again all am an and any are as at be because been before being
		below between both but by can cannot could did do does doing down during each few for from further had has have
		having he her here hers him his how i if in into is it its itself just me more most my no nor not now of off on once
		only or other our ours out over own same she should so some such than that the their theirs them then there these
		they this those through to too under until up very was we were what when where which while who whom why will with
		would you your yours hi hello hey please thanks thank tell know want need get got much many also ok okay
		hola gracias bonjour merci hallo danke ciao grazie olá obrigado obrigada buenos buenas días dias`)

// terms are the meaningful words of a text, lower-cased and stemmed, so
// that "returns" meets "return" and "sharing" meets "share".
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

// stem is the Porter stem of an English word, as the index has it.
func stem(w string) string { return porterstemmer.StemString(w) }

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

// extractive answers with the sentences of the best passage that answer
// the question, as confident as the passage is relevant to it.
func extractive(question string, hits []knowledge.Hit, threshold float64) answer {
	if len(hits) == 0 {
		return answer{handoff: conversation.HandoffLowConfidence, detail: "no passage matches", question: question}
	}
	best := hits[0]
	conf := best.Relevance
	info := conversation.BotAnswer{Confidence: round(conf), Method: "extractive", Citations: []conversation.Citation{citation(best)}}
	if conf < threshold {
		return answer{info: info, handoff: conversation.HandoffLowConfidence, question: question,
			detail: "relevance " + pct(conf) + " below " + pct(threshold)}
	}
	return answer{text: compose(best), info: info}
}

// compose is an answer taken from a passage: its sentences that answer the
// question, led by the heading they sit under when they do not say what
// they are about themselves.
func compose(h knowledge.Hit) string {
	text := strings.Join(h.Answer, " ")
	if text == "" {
		text = h.Text
	}
	text = clip(text, 1200)
	parts := strings.Split(h.Heading, " > ")
	topic := strings.TrimSpace(parts[len(parts)-1])
	if topic == "" || h.Question != "" || sharesTerms(topic, text) {
		return text
	}
	return topic + ": " + text
}

// sharesTerms reports whether b has one of a's meaningful words.
func sharesTerms(a, b string) bool {
	have := terms(b)
	for t := range terms(a) {
		if have[t] {
			return true
		}
	}
	return false
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
