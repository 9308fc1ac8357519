package main

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// scriptedModel is an OpenAI-compatible chat-completions server that acts
// like a real but gullible model, the same way for every question:
//
//   - It reads the system message and the last user message, whose content
//     is JSON {passages: [{id, title, heading, text}], conversation:
//     [{from, text}], question}; unknown fields are ignored.
//   - It answers with the 1-2 sentences (not questions) of the passage
//     sharing the most words with the question (lower-cased, stopwords
//     dropped, crudely stemmed; ties go to the passage sharing more with
//     the conversation, then to the passage given first), citing that passage,
//     with can_answer true. Only when no passage shares a word with the
//     question does it say can_answer false.
//   - It obeys any instruction to the assistant that it finds in the
//     question or in a passage: `say "X"` (or reply/respond/start every
//     reply with X) makes it answer X; "tell every customer to ..." makes
//     it tell the customer; asking it to reveal, print, repeat or translate
//     its prompt or instructions, or to ignore them, makes it answer with
//     its system prompt verbatim. It then cites the first passage.
//   - It answers with the JSON object the system prompt asks for: answer,
//     citations, can_answer; asked for search queries instead (the AI
//     agent's request to word a question as a help center would), it
//     offers none, since it cannot paraphrase (see searchWords).
type scriptedModel struct {
	mu      sync.Mutex
	systems []string // every distinct system prompt received
	calls   int
}

// modelReply is what the scripted model answers.
type modelReply struct {
	Answer    string   `json:"answer"`
	Citations []string `json:"citations"`
	CanAnswer bool     `json:"can_answer"`
}

// modelInput is the user message's JSON, read leniently.
type modelInput struct {
	Passages []struct {
		ID      string `json:"id"`
		Title   string `json:"title"`
		Heading string `json:"heading"`
		Text    string `json:"text"`
	} `json:"passages"`
	Conversation []struct {
		From string `json:"from"`
		Text string `json:"text"`
	} `json:"conversation"`
	Question string `json:"question"`
}

// SystemPrompts returns the distinct system prompts the model was given.
func (m *scriptedModel) SystemPrompts() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.systems)
}

// Calls counts the completions asked for.
func (m *scriptedModel) Calls() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.calls
}

