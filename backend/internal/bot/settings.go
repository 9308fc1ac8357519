// Package bot is each workspace's AI agent: it answers customers in
// conversations in the bot state from the workspace's knowledge base, with
// an OpenAI-compatible model when one is configured and with the best
// passage otherwise, and hands the conversation to the team (one operation
// for every trigger) when it is not confident, when the model fails, when a
// customer repeats themselves or asks for a person.
//
// Tables owned: bot_settings, bot_escalation_intents, ai_token_days,
// ai_token_conversations (the model tokens spent: budget.go).
// Tables read: handoffs (written by the conversation package's HandOff: the
// knowledge gaps report on them).
// Events emitted: bot.settings_updated; through conversations, the AI
// agent's messages and conversation.handoff.
package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/knowledge"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// Settings are a workspace's AI agent settings.
type Settings struct {
	WorkspaceID    string  `db:"workspace_id" json:"workspace_id"`
	Enabled        bool    `db:"enabled" json:"enabled"`
	Name           string  `db:"name" json:"name"`
	Greeting       string  `db:"greeting" json:"greeting"`
	Instructions   string  `db:"instructions" json:"-"`
	Threshold      float64 `db:"confidence_threshold" json:"confidence_threshold"`
	HandoffMessage string  `db:"handoff_message" json:"handoff_message"`
	OfflineMessage string  `db:"offline_message" json:"offline_message"`
	HandoffTag     string  `db:"handoff_tag" json:"handoff_tag"`
	// AnswerWhileWaiting lets the AI agent answer, while a handed-off
	// conversation waits for a person, the questions it is confident about.
	AnswerWhileWaiting bool `db:"answer_while_waiting" json:"answer_while_waiting"`
	// Synonyms are the workspace's own synonym groups, one per line of
	// comma-separated words or phrases (see knowledge.Query.Synonyms).
	Synonyms  string `db:"synonyms" json:"synonyms"`
	UpdatedAt int64  `db:"updated_at" json:"updated_at"`
	// Intents are every built-in escalation intent, in their fixed order.
	Intents []Intent `db:"-" json:"escalation_intents"`
}

// synonymGroups are the default synonym groups and the workspace's own.
func (st Settings) synonymGroups() [][]string {
	groups, _ := parseSynonyms(st.Synonyms)
	return append(slices.Clip(knowledge.DefaultSynonyms), groups...)
}

// Bounds of a workspace's synonyms.
const (
	maxSynonymGroups  = 100
	maxSynonymEntries = 20
	maxSynonymChars   = 50
)

// parseSynonyms reads synonym groups, one per line of comma-separated
// entries; blank lines are skipped. Errors name the synonyms field.
func parseSynonyms(text string) ([][]string, error) {
	var groups [][]string
	for n, line := range strings.Split(text, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var group []string
		for _, e := range strings.Split(line, ",") {
			e = strings.Join(strings.Fields(e), " ")
			switch {
			case e == "":
				continue
			case utf8.RuneCountInString(e) > maxSynonymChars:
				return nil, apperr.Invalid("synonyms", fmt.Sprintf("line %d: %q is longer than %d characters", n+1, e, maxSynonymChars))
			}
			group = append(group, e)
		}
		switch {
		case len(group) < 2:
			return nil, apperr.Invalid("synonyms", fmt.Sprintf("line %d: a group needs two entries or more, separated by commas", n+1))
		case len(group) > maxSynonymEntries:
			return nil, apperr.Invalid("synonyms", fmt.Sprintf("line %d: a group has at most %d entries", n+1, maxSynonymEntries))
		}
		groups = append(groups, group)
	}
	if len(groups) > maxSynonymGroups {
		return nil, apperr.Invalid("synonyms", fmt.Sprintf("at most %d groups", maxSynonymGroups))
	}
	return groups, nil
}

// cleanSynonyms checks synonym groups and writes them one per line.
func cleanSynonyms(text string) (string, error) {
	groups, err := parseSynonyms(text)
	if err != nil {
		return "", err
	}
	lines := make([]string, len(groups))
	for i, g := range groups {
		lines[i] = strings.Join(g, ", ")
	}
	return strings.Join(lines, "\n"), nil
}

// ReactorName names the AI agent's reactor (its cursors).
const ReactorName = "bot"

// Defaults are the settings of a workspace that never changed them: the AI
// agent is off until an admin turns it on (there is nothing to answer from
// before documents are uploaded).
func Defaults(workspaceID string) Settings {
	return Settings{
		WorkspaceID:    workspaceID,
		Name:           "Tandem AI",
		Greeting:       "Hi! I'm the virtual assistant. Ask me anything, or press \"Talk to a person\" at any time.",
		Threshold:      0.5,
		HandoffMessage: "Thanks for your patience: a person from our team will be with you shortly. {{wait}}",
		OfflineMessage: "Our team is offline right now. Leave your message here and we will get back to you.",
		HandoffTag:     "handoff",

		AnswerWhileWaiting: true,
		Intents:            defaultIntents(),
	}
}

