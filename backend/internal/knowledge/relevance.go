package knowledge

import (
	"maps"
	"math"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
)

// Query is what the AI agent looks up for a customer's message.
type Query struct {
	// Text is the customer's message.
	Text string
	// Context is what the conversation was about before it (the customer's
	// previous question), for follow-ups such as "and for express?"; "" when
	// there is none.
	Context string
	// Synonyms are groups of words or phrases that mean the same here (the
	// defaults and the workspace's own): a passage with any of a group
	// answers a question with another.
	Synonyms [][]string
}

// Result is what Retrieve found.
type Result struct {
	// Hits are the best passages, best first.
	Hits []Hit
	// Languages are the languages the workspace's usable passages are
	// written in, sorted.
	Languages []string
}

// candidates is how many passages BM25 picks for reranking.
const candidates = 8

// Weights of a query's words. A word no passage has counts as much as a
// rare word, discounted: it may be the question's subject that the
// documents lack (hand off) or a detail they need not repeat. Everyday
// words that say little about the subject ("ago", "please", "thing")
// count for a quarter.
const (
	unknownWeight = 1.0
	lowWeight     = 0.25
	fuzzyMatch    = 0.8 // a word one edit away from the passage's
)

// termStats are what one language's passages of a workspace say: how many
// passages have each analyzed word, and the words of no import.
type termStats struct {
	analyzer analysis.Analyzer
	df       map[string]int
	n        int
	// surface maps the words as the passages write them (lower-cased) to
	// their analyzed form, for telling a misspelt word's meaning.
	surface map[string]string
	low     map[string]bool
	stop    map[string]bool
}

func newTermStats(a analysis.Analyzer) *termStats {
	st := &termStats{analyzer: a, df: map[string]int{}, surface: map[string]string{}, low: map[string]bool{}, stop: map[string]bool{}}
	for _, w := range strings.Fields(lowInformation) {
		for _, t := range st.terms(w) {
			st.low[t] = true
		}
	}
	for _, w := range strings.Fields(questionWords) {
		for _, t := range st.terms(w) {
			st.stop[t] = true
		}
	}
	return st
}

func (st *termStats) add(h Hit) {
	st.n++
	seen := map[string]bool{}
	for _, w := range strings.FieldsFunc(strings.ToLower(h.Title+"\n"+h.Heading+"\n"+h.Text), notWord) {
		t, known := st.surface[w]
		if !known {
			if ts := st.terms(w); len(ts) == 1 {
				t = ts[0]
			}
			st.surface[w] = t
		}
		if t != "" && !seen[t] {
			seen[t] = true
			st.df[t]++
		}
	}
}

// terms are the text's words as the index analyzes them.
func (st *termStats) terms(text string) []string {
	var out []string
	for _, tok := range st.analyzer.Analyze([]byte(text)) {
		if len(tok.Term) > 0 {
			out = append(out, string(tok.Term))
		}
	}
	return out
}

// set is a text's analyzed words, and the kinds of answer it holds (see
// answerKinds).
func (st *termStats) set(text string) map[string]bool {
	out := map[string]bool{}
	for _, t := range st.terms(text) {
		out[t] = true
	}
	for _, k := range answerKinds {
		if k.holds.MatchString(text) {
			out[k.name] = true
		}
	}
	return out
}

