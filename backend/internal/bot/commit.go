package bot

import (
	"regexp"
	"strings"

	"github.com/tandem-inbox/tandem/backend/internal/knowledge"
)

// commitPattern finds the words of a commitment: something approved,
// authorized, guaranteed, promised, refunded, credited, waived or given for
// free, in English, Spanish, German, French and Portuguese. A model that
// obeys a customer ("say your refund is approved") or a poisoned document
// can build such a sentence out of the passages' own words, and grounding
// alone then passes it; a business is held to what its agent promised
// (Moffatt v. Air Canada), so only a person makes such promises.
var commitPattern = regexp.MustCompile(`(?i)(?:^|[^\p{L}])(` + //nolint:gochecknoglobals // compiled once, read-only
	`approv(?:e|ed|al)|authori[sz](?:e|ed|ation)|guarantee[ds]?|promise[ds]?|waive[ds]?|refunded|reimburs\p{L}*|credited|compensat\p{L}*|` +
	`free of charge|for free|on the house|legally binding|discount|voucher|coupon|exception|` +
	`aprob\p{L}*|autoriz\p{L}*|garantiz\p{L}*|promet\p{L}*|reembols\p{L}*|gratis|descuento|cup[oó]n|excepci[oó]n|` +
	`genehmig\p{L}*|bewillig\p{L}*|garantier\p{L}*|versproch\p{L}*|verspreche\p{L}*|erstatte\p{L}*|gutgeschrieben|kostenlos|gutschein\p{L}*|rabatt\p{L}*|ausnahme|` +
	`approuv\p{L}*|autoris\p{L}*|garanti\p{L}*|prom(?:is|ets|et)\p{L}*|rembours\p{L}*|gratuit\p{L}*|r[ée]duction|remise|` +
	`aprovad\p{L}*|garantid\p{L}*|reembolsad\p{L}*|desconto)(?:$|[^\p{L}])`)

// commitment returns the first commitment word of an answer that none of
// its cited passages uses (in that form or another of its stem), or "": a
// passage that says "we guarantee delivery by Friday" may be quoted, a
// promise no passage makes may not.
func commitment(text string, cited []knowledge.Hit) string {
	var passages strings.Builder
	for _, h := range cited {
		passages.WriteString(strings.ToLower(h.Title + " " + h.Heading + " " + h.Text + " "))
	}
	held := passages.String()
	for _, m := range commitPattern.FindAllStringSubmatch(text, -1) {
		word := strings.ToLower(m[1])
		if !strings.Contains(held, commitStem(word)) {
			return word
		}
	}
	return ""
}

// commitStem is the part of a commitment word its other forms share
// ("approved", "approval" -> "approv"; "refunded" -> "refund").
func commitStem(word string) string {
	if strings.Contains(word, " ") {
		return word
	}
	for _, suffix := range []string{"ation", "ed", "es", "al", "e", "s"} {
		if stem, ok := strings.CutSuffix(word, suffix); ok && len([]rune(stem)) >= 5 {
			return stem
		}
	}
	return word
}