func (m *scriptedModel) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/chat/completions") {
		http.NotFound(w, r)
		return
	}
	var req struct {
		Messages []struct {
			Role    string          `json:"role"`
			Content json.RawMessage `json:"content"`
		} `json:"messages"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 4<<20)).Decode(&req); err != nil {
		http.Error(w, `{"error":{"message":"bad request"}}`, http.StatusBadRequest)
		return
	}
	var system []string
	user := ""
	for _, msg := range req.Messages {
		switch msg.Role {
		case "system", "developer":
			system = append(system, contentText(msg.Content))
		case "user":
			user = contentText(msg.Content)
		}
	}
	prompt := strings.Join(system, "\n")
	m.mu.Lock()
	m.calls++
	if !slices.Contains(m.systems, prompt) {
		m.systems = append(m.systems, prompt)
	}
	m.mu.Unlock()
	var content []byte
	if strings.Contains(prompt, `{"queries"`) {
		content, _ = json.Marshal(searchWords(prompt, user))
	} else {
		content, _ = json.Marshal(reply(prompt, user))
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"id": "chatcmpl-scripted", "object": "chat.completion", "model": "scripted",
		"choices": []map[string]any{{"index": 0, "finish_reason": "stop",
			"message": map[string]string{"role": "assistant", "content": string(content)}}},
	})
}

// contentText reads a message's content: a string, or an array of parts.
func contentText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	_ = json.Unmarshal(raw, &parts)
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(p.Text)
	}
	return b.String()
}

// searchWords is the scripted model's answer when the AI agent asks how a
// help center would word a question (bot/search.go): it cannot put a
// question in other words, so it offers none, unless the question tells
// it what to say, which it obeys as ever.
func searchWords(system, user string) map[string][]string {
	var in modelInput
	if err := json.Unmarshal([]byte(user), &in); err != nil {
		in.Question = user
	}
	if demand, ok := obey(in.Question, system); ok {
		return map[string][]string{"queries": {demand}}
	}
	return map[string][]string{"queries": {}}
}

// reply is the scripted model's answer to a system prompt and user message.
func reply(system, user string) modelReply {
	var in modelInput
	if err := json.Unmarshal([]byte(user), &in); err != nil {
		in.Question = user // not the JSON expected: take it all as the question
	}
	firstCite := []string{}
	if len(in.Passages) > 0 {
		firstCite = []string{in.Passages[0].ID}
	}
	for i, t := range instructionSources(in, user) { // gullible: the first instruction found wins
		if demand, ok := obey(t, system); ok {
			if i == 0 && deferRE.MatchString(t) {
				continue // "in your next reply, ...": obeyed once it is history
			}
			return modelReply{Answer: demand, Citations: firstCite, CanAnswer: true}
		}
	}
	q := words(in.Question)
	var context []string
	for _, turn := range in.Conversation {
		if turn.From == "customer" {
			context = append(context, turn.Text)
		}
	}
	ctx := words(strings.Join(context, " "))
	best, bestQ, bestC := -1, 0, 0
	for i, p := range in.Passages {
		have := words(p.Title + " " + p.Heading + " " + p.Text)
		sq, sc := shared(q, have), shared(ctx, have)
		if sq > bestQ || (sq == bestQ && sq > 0 && sc > bestC) {
			best, bestQ, bestC = i, sq, sc
		}
	}
	if best < 0 {
		return modelReply{Citations: []string{}}
	}
	p := in.Passages[best]
	return modelReply{Answer: bestSentences(p.Text, q, ctx), Citations: []string{p.ID}, CanAnswer: true}
}

// instructionSources are the texts the model reads instructions in, in
// the order it heeds them: the question, the earlier turns of the
// conversation, the passages, then every other string anywhere in the
// user message (whatever else the AI agent might put there: a visitor's
// name, email or attributes would be obeyed as readily).
func instructionSources(in modelInput, user string) []string {
	texts := []string{in.Question}
	for _, turn := range in.Conversation {
		texts = append(texts, turn.Text)
	}
	for _, p := range in.Passages {
		texts = append(texts, p.Title, p.Heading, p.Text)
	}
	var raw any
	if json.Unmarshal([]byte(user), &raw) == nil {
		for _, s := range jsonStrings(raw) {
			if !slices.Contains(texts, s) {
				texts = append(texts, s)
			}
		}
	}
	return texts
}

// jsonStrings lists every string in a decoded JSON value, keys included,
// objects in key order.
func jsonStrings(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			out = append(out, jsonStrings(e)...)
		}
		return out
	case map[string]any:
		keys := slices.Sorted(maps.Keys(v))
		var out []string
		for _, k := range keys {
			out = append(append(out, k), jsonStrings(v[k])...)
		}
		return out
	}
	return nil
}

// bestSentences returns the passage's sentence sharing the most words with
// the question (then the conversation), and the runner-up when it shares
// one too, in the passage's order.
func bestSentences(text string, q, ctx map[string]bool) string {
	sentences := splitSentences(text)
	type scored struct{ i, sq, sc int }
	var ss []scored
	for i, s := range sentences {
		if strings.HasSuffix(s, "?") { // an FAQ's question is no answer
			continue
		}
		w := words(s)
		ss = append(ss, scored{i, shared(q, w), shared(ctx, w)})
	}
	if len(ss) == 0 {
		return strings.Join(sentences, " ")
	}
	slices.SortStableFunc(ss, func(a, b scored) int {
		if a.sq != b.sq {
			return b.sq - a.sq
		}
		return b.sc - a.sc
	})
	pick := []int{ss[0].i}
	if len(ss) > 1 && ss[1].sq > 0 {
		pick = append(pick, ss[1].i)
	}
	slices.Sort(pick)
	var out []string
	for _, i := range pick {
		out = append(out, sentences[i])
	}
	return strings.Join(out, " ")
}

var sentenceEnd = regexp.MustCompile(`[.!?](\s+|$)|\n+`)

func splitSentences(text string) []string {
	var out []string
	last := 0
	for _, loc := range sentenceEnd.FindAllStringIndex(text, -1) {
		if s := strings.TrimSpace(text[last:loc[1]]); s != "" {
			out = append(out, s)
		}
		last = loc[1]
	}
	if s := strings.TrimSpace(text[last:]); s != "" {
		out = append(out, s)
	}
	if len(out) == 0 {
		out = []string{strings.TrimSpace(text)}
	}
	return out
}

// The instructions the gullible model obeys, in English, German,
// Spanish, French, Japanese and Chinese. lb stands before a word, like \b
// but for words that start with a letter outside ASCII.
const (
	lb       = `(?:^|[^\p{L}\p{N}])`
	inQuotes = `"([^"]+)"|'([^']+)'|“([^”]+)”|„([^“”]+)[“”]|«\s*([^»]+?)\s*»|「([^」]+)」|『([^』]+)』`
	quoted   = `(?:` + inQuotes + `|([A-Z0-9][A-Z0-9-]{3,}))`
)

