// Package page encodes the opaque page tokens of list RPCs: the sort key of
// the last row returned, so the next page starts strictly after it.
package page

import (
	"encoding/base64"
	"encoding/json"

	"github.com/tandem-inbox/tandem/backend/internal/apperr"
)

// DefaultSize is the page size when a request gives none.
const DefaultSize = 50

// Size returns the page size to use for a requested size.
func Size(requested int32) int {
	if requested <= 0 {
		return DefaultSize
	}
	return int(requested)
}

// Token encodes a sort key as an opaque token.
func Token(key ...any) string {
	b, err := json.Marshal(key)
	if err != nil {
		panic(err) // keys are strings and integers
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// Decode parses a token into the sort key fields; an empty token decodes to
// nothing and reports false.
func Decode(token string, key ...any) (bool, error) {
	if token == "" {
		return false, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return false, apperr.Invalid("page_token", "is not a token this server issued")
	}
	raw := make([]json.RawMessage, 0, len(key))
	if err := json.Unmarshal(b, &raw); err != nil || len(raw) != len(key) {
		return false, apperr.Invalid("page_token", "is not a token this server issued")
	}
	for i := range key {
		if err := json.Unmarshal(raw[i], key[i]); err != nil {
			return false, apperr.Invalid("page_token", "is not a token this server issued")
		}
	}
	return true, nil
}

// Cut trims rows fetched with a limit of limit+1 to limit, and returns the
// token of the next page (empty on the last page), made from the last row's
// sort key.
func Cut[T any](rows []T, limit int, key func(T) []any) ([]T, string) {
	if len(rows) <= limit {
		return rows, ""
	}
	rows = rows[:limit]
	return rows, Token(key(rows[limit-1])...)
}
