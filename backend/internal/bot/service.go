package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/conversation"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/knowledge"
	"github.com/tandem-inbox/tandem/backend/internal/page"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/tag"
)

// Retriever finds a workspace's passages for a question (knowledge.Service).
type Retriever interface {
	Retrieve(ctx context.Context, workspaceID string, q knowledge.Query, k int) (knowledge.Result, error)
}

// Deps are the services the AI agent acts through.
type Deps struct {
	Conversations *conversation.Service
	Knowledge     Retriever
	Tags          *tag.Service
	// OnlineAgents counts the workspace's agents online now.
	OnlineAgents func(ctx context.Context, workspaceID string) (int, error)
	// LLM answers when set; nil answers with the best passage.
	LLM *LLM
	// Metrics counts the model's tokens and the budgets' warnings and
	// handoffs (the server's metrics.AI; nil: not counted).
	Metrics Meter
}

// Meter counts what the AI agent's model costs.
type Meter interface {
	Tokens(prompt, completion int64, estimated bool)
	BudgetWarning()
	BudgetHandoff()
}

// noMeter counts nothing.
type noMeter struct{}

func (noMeter) Tokens(int64, int64, bool) {}
func (noMeter) BudgetWarning()            {}
func (noMeter) BudgetHandoff()            {}

// Options are the AI agent's settings; the zero Options has no token
// budget and the real clock.
type Options struct {
	// Budget bounds the model tokens spent per workspace and day and per
	// conversation.
	Budget Budget
	// Now is the clock (time.Now when nil): the UTC day a budget counts.
	Now func() time.Time
}

// Service runs the AI agents.
type Service struct {
	db     *store.DB
	log    *events.Log
	deps   Deps
	logger *slog.Logger
	now    func() time.Time
	ledger *ledger
}

// NewService returns the AI agent service.
func NewService(db *store.DB, log *events.Log, deps Deps, opts Options, logger *slog.Logger) *Service {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if deps.Metrics == nil {
		deps.Metrics = noMeter{}
	}
	return &Service{db: db, log: log, deps: deps, logger: logger, now: opts.Now,
		ledger: &ledger{db: db, budget: opts.Budget, now: opts.Now, metrics: deps.Metrics, logger: logger}}
}

// React is the AI agent's reactor handler: it answers each customer message
// of a conversation it has, once, or hands the conversation off.
func (s *Service) React(ctx context.Context, ev events.Event) error {
	if ev.Type != events.MessageCreated || ev.ConversationID == "" {
		return nil
	}
	var pl conversation.Payload
	if err := json.Unmarshal(ev.Payload, &pl); err != nil {
		return fmt.Errorf("decode event: %w", err)
	}
	msg := pl.Message
	if msg == nil || msg.AuthorKind != conversation.AuthorCustomer || msg.Kind != conversation.KindText {
		return nil
	}
	conv, err := s.deps.Conversations.Get(ctx, ev.WorkspaceID, ev.ConversationID)
	if err != nil {
		return err
	}
	waiting := conv.State == conversation.StatePending && conv.AssigneeID == ""
	if conv.State != conversation.StateBot && !waiting {
		return nil // not (or no longer) the AI agent's, and no one waits
	}
	if done, err := s.deps.Conversations.Answered(ctx, ev.WorkspaceID, msg.ID); err != nil || done {
		return err
	}
	st, err := s.Settings(ctx, ev.WorkspaceID)
	if err != nil {
		return err
	}
	if waiting {
		if conv.Channel == conversation.ChannelEmail {
			return nil // mail waiting for the team is theirs to answer
		}
		return s.answerWhileWaiting(ctx, st, conv, msg)
	}
	bot := access.Bot(ev.WorkspaceID, st.Name)
	if !st.Enabled {
		return s.handOff(ctx, bot, st, conv, answer{handoff: conversation.HandoffBotError, detail: "the AI agent is turned off", question: msg.Body})
	}
	a, err := s.answer(ctx, st, conv, msg)
	if err != nil {
		return err
	}
	if a, err = s.worthMailing(ctx, conv, msg, a); err != nil {
		return err
	}
	if a.handoff != "" {
		if a.handoff == conversation.HandoffAIBudget {
			s.deps.Metrics.BudgetHandoff()
		}
		return s.handOff(ctx, bot, st, conv, a)
	}
	_, err = s.deps.Conversations.PostBot(ctx, bot, ev.WorkspaceID, conv.ID, msg.ID, a.text, a.info)
	if errors.Is(err, conversation.ErrNotBot) {
		return nil // a person took it over meanwhile: stay silent
	}
	return err
}

