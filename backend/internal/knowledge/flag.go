package knowledge

import (
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Document text is data. A passage that addresses the AI agent, or tries to
// give it instructions, is flagged when it is stored: the AI agent never
// quotes it and never hands it to a model, and admins see it flagged.
// The patterns look for the shapes such text takes (in the languages most
// documents here are written in), not for particular sentences.
var instructionPatterns = []struct { //nolint:gochecknoglobals // read-only table
	re     *regexp.Regexp
	reason string
}{
	{regexp.MustCompile(`\b(ignore|disregard|forget|override|bypass)\b[^.!?\n]{0,40}\b(instructions?|rules?|prompts?|guidelines?|directives?|polic(y|ies)|programming|context)\b`),
		"tells the AI agent to ignore its instructions"},
	{regexp.MustCompile(`\b(system|hidden|initial|original|developer)\s+(prompt|instructions?|message)\b`),
		"refers to the AI agent's own instructions"},
	{regexp.MustCompile(`\b(reveal|print|show|repeat|output|disclose|leak)\b[^.!?\n]{0,30}\b(your|the)\s+(prompt|instructions|rules|configuration)\b`),
		"asks the AI agent to reveal its instructions"},
	{regexp.MustCompile(`\b(note|message|instructions?|attention|reminder)\s+(to|for)\s+(the\s+)?(ai|a\.i\.|assistant|chat\s?bot|bot|language model|llm|model|virtual agent)\b`),
		"addresses the AI agent"},
	{regexp.MustCompile(`\b(if|when)\s+you\s+are\s+(an?\s+)?(ai|assistant|chat\s?bot|bot|language model|llm)\b`),
		"addresses the AI agent"},
	{regexp.MustCompile(`\b(dear|hey|hello)\s+(ai|assistant|chat\s?bot|bot|model)\b`),
		"addresses the AI agent"},
	{regexp.MustCompile(`^\s*(ai|assistant|chat\s?bot)\s*:`),
		"addresses the AI agent"},
	{regexp.MustCompile(`\b(ai|assistant|chat\s?bot|bot|language model|llm|model)s?\b[^.!?\n]{0,40}\b(must|should|shall|always|never)\s+(say|tell|answer|respond|reply|recommend|claim|ask)\b`),
		"gives the AI agent instructions"},
	{regexp.MustCompile(`\bpretend (to be|you are)\b|\byou are no longer\b|\bnew (role|persona)\b`),
		"tries to change the AI agent's role"},
	{regexp.MustCompile(`\b(ignora|olvida)\b[^.!?\n]{0,40}\b(instrucciones|reglas)\b|\b(ignore[sz]?|oublie[sz]?)\b[^.!?\n]{0,40}\b(consignes|r[eè]gles)\b|\b(ignoriere|vergiss)\b[^.!?\n]{0,40}\b(anweisungen|regeln)\b|\b(ignore|esque[cç]a)\b[^.!?\n]{0,40}\b(instru[cç][oõ]es|regras)\b`),
		"tells the AI agent to ignore its instructions"},
	{regexp.MustCompile(`\b(asistente|assistant[e]?|assistent(e|in)?|ki|ia)\b[^.!?\n]{0,40}\b(debe|doit|muss|deve)\b`),
		"gives the AI agent instructions"},
}

// FlagReason says why the text addresses the AI agent or tries to instruct
// it, or "" when it does not.
func FlagReason(text string) string {
	lower := strings.ToLower(text)
	if !mayInstruct(lower) {
		return ""
	}
	lower = strings.ToLower(norm.NFKC.String(text))
	for _, p := range instructionPatterns {
		if p.re.MatchString(lower) {
			return p.reason
		}
	}
	return ""
}

// instructionStems and instructionShort are words every instruction
// pattern needs one of (in some form): text without any is not read
// further. Most passages have none, and long documents are read fast. The
// stems may start or end a longer word; the short words must stand alone
// ("ai" is in most words).
var (
	instructionStems = []string{"ignor", "disregard", "forget", "override", "bypass", "prompt", "instruction", //nolint:gochecknoglobals // read-only table
		"assistant", "chatbot", "model", "llm", "a.i.", "pretend", "reveal", "persona", "role", "olvida", "oublie",
		"vergiss", "esque", "asistente", "assistent", "system"}
	instructionShort = []string{"ai", "ia", "ki", "bot"} //nolint:gochecknoglobals // read-only table
)

// mayInstruct reports whether lower-cased text has an instruction word,
// or any character NFKC could turn into one (non-ASCII).
func mayInstruct(lower string) bool {
	for _, r := range lower {
		if r >= utf8.RuneSelf {
			return true
		}
	}
	for _, w := range instructionStems {
		if strings.Contains(lower, w) {
			return true
		}
	}
	for _, w := range instructionShort {
		if hasWord(lower, w) {
			return true
		}
	}
	return false
}

// hasWord reports whether ASCII text has w as a word of its own.
func hasWord(text, w string) bool {
	for from := 0; ; {
		i := strings.Index(text[from:], w)
		if i < 0 {
			return false
		}
		i += from
		end := i + len(w)
		if (i == 0 || !asciiWord(text[i-1])) && (end == len(text) || !asciiWord(text[end])) {
			return true
		}
		from = i + 1
	}
}

func asciiWord(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '_'
}
