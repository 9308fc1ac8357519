package bot

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/tandem-inbox/tandem/backend/internal/conversation"
)

// The built-in escalation intents (their names are fixed by the API).
const (
	IntentHuman        = "human"
	IntentRefund       = "refund"
	IntentChargeback   = "chargeback"
	IntentFraud        = "fraud"
	IntentLegal        = "legal"
	IntentCancellation = "cancellation"
	IntentAnger        = "anger"
)

// Intent is one built-in escalation intent as a workspace has it: a kind of
// customer message the AI agent hands to the team instead of answering.
type Intent struct {
	Name string `json:"name"`
	// Description and Examples are the built-in text shown to admins.
	Description string   `json:"-"`
	Examples    []string `json:"-"`
	// Enabled is on by default; off lets the AI agent answer such messages.
	Enabled bool `json:"enabled"`
	// Phrases are the workspace's own, matched as whole words ignoring case
	// and accents.
	Phrases []string `json:"phrases"`
}

// IntentPatch changes one intent: a nil Enabled stays; Phrases, when
// there are any, replace the workspace's phrases, and Clear empties them.
type IntentPatch struct {
	Name    string
	Enabled *bool
	Phrases []string
	Clear   bool
}

// Phrase limits, per intent.
const (
	maxPhrases   = 50
	minPhraseLen = 2
	maxPhraseLen = 100
)

// builtin is an intent's fixed definition.
type builtin struct {
	name, description string
	examples          []string
	rules             []rule
	// extra detects what a word pattern cannot (shouting), on the raw text.
	extra func(raw string) bool
}

// rule is one pattern over a normalized clause.
type rule struct {
	re *regexp.Regexp
	// strong rules match inside a policy question too ("can I speak to
	// someone?"); the others do not ("can I get a refund if ...?").
	strong bool
	// negated rules say a negation themselves ("I haven't received my
	// refund"), so the negation guard does not apply to them.
	negated bool
}

// builtins, in the fixed order the API lists them.
var builtins = compileBuiltins() //nolint:gochecknoglobals // read-only table, built once

// priority is the order in which intents are tried: the most specific
// first, so that "refund me or I'll do a chargeback" is reported as a
// chargeback, and a request for a person wins over plain anger.
var priority = []string{IntentFraud, IntentLegal, IntentChargeback, IntentRefund, IntentCancellation, IntentHuman, IntentAnger} //nolint:gochecknoglobals // read-only table

// IntentNames lists the built-in intents in their fixed order.
func IntentNames() []string {
	names := make([]string, len(builtins))
	for i, b := range builtins {
		names[i] = b.name
	}
	return names
}

func builtinByName(name string) *builtin {
	for i := range builtins {
		if builtins[i].name == name {
			return &builtins[i]
		}
	}
	return nil
}

// defaultIntents are every intent as a workspace that never changed them
// has it: all on, without phrases of its own.
func defaultIntents() []Intent {
	out := make([]Intent, len(builtins))
	for i, b := range builtins {
		out[i] = Intent{Name: b.name, Description: b.description, Examples: slices.Clone(b.examples), Enabled: true, Phrases: []string{}}
	}
	return out
}

// DetectIntent returns the first enabled intent (in priority order) that
// the customer's message shows, by the built-in patterns or the
// workspace's own phrases, or "" when none does.
func DetectIntent(intents []Intent, text string) string {
	clauses := splitClauses(text)
	whole := " " + foldText(text) + " "
	for _, name := range priority {
		i := slices.IndexFunc(intents, func(in Intent) bool { return in.Name == name })
		if i < 0 || !intents[i].Enabled {
			continue
		}
		if b := builtinByName(name); b != nil && b.matches(clauses, text) {
			return name
		}
		for _, p := range intents[i].Phrases {
			if f := foldText(p); f != "" && strings.Contains(whole, " "+f+" ") {
				return name
			}
		}
	}
	return ""
}

// escalation is the hook in Service.answer: a customer message that shows
// an enabled escalation intent goes to the team without an AI answer.
func escalation(st Settings, question string) (answer, bool) {
	name := DetectIntent(st.Intents, question)
	if name == "" {
		return answer{}, false
	}
	return answer{handoff: conversation.HandoffEscalationIntent, detail: "intent: " + name, question: question}, true
}