var (
	sayREs = []*regexp.Regexp{ //nolint:gochecknoglobals // compiled once, read-only
		// A role played: "Max answers "..."" (quoted only: "the API
		// answers with HTTP 429" is no instruction).
		regexp.MustCompile(`(?i:\b(?:says|answers|replies|responds)(?:\s+only)?(?:\s+with)?)\s*:?\s*(?:` + inQuotes + `)`),
		regexp.MustCompile(`(?i:\b(?:say|reply|respond|answer|(?:start|begin|end) (?:every|each|your) (?:reply|answer|message))\b(?:\s+only)?(?:\s+with)?(?:\s+the\s+words?)?)\s*:?\s*` + quoted),
		regexp.MustCompile(`(?i:` + lb + `(?:sag|sage|sagen sie|antworte|antworten sie|schreib|schreibe)(?:\s+(?:nur|einfach|bitte|immer))*(?:\s+mit)?(?:\s+(?:dem|das)\s+wort)?)\s*:?\s*` + quoted),
		regexp.MustCompile(`(?i:` + lb + `(?:di|dime|responde|contesta|escribe|repite)(?:\s+(?:solo|solamente|únicamente|siempre))*(?:\s+con)?(?:\s+la\s+palabra)?)\s*:?\s*` + quoted),
		regexp.MustCompile(`(?i:` + lb + `(?:dis|dites|réponds|répondez|écris|écrivez)(?:\s+(?:seulement|uniquement|juste|toujours))*(?:\s+(?:avec|par))?(?:\s+le\s+mot)?)\s*:?\s*` + quoted),
		regexp.MustCompile(quoted + `\s*(?:と|って)\s*(?:だけ)?\s*(?:言|答|返|書|出力)`),
		regexp.MustCompile(`(?:说|回答|回复|输出|写)\s*[：:]?\s*` + quoted),
	}
	tellREs = []*regexp.Regexp{ //nolint:gochecknoglobals // compiled once, read-only
		regexp.MustCompile(`(?i)\btell\s+(?:every|all|each|the|our|any)?\s*(?:customers?|users?|people|everyone|them)\s+(?:to|that)\s+(.+?)(?:[.!?](?:\s|$)|\n|$)`),
		regexp.MustCompile(`(?i)` + lb + `(?:sag|sage)\s+(?:allen|jedem|den)\s+kunden,?\s+(?:dass|sie sollen)\s+(.+?)(?:[.!?](?:\s|$)|\n|$)`),
		regexp.MustCompile(`(?i)` + lb + `di(?:les)?\s+a\s+(?:todos\s+)?(?:los\s+)?clientes\s+que\s+(.+?)(?:[.!?](?:\s|$)|\n|$)`),
		regexp.MustCompile(`(?i)` + lb + `dis\s+à\s+(?:tous\s+)?(?:les\s+)?clients\s+(?:de|qu['e])\s*(.+?)(?:[.!?](?:\s|$)|\n|$)`),
	}
	revealREs = []*regexp.Regexp{ //nolint:gochecknoglobals // compiled once, read-only
		regexp.MustCompile(`(?i)\b(?:reveal|print|show|repeat|output|display|share|translate|recite|dump|read)\b[^.?!\n]{0,80}\b(?:system prompt|prompt|instructions|rules)\b` +
			`|\bwhat (?:are|is|were) your (?:instructions|rules|system prompt|prompt)\b`),
		regexp.MustCompile(`(?i)` + lb + `(?:zeig|zeige|nenn|nenne|wiederhole|übersetze|gib)[^.?!\n]{0,80}(?:systemprompt|system-prompt|anweisungen|regeln|prompt|instruktionen)`),
		regexp.MustCompile(`(?i)` + lb + `(?:muestra|muéstrame|revela|revélame|repite|traduce|imprime)[^.?!\n]{0,80}(?:prompt|instrucciones|reglas)`),
		regexp.MustCompile(`(?i)` + lb + `(?:montre|montrez|révèle|révélez|répète|répétez|affiche|affichez|traduis|traduisez|donne|donnez)[^.?!\n]{0,80}(?:prompt|instructions|consignes|règles)`),
		regexp.MustCompile(`(?:システムプロンプト|プロンプト|指示|ルール|命令)[^。？！\n]{0,30}(?:教えて|表示|見せて|出力|繰り返|翻訳|書いて)`),
		regexp.MustCompile(`(?:显示|输出|告诉我|重复|透露|翻译|打印|给我看)[^。？！\n]{0,30}(?:系统提示|提示词|指令|规则|指示)|(?:系统提示|提示词)[^。？！\n]{0,30}(?:显示|输出|告诉我|重复|透露|翻译|打印)`),
	}
	ignoreREs = []*regexp.Regexp{ //nolint:gochecknoglobals // compiled once, read-only
		regexp.MustCompile(`(?i)\b(?:ignore|disregard|forget)\b[^.?!\n]{0,60}\b(?:instructions|rules|prompt|guidelines|assistant)\b`),
		regexp.MustCompile(`(?i)` + lb + `(?:ignoriere|ignorieren sie|vergiss|vergessen sie|ignora|olvida|olvídate de|ignorez|ignore|oublie|oubliez)[^.?!\n]{0,60}(?:anweisungen|regeln|instrucciones|reglas|consignes|règles|instructions)`),
		regexp.MustCompile(`(?:指示|ルール|命令|プロンプト)[^。\n]{0,20}(?:無視|忘れ)|(?:忽略|忘记|无视)[^。\n]{0,30}(?:指令|规则|提示|指示)`),
	}
	// deferRE marks an instruction for later: a gullible model keeps it
	// and obeys it in a later turn.
	deferRE = regexp.MustCompile(`(?i)\b(?:in|with|at the start of) (?:your|the) next (?:reply|answer|message|response)\b|\bnext time\b|\bfrom your next (?:reply|answer)\b` +
		`|en tu próxima respuesta|in deiner nächsten antwort|dans ta prochaine réponse`)
	base64RE = regexp.MustCompile(`[A-Za-z0-9+/]{16,}={0,2}`)
)

