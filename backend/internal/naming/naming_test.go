package naming_test

import (
	"errors"
	"testing"

	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/naming"
)

// TestSecurityNameCheck (issue 14 item 18): the one rule every name field
// uses.
func TestSecurityNameCheck(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"Acme Support", true},
		{"Café Ünïcode", true},
		{"متجر الأحذية", true}, // right-to-left text itself is fine
		{"店舗 1", true},
		{"", false},
		{"   ", false},
		{"\u00a0\u2003", false},
		{"line\nbreak", false},
		{"tab\there", false},
		{"nul\x00", false},
		{"del\x7f", false},
		{"c1\u0085", false},
		{"invoice\u202Efdp.exe", false},
		{"\u202Aembed", false},
		{"\u202Boverride", false},
		{"pop\u202C", false},
		{"\u202Dltr", false},
		{"a\u2066isolate\u2069", false},
		{"\u2067rli", false},
		{"\u2068fsi", false},
	} {
		err := naming.Check("display_name", tc.name)
		var ae *apperr.Error
		switch {
		case tc.ok && err != nil:
			t.Errorf("Check(%q) = %v, want accepted", tc.name, err)
		case !tc.ok && (!errors.As(err, &ae) || ae.Kind != apperr.InvalidArgument || ae.Field != "display_name"):
			t.Errorf("Check(%q) = %v, want InvalidArgument on display_name", tc.name, err)
		}
	}
}

func TestCount(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		n    int
		want string
	}{{0, "0 conversations"}, {1, "1 conversation"}, {2, "2 conversations"}} {
		if got := naming.Count(tc.n, "conversation"); got != tc.want {
			t.Errorf("Count(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}
