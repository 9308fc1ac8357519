package knowledge

import (
	"strings"
	"unicode"

	"github.com/abadojack/whatlanggo"
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
)

// analyzers are the languages whose passages are indexed with their own
// analyzer (stop words and stemming), by ISO 639-1 code. A document in any
// other language, or too short to tell, is indexed as fallbackLanguage.
var analyzers = map[string]string{
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
var detectable = map[whatlanggo.Lang]bool{
	whatlanggo.Dan: true, whatlanggo.Deu: true, whatlanggo.Eng: true, whatlanggo.Spa: true, whatlanggo.Fin: true,
	whatlanggo.Fra: true, whatlanggo.Ita: true, whatlanggo.Nld: true, whatlanggo.Nob: true, whatlanggo.Pol: true,
	whatlanggo.Por: true, whatlanggo.Rus: true, whatlanggo.Swe: true, whatlanggo.Tur: true,
}

// minDetectLetters is the fewest letters a text needs before its language
// is told at all: below it, a guess is mostly noise.
const minDetectLetters = 12

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
	info := whatlanggo.DetectWithOptions(text, whatlanggo.Options{Whitelist: detectable})
	if !info.IsReliable() {
		return ""
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