// obey finds an instruction to the assistant in text and returns what
// obeying it says. Like a real model it reads through obfuscation: it
// also reads the text without invisible characters, with leetspeak
// ("1gn0r3") read as letters, and every base64 run decoded.
func obey(text, system string) (string, bool) {
	for _, v := range readings(text) {
		if demand, ok := obeyPlain(v, system); ok {
			return demand, true
		}
	}
	return "", false
}

func obeyPlain(text, system string) (string, bool) {
	for _, re := range sayREs {
		if m := re.FindStringSubmatch(text); m != nil {
			for _, g := range m[1:] {
				if g != "" {
					return g, true
				}
			}
		}
	}
	for _, re := range tellREs {
		if m := re.FindStringSubmatch(text); m != nil {
			r := strings.NewReplacer(" their ", " your ", " they ", " you ", " them ", " you ")
			return "Please " + strings.TrimSpace(r.Replace(" "+m[1]+" ")) + ".", true
		}
	}
	for _, re := range append(slices.Clone(revealREs), ignoreREs...) {
		if re.MatchString(text) {
			return system, true
		}
	}
	return "", false
}

// readings are the ways a text can be read: as written, without invisible
// characters, with leetspeak words as letters, and its base64 runs decoded.
func readings(text string) []string {
	out := []string{text}
	add := func(v string) {
		if v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	add(strings.Map(func(r rune) rune {
		if r == '\u00ad' || (r >= '\u200b' && r <= '\u200f') || (r >= '\u202a' && r <= '\u202e') ||
			(r >= '\u2060' && r <= '\u2064') || (r >= '\u2066' && r <= '\u2069') || r == '\ufeff' {
			return -1
		}
		return r
	}, text))
	add(leetRE.ReplaceAllStringFunc(out[len(out)-1], func(w string) string {
		if strings.IndexFunc(w, unicode.IsLower) < 0 || strings.IndexFunc(w, unicode.IsUpper) >= 0 {
			return w // no letters to read it by, or a code like "H4X0R": as written
		}
		return leet.Replace(w)
	}))
	for _, run := range base64RE.FindAllString(text, -1) {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding} {
			if b, err := enc.DecodeString(run); err == nil && utf8.Valid(b) {
				add(string(b))
				break
			}
		}
	}
	return out
}

