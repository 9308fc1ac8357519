package app

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/desktop/internal/apiclient"
)

// The limits of UpdateBotSettingsRequest (proto/tandem/v1/bot.proto),
// checked here too so that the admin reads them in plain words before
// anything is sent.
const (
	maxBotName        = 100
	maxHandoffMessage = 1000
	minPhrase         = 2
	maxPhrase         = 100
	maxPhrases        = 50
	maxIntentChanges  = 20
)

// BotChange is what an admin changed in the AI agent's settings: each
// field is left as it is on the server when absent (null in JSON).
type BotChange struct {
	Enabled             *bool    `json:"enabled,omitempty"`
	Name                *string  `json:"name,omitempty"`
	ConfidenceThreshold *float64 `json:"confidence_threshold,omitempty"`
	HandoffMessage      *string  `json:"handoff_message,omitempty"`
	AnswerWhileWaiting  *bool    `json:"answer_while_waiting,omitempty"`
	// Synonyms replaces the workspace's synonym groups (one per line of
	// comma-separated words or phrases); "" clears them. It goes to the
	// server as typed: the server tidies it and, when a line breaks its
	// limits, refuses naming that line as the admin sees it (the frontend
	// checks the same limits first, see logic/agent.ts).
	Synonyms *string `json:"synonyms,omitempty"`
	// Intents holds only the escalation intents that changed.
	Intents []IntentChange `json:"intents,omitempty"`
}

// IntentChange is what changed in one escalation intent.
type IntentChange struct {
	Name    string `json:"name"`
	Enabled *bool  `json:"enabled,omitempty"`
	// Phrases replaces the workspace's own phrases when present; an empty
	// list removes them all.
	Phrases *[]string `json:"phrases,omitempty"`
}

// BotSettings returns the AI agent's settings (protobuf JSON BotSettings),
// escalation intents included. Every member may read them.
func (a *App) BotSettings() (json.RawMessage, error) {
	sess, ws, err := a.c.current()
	if err != nil {
		return nil, err
	}
	res, err := sess.client.Bot.GetBotSettings(a.c.ctx(), &tandemv1.GetBotSettingsRequest{WorkspaceId: ws.id})
	if err != nil {
		return nil, err
	}
	return wire(res.GetSettings()), nil
}

// UpdateBotSettings saves what an admin changed and returns the settings
// as they now stand. Only the changed fields are sent, so that a change
// made meanwhile by another admin to something else is kept.
func (a *App) UpdateBotSettings(change BotChange) (json.RawMessage, error) {
	sess, ws, err := a.c.current()
	if err != nil {
		return nil, err
	}
	req, err := botUpdate(ws.id, change)
	if err != nil {
		return nil, err
	}
	if req == nil { // nothing changed
		return a.BotSettings()
	}
	res, err := sess.client.Bot.UpdateBotSettings(a.c.ctx(), req)
	if err != nil {
		return nil, err
	}
	return wire(res.GetSettings()), nil
}

