package canned

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tandem-inbox/tandem/backend/internal/contact"
)

// maxVariable bounds what may stand between the braces of a variable
// (spaces and a fallback included), so that a body full of "{{" without a
// close scans in linear time.
const maxVariable = 256

// Rendered is a body with its variables filled in.
type Rendered struct {
	Text string
	// Unresolved names the variables that had neither a value nor a
	// fallback, in order of appearance, each once.
	Unresolved []string
}

// Render fills the variables of body from vars; see RenderDetail.
func Render(body string, vars map[string]string) string {
	return RenderDetail(body, vars).Text
}

// RenderDetail fills the variables of body from vars. A variable is a dotted
// name between double braces, with optional whitespace inside them and an
// optional fallback after a bar: {{customer.name}}, {{ agent.name }},
// {{customer.name | there}}. A variable renders as its value in vars, else
// as its fallback, else as nothing: a reply never fails to render and never
// shows a placeholder to a customer. When it renders as nothing, the space
// before it goes too if punctuation or another space follows, so
// "Hi {{customer.name}}!" is "Hi!", not "Hi !".
// Anything else ({{}}, {{name}}, {{ two words }}, an unclosed {{) is not a
// variable and stays as written.
//
// This is a small scanner rather than text/template on purpose: a template
// fails on a missing key and can call code, and bodies are typed by agents.
// The desktop app renders previews with the same rules
// (desktop/frontend/src/logic/canned.ts); testdata/render_cases.json holds
// the cases both must agree on.
func RenderDetail(body string, vars map[string]string) Rendered {
	out := make([]byte, 0, len(body))
	var unresolved []string
	rest := body
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			out = append(out, rest...)
			return Rendered{Text: string(out), Unresolved: unresolved}
		}
		inner := rest[i+2:]
		window := inner[:min(len(inner), maxVariable+2)]
		if j := strings.Index(window, "}}"); j >= 0 {
			if name, fallback, ok := parseVariable(inner[:j]); ok {
				out = append(out, rest[:i]...)
				rest = inner[j+2:]
				value := vars[name]
				if value == "" {
					value = fallback
				}
				if value != "" {
					out = append(out, value...)
					continue
				}
				if !slices.Contains(unresolved, name) {
					unresolved = append(unresolved, name)
				}
				if r, _ := utf8.DecodeRuneInString(rest); r == ' ' || r == '\t' || isClosingPunct(r) {
					out = trimSpaces(out)
				}
				continue
			}
		}
		// Not a variable: keep one brace and scan on from the next, which
		// may open one ("{{{customer.name}}}").
		out = append(out, rest[:i+1]...)
		rest = rest[i+1:]
	}
}

// parseVariable splits what stands between the braces into a variable name
// and its fallback ("" when none), reporting whether it is a variable.
func parseVariable(inner string) (name, fallback string, ok bool) {
	name, fallback, _ = strings.Cut(inner, "|")
	name, fallback = strings.TrimSpace(name), strings.TrimSpace(fallback)
	return name, fallback, isVariable(name)
}

// isClosingPunct reports whether r is punctuation that hugs the word before
// it (no space before it in English and most languages agents write).
func isClosingPunct(r rune) bool {
	return strings.ContainsRune(".,!?;:)]}…", r)
}

// trimSpaces drops trailing spaces and tabs (not newlines).
func trimSpaces(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// isVariable reports whether name is two or more dot-separated segments of
// letters, digits, '_' and '-', the first starting with a letter.
func isVariable(name string) bool {
	segments := strings.Split(name, ".")
	if len(segments) < 2 {
		return false
	}
	for i, seg := range segments {
		if seg == "" {
			return false
		}
		for k, r := range seg {
			switch {
			case unicode.IsLetter(r):
			case i == 0 && k == 0:
				return false
			case unicode.IsDigit(r), r == '_', r == '-':
			default:
				return false
			}
		}
	}
	return true
}

// Variables are the values a response renders with for a conversation, by
// the names bodies use. Each of the customer's attributes is
// customer.<key>, a verified value winning over an unverified one; the
// customer's own name and email win over attributes of those names.
func Variables(c contact.Contact, agentName, conversationID, workspaceName string) map[string]string {
	vars := make(map[string]string, len(c.Verified)+len(c.Unverified)+5)
	for k, v := range c.Unverified {
		vars["customer."+k] = v
	}
	for k, v := range c.Verified {
		vars["customer."+k] = v
	}
	vars["customer.name"] = c.Name
	vars["customer.email"] = c.Email
	vars["agent.name"] = agentName
	vars["conversation.id"] = conversationID
	vars["workspace.name"] = workspaceName
	return vars
}
