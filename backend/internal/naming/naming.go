// Package naming checks the names people give things that other people
// see (workspaces, display names, groups, API keys): one rule for all, so
// that no name can hide text, reorder it, or be blank.
package naming

import (
	"strings"
	"unicode"

	"github.com/tandem-inbox/tandem/backend/internal/apperr"
)

// Check refuses a name that is blank or only whitespace, or that holds a
// control character (tabs and newlines included) or a bidirectional
// override or isolate (U+202A..U+202E, U+2066..U+2069), which make a name
// display as something other than what it is. The error names the field.
func Check(field, name string) error {
	if strings.TrimFunc(name, unicode.IsSpace) == "" {
		return apperr.Invalid(field, "must not be empty or only whitespace")
	}
	for _, r := range name {
		switch {
		case unicode.IsControl(r):
			return apperr.Invalid(field, "must not contain control characters such as tabs or line breaks")
		case r >= '\u202A' && r <= '\u202E', r >= '\u2066' && r <= '\u2069':
			return apperr.Invalid(field, "must not contain bidirectional override or isolate characters (U+202A-U+202E, U+2066-U+2069)")
		}
	}
	return nil
}