// Patch changes some settings; nil fields stay.
type Patch struct {
	Enabled, AnswerWhileWaiting                                       *bool
	Name, Greeting, Instructions, HandoffMessage, OfflineMessage, Tag *string
	Threshold                                                         *float64
	Synonyms                                                          *string
	// Intents change the named escalation intents; the others stay.
	Intents []IntentPatch
}

const columns = `workspace_id, enabled, name, greeting, instructions, confidence_threshold, handoff_message,
	offline_message, handoff_tag, answer_while_waiting, synonyms, updated_at`

// Settings returns the workspace's settings, with every escalation intent.
func (s *Service) Settings(ctx context.Context, workspaceID string) (Settings, error) {
	var st Settings
	err := s.db.GetContext(ctx, &st, `SELECT `+columns+` FROM bot_settings WHERE workspace_id = ?`, workspaceID)
	if store.ErrNoRows(err) {
		st, err = Defaults(workspaceID), nil
	}
	if err != nil {
		return st, err
	}
	st.Intents, err = loadIntents(ctx, s.db, workspaceID)
	return st, err
}

// Switch tells whether a workspace's AI agent is on. It reads the settings
// alone, so a service built before the AI agent can depend on it: the
// conversations, which the AI agent itself needs, ask it whether a new
// conversation goes to the AI agent.
type Switch struct{ db *store.DB }

// NewSwitch returns the switch of the settings in db.
func NewSwitch(db *store.DB) Switch { return Switch{db: db} }

// Enabled reports whether the workspace's AI agent takes new conversations:
// the default settings' answer where the workspace has saved none.
func (w Switch) Enabled(ctx context.Context, workspaceID string) (bool, error) {
	var on bool
	err := w.db.GetContext(ctx, &on, `SELECT enabled FROM bot_settings WHERE workspace_id = ?`, workspaceID)
	if store.ErrNoRows(err) {
		return Defaults(workspaceID).Enabled, nil
	}
	return on, err
}

// Update changes the workspace's settings.
func (s *Service) Update(ctx context.Context, actor *access.Principal, workspaceID string, p Patch) (Settings, error) {
	if p.Synonyms != nil {
		clean, err := cleanSynonyms(*p.Synonyms)
		if err != nil {
			return Settings{}, err
		}
		p.Synonyms = &clean
	}
	if err := checkIntentPatches(p.Intents); err != nil {
		return Settings{}, err
	}
	var st Settings
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		err := tx.GetContext(ctx, &st, `SELECT `+columns+` FROM bot_settings WHERE workspace_id = ?`+tx.Dialect.ForUpdate(), workspaceID)
		exists := err == nil
		if store.ErrNoRows(err) {
			st = Defaults(workspaceID)
		} else if err != nil {
			return fmt.Errorf("load bot settings: %w", err)
		}
		set(&st.Enabled, p.Enabled)
		set(&st.Name, p.Name)
		set(&st.Greeting, p.Greeting)
		set(&st.Instructions, p.Instructions)
		set(&st.HandoffMessage, p.HandoffMessage)
		set(&st.OfflineMessage, p.OfflineMessage)
		set(&st.HandoffTag, p.Tag)
		set(&st.Threshold, p.Threshold)
		set(&st.AnswerWhileWaiting, p.AnswerWhileWaiting)
		set(&st.Synonyms, p.Synonyms)
		st.UpdatedAt = store.NowMillis(s.now())
		if exists {
			_, err = tx.ExecContext(ctx, `UPDATE bot_settings SET enabled = ?, name = ?, greeting = ?, instructions = ?,
				confidence_threshold = ?, handoff_message = ?, offline_message = ?, handoff_tag = ?, answer_while_waiting = ?,
				synonyms = ?, updated_at = ? WHERE workspace_id = ?`,
				st.Enabled, st.Name, st.Greeting, st.Instructions, st.Threshold, st.HandoffMessage, st.OfflineMessage, st.HandoffTag,
				st.AnswerWhileWaiting, st.Synonyms, st.UpdatedAt, workspaceID)
		} else {
			_, err = tx.ExecContext(ctx, `INSERT INTO bot_settings (`+columns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				workspaceID, st.Enabled, st.Name, st.Greeting, st.Instructions, st.Threshold, st.HandoffMessage, st.OfflineMessage,
				st.HandoffTag, st.AnswerWhileWaiting, st.Synonyms, st.UpdatedAt)
		}
		if err != nil {
			return fmt.Errorf("save bot settings: %w", err)
		}
		if st.Intents, err = updateIntents(ctx, tx, workspaceID, p.Intents, st.UpdatedAt); err != nil {
			return err
		}
		payload, _ := json.Marshal(st)
		kind, id := actor.Actor()
		ev := &events.Event{WorkspaceID: workspaceID, Type: events.BotSettingsUpdated, ActorKind: kind,
			ActorID: id, Visibility: events.Admins, Payload: payload}
		if err := s.log.Append(ctx, tx, ev); err != nil {
			return err
		}
		if !st.Enabled { // off: its reactor has nothing to do here (it is gated)
			return events.StopCursor(ctx, tx, ReactorName, workspaceID)
		}
		return events.StartCursor(ctx, tx, ReactorName, workspaceID, ev.Seq)
	})
	return st, err
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// intentRow is a workspace's row of bot_escalation_intents: only intents an
// admin changed have one.
type intentRow struct {
	Name    string `db:"name"`
	Enabled bool   `db:"enabled"`
	Phrases string `db:"phrases"` // a JSON array of strings
}

