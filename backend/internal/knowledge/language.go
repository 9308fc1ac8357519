package knowledge

import (
	"maps"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/abadojack/whatlanggo"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/lang/da"
	"github.com/blevesearch/bleve/v2/analysis/lang/de"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/analysis/lang/es"
	"github.com/blevesearch/bleve/v2/analysis/lang/fi"
	"github.com/blevesearch/bleve/v2/analysis/lang/fr"
	"github.com/blevesearch/bleve/v2/analysis/lang/it"
	"github.com/blevesearch/bleve/v2/analysis/lang/nl"
	"github.com/blevesearch/bleve/v2/analysis/lang/no"
	"github.com/blevesearch/bleve/v2/analysis/lang/pl"
	"github.com/blevesearch/bleve/v2/analysis/lang/pt"
	"github.com/blevesearch/bleve/v2/analysis/lang/ru"
	"github.com/blevesearch/bleve/v2/analysis/lang/sv"
	"github.com/blevesearch/bleve/v2/analysis/lang/tr"
	"github.com/blevesearch/bleve/v2/registry"
)

// analyzers are the languages whose passages are indexed with their own
// analyzer (stop words and stemming), by ISO 639-1 code. A document in any
// other language, or too short to tell, is indexed as fallbackLanguage.
var analyzers = map[string]string{ //nolint:gochecknoglobals // read-only table
	"da": da.AnalyzerName, "de": de.AnalyzerName, "en": en.AnalyzerName, "es": es.AnalyzerName,
	"fi": fi.AnalyzerName, "fr": fr.AnalyzerName, "it": it.AnalyzerName, "nl": nl.AnalyzerName,
	"no": no.AnalyzerName, "pl": pl.AnalyzerName, "pt": pt.AnalyzerName, "ru": ru.AnalyzerName,
	"sv": sv.AnalyzerName, "tr": tr.AnalyzerName,
}

// fallbackLanguage is what text is analyzed as when its language is not
// one of analyzers' or cannot be told.
const fallbackLanguage = "en"

// detectable are the languages the detector may answer: those with an
// analyzer. Keeping to them makes short texts far less often mistaken for
// a language nobody writes here.
var detectable = map[whatlanggo.Lang]bool{ //nolint:gochecknoglobals // read-only table
	whatlanggo.Dan: true, whatlanggo.Deu: true, whatlanggo.Eng: true, whatlanggo.Spa: true, whatlanggo.Fin: true,
	whatlanggo.Fra: true, whatlanggo.Ita: true, whatlanggo.Nld: true, whatlanggo.Nob: true, whatlanggo.Pol: true,
	whatlanggo.Por: true, whatlanggo.Rus: true, whatlanggo.Swe: true, whatlanggo.Tur: true,
}

// minDetectLetters is the fewest letters a text needs before its language
// is told at all: below it, a guess is mostly noise.
const minDetectLetters = 12

// shortText is the most letters a text has for its function words to tell
// its language before trigrams do.
const shortText = 200

// DetectLanguage tells the language a text is written in (ISO 639-1, one
// of those with an analyzer), or "" when the text is too short or too mixed
// to tell reliably.
func DetectLanguage(text string) string {
	letters := 0
	for _, r := range text {
		if unicode.IsLetter(r) {
			letters++
		}
	}
	if letters < minDetectLetters {
		return ""
	}
	// Trigrams (whatlanggo) tell long texts well and chat-sized ones
	// poorly (an English question may come out French); there, the
	// function words each language's stop list has, and its letters, are
	// asked first.
	voted := voteLanguage(text)
	if voted != "" && letters < shortText {
		return voted
	}
	info := whatlanggo.DetectWithOptions(text, whatlanggo.Options{Whitelist: detectable})
	if !info.IsReliable() {
		return voted
	}
	code := info.Lang.Iso6391()
	if code == "nb" {
		code = "no"
	}
	if _, ok := analyzers[code]; !ok {
		return ""
	}
	return code
}

// stopWords are each language's stop words (bleve's lists).
var stopWords = sync.OnceValue(func() map[string]analysis.TokenMap { //nolint:gochecknoglobals // built once on first use, read-only after
	cache := registry.NewCache()
	out := map[string]analysis.TokenMap{}
	for lang := range analyzers {
		if tm, err := cache.TokenMapNamed("stop_" + lang); err == nil {
			out[lang] = tm
		}
	}
	return out
})

// letterHints are letters (and marks) that only some languages write.
var letterHints = map[rune][]string{ //nolint:gochecknoglobals // read-only table
	'ñ': {"es"}, '¿': {"es"}, '¡': {"es"}, 'ã': {"pt"}, 'õ': {"pt"}, 'ç': {"pt", "fr", "tr"}, 'ß': {"de"},
	'ä': {"de", "sv", "fi"}, 'ö': {"de", "sv", "fi", "tr"}, 'ü': {"de", "tr"}, 'è': {"fr", "it"}, 'ê': {"fr", "pt"},
	'à': {"fr", "it", "pt"}, 'ù': {"fr", "it"}, 'œ': {"fr"}, 'å': {"sv", "da", "no"}, 'ø': {"da", "no"},
}

// voteLanguage tells a short text's language by its function words and
// letters: the language with at least two votes and half as many again as
// any other, or "".
func voteLanguage(text string) string {
	votes := map[string]float64{}
	lists := stopWords()
	for _, w := range strings.FieldsFunc(strings.ToLower(text), notWord) {
		vote := 1.0
		if utf8.RuneCountInString(w) <= 2 { // "do", "u", "a": in too many lists to say much
			vote = 0.5
		}
		for lang, tm := range lists {
			if tm[w] {
				votes[lang] += vote
			}
		}
	}
	for _, r := range strings.ToLower(text) {
		for _, lang := range letterHints[r] {
			votes[lang] += 1.5
		}
	}
	best, first, second := "", 0.0, 0.0
	for _, lang := range slices.Sorted(maps.Keys(votes)) {
		switch v := votes[lang]; {
		case v > first:
			best, first, second = lang, v, first
		case v > second:
			second = v
		}
	}
	if first < 2 || first < 1.5*second {
		return ""
	}
	return best
}

// documentLanguage tells a document's language from a sample of its text
// (the first sections, up to about 4,000 characters).
func documentLanguage(sections []Section) string {
	var b strings.Builder
	for _, s := range sections {
		for _, p := range s.Paragraphs {
			b.WriteString(p)
			b.WriteByte('\n')
			if b.Len() > 4000 {
				return DetectLanguage(b.String())
			}
		}
	}
	return DetectLanguage(b.String())
}

// indexLanguage is the language a passage is analyzed as.
func indexLanguage(lang string) string {
	if _, ok := analyzers[lang]; ok {
		return lang
	}
	return fallbackLanguage
}