// botUpdate builds the request for a change: the fields it names and
// nothing else, or nil when it names none.
func botUpdate(workspaceID string, ch BotChange) (*tandemv1.UpdateBotSettingsRequest, error) {
	req := &tandemv1.UpdateBotSettingsRequest{WorkspaceId: workspaceID, Enabled: ch.Enabled, AnswerWhileWaiting: ch.AnswerWhileWaiting, Synonyms: ch.Synonyms}
	changed := ch.Enabled != nil || ch.AnswerWhileWaiting != nil || ch.Synonyms != nil
	if ch.Name != nil {
		name := strings.TrimSpace(*ch.Name)
		if n := utf8.RuneCountInString(name); n == 0 || n > maxBotName {
			return nil, apiclient.Errorf(apiclient.KindInvalid, fmt.Sprintf("The AI agent's name must be 1 to %d characters.", maxBotName))
		}
		req.Name, changed = &name, true
	}
	if ch.ConfidenceThreshold != nil {
		t := *ch.ConfidenceThreshold
		if !(t >= 0 && t <= 1) { // also refuses NaN
			return nil, apiclient.Errorf(apiclient.KindInvalid, "The confidence threshold must be between 0 and 1.")
		}
		req.ConfidenceThreshold, changed = &t, true
	}
	if ch.HandoffMessage != nil {
		msg := strings.TrimSpace(*ch.HandoffMessage)
		if n := utf8.RuneCountInString(msg); n == 0 || n > maxHandoffMessage {
			return nil, apiclient.Errorf(apiclient.KindInvalid, fmt.Sprintf("The handoff message must be 1 to %d characters.", maxHandoffMessage))
		}
		req.HandoffMessage, changed = &msg, true
	}
	if len(ch.Intents) > maxIntentChanges {
		return nil, apiclient.Errorf(apiclient.KindInvalid, "Too many escalation intents in one change.")
	}
	seen := map[string]bool{}
	for _, ic := range ch.Intents {
		u, err := intentUpdate(ic)
		if err != nil {
			return nil, err
		}
		if seen[u.GetName()] {
			return nil, apiclient.Errorf(apiclient.KindInvalid, fmt.Sprintf("The escalation intent %q is changed twice.", u.GetName()))
		}
		seen[u.GetName()] = true
		if u.Enabled == nil && len(u.GetPhrases()) == 0 && !u.GetClearPhrases() {
			continue // names an intent without changing it
		}
		req.EscalationIntents, changed = append(req.EscalationIntents, u), true
	}
	if !changed {
		return nil, nil
	}
	return req, nil
}

// intentUpdate turns one intent's change into its update: the phrases
// trimmed and checked, an empty list sent as clear_phrases.
func intentUpdate(ic IntentChange) (*tandemv1.EscalationIntentUpdate, error) {
	name := strings.TrimSpace(ic.Name)
	if name == "" {
		return nil, apiclient.Errorf(apiclient.KindInvalid, "An escalation intent has no name.")
	}
	u := &tandemv1.EscalationIntentUpdate{Name: name, Enabled: ic.Enabled}
	if ic.Phrases == nil {
		return u, nil
	}
	if len(*ic.Phrases) == 0 {
		u.ClearPhrases = true
		return u, nil
	}
	if len(*ic.Phrases) > maxPhrases {
		return nil, apiclient.Errorf(apiclient.KindInvalid, fmt.Sprintf("The escalation intent %q has more than %d phrases.", name, maxPhrases))
	}
	for _, p := range *ic.Phrases {
		p = strings.TrimSpace(p)
		if n := utf8.RuneCountInString(p); n < minPhrase || n > maxPhrase {
			return nil, apiclient.Errorf(apiclient.KindInvalid, fmt.Sprintf("The phrase %q of the escalation intent %q must be %d to %d characters.", p, name, minPhrase, maxPhrase))
		}
		u.Phrases = append(u.Phrases, p)
	}
	return u, nil
}

// KnowledgeGaps reports the questions the AI agent could not answer over
// the last 7 or 30 days (protobuf JSON ListKnowledgeGapsResponse), grouped
// by similarity: the documents to write next. Admins and owners only.
func (a *App) KnowledgeGaps(days int32) (json.RawMessage, error) {
	if days != 7 && days != 30 {
		return nil, apiclient.Errorf(apiclient.KindInvalid, "Choose the last 7 or 30 days.")
	}
	sess, ws, err := a.c.current()
	if err != nil {
		return nil, err
	}
	start := time.Now().Add(-time.Duration(days) * 24 * time.Hour).UnixMilli()
	res, err := sess.client.Bot.ListKnowledgeGaps(a.c.ctx(), &tandemv1.ListKnowledgeGapsRequest{WorkspaceId: ws.id, StartTimeMs: start})
	if err != nil {
		return nil, err
	}
	return wire(res), nil
}