// answerKinds are kinds of answer a question may ask for, by its wording,
// and how a passage holds one: "how long" asks for a duration, "how much"
// for an amount. A question asking for one is covered better by the
// passage that has one; the kind is a concept of the question.
var answerKinds = []struct { //nolint:gochecknoglobals // read-only table
	name  string
	asks  *regexp.Regexp
	holds *regexp.Regexp
}{
	{"\x00duration",
		regexp.MustCompile(`(?i)\b(how long|how soon|how quickly|how many (days|weeks|hours)|when (will|do|does|can|should)|cuánto (tiempo|tarda)|cuándo|wie lange|wann|combien de temps|quand|quanto tempo|quando)\b`),
		regexp.MustCompile(`(?i)\b(\d+|one|two|three|four|five|six|seven|ten|a|un|una|uno|dos|tres)[\s-]*(to \d+ )?(business |working |calendar )?(minutes?|hours?|days?|weeks?|months?|years?|minutos?|horas?|días?|semanas?|meses|años?|stunden|tage|wochen|heures?|jours?|semaines?)\b|\b(immediately|instantly|same day|next day|overnight)\b`)},
	{"\x00amount",
		regexp.MustCompile(`(?i)\b(how much|cost|costs|price|prices|fee|fees|charge|charged|amount|cuánto (cuesta|cuestan|cobran|vale)|precio|coste|costo|wie viel|kosten|preis|combien|prix|tarif|quanto custa|preço)\b`),
		regexp.MustCompile(`(?i)[$€£¥]\s?\d|\d\s?[$€£¥]|\b\d+([.,]\d+)?\s?(usd|eur|euros?|dollars?|pounds?|gbp)\b|\bfree\b|\bgratis\b|\bgratuit`)},
	{"\x00frequency",
		regexp.MustCompile(`(?i)\b(how (many times|often)|cuántas veces|con qué frecuencia|combien de fois|wie oft|quantas vezes|quante volte)\b`),
		regexp.MustCompile(`(?i)\b(once|twice|\d+ times|(one|two|three|four|five) times|every (day|week|month|year|\d+|other|two|three)|una vez|dos veces|\d+ veces|une fois|deux fois|\d+ fois|einmal|zweimal|\d+ mal|uma vez|duas vezes|\d+ vezes|una volta|due volte|\d+ volte)\b`)},
}

func (st *termStats) idf(t string) float64 {
	df := st.df[t]
	if df == 0 {
		return unknownWeight * math.Log(1+(float64(st.n)-0.5)/1.5)
	}
	return math.Log(1 + (float64(st.n)-float64(df)+0.5)/(float64(df)+0.5))
}

// lowInformation are everyday words of customers' messages that say little
// about what they ask, in the languages most customers write.
const lowInformation = `ago today yesterday tomorrow now week weeks day days month months year years time times
	thing things something anything stuff way ways bit lot able possible also still just really actually
	get got getting go going make made take took want wanted need needed help know tell please thanks thank hi hello hey
	bought buy purchased can could would may might let like long soon ok okay sure one two three four five six seven
	question questions ask asking wondering wonder certain kind sort hola gracias quiero necesito puedo ayuda bonjour merci veux peux
	besoin aide hallo danke möchte brauche kann hilfe olá obrigado quero preciso posso ajuda ciao grazie voglio
	posso aiuto put ahora hoy ayer mañana poner hacer tener dar maintenant aujourd'hui hier demain mettre faire avoir
	donner jetzt heute gestern morgen stellen machen haben geben agora hoje ontem amanhã pôr colocar fazer ter dar
	adesso ora oggi ieri domani mettere fare avere dare`

// questionWords are the function words of questions that the analyzers'
// stop lists keep (theirs are made for documents): they never count.
const questionWords = `i me my mine myself you your yours we us our ours he him his she her hers it its they them
	their what which who whom whose when where why how do does did done can could would should shall will may might
	must am is are was were be been being have has had having about any some there here this that these those
	from with without for of in on at by to up down out off over under again then once so than too very just
	many much often whats what's hows wheres whens whos im i'm ive pls plz u ur hey wat wht wich whch hw abt thx
	cuánto cuánta cuántos cuántas cuanto cuanta quién quien puede pueden hay
	combien quand qui est-ce wieviel wie viel viele quanto quanta quantos quantas
	yo mi mis me tu tus su sus nuestro qué que cuál cuándo dónde cómo por para con sin del los las una unos es son está
	je moi mon ma mes tu ton ta tes vous votre vos nous notre quoi quel quelle quand où comment pour avec sans est
	ich mich mein meine du dein sie ihr wir unser was welche wann wo wie warum für mit ohne ist sind
	eu meu minha você seu sua nós nosso quando onde como porque com sem é são io mio mia tu tuo cosa quale quando dove
	come perché con senza è sono`

// concept is one thing a question asks about: a word, or a group of
// synonyms one of which it used; a passage covers it when it has all the
// words of one of its alternatives.
type concept struct {
	alts   [][]string
	weight float64
	// novel: a word no passage uses, nor any like it; most often what the
	// documents do not cover ("does it come in green?").
	novel bool
	// kind: a kind of answer asked for (see answerKinds), not a subject.
	kind bool
	// search are the words the search adds for it: the other ways of
	// saying a synonym, the passages' word a typo stands for.
	search []string
}