// worthMailing keeps the AI agent, on an email conversation, to answers
// worth a mail: greetings and thanks get none, nor an answer it already
// gave in the conversation; the conversation goes to a person instead.
func (s *Service) worthMailing(ctx context.Context, conv conversation.Conversation, msg *conversation.Message, a answer) (answer, error) {
	if conv.Channel != conversation.ChannelEmail || a.handoff != "" {
		return a, nil
	}
	if a.info.Method == "small_talk" {
		return answer{handoff: conversation.HandoffLowConfidence, detail: "nothing to look up in the mail", question: msg.Body}, nil
	}
	msgs, _, err := s.deps.Conversations.History(ctx, conv.ID, 20, "", true)
	if err != nil {
		return answer{}, err
	}
	for _, m := range msgs {
		if m.AuthorKind == conversation.AuthorBot && normalize(m.Body) == normalize(a.text) {
			return answer{handoff: conversation.HandoffLowConfidence, detail: "the answer would repeat one the customer has", question: msg.Body}, nil
		}
	}
	return a, nil
}

// answerWhileWaiting answers a customer message in a conversation that
// waits for a person, when the workspace allows it and the AI agent is
// confident; otherwise it says nothing (the person will answer). Only
// messages written after the handoff count: a rule that handed off on this
// very message meant a person to answer it.
func (s *Service) answerWhileWaiting(ctx context.Context, st Settings, conv conversation.Conversation, msg *conversation.Message) error {
	if !st.Enabled || !st.AnswerWhileWaiting {
		return nil
	}
	if after, err := s.deps.Conversations.HandedOffBefore(ctx, conv.WorkspaceID, conv.ID, msg.Seq); err != nil || !after {
		return err
	}
	a, err := s.answer(ctx, st, conv, msg)
	if err != nil {
		return err
	}
	if a.handoff != "" || a.info.Method == "small_talk" || a.text == "" {
		return nil // not confident (or nothing to look up): no extra message
	}
	_, err = s.deps.Conversations.PostBotWhileWaiting(ctx, access.Bot(conv.WorkspaceID, st.Name), conv.WorkspaceID, conv.ID, msg.ID, a.text, a.info)
	if errors.Is(err, conversation.ErrNotWaiting) {
		return nil // a person took it meanwhile
	}
	return err
}

// answer works out what to say to a customer message.
func (s *Service) answer(ctx context.Context, st Settings, conv conversation.Conversation, msg *conversation.Message) (answer, error) {
	question := strings.TrimSpace(msg.Body)
	if question == "" {
		return answer{handoff: conversation.HandoffLowConfidence, detail: "the customer sent a file", question: question}, nil
	}
	if a, ok := escalation(st, question); ok {
		return a, nil
	}
	history, repeated, err := s.history(ctx, conv.ID, msg)
	if err != nil {
		return answer{}, err
	}
	lang := knowledge.DetectLanguage(question)
	if repeated {
		return answer{handoff: conversation.HandoffRepeated, detail: "the customer asked again", question: question, lang: lang}, nil
	}
	if len(terms(question)) == 0 { // "hi", "thanks": nothing to look up
		return smallTalk(question), nil
	}
	q := knowledge.Query{Text: question, Context: previousQuestion(history), Synonyms: st.synonymGroups()}
	res, err := s.deps.Knowledge.Retrieve(ctx, conv.WorkspaceID, q, 4)
	if err != nil {
		return answer{handoff: conversation.HandoffBotError, detail: "knowledge search failed", question: question, lang: lang}, nil
	}
	var a answer
	// The model calls for this message draw on its workspace's and its
	// conversation's budgets, and share one deadline.
	sp := &spend{l: s.ledger, workspaceID: conv.WorkspaceID, conversationID: conv.ID}
	mctx, cancel := ctx, context.CancelFunc(func() {})
	if s.deps.LLM != nil {
		mctx, cancel = s.deps.LLM.replyContext(ctx)
	}
	defer cancel()
	switch {
	case s.deps.LLM == nil:
		a = extractive(question, res.Hits, st.Threshold)
	case knowledge.FlagReason(question) != "":
		// Never hand a model a message that tries to instruct it.
		a = answer{handoff: conversation.HandoffLowConfidence, detail: "the message tries to instruct the AI agent", question: question}
	case len(res.Hits) == 0 || res.Hits[0].Relevance < st.Threshold:
		// The relevance gate: no passage answers it well enough in the
		// customer's words. Searched again in the words the model gives
		// (see searchAgain), the passages found go to the model to answer
		// from; with none, it hands off without asking it.
		a = s.searchedAgain(mctx, sp, st, conv.WorkspaceID, q, lang, history, res)
	default:
		a = s.deps.LLM.ask(mctx, sp, st, question, lang, history, relevant(res.Hits, st.Threshold))
	}
	a.lang = lang
	if a.handoff != "" && a.handoff != conversation.HandoffAIBudget && lang != "" && !slices.Contains(res.Languages, lang) {
		a.noDocs = true
		a.detail += "; no document is written in the customer's language (" + lang + ")"
	}
	return a, nil
}

