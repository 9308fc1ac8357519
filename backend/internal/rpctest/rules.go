package rpctest

import (
	"encoding/json"
	"slices"
	"time"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/contact"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
)

// Rules: building automation rules and running the rule engine in W1.

// Rule creates a rule in W1 as its admin, through the API.
func (w *World) Rule(spec *tandemv1.RuleSpec) *tandemv1.Rule {
	w.T.Helper()
	resp, err := w.Srv.Clients(rpcclient.Connect).Automation.CreateRule(w.As("admin"),
		&tandemv1.CreateRuleRequest{WorkspaceId: w.W1.ID, Rule: spec})
	if err != nil {
		w.T.Fatalf("create rule %q: %v", spec.GetName(), err)
	}
	return resp.GetRule()
}

// RunRules drains the rule engine's reactor in W1.
func (w *World) RunRules() {
	w.T.Helper()
	if err := w.Srv.Domain().Automation.Reactor().Drain(w.Ctx, w.W1.ID); err != nil {
		w.T.Fatal(err)
	}
}

// TagNames are the names of the conversation's tags.
func (w *World) TagNames(id string) []string {
	w.T.Helper()
	var names []string
	for _, tagID := range w.State(id).TagIDs {
		t, err := w.Srv.Domain().Tags.Get(w.Ctx, tagID)
		if err != nil {
			w.T.Fatal(err)
		}
		names = append(names, t.Name)
	}
	slices.Sort(names)
	return names
}

// SignedVisitor starts a widget session in W1 whose identity the store
// signed, with the attributes.
func (w *World) SignedVisitor(attrs map[string]any) *access.Principal {
	w.T.Helper()
	b, _ := json.Marshal(contact.Identity{ExternalID: Unique("shopper-"), Name: "Shopper", Attributes: attrs,
		IssuedAt: time.Now().Unix(), Expires: time.Now().Add(time.Hour).Unix()})
	sess, err := w.Srv.Domain().Contacts.StartSession(w.Ctx, contact.SessionRequest{PublicKey: w.W1.PublicKey,
		IdentityJSON: string(b), IdentitySignature: contact.Sign(w.W1.WidgetSecret, string(b))})
	if err != nil {
		w.T.Fatal(err)
	}
	p, err := w.Srv.Domain().Contacts.AuthenticateVisitor(w.Ctx, sess.Token)
	if err != nil {
		w.T.Fatal(err)
	}
	w.Tokens[p] = sess.Token
	return p
}

// Keywords is a condition on any of the words.
func Keywords(words ...string) *tandemv1.Condition {
	return &tandemv1.Condition{Kind: &tandemv1.Condition_Text{Text: &tandemv1.TextCondition{ContainsAny: words}}}
}

// HandOff is the action that hands the conversation to the team.
func HandOff() *tandemv1.Action {
	return &tandemv1.Action{Kind: &tandemv1.Action_HandOff{HandOff: &tandemv1.HandOffAction{}}}
}

// AddTag is the action that tags the conversation.
func AddTag(name string) *tandemv1.Action {
	return &tandemv1.Action{Kind: &tandemv1.Action_AddTag{AddTag: name}}
}

// Timers lists the names of the rules armed in W1, sorted.
func (w *World) Timers() []string {
	w.T.Helper()
	var out []string
	if err := w.Srv.DB().SelectContext(w.Ctx, &out, `SELECT r.name FROM rule_timers t JOIN automation_rules r ON r.id = t.rule_id
		WHERE t.workspace_id = ? ORDER BY r.name`, w.W1.ID); err != nil {
		w.T.Fatal(err)
	}
	return out
}

// DelayedRule adds the tag minutes after the trigger.
func DelayedRule(name string, trigger tandemv1.RuleTrigger, minutes int32, tag string) *tandemv1.RuleSpec {
	return &tandemv1.RuleSpec{Name: name, Enabled: true, Trigger: trigger, DelayMinutes: minutes,
		Actions: []*tandemv1.Action{AddTag(tag)}}
}
