package config

import (
	"slices"
	"testing"
)

// TestParsePrefixes: an address list takes CIDR prefixes (masked) and
// single addresses (IPv4-mapped ones as IPv4), and refuses anything else.
func TestParsePrefixes(t *testing.T) {
	t.Parallel()
	for in, want := range map[string][]string{
		"":                           nil,
		" , ":                        nil,
		"127.0.0.1, 10.20.0.0/16":    {"127.0.0.1/32", "10.20.0.0/16"},
		"10.20.3.4/16":               {"10.20.0.0/16"},
		"::ffff:127.0.0.1, fd00::/8": {"127.0.0.1/32", "fd00::/8"},
		"2606:4700::1111":            {"2606:4700::1111/128"},
	} {
		got, err := parsePrefixes(in)
		if err != nil {
			t.Errorf("parsePrefixes(%q): %v", in, err)
			continue
		}
		var s []string
		for _, p := range got {
			s = append(s, p.String())
		}
		if !slices.Equal(s, want) {
			t.Errorf("parsePrefixes(%q) = %v, want %v", in, s, want)
		}
	}
	for _, in := range []string{"not an address", "127.0.0.1, proxy.local", "10.0.0.0/33"} {
		if _, err := parsePrefixes(in); err == nil {
			t.Errorf("parsePrefixes(%q) parsed", in)
		}
	}
}