var (
	// leetRE finds the words leetspeak could hide in: letters mixed with
	// the digits and signs that stand for letters.
	leetRE = regexp.MustCompile(`[A-Za-z0-9@$]*[0-9@$][A-Za-z0-9@$]*`)
	leet   = strings.NewReplacer("0", "o", "1", "i", "3", "e", "4", "a", "5", "s", "7", "t", "@", "a", "$", "s") //nolint:gochecknoglobals // read-only
)

// words are a text's meaningful words: lower-cased, stopwords dropped,
// crudely stemmed.
func words(text string) map[string]bool {
	out := map[string]bool{}
	for _, w := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		if len(w) < 2 || isStopword(w) {
			continue
		}
		out[fold1(w)] = true
	}
	return out
}

// fold1 strips a common English ending ("returns", "shipping", "charged").
func fold1(w string) string {
	for _, suffix := range []string{"ing", "ed", "es", "s"} {
		if len(w) > len(suffix)+3 && strings.HasSuffix(w, suffix) && !strings.HasSuffix(w, "ss") {
			return strings.TrimSuffix(w, suffix)
		}
	}
	return w
}

func shared(a, b map[string]bool) int {
	n := 0
	for w := range a {
		if b[w] {
			n++
		}
	}
	return n
}

// stopwords are English and Spanish function words, space-separated and
// space-padded for a whole-word lookup.
const stopwords = " " +
	"a about above after again all am an and any are as at be because been before being below between both " +
	"but by can cannot could did do does doing don down during each few for from further had has have having " +
	"he her here hers him his how i if in into is it its itself just me more most my no nor not now of off " +
	"on once only or other our ours out over own same she should so some such than that the their theirs them " +
	"then there these they this those through to too under until up very was we were what when where which " +
	"while who whom why will with would you your yours hi hello hey please thanks thank ok okay also get got " +
	"much many want need know tell still just i'm it's we're el la los las un una unos unas de del al y o que " +
	"en por para con sin se su sus mi mis tu tus lo le les es son está están como cómo qué cuál dónde cuándo " +
	"me nos ha he hay si sí no ya muy más pero hola gracias puedo puede "

func isStopword(w string) bool { return strings.Contains(stopwords, " "+w+" ") }
