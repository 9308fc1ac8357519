package automation

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/tandem-inbox/tandem/backend/internal/apperr"
)

// checkConditions validates conditions (regexes compile, operators exist).
func checkConditions(cs []Condition, depth int) error {
	if depth > 4 {
		return apperr.Invalid("conditions", "nest conditions at most 4 deep")
	}
	if len(cs) > maxConditionsIn {
		return apperr.Invalid("conditions", fmt.Sprintf("at most %d conditions in a group", maxConditionsIn))
	}
	for _, c := range cs {
		switch c.Kind {
		case CondText:
			if len(c.Words) == 0 && c.Regex == "" {
				return apperr.Invalid("conditions", "a text condition needs words or a regular expression")
			}
			if len(c.Regex) > maxRegexLen {
				return apperr.Invalid("conditions", "the regular expression is too long")
			}
			if c.Regex != "" {
				if _, err := regexp.Compile(c.Regex); err != nil {
					return apperr.Invalid("conditions", "the regular expression does not compile: "+err.Error())
				}
			}
		case CondAttribute:
			if c.Key == "" || !slices.Contains([]string{OpEq, OpNe, OpGt, OpGte, OpLt, OpLte, OpIn, OpExists}, c.Op) {
				return apperr.Invalid("conditions", "an attribute condition needs a key and an operator")
			}
			if c.Op != OpExists && len(c.Values) == 0 {
				return apperr.Invalid("conditions", "an attribute comparison needs a value")
			}
		case CondAnyOf, CondAllOf:
			if err := checkConditions(c.Children, depth+1); err != nil {
				return err
			}
		case CondLanguage, CondPageURL, CondChannel, CondTag, CondPriority, CondState, CondGroup:
			if c.Value == "" {
				return apperr.Invalid("conditions", "the "+c.Kind+" condition needs a value")
			}
		case CondConfidence:
		default:
			return apperr.Invalid("conditions", fmt.Sprintf("unknown condition %q", c.Kind))
		}
	}
	return nil
}

// allHold reports whether every condition holds for the facts.
func allHold(ctx context.Context, cs []Condition, f *facts) (bool, error) {
	for _, c := range cs {
		ok, err := holds(ctx, c, f)
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

func holds(ctx context.Context, c Condition, f *facts) (bool, error) {
	ok, err := test(ctx, c, f)
	return ok != c.Negate, err
}

func test(ctx context.Context, c Condition, f *facts) (bool, error) {
	conv := f.conv
	switch c.Kind {
	case CondText:
		return f.hasText && textMatches(c, f.text), nil
	case CondAttribute:
		v, ok, err := f.attribute(ctx, c.Key, c.VerifiedOnly)
		if err != nil {
			return false, err
		}
		return compare(c.Op, v, ok, c.Values), nil
	case CondLanguage:
		v, ok, err := f.attribute(ctx, "language", false)
		if err != nil || !ok {
			return false, err
		}
		return strings.HasPrefix(strings.ToLower(v), strings.ToLower(c.Value)), nil
	case CondPageURL:
		return strings.Contains(strings.ToLower(conv.PageURL), strings.ToLower(c.Value)), nil
	case CondChannel:
		return conv.Channel == c.Value, nil
	case CondTag:
		names, err := f.tagNames(ctx)
		if err != nil {
			return false, err
		}
		return names[strings.ToLower(c.Value)], nil
	case CondPriority:
		return conv.Priority == c.Value, nil
	case CondState:
		return string(conv.State) == c.Value, nil
	case CondGroup:
		return conv.GroupID == c.Value, nil
	case CondConfidence:
		conf, ok, err := f.confidence(ctx)
		if err != nil || !ok {
			return false, err
		}
		return conf < c.Number, nil
	case CondAnyOf:
		for _, child := range c.Children {
			if ok, err := holds(ctx, child, f); err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	case CondAllOf:
		return allHold(ctx, c.Children, f)
	}
	return false, nil
}

// textMatches tests a message against a text condition: any of the words or
// phrases on word boundaries, case-insensitive, and the regex when set.
func textMatches(c Condition, text string) bool {
	if len(c.Words) > 0 {
		words := " " + strings.Join(strings.FieldsFunc(strings.ToLower(text), notWord), " ") + " "
		found := false
		for _, w := range c.Words {
			phrase := strings.Join(strings.FieldsFunc(strings.ToLower(w), notWord), " ")
			if phrase != "" && strings.Contains(words, " "+phrase+" ") {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	if c.Regex != "" {
		re, err := regexp.Compile(c.Regex) // checked on save; RE2 runs in linear time
		if err != nil || !re.MatchString(text) {
			return false
		}
	}
	return true
}

func notWord(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }

// compare applies an attribute operator; set says whether the attribute
// exists at all.
func compare(op, v string, set bool, values []string) bool {
	if op == OpExists {
		return set && strings.TrimSpace(v) != ""
	}
	if !set {
		return op == OpNe
	}
	want := ""
	if len(values) > 0 {
		want = values[0]
	}
	switch op {
	case OpEq:
		return equal(v, want)
	case OpNe:
		return !equal(v, want)
	case OpIn:
		return slices.ContainsFunc(values, func(w string) bool { return equal(v, w) })
	}
	a, errA := strconv.ParseFloat(strings.TrimSpace(v), 64)
	b, errB := strconv.ParseFloat(strings.TrimSpace(want), 64)
	if errA != nil || errB != nil {
		return false
	}
	switch op {
	case OpGt:
		return a > b
	case OpGte:
		return a >= b
	case OpLt:
		return a < b
	case OpLte:
		return a <= b
	}
	return false
}

// equal compares numbers as numbers ("250.0" = "250") and anything else
// case-insensitively.
func equal(a, b string) bool {
	x, errX := strconv.ParseFloat(strings.TrimSpace(a), 64)
	y, errY := strconv.ParseFloat(strings.TrimSpace(b), 64)
	if errX == nil && errY == nil {
		return x == y
	}
	return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
}

// usesKind reports whether any condition (nested too) is of the kind.
func usesKind(cs []Condition, kind string) bool {
	for _, c := range cs {
		if c.Kind == kind || usesKind(c.Children, kind) {
			return true
		}
	}
	return false
}