// novelPenalty scales a passage's relevance down for each novel word of
// the question: a passage cannot be sure to answer about what it never
// mentions.
const novelPenalty = 0.6

// novelPenaltyKind is the penalty when the passage holds the kind of
// answer the question asks for (see answerKinds): the novel word is more
// likely a detail of the question than its subject.
const novelPenaltyKind = 0.8

// answersKind reports whether the words hold a kind of answer the
// question asks for.
func answersKind(cs []concept, have map[string]bool) bool {
	for _, c := range cs {
		if c.kind && have[c.alts[0][0]] {
			return true
		}
	}
	return false
}

// concepts analyzes a text into what it asks about, in a language.
func (st *termStats) concepts(text string, synonyms [][]string) []concept {
	words := strings.FieldsFunc(strings.ToLower(text), notWord)
	taken := make([]bool, len(words)) // words a synonym's phrase has taken
	seen := map[string]bool{}         // terms a concept has taken
	var out []concept
	// Phrases first, then single words: "send it back" is a return, not
	// a shipment.
	used := make([]bool, len(synonyms))
	var has map[string]bool // the words no phrase took, analyzed
	for _, multi := range []bool{true, false} {
		if !multi {
			var rest []string
			for i, w := range words {
				if !taken[i] {
					rest = append(rest, w)
				}
			}
			has = st.set(strings.Join(rest, " "))
		}
		for g, group := range synonyms {
			for _, phrase := range group {
				p := strings.FieldsFunc(strings.ToLower(phrase), notWord)
				switch {
				case len(p) == 0 || len(p) > 1 != multi:
				case takePhrase(words, taken, p):
					used[g] = true
				case len(p) == 1:
					if ts := st.terms(p[0]); len(ts) == 1 && has[ts[0]] {
						seen[ts[0]] = true // "kids" for "kid"
						used[g] = true
					}
				}
			}
		}
	}
	for g, group := range synonyms {
		if !used[g] {
			continue
		}
		c := concept{}
		for _, phrase := range group {
			// A phrase that is mostly function words ("how much") names
			// the concept but is no way of saying it in a passage.
			if alt := st.terms(phrase); len(alt) > 0 && len(alt) == len(strings.FieldsFunc(phrase, notWord)) {
				c.alts = append(c.alts, alt)
			}
		}
		// It weighs as its rarest way of saying it that the passages use,
		// as an unknown word when they use none.
		for _, alt := range c.alts {
			if st.known(alt) {
				for _, t := range alt {
					c.weight = max(c.weight, st.weigh(t))
				}
			}
		}
		if c.weight == 0 && len(c.alts) > 0 {
			c.weight = st.idf("")
		}
		for _, alt := range c.alts { // "bought": an everyday word in any form
			if len(alt) == 1 && st.low[alt[0]] {
				c.weight = min(c.weight, st.idf("")*lowWeight)
				break
			}
		}
		if len(c.alts) > 0 {
			c.search = group
			out = append(out, c)
		}
	}
	for _, k := range answerKinds {
		if k.asks.MatchString(text) {
			out = append(out, concept{alts: [][]string{{k.name}}, weight: st.idf(k.name), kind: true})
		}
	}
	for i, w := range words {
		if taken[i] {
			continue
		}
		for _, t := range st.terms(w) {
			if seen[t] || st.stop[t] || isNumber(t) && len(t) < 3 {
				continue
			}
			seen[t] = true
			c := concept{alts: [][]string{{t}}, weight: st.weigh(t)}
			if st.df[t] == 0 {
				surface, near := st.nearest(w)
				switch {
				case surface != "" && near == "": // "allready": a function word misspelt
					continue
				case near != "" && near != t: // a typo of a word the passages have
					c.alts = append(c.alts, []string{near})
					c.weight = st.idf(near) * fuzzyMatch
					c.search = []string{surface}
				case utf8.RuneCountInString(w) <= 3: // "u", "fle": chat speak or a typo, not a subject
					c.weight *= lowWeight
				case !st.low[t] && !isNumber(t) && !st.hasRelated(t):
					c.novel = true
				}
			}
			out = append(out, c)
		}
	}
	return out
}