// searchedAgain answers a question that no passage is relevant enough to
// in its own words from the passages found in the model's (searchAgain),
// or hands it off.
func (s *Service) searchedAgain(ctx context.Context, sp *spend, st Settings, workspaceID string, q knowledge.Query, lang string,
	history []turn, res knowledge.Result) answer {
	hits, queries, err := s.searchAgain(ctx, sp, st, workspaceID, q, history, res.Languages)
	detail, spent := spentBudget(err)
	switch {
	case spent:
		return answer{handoff: conversation.HandoffAIBudget, detail: detail, question: q.Text, info: conversation.BotAnswer{Method: "llm"}}
	case errors.Is(err, errLLM):
		return answer{handoff: conversation.HandoffBotError, detail: err.Error(), question: q.Text, info: conversation.BotAnswer{Method: "llm"}}
	case err != nil:
		return answer{handoff: conversation.HandoffBotError, detail: "knowledge search failed", question: q.Text, info: conversation.BotAnswer{Method: "llm"}}
	case len(hits) > 0:
		a := s.deps.LLM.ask(ctx, sp, st, q.Text, lang, history, hits)
		if a.handoff != "" && a.handoff != conversation.HandoffAIBudget {
			a.detail += "; searched as " + quoteAll(queries)
		}
		return a
	}
	a := extractive(q.Text, res.Hits, st.Threshold)
	a.info.Method = "llm"
	if len(queries) > 0 {
		a.detail += "; searched again as " + quoteAll(queries)
	}
	return a
}

// quoteAll lists texts quoted.
func quoteAll(texts []string) string {
	out := make([]string, len(texts))
	for i, t := range texts {
		out[i] = strconv.Quote(t)
	}
	return strings.Join(out, ", ")
}

// relevant are the hits worth giving a model: those at least half as
// relevant as the threshold asks of an answer.
func relevant(hits []knowledge.Hit, threshold float64) []knowledge.Hit {
	var out []knowledge.Hit
	for _, h := range hits {
		if h.Relevance >= threshold/2 {
			out = append(out, h)
		}
	}
	return out
}

// previousQuestion is the customer's message before this one, which a
// follow-up ("and for express?") leans on; "" when there is none.
func previousQuestion(history []turn) string {
	for i := len(history) - 1; i >= 0; i-- {
		if history[i].From == conversation.AuthorCustomer {
			return history[i].Text
		}
	}
	return ""
}

// history returns the recent public turns before msg, and whether the
// customer already asked the same thing (and was answered) before.
func (s *Service) history(ctx context.Context, conversationID string, msg *conversation.Message) ([]turn, bool, error) {
	msgs, _, err := s.deps.Conversations.History(ctx, conversationID, 20, "", true)
	if err != nil {
		return nil, false, err
	}
	var turns []turn
	repeated := false
	same := normalize(msg.Body)
	for _, m := range msgs { // newest first
		if m.Kind != conversation.KindText || m.ID == msg.ID || m.Seq > msg.Seq {
			continue
		}
		if m.AuthorKind == conversation.AuthorCustomer && normalize(m.Body) == same {
			repeated = true
		}
		if len(turns) < 6 {
			turns = append([]turn{{From: m.AuthorKind, Text: m.Body}}, turns...)
		}
	}
	return turns, repeated, nil
}

func normalize(s string) string {
	return strings.Join(strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return r == ' ' || r == '?' || r == '!' || r == '.' || r == ',' || r == '\n'
	}), " ")
}

// HandOff hands the conversation from the AI agent to the team for the
// reason: the one path every trigger takes (the AI agent itself, rules,
// custom actions, the customer's "Talk to a person"). It reports whether it
// did (false when the AI agent no longer had the conversation).
func (s *Service) HandOff(ctx context.Context, p *access.Principal, workspaceID, conversationID string, reason conversation.HandoffReason, detail, question string) (bool, error) {
	st, err := s.Settings(ctx, workspaceID)
	if err != nil {
		return false, err
	}
	conv, err := s.deps.Conversations.Get(ctx, workspaceID, conversationID)
	if err != nil {
		return false, err
	}
	return s.handOffAs(ctx, p, st, conv, answer{handoff: reason, detail: detail, question: question})
}

func (s *Service) handOff(ctx context.Context, bot *access.Principal, st Settings, conv conversation.Conversation, a answer) error {
	_, err := s.handOffAs(ctx, bot, st, conv, a)
	return err
}

