package canned

import (
	"strings"
	"unicode"

	"github.com/tandem-inbox/tandem/backend/internal/contact"
)

// maxVariable bounds what may stand between the braces of a variable
// (spaces included), so that a body full of "{{" without a close scans in
// linear time.
const maxVariable = 256

// Render fills the variables of body from vars. A variable is a dotted name
// between double braces, with optional whitespace inside them:
// {{customer.name}}, {{ agent.name }}, {{customer.plan}}. Every variable
// renders as its value in vars, or as nothing when vars has none, so a reply
// never fails to render and never shows a placeholder to a customer.
// Anything else ({{}}, {{name}}, {{ two words }}, an unclosed {{) is not a
// variable and stays as written.
//
// This is a small scanner rather than text/template on purpose: a template
// fails on a missing key and can call code, and bodies are typed by agents.
func Render(body string, vars map[string]string) string {
	var b strings.Builder
	b.Grow(len(body))
	rest := body
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			b.WriteString(rest)
			return b.String()
		}
		inner := rest[i+2:]
		window := inner[:min(len(inner), maxVariable+2)]
		if j := strings.Index(window, "}}"); j >= 0 {
			if name := strings.TrimSpace(inner[:j]); isVariable(name) {
				b.WriteString(rest[:i])
				b.WriteString(vars[name])
				rest = inner[j+2:]
				continue
			}
		}
		// Not a variable: keep one brace and scan on from the next, which
		// may open one ("{{{customer.name}}}").
		b.WriteString(rest[:i+1])
		rest = rest[i+1:]
	}
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
