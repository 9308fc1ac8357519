package account

import (
	"strings"
	"unicode/utf8"

	"github.com/trustelem/zxcvbn"
	"github.com/trustelem/zxcvbn/match"

	"github.com/tandem-inbox/tandem/backend/internal/apperr"
)

// Password policy: at least MinPasswordLength characters and a zxcvbn score
// of at least minPasswordScore ("safely unguessable": about 10^8 guesses or
// more), judged on the first scoredPrefix characters (zxcvbn's cost grows
// with length; a strong password is strong well before that).
const (
	MinPasswordLength = 10
	minPasswordScore  = 3
	scoredPrefix      = 64
)

// CheckPassword refuses a password that is short, common, or made of a
// pattern (repeats, sequences, keyboard walks, dates, the user's own name
// or the local part of their email: userInputs), saying why, as an
// InvalidArgument on the field.
func CheckPassword(field, password string, userInputs ...string) error {
	if utf8.RuneCountInString(password) < MinPasswordLength {
		return apperr.Invalid(field, "must be at least 10 characters")
	}
	scored := password
	if utf8.RuneCountInString(scored) > scoredPrefix {
		scored = string([]rune(scored)[:scoredPrefix])
	}
	var inputs []string
	for _, in := range userInputs {
		in, _, _ = strings.Cut(strings.ToLower(in), "@") // a shared domain is not the user's
		inputs = append(inputs, in)
		for _, w := range strings.FieldsFunc(strings.ToLower(in), func(r rune) bool { return r == '@' || r == '.' || r == ' ' }) {
			if len(w) >= 3 {
				inputs = append(inputs, w)
			}
		}
	}
	r := zxcvbn.PasswordStrength(scored, inputs)
	if r.Score >= minPasswordScore {
		return nil
	}
	return apperr.Invalid(field, "is too easy to guess: "+weakness(r.Sequence)+"; use a longer phrase of unrelated words")
}

// weakness says what made a password guessable: the pattern covering most
// of it.
func weakness(seq []*match.Match) string {
	var worst *match.Match
	for _, m := range seq {
		if m.Pattern == "bruteforce" {
			continue
		}
		if worst == nil || len(m.Token) > len(worst.Token) {
			worst = m
		}
	}
	if worst == nil {
		return "it is too short for its mix of characters"
	}
	switch worst.Pattern {
	case "dictionary":
		if worst.DictionaryName == "user_inputs" {
			return "it contains your email address or name"
		}
		if worst.DictionaryName == "passwords" {
			return "it is a common password"
		}
		return "it is mostly a common word or name"
	case "repeat":
		return "it repeats characters or a short pattern"
	case "sequence":
		return "it is a sequence like abcdef or 123456"
	case "spatial":
		return "it is a keyboard pattern like qwerty"
	case "date":
		return "it is mostly a date"
	}
	return "it follows a common pattern"
}