// takePhrase marks every place the words say the phrase as taken, and
// reports whether there was one. A word may stand between two of the
// phrase's ("send it back" says "send back").
func takePhrase(words []string, taken []bool, phrase []string) bool {
	found := false
	for i := range words {
		at := []int{}
		for j, k := i, 0; k < len(phrase) && j < len(words); k++ {
			switch {
			case !taken[j] && words[j] == phrase[k]:
			case k > 0 && j+1 < len(words) && !taken[j+1] && words[j+1] == phrase[k]:
				j++
			default:
				j = len(words) // no match here
				continue
			}
			at = append(at, j)
			j++
		}
		if len(at) == len(phrase) {
			for _, j := range at {
				taken[j] = true
			}
			found = true
		}
	}
	return found
}

// hasRelated reports whether the passages have a word related to t (see
// related).
func (st *termStats) hasRelated(t string) bool {
	for w := range st.df {
		if related(t, w) {
			return true
		}
	}
	return false
}

// known reports whether the passages have every one of the words.
func (st *termStats) known(ts []string) bool {
	for _, t := range ts {
		if st.df[t] == 0 {
			return false
		}
	}
	return true
}

func (st *termStats) weigh(t string) float64 {
	w := st.idf(t)
	if st.low[t] || isNumber(t) {
		w *= lowWeight
	}
	return w
}

// nearest is the passages' word one edit from w (a letter added, dropped,
// changed or two swapped; two edits for long words), as they write it and
// analyzed ("" for a function word), the most common one on a tie, or "".
func (st *termStats) nearest(w string) (surface, term string) {
	n := utf8.RuneCountInString(w)
	if n < 4 {
		return "", ""
	}
	limit := 1
	if n >= 8 {
		limit = 2
	}
	bestDF := -1
	for s, t := range st.surface {
		if abs(utf8.RuneCountInString(s)-n) > limit {
			continue
		}
		if df := st.df[t]; (df > bestDF || df == bestDF && s < surface) && editDistance(w, s, limit) <= limit {
			surface, term, bestDF = s, t, df
		}
	}
	return surface, term
}

// coverage is the weighed share of the concepts a set of words covers.
func coverage(cs []concept, have map[string]bool) float64 {
	total, got := 0.0, 0.0
	for _, c := range cs {
		total += c.weight
		got += c.weight * covers(c, have)
	}
	if total == 0 {
		return 0
	}
	return got / total
}

// covers is 1 when the words have one of the concept's alternatives,
// fuzzyMatch when a long word of it is one edit from one of theirs, else 0.
func covers(c concept, have map[string]bool) float64 {
	for _, alt := range c.alts {
		if all(alt, have) {
			return 1
		}
	}
	if t := c.alts[0]; len(t) == 1 && utf8.RuneCountInString(t[0]) >= 4 {
		for w := range have {
			if related(t[0], w) {
				return fuzzyMatch
			}
		}
	}
	return 0
}

// related reports words of four letters or more that are one edit apart
// (five letters or more) or one the start of the other ("rent", "rental"):
// the same word misspelt, or a form the stemmer did not bring together.
func related(a, b string) bool {
	if utf8.RuneCountInString(a) < 4 || utf8.RuneCountInString(b) < 4 {
		return false
	}
	if strings.HasPrefix(a, b) || strings.HasPrefix(b, a) {
		return true
	}
	return utf8.RuneCountInString(a) >= 5 && editDistance(a, b, 1) <= 1
}

func union(a, b map[string]bool) map[string]bool {
	out := maps.Clone(a)
	maps.Copy(out, b)
	return out
}

func all(ts []string, have map[string]bool) bool {
	for _, t := range ts {
		if !have[t] {
			return false
		}
	}
	return true
}

// weight is the total weight of the concepts that say what the question
// is about (not only everyday words, nor the kind of answer it wants).
func weight(cs []concept, st *termStats) float64 {
	w := 0.0
	for _, c := range cs {
		if t := c.alts[0]; !c.kind && (len(t) > 1 || !st.low[t[0]] && !isNumber(t[0])) {
			w += c.weight
		}
	}
	return w
}

