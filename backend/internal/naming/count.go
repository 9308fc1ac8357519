package naming

import "strconv"

// Count writes a count with its noun, singular for one: "1 conversation",
// "3 conversations". For the nouns of the server's texts, whose plural adds
// an s.
func Count[N ~int | ~int64](n N, noun string) string {
	s := strconv.FormatInt(int64(n), 10) + " " + noun
	if n != 1 {
		s += "s"
	}
	return s
}
