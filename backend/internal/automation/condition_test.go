package automation

import (
	"strings"
	"testing"
)

// TestTextMatches: words and phrases on word boundaries, case-insensitive;
// the regex too when set.
func TestTextMatches(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		words []string
		regex string
		text  string
		want  bool
	}{
		{[]string{"refund"}, "", "I want a REFUND!", true},
		{[]string{"refund"}, "", "is it refundable?", false},
		{[]string{"money back"}, "", "I want my money   back.", true},
		{[]string{"money back"}, "", "money is back", false},
		{[]string{"fraud", "chargeback"}, "", "this is a chargeback", true},
		{nil, `(?i)order\s*#?\d{4,}`, "Where is order #12345", true},
		{nil, `(?i)order\s*#?\d{4,}`, "Where is my order", false},
		{[]string{"order"}, `\d{4,}`, "order 12", false},
		{[]string{"Ärger"}, "", "so viel ärger", true},
	} {
		c := Condition{Kind: CondText, Words: tc.words, Regex: tc.regex}
		if got := textMatches(c, tc.text); got != tc.want {
			t.Errorf("%v %q on %q = %v, want %v", tc.words, tc.regex, tc.text, got, tc.want)
		}
	}
}

// TestCompare: attribute operators, numbers as numbers, missing attributes.
func TestCompare(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		op     string
		v      string
		set    bool
		values []string
		want   bool
	}{
		{OpGt, "250", true, []string{"200"}, true},
		{OpGt, "200", true, []string{"200"}, false},
		{OpGte, "200.0", true, []string{"200"}, true},
		{OpLt, "abc", true, []string{"200"}, false},
		{OpGt, "", false, []string{"200"}, false},
		{OpEq, "TRUE", true, []string{"true"}, true},
		{OpEq, "250.00", true, []string{"250"}, true},
		{OpNe, "", false, []string{"gold"}, true},
		{OpIn, "Gold", true, []string{"silver", "gold"}, true},
		{OpIn, "bronze", true, []string{"silver", "gold"}, false},
		{OpExists, " ", true, nil, false},
		{OpExists, "x", true, nil, true},
		{OpExists, "", false, nil, false},
	} {
		if got := compare(tc.op, tc.v, tc.set, tc.values); got != tc.want {
			t.Errorf("%q %s %v (set %v) = %v, want %v", tc.v, tc.op, tc.values, tc.set, got, tc.want)
		}
	}
}

// TestCheckConditions refuses what cannot run.
func TestCheckConditions(t *testing.T) {
	t.Parallel()
	deep := Condition{Kind: CondText, Words: []string{"x"}}
	for range 6 {
		deep = Condition{Kind: CondAllOf, Children: []Condition{deep}}
	}
	for name, cs := range map[string][]Condition{
		"bad regex":     {{Kind: CondText, Regex: "(a"}},
		"long regex":    {{Kind: CondText, Regex: strings.Repeat("a", maxRegexLen+1)}},
		"empty text":    {{Kind: CondText}},
		"no operator":   {{Kind: CondAttribute, Key: "vip"}},
		"no value":      {{Kind: CondAttribute, Key: "cart_value", Op: OpGt}},
		"unknown kind":  {{Kind: "weather"}},
		"too deep":      {deep},
		"empty channel": {{Kind: CondChannel}},
	} {
		if err := checkConditions(cs, 0); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if err := checkConditions([]Condition{{Kind: CondAttribute, Key: "vip", Op: OpExists}}, 0); err != nil {
		t.Errorf("exists without values: %v", err)
	}
}