func (s *Service) handOffAs(ctx context.Context, p *access.Principal, st Settings, conv conversation.Conversation, a answer) (bool, error) {
	if conv.State != conversation.StateBot {
		return false, nil
	}
	h := conversation.Handoff{Reason: a.handoff, Detail: a.detail, Question: a.question, Message: st.HandoffMessage, AgentName: st.Name}
	if online, err := s.deps.OnlineAgents(ctx, conv.WorkspaceID); err == nil && online == 0 {
		h.Message = st.OfflineMessage
	}
	switch {
	case a.noDocs:
		h.Message = noDocumentsLead(a.lang) + " " + h.Message
	case a.handoff == conversation.HandoffLowConfidence:
		h.Message = lowConfidenceLead(a.lang) + " " + h.Message
	}
	h.Message = strings.TrimSpace(strings.ReplaceAll(h.Message, "{{wait}}", s.wait(ctx, conv)))
	if conv.Channel == conversation.ChannelEmail {
		h.Message = "" // by email the team's answer is the next word the customer gets
	}
	if st.HandoffTag != "" {
		t, err := s.deps.Tags.Ensure(ctx, access.Bot(conv.WorkspaceID, st.Name), conv.WorkspaceID, st.HandoffTag)
		if err != nil {
			return false, err
		}
		h.TagID, h.TagName = t.ID, t.Name
	}
	return s.deps.Conversations.HandOff(ctx, withName(p, st.Name), conv.WorkspaceID, conv.ID, h)
}

// withName keeps rule and visitor actors, and names the AI agent.
func withName(p *access.Principal, name string) *access.Principal {
	if p.Kind == access.KindBot {
		return access.Bot(p.WorkspaceID, name)
	}
	return p
}

// wait says where the conversation will stand in the queue.
func (s *Service) wait(ctx context.Context, conv conversation.Conversation) string {
	queue, err := s.deps.Conversations.Queue(ctx, conv.WorkspaceID, 500)
	if err != nil {
		return ""
	}
	ahead := 0
	for _, c := range queue {
		if c.CreatedAt < conv.CreatedAt || (c.CreatedAt == conv.CreatedAt && c.ID < conv.ID) {
			ahead++
		}
	}
	if ahead == 0 {
		return "You are next in line."
	}
	if ahead == 1 {
		return "There is 1 conversation ahead of you."
	}
	return fmt.Sprintf("There are %d conversations ahead of you.", ahead)
}

// Handoff is one recorded handoff.
type Handoff struct {
	ID             string                     `db:"id"`
	ConversationID string                     `db:"conversation_id"`
	Reason         conversation.HandoffReason `db:"reason"`
	Detail         string                     `db:"detail"`
	Question       string                     `db:"question"`
	CreatedAt      int64                      `db:"created_at"`
}

// Handoffs pages through the workspace's handoffs in [from, until), newest
// first, optionally of one reason, and counts all of them by reason.
func (s *Service) Handoffs(ctx context.Context, workspaceID string, from, until int64, reason conversation.HandoffReason, size int32, token string) ([]Handoff, string, map[conversation.HandoffReason]int64, error) {
	if until <= 0 {
		until = 1<<62 - 1
	}
	limit := page.Size(size)
	beforeAt, beforeID := until, ""
	if _, err := page.Decode(token, &beforeAt, &beforeID); err != nil {
		return nil, "", nil, err
	}
	q := `SELECT id, conversation_id, reason, detail, question, created_at FROM handoffs
		WHERE workspace_id = ? AND created_at >= ? AND (created_at < ? OR (created_at = ? AND id < ?))`
	args := []any{workspaceID, from, beforeAt, beforeAt, beforeID}
	if token == "" {
		q = `SELECT id, conversation_id, reason, detail, question, created_at FROM handoffs
			WHERE workspace_id = ? AND created_at >= ? AND created_at < ?`
		args = []any{workspaceID, from, until}
	}
	if reason != "" {
		q += ` AND reason = ?`
		args = append(args, reason)
	}
	q += ` ORDER BY created_at DESC, id DESC LIMIT ?`
	var hs []Handoff
	if err := s.db.SelectContext(ctx, &hs, q, append(args, limit+1)...); err != nil {
		return nil, "", nil, fmt.Errorf("list handoffs: %w", err)
	}
	hs, next := page.Cut(hs, limit, func(h Handoff) []any { return []any{h.CreatedAt, h.ID} })
	var counts []struct {
		Reason conversation.HandoffReason `db:"reason"`
		N      int64                      `db:"n"`
	}
	if err := s.db.SelectContext(ctx, &counts, `SELECT reason, COUNT(*) AS n FROM handoffs
		WHERE workspace_id = ? AND created_at >= ? AND created_at < ? GROUP BY reason`, workspaceID, from, until); err != nil {
		return nil, "", nil, fmt.Errorf("count handoffs: %w", err)
	}
	byReason := map[conversation.HandoffReason]int64{}
	for _, c := range counts {
		byReason[c.Reason] = c.N
	}
	return hs, next, byReason, nil
}
