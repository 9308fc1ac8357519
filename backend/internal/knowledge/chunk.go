package knowledge

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Chunk sizes, in characters.
const (
	// TargetChunk is the size chunks grow to: paragraphs of a section are
	// joined while the result stays within it.
	TargetChunk = 800
	// MaxChunk is the size no chunk exceeds: a longer paragraph is cut at
	// sentence ends (at spaces, or anywhere, when a sentence is longer).
	MaxChunk = 1500
	// MaxChunks is the most chunks one document may make.
	MaxChunks = 10000
)

// headingSeparator joins a heading path.
const headingSeparator = " > "

// Split cuts a document's sections into chunks, numbered from 0, each under
// its section's heading path. A chunk never spans two sections. Sentences
// that address the AI agent or try to instruct it (see FlagReason) make
// chunks of their own, flagged, so that the rest of their section stays
// usable. The result depends on nothing but the sections.
func Split(documentID string, sections []Section) []Chunk {
	var out []Chunk
	for _, s := range sections {
		heading := truncate(strings.Join(s.Heading, headingSeparator), maxHeading)
		var cur []string
		size := 0
		emit := func() {
			if len(cur) > 0 {
				out = append(out, Chunk{DocumentID: documentID, Position: len(out), Heading: heading, Text: strings.Join(cur, "\n\n")})
				cur, size = nil, 0
			}
		}
		for _, p := range s.Paragraphs {
			for _, part := range flagged(p) {
				if part.reason != "" {
					emit()
					for _, piece := range pieces(part.text) {
						out = append(out, Chunk{DocumentID: documentID, Position: len(out), Heading: heading, Text: piece, FlagReason: part.reason})
					}
					continue
				}
				for _, piece := range pieces(part.text) {
					n := utf8.RuneCountInString(piece)
					if len(cur) > 0 && size+2+n > TargetChunk {
						emit()
					}
					if len(cur) > 0 {
						size += 2
					}
					cur, size = append(cur, piece), size+n
				}
			}
		}
		emit()
	}
	return out
}

// pieces are a paragraph as chunk material: itself, or when longer than
// MaxChunk, its pieces (see splitLong).
func pieces(p string) []string {
	if utf8.RuneCountInString(p) > MaxChunk {
		return splitLong(p)
	}
	return []string{p}
}

// part is a run of a paragraph's sentences, flagged with a reason or not.
type part struct{ text, reason string }

// flagged cuts a paragraph into runs of sentences that are flagged (see
// FlagReason) or not; a paragraph with nothing flagged is one part.
func flagged(p string) []part {
	if FlagReason(p) == "" {
		return []part{{text: p}}
	}
	var out []part
	for _, s := range sentences(p) {
		reason := FlagReason(s)
		if n := len(out); n > 0 && (out[n-1].reason == "") == (reason == "") {
			out[n-1].text += " " + s
			continue
		}
		out = append(out, part{text: s, reason: reason})
	}
	return out
}

// splitLong cuts a paragraph longer than MaxChunk into pieces of about
// TargetChunk (none longer than MaxChunk), at sentence ends where it can.
func splitLong(p string) []string {
	var units []string
	for _, s := range sentences(p) {
		if utf8.RuneCountInString(s) <= MaxChunk {
			units = append(units, s)
			continue
		}
		for _, w := range strings.Fields(s) {
			for utf8.RuneCountInString(w) > MaxChunk {
				r := []rune(w)
				units, w = append(units, string(r[:MaxChunk])), string(r[MaxChunk:])
			}
			units = append(units, w)
		}
	}
	var out []string
	var cur strings.Builder
	size := 0
	for _, u := range units {
		n := utf8.RuneCountInString(u)
		if size > 0 && size+1+n > TargetChunk {
			out = append(out, cur.String())
			cur.Reset()
			size = 0
		}
		if size > 0 {
			cur.WriteByte(' ')
			size++
		}
		cur.WriteString(u)
		size += n
	}
	if size > 0 {
		out = append(out, cur.String())
	}
	return out
}

// sentences splits text after each sentence end (., ! or ?, with any
// closing quotes or brackets, then white space) and at line breaks; the
// parts are trimmed, empty ones dropped.
func sentences(text string) []string {
	var out []string
	start := 0
	rs := []rune(text)
	add := func(end int) {
		if s := strings.TrimSpace(string(rs[start:end])); s != "" {
			out = append(out, s)
		}
		start = end
	}
	for i := 0; i < len(rs); i++ {
		switch rs[i] {
		case '\n':
			add(i + 1)
		case '.', '!', '?', '…':
			j := i + 1
			for j < len(rs) && strings.ContainsRune(`"')]”’»`, rs[j]) {
				j++
			}
			if j == len(rs) || unicode.IsSpace(rs[j]) {
				add(j)
				i = j - 1
			}
		}
	}
	add(len(rs))
	return out
}