func (b *builtin) matches(clauses []string, raw string) bool {
	if b.extra != nil && b.extra(raw) {
		return true
	}
	for _, c := range clauses {
		question := policyQuestion(c)
		for _, r := range b.rules {
			if question && !r.strong {
				continue
			}
			for _, m := range r.re.FindAllStringIndex(c, -1) {
				if r.accepts(c, m[0], m[1]) {
					return true
				}
			}
		}
	}
	return false
}

// accepts checks one match: for a rule that is not strong, no hedge ("I'd
// like to know if ...") in the clause up to its end; unless the rule says
// its own negation, no negation inside it or in the three words before it
// ("I don't want to cancel"), except after a "why" ("why don't you refund
// me").
func (r rule) accepts(clause string, start, end int) bool {
	words := strings.Fields(clause)
	nb := len(strings.Fields(clause[:start]))
	before, inside := words[:nb], words[nb:nb+len(strings.Fields(clause[start:end]))]
	hedge := func(w string) bool { return hedges[w] }
	if !r.strong && (slices.ContainsFunc(before, hedge) || slices.ContainsFunc(inside, hedge)) {
		return false
	}
	if r.negated || slices.ContainsFunc(before, func(w string) bool { return whys[w] }) {
		return true
	}
	for i := max(0, nb-3); i < nb+len(inside); i++ {
		if negation(words, i) {
			return false
		}
	}
	return true
}

// negation reports whether words[i] negates. "no" does only before a verb
// or a pronoun ("no quiero", "no need"): the Portuguese "no" is "in the"
// ("no cartão").
func negation(words []string, i int) bool {
	if words[i] != "no" {
		return negations[words[i]]
	}
	return i+1 < len(words) && afterNo[words[i+1]]
}

// policyQuestion reports whether a clause is a general question ("how long
// do refunds take", "can I get a refund if ...", "is there a fee to
// cancel"): what the documents answer.
func policyQuestion(clause string) bool {
	words := strings.Fields(clause)
	for len(words) > 0 && fillers[words[0]] {
		words = words[1:]
	}
	start := strings.Join(words, " ") + " "
	for _, o := range openers {
		if strings.HasPrefix(start, o+" ") {
			return true
		}
	}
	return false
}