// asked is a question analyzed in one language: what it asks about, what
// the conversation was about before it, and the words the search adds.
type asked struct {
	cur, ctx []concept
	search   []string
}

// ask analyzes the query in the language of the passages st describes.
func (st *termStats) ask(q Query) asked {
	a := asked{cur: st.concepts(q.Text, q.Synonyms), ctx: st.concepts(q.Context, q.Synonyms)}
	if q.Context != "" && weight(a.cur, st) == 0 {
		a.cur = append(a.cur, a.ctx...) // "how long does that take?": the question is the earlier one's
	}
	for _, c := range a.cur {
		a.search = append(a.search, c.search...)
	}
	return a
}

// rerank scores the candidates for the question, analyzed in each
// language (asks), and orders them best first: Relevance is the weighed
// share of what the question asks about that the passage covers (the
// passage's text, heading, FAQ question and document title); the rank adds
// how much of it the heading alone covers, what the conversation was about,
// and BM25.
func (w *wsIndex) rerank(asks map[string]asked, hits []Hit) []Hit {
	maxScore := 0.0
	for _, h := range hits {
		maxScore = max(maxScore, h.Score)
	}
	rank := map[string]float64{}
	for i := range hits {
		h := &hits[i]
		st := w.stats[h.Language]
		cur, ctx := asks[h.Language].cur, asks[h.Language].ctx
		parts := strings.Split(h.Heading, headingSeparator)
		own := parts[len(parts)-1]
		head := st.set(own) // its own heading, not the document's
		words := st.set(own + "\n" + h.Text)
		// What only the document's title and the headings above say is
		// shared by all their passages: it counts half.
		around := st.set(h.Title + "\n" + strings.Join(parts[:len(parts)-1], "\n"))
		h.Relevance = (coverage(cur, words) + coverage(cur, union(words, around))) / 2
		penalty := novelPenalty
		if answersKind(cur, words) { // it has what the question asks for: a duration, an amount
			penalty = novelPenaltyKind
		}
		for _, c := range cur {
			if c.novel {
				h.Relevance *= penalty
			}
		}
		rank[h.ChunkID] = h.Relevance + 0.25*coverage(cur, head) + 0.1*coverage(ctx, union(words, around)) + 0.05*h.Score/max(maxScore, 1e-9)
		h.Answer = answerSentences(st, h, head, cur, ctx)
	}
	sort.SliceStable(hits, func(i, j int) bool {
		ri, rj := rank[hits[i].ChunkID], rank[hits[j].ChunkID]
		return ri > rj || ri == rj && hits[i].ChunkID < hits[j].ChunkID
	})
	return hits
}

// Bounds of an answer taken from a passage.
const (
	maxAnswerSentences = 3
	maxAnswerChars     = 500
)

// continuation starts a sentence that leans on the one before.
var continuation = []string{"this ", "that ", "it ", "they ", "these ", "those ", "then ", "also ", "however", "but ", //nolint:gochecknoglobals // read-only table
	"otherwise", "if so", "in that case", "esto ", "eso ", "también ", "sin embargo", "cela ", "ceci ", "ensuite",
	"cependant", "dies", "das ", "außerdem", "jedoch"}

