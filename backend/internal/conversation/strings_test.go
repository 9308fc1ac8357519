package conversation_test

import (
	"fmt"
	"strings"
)

func toString(v any) string {
	if b, ok := v.([]byte); ok {
		return string(b)
	}
	return fmt.Sprint(v)
}

func joinStrings(xs []string) string { return strings.Join(xs, "|") }