// splitClauses cuts a message at punctuation and folds each clause.
func splitClauses(text string) []string {
	parts := strings.FieldsFunc(text, func(r rune) bool { return strings.ContainsRune(".!?;,:\n¿¡()[]\"“”«»", r) })
	out := make([]string, 0, len(parts))
	for _, p := range parts {
		if f := foldText(p); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// foldText lower-cases text, folds accents ("é" to "e", "ß" to "ss") and
// keeps only words of letters and digits, one space apart: "Don't!" becomes
// "don t", "Où est-il ?" becomes "ou est il".
func foldText(text string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(text) {
		if s, ok := folds[r]; ok {
			b.WriteString(s)
		} else if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			b.WriteRune(r)
		} else {
			b.WriteByte(' ')
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

var folds = func() map[rune]string { //nolint:gochecknoglobals // read-only table, built once
	m := map[rune]string{'ß': "ss", 'œ': "oe", 'æ': "ae", 'ø': "o", 'ł': "l"}
	for base, accented := range map[string]string{
		"a": "àáâãäåā", "c": "çćč", "e": "èéêëēę", "i": "ìíîïī", "n": "ñń", "o": "òóôõöō", "u": "ùúûüū", "y": "ýÿ", "s": "šś", "z": "žźż",
	} {
		for _, r := range accented {
			m[r] = base
		}
	}
	return m
}()

// shouting reports a mostly upper-case message with an exclamation mark.
func shouting(raw string) bool {
	if !strings.Contains(raw, "!") {
		return false
	}
	upper, letters := 0, 0
	for _, r := range raw {
		if unicode.IsLetter(r) {
			letters++
			if unicode.IsUpper(r) {
				upper++
			}
		}
	}
	return letters >= 12 && upper*10 >= letters*7
}

// compile turns a rule's source into a rule. The source is a regular
// expression over a folded clause, led by flags ("!" strong, "~" negated),
// where {name} stands for a word list of macros, " .. " for up to three
// words and " ... " for up to five.
func compile(src string) rule {
	var r rule
	for len(src) > 0 && (src[0] == '!' || src[0] == '~') {
		r.strong = r.strong || src[0] == '!'
		r.negated = r.negated || src[0] == '~'
		src = src[1:]
	}
	src = strings.TrimSpace(src)
	src = macroRef.ReplaceAllStringFunc(src, func(ref string) string {
		words, ok := macros[ref[1:len(ref)-1]]
		if !ok {
			panic(fmt.Sprintf("intent rule %q: unknown macro %s", src, ref))
		}
		return "(?:" + strings.Join(strings.Fields(strings.ReplaceAll(words, "\n", " ")), "|") + ")"
	})
	src = strings.ReplaceAll(src, " ... ", ` (?:\w+ ){0,5}`)
	src = strings.ReplaceAll(src, " .. ", ` (?:\w+ ){0,3}`)
	src = strings.ReplaceAll(src, "_", " ") // "_" joins the words of one alternative in a macro
	r.re = regexp.MustCompile(`\b(?:` + src + `)\b`)
	return r
}

var macroRef = regexp.MustCompile(`\{[a-z_]+\}`)

func compileBuiltins() []builtin {
	out := make([]builtin, 0, len(lexicon))
	for _, d := range lexicon {
		b := builtin{name: d.name, description: d.description, examples: d.examples}
		for _, src := range d.rules {
			b.rules = append(b.rules, compile(src))
		}
		if d.name == IntentAnger {
			b.extra = shouting
		}
		out = append(out, b)
	}
	return out
}

func wordSet(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

// negations are the words that turn a demand around, in the six languages
// ("t" is what is left of "don't", "n" of the French "n'").
//
//nolint:gochecknoglobals // read-only table, built once
var negations = wordSet(`not never t dont nor
	nunca tampoco ni sin
	ne n pas jamais sans aucun aucune
	nicht kein keine keinen keinem keiner nie niemals ohne
	nao nem sem
	non mai senza`)

// afterNo are the words after which "no" negates.
//
//nolint:gochecknoglobals // read-only table, built once
var afterNo = wordSet(`need want wish more longer way one thanks
	me te se lo la le les nos he ha han hemos quiero quiere quisiera necesito puedo puede deseo tengo es estoy voy hay
	vamos sirve funciona`)

// hedges mark a question about a demand rather than the demand ("I'd like
// to know if I can get a refund").
//
//nolint:gochecknoglobals // read-only table, built once
var hedges = wordSet(`know wonder wondering whether if how
	saber si como
	savoir comment
	wissen ob wie
	sapere come
	informacion information informacao informazioni`)

// whys open a complaint, not a negated demand ("why don't you refund me").
var whys = wordSet(`why porque pourquoi warum wieso weshalb perche`) //nolint:gochecknoglobals // read-only table, built once

// fillers are skipped at the start of a clause before looking for an opener.
//
//nolint:gochecknoglobals // read-only table, built once
var fillers = wordSet(`hi hello hey ok okay so and but also please well um
	hola buenas buenos dias y pero
	bonjour salut bonsoir et mais alors
	hallo guten tag und aber also
	ola oi bom dia mas
	ciao salve buongiorno ma allora`)

// openers start a general question or a condition ("if my card is
// stolen"), in the six languages ("_" joins the words of one opener).
var openers = func() []string { //nolint:gochecknoglobals // read-only table, built once
	var out []string
	for _, o := range strings.Fields(`how what whats when which is_there are_there are is_it do_you does do_i can_i could_i may_i
		should_i will_i would_i are_you_able
		como cuanto cuanta cuantos cuantas cual cuales que cuando hay puedo se_puede es_posible aceptan tienen existe
		comment combien quel quelle quels quelles quand est_ce_que est_ce_qu y_a_t_il puis_je peut_on acceptez_vous faut_il qu_est_ce
		wie was wann welche welcher welches gibt_es kann_ich kann_man darf_ich muss_ich akzeptieren_sie ist_es
		quanto quanta quantos qual quais o_que ha posso da_para e_possivel aceitam voces_aceitam
		quanti quale quali cosa che_cosa c_e ci_sono si_puo accettate devo
		if in_case si en_cas au_cas wenn falls im_falle caso qualora nel_caso`) {
		out = append(out, strings.ReplaceAll(o, "_", " "))
	}
	return out
}()