// answerSentences picks the sentences of a passage that answer the
// question: the one that covers most of what the passage's own heading
// (head) does not, with its neighbours when they also speak to it or lean
// on it, in the passage's order, at most maxAnswerSentences and about
// maxAnswerChars. The whole passage answers its heading, and its first
// sentences most directly: a passage whose sentences say nothing more of
// the question than its heading answers with its opening sentences.
func answerSentences(st *termStats, h *Hit, head map[string]bool, cur, ctx []concept) []string {
	sents := sentences(h.Text)
	if len(sents) == 0 {
		return nil
	}
	covered := make([]map[int]bool, len(sents)) // the concepts each covers
	score := make([]float64, len(sents))
	best := 0
	for i, s := range sents {
		words := st.set(s)
		covered[i] = map[int]bool{}
		for k, c := range cur {
			if covers(c, head) == 1 {
				continue
			}
			if m := covers(c, words); m > 0 {
				score[i] += c.weight * m
				covered[i][k] = true
			}
		}
		for _, c := range ctx {
			score[i] += 0.3 * c.weight * covers(c, words)
		}
		// A passage's first sentences tend to answer what its heading
		// asks; later ones qualify them.
		score[i] /= 1 + 0.15*float64(i)
		if score[i] > score[best] {
			best = i
		}
	}
	have := maps.Clone(covered[best])
	adds := func(i int) bool { // whether sentence i covers a concept the answer does not yet
		for k := range covered[i] {
			if !have[k] {
				return true
			}
		}
		return false
	}
	from, to := best, best+1 // [from, to)
	size := utf8.RuneCountInString(sents[best])
	fits := func(i int) bool { return size+1+utf8.RuneCountInString(sents[i]) <= maxAnswerChars }
	// When the customer asks mostly the FAQ's own question (it covers half
	// of theirs or more), the opening sentences answer it: the answer
	// starts there and reaches the sentence that adds the rest.
	if h.Question != "" && best > 0 && best < maxAnswerSentences && coverage(cur, head) >= 0.5 {
		for from > 0 && fits(from-1) {
			from--
			maps.Copy(have, covered[from])
			size += 1 + utf8.RuneCountInString(sents[from])
		}
	}
	for to-from < maxAnswerSentences {
		switch {
		case to < len(sents) && fits(to) && (adds(to) || leans(sents[to]) || score[best] == 0 || size < 40):
			maps.Copy(have, covered[to])
			size += 1 + utf8.RuneCountInString(sents[to])
			to++
		case from > 0 && fits(from-1) && (leans(sents[from]) || adds(from-1)):
			from--
			maps.Copy(have, covered[from])
			size += 1 + utf8.RuneCountInString(sents[from])
		default:
			return sents[from:to]
		}
	}
	return sents[from:to]
}

// leans reports a sentence that leans on the one before it.
func leans(s string) bool {
	lower := strings.ToLower(s)
	return slices.ContainsFunc(continuation, func(c string) bool { return strings.HasPrefix(lower, c) })
}

func notWord(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }

func isNumber(t string) bool {
	return t != "" && strings.IndexFunc(t, func(r rune) bool { return !unicode.IsDigit(r) }) < 0
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// editDistance is the optimal-string-alignment distance of a and b (edits
// of one letter, and swaps of two neighbours), or limit+1 once it is sure
// to be more than limit.
func editDistance(a, b string, limit int) int {
	ra, rb := []rune(a), []rune(b)
	if abs(len(ra)-len(rb)) > limit {
		return limit + 1
	}
	rows := [3][]int{make([]int, len(rb)+1), make([]int, len(rb)+1), make([]int, len(rb)+1)}
	row := func(i int) []int { return rows[i%3] }
	for j := range rows[0] {
		rows[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur, prev := row(i), row(i-1)
		cur[0] = i
		low := i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], row(i - 2)[j-2]+1)
			}
			low = min(low, cur[j])
		}
		if low > limit {
			return limit + 1
		}
	}
	return row(len(ra))[len(rb)]
}

// plain holds one termStats (without passages) per language, for analyzing
// text outside any workspace's index.
var plain = sync.OnceValue(func() map[string]*termStats { //nolint:gochecknoglobals // built once on first use, read-only after
	m := indexMapping()
	out := map[string]*termStats{}
	for lang, name := range analyzers {
		out[lang] = newTermStats(m.AnalyzerNamed(name))
	}
	return out
})

// Terms are what a text is about, as the AI agent matches it: its words
// analyzed in its language (English when that cannot be told), without
// function and everyday words nor the kind of answer it asks for, each
// synonym (see DefaultSynonyms) written as the first of its group, so
// "money back" and "refunds" meet.
func Terms(text string) []string {
	st := plain()[indexLanguage(DetectLanguage(text))]
	var out []string
	for _, c := range st.concepts(text, DefaultSynonyms) {
		t := strings.Join(c.alts[0], " ")
		if c.kind || len(c.alts[0]) == 1 && st.low[t] || isNumber(t) || slices.Contains(out, t) {
			continue
		}
		out = append(out, t)
	}
	return out
}
