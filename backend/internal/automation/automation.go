// Package automation runs a workspace's automation rules and custom actions.
//
// A rule has a trigger (conversation created, customer or agent message,
// state changed, tag added, handoff), conditions on the conversation and the
// triggering message, and actions. The rule engine is a reactor ("automation")
// on the event log: for each event it runs the workspace's enabled rules in
// position order, and a rule whose conditions hold acts through the
// conversation services as access.Rule, so every change it makes is an event
// attributed to it. A rule never reacts to its own actions, and rules that
// keep acting on one conversation are stopped (loop protection) with a note
// that says so. Custom actions are the widget's buttons: pressing one runs
// its actions, the same ones rules have.
//
// Tables owned: automation_rules, rule_runs, custom_actions, rule_timers,
// webhook_deliveries, webhook_destinations.
// Events emitted: automation.rule_created, automation.rule_updated,
// automation.rule_deleted, automation.rules_reordered,
// automation.custom_action_created, automation.custom_action_updated,
// automation.custom_action_deleted.
package automation

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"

	"github.com/tandem-inbox/tandem/backend/internal/conversation"
)

// ReactorName names the rule engine's reactor (its cursors).
const ReactorName = "automation"

// Triggers.
const (
	TriggerConversationCreated = "conversation_created"
	TriggerCustomerMessage     = "customer_message"
	TriggerAgentMessage        = "agent_message"
	TriggerStateChanged        = "state_changed"
	TriggerTagAdded            = "tag_added"
	TriggerHandoff             = "handoff"
	TriggerSLAWarning          = "sla_warning"
	TriggerSLABreach           = "sla_breach"
	// Delayed triggers: armed by events, fired by the timer loop.
	TriggerNoAgentReply    = "no_agent_reply"
	TriggerNoCustomerReply = "no_customer_reply"
	TriggerPendingFor      = "pending_for"
)

// Condition kinds.
const (
	CondText        = "text"
	CondAttribute   = "attribute"
	CondLanguage    = "language"
	CondPageURL     = "page_url"
	CondChannel     = "channel"
	CondTag         = "tag"
	CondPriority    = "priority"
	CondState       = "state"
	CondGroup       = "group"
	CondConfidence  = "confidence_below"
	CondAnyOf       = "any_of"
	CondAllOf       = "all_of"
	maxRegexLen     = 500
	maxConditionsIn = 50
)

// Attribute comparison operators.
const (
	OpEq     = "eq"
	OpNe     = "ne"
	OpGt     = "gt"
	OpGte    = "gte"
	OpLt     = "lt"
	OpLte    = "lte"
	OpIn     = "in"
	OpExists = "exists"
)

// Condition is one test of a conversation. Which fields count depends on
// Kind: Words and Regex for text; Key, Op, Values and VerifiedOnly for an
// attribute; Value for language, page URL, channel, tag, priority, state and
// group; Number for a confidence; Children for any_of and all_of.
type Condition struct {
	Kind         string      `json:"kind"`
	Words        []string    `json:"words,omitempty"`
	Regex        string      `json:"regex,omitempty"`
	Key          string      `json:"key,omitempty"`
	Op           string      `json:"op,omitempty"`
	Values       []string    `json:"values,omitempty"`
	VerifiedOnly bool        `json:"verified_only,omitempty"`
	Value        string      `json:"value,omitempty"`
	Number       float64     `json:"number,omitempty"`
	Children     []Condition `json:"children,omitempty"`
	Negate       bool        `json:"negate,omitempty"`
}

// Action kinds.
const (
	ActAddTag      = "add_tag"
	ActRemoveTag   = "remove_tag"
	ActHandOff     = "hand_off"
	ActAssignGroup = "assign_group"
	ActAssignUser  = "assign_user"
	ActPriority    = "set_priority"
	ActCanned      = "send_canned_response"
	ActNote        = "add_note"
	ActClose       = "close"
	ActSnooze      = "snooze"
	ActWebhook     = "call_webhook"
)

// Action is one thing done to a conversation. Value is the tag name, group,
// user, priority, canned response id, note text or webhook URL; Reason a
// hand off's reason ("" to infer it); Minutes a snooze's length; Secret a
// webhook's signing secret (never shown again).
type Action struct {
	Kind    string                     `json:"kind"`
	Value   string                     `json:"value,omitempty"`
	Reason  conversation.HandoffReason `json:"reason,omitempty"`
	Minutes int                        `json:"minutes,omitempty"`
	Secret  string                     `json:"secret,omitempty"`
}

// Conditions is a rule's condition list, stored as JSON.
type Conditions []Condition

// Actions is an action list, stored as JSON.
type Actions []Action

// Rule is an automation rule.
type Rule struct {
	ID          string `db:"id" json:"id"`
	WorkspaceID string `db:"workspace_id" json:"workspace_id"`
	Name        string `db:"name" json:"name"`
	Enabled     bool   `db:"enabled" json:"enabled"`
	Position    int    `db:"position" json:"position"`
	Trigger     string `db:"trigger_kind" json:"trigger"`
	// DelayMinutes is a delayed trigger's delay.
	DelayMinutes int        `db:"delay_minutes" json:"delay_minutes,omitempty"`
	Conditions   Conditions `db:"conditions" json:"conditions"`
	Actions      Actions    `db:"actions" json:"actions"`
	CreatedAt    int64      `db:"created_at" json:"created_at"`
	UpdatedAt    int64      `db:"updated_at" json:"updated_at"`
}

// RuleSpec is what an admin writes of a rule.
type RuleSpec struct {
	Name         string
	Enabled      bool
	Trigger      string
	DelayMinutes int
	Conditions   Conditions
	Actions      Actions
}

// CustomAction is a button the widget shows.
type CustomAction struct {
	ID          string  `db:"id" json:"id"`
	WorkspaceID string  `db:"workspace_id" json:"workspace_id"`
	Label       string  `db:"label" json:"label"`
	Enabled     bool    `db:"enabled" json:"enabled"`
	Position    int     `db:"position" json:"position"`
	Actions     Actions `db:"actions" json:"actions"`
	CreatedAt   int64   `db:"created_at" json:"created_at"`
	UpdatedAt   int64   `db:"updated_at" json:"updated_at"`
}

// CustomActionSpec is what an admin writes of a button.
type CustomActionSpec struct {
	Label   string
	Enabled bool
	Actions Actions
	// Position moves the button when set (updates only).
	Position *int
}

// Value implements driver.Valuer.
func (c Conditions) Value() (driver.Value, error) { return jsonValue(c) }

// Scan implements sql.Scanner.
func (c *Conditions) Scan(src any) error { return jsonScan(src, c) }

// Value implements driver.Valuer.
func (a Actions) Value() (driver.Value, error) { return jsonValue(a) }

// Scan implements sql.Scanner.
func (a *Actions) Scan(src any) error { return jsonScan(src, a) }

func jsonValue(v any) (driver.Value, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

func jsonScan(src, dst any) error {
	switch v := src.(type) {
	case string:
		return json.Unmarshal([]byte(v), dst)
	case []byte:
		return json.Unmarshal(v, dst)
	case nil:
		return nil
	}
	return fmt.Errorf("cannot scan %T as JSON", src)
}