// loadIntents returns every built-in intent as the workspace has it.
func loadIntents(ctx context.Context, q store.Querier, workspaceID string) ([]Intent, error) {
	var rows []intentRow
	if err := q.SelectContext(ctx, &rows, `SELECT name, enabled, phrases FROM bot_escalation_intents WHERE workspace_id = ?`,
		workspaceID); err != nil {
		return nil, fmt.Errorf("load escalation intents: %w", err)
	}
	out := defaultIntents()
	for _, r := range rows {
		i := slices.IndexFunc(out, func(in Intent) bool { return in.Name == r.Name })
		if i < 0 {
			continue // an intent no longer built in
		}
		out[i].Enabled = r.Enabled
		if err := json.Unmarshal([]byte(r.Phrases), &out[i].Phrases); err != nil {
			return nil, fmt.Errorf("escalation intent %s: phrases: %w", r.Name, err)
		}
	}
	return out, nil
}

// updateIntents applies the patches in the transaction and returns every
// intent as it now stands.
func updateIntents(ctx context.Context, tx *store.Tx, workspaceID string, patches []IntentPatch, now int64) ([]Intent, error) {
	intents, err := loadIntents(ctx, tx, workspaceID)
	if err != nil || len(patches) == 0 {
		return intents, err
	}
	for _, p := range patches {
		i := slices.IndexFunc(intents, func(in Intent) bool { return in.Name == p.Name })
		set(&intents[i].Enabled, p.Enabled)
		if p.Clear || len(p.Phrases) > 0 {
			intents[i].Phrases = append([]string{}, p.Phrases...)
		}
		phrases, _ := json.Marshal(intents[i].Phrases)
		if _, err := tx.ExecContext(ctx, `DELETE FROM bot_escalation_intents WHERE workspace_id = ? AND name = ?`, workspaceID, p.Name); err != nil {
			return nil, fmt.Errorf("save escalation intent %s: %w", p.Name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO bot_escalation_intents (workspace_id, name, enabled, phrases, updated_at)
			VALUES (?, ?, ?, ?, ?)`, workspaceID, p.Name, intents[i].Enabled, string(phrases), now); err != nil {
			return nil, fmt.Errorf("save escalation intent %s: %w", p.Name, err)
		}
	}
	return intents, nil
}

// checkIntentPatches validates the patches, and trims (and de-duplicates)
// their phrases in place.
func checkIntentPatches(patches []IntentPatch) error {
	seen := map[string]bool{}
	for i := range patches {
		p := &patches[i]
		field := fmt.Sprintf("escalation_intents[%d]", i)
		if builtinByName(p.Name) == nil {
			return apperr.Invalid(field+".name", fmt.Sprintf("unknown escalation intent %q", p.Name))
		}
		if seen[p.Name] {
			return apperr.Invalid("escalation_intents", fmt.Sprintf("the escalation intent %q is changed twice", p.Name))
		}
		seen[p.Name] = true
		if p.Clear && len(p.Phrases) > 0 {
			return apperr.Invalid(field+".clear_phrases", "send either phrases or clear_phrases, not both")
		}
		if len(p.Phrases) > maxPhrases {
			return apperr.Invalid(field+".phrases", fmt.Sprintf("at most %d phrases", maxPhrases))
		}
		var phrases []string
		folded := map[string]bool{}
		for j, raw := range p.Phrases {
			ph := strings.TrimSpace(raw)
			n := utf8.RuneCountInString(ph)
			switch {
			case ph == "":
				return apperr.Invalid(field+".phrases", fmt.Sprintf("phrase %d is blank", j+1))
			case n < minPhraseLen || n > maxPhraseLen:
				return apperr.Invalid(field+".phrases", fmt.Sprintf("phrase %d must be %d to %d characters", j+1, minPhraseLen, maxPhraseLen))
			case foldText(ph) == "":
				return apperr.Invalid(field+".phrases", fmt.Sprintf("phrase %d has no letters or digits", j+1))
			}
			if f := foldText(ph); !folded[f] {
				folded[f] = true
				phrases = append(phrases, ph)
			}
		}
		p.Phrases = phrases
	}
	return nil
}
