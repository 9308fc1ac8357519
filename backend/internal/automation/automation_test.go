package automation_test

import (
	"slices"
	"strings"
	"testing"

	"connectrpc.com/connect"
	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"google.golang.org/protobuf/testing/protocmp"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/conversation"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

func attribute(key string, op tandemv1.AttributeOp, verifiedOnly bool, values ...string) *tandemv1.Condition {
	return &tandemv1.Condition{Kind: &tandemv1.Condition_Attribute{Attribute: &tandemv1.AttributeCondition{
		Key: key, Op: op, Values: values, VerifiedOnly: verifiedOnly}}}
}

func hasTag(name string) *tandemv1.Condition {
	return &tandemv1.Condition{Kind: &tandemv1.Condition_HasTag{HasTag: name}}
}

func removeTag(name string) *tandemv1.Action {
	return &tandemv1.Action{Kind: &tandemv1.Action_RemoveTag{RemoveTag: name}}
}

// actorsOf returns "kind:id" of the conversation's events of the type.
func (w *world) actorsOf(conversationID string, typ events.Type) []string {
	w.T.Helper()
	var out []string
	if err := w.Srv.DB().SelectContext(w.Ctx, &out, `SELECT `+concatActor(w)+` FROM events
		WHERE conversation_id = ? AND type = ? ORDER BY seq`, conversationID, typ); err != nil {
		w.T.Fatal(err)
	}
	return out
}

func concatActor(w *world) string {
	if w.Srv.DB().Dialect.Name() == "mysql" {
		return `CONCAT(actor_kind, ':', actor_id)`
	}
	return `actor_kind || ':' || actor_id`
}

// TestRuleKeywordHandoff: a keyword rule hands a refund request off (reason
// keyword_rule, the handoff tag and the rule's own tag) before the AI agent
// answers it, exactly once, as the rule; other questions still get the AI.
func TestRuleKeywordHandoff(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := botWorld(t, rpctest.Start(t, opts, rpctest.Quiet)) // only the test drains the reactors
		r := w.Rule(&tandemv1.RuleSpec{Name: "Refunds to people", Enabled: true,
			Trigger:    tandemv1.RuleTrigger_RULE_TRIGGER_CUSTOMER_MESSAGE,
			Conditions: []*tandemv1.Condition{rpctest.Keywords("refund", "chargeback", "fraud")},
			Actions:    []*tandemv1.Action{rpctest.AddTag("refund"), rpctest.HandOff()}})

		conv, answer := w.Ask("I want a REFUND for order 1234!")
		if answer != nil {
			t.Fatalf("the AI agent answered %q: the rule should have handed off first", answer.Body)
		}
		w.RunRules()
		if err := w.Srv.BotReactor().Drain(w.Ctx, w.W1.ID); err != nil { // redelivery changes nothing
			t.Fatal(err)
		}
		if got := w.State(conv.ID).State; got != conversation.StatePending {
			t.Fatalf("state %s, want pending", got)
		}
		if got := w.Handoffs(conv.ID); !slices.Equal(got, []conversation.HandoffReason{conversation.HandoffKeywordRule}) {
			t.Fatalf("handoffs %v, want one keyword_rule", got)
		}
		if got := w.TagNames(conv.ID); !slices.Equal(got, []string{"handoff", "refund"}) {
			t.Fatalf("tags %v", got)
		}
		want := []string{"rule:" + r.GetId()}
		if got := w.actorsOf(conv.ID, events.ConversationHandoff); !slices.Equal(got, want) {
			t.Fatalf("handoff events by %v, want %v", got, want)
		}

		if other, answer := w.Ask("How long does standard shipping take?"); answer == nil || w.Handoffs(other.ID) != nil {
			t.Fatalf("a shipping question: answer %v, handoffs %v: the AI agent should answer", answer, w.Handoffs(other.ID))
		}
		other, _ := w.Ask("Is my order refundable after 60 days?") // words, not parts of words
		if slices.Contains(w.Handoffs(other.ID), conversation.HandoffKeywordRule) || slices.Contains(w.TagNames(other.ID), "refund") {
			t.Fatalf("refundable matched refund: handoffs %v, tags %v", w.Handoffs(other.ID), w.TagNames(other.ID))
		}
	})
}

// TestRuleAttributeHandoff: cart_value > 200 hands off with attribute_rule,
// whether the store signed it or the pre-chat form sent it; a rule limited
// to verified attributes ignores what the browser says.
func TestRuleAttributeHandoff(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := botWorld(t, rpctest.Start(t, opts, rpctest.Quiet)) // only the test drains the reactors
		w.Rule(&tandemv1.RuleSpec{Name: "Big carts", Enabled: true,
			Trigger:    tandemv1.RuleTrigger_RULE_TRIGGER_CONVERSATION_CREATED,
			Conditions: []*tandemv1.Condition{attribute("cart_value", tandemv1.AttributeOp_ATTRIBUTE_OP_GT, false, "200")},
			Actions:    []*tandemv1.Action{rpctest.AddTag("big cart"), rpctest.HandOff()}})
		w.Rule(&tandemv1.RuleSpec{Name: "VIPs", Enabled: true,
			Trigger:    tandemv1.RuleTrigger_RULE_TRIGGER_CONVERSATION_CREATED,
			Conditions: []*tandemv1.Condition{attribute("vip", tandemv1.AttributeOp_ATTRIBUTE_OP_EQ, true, "true")},
			Actions:    []*tandemv1.Action{rpctest.AddTag("vip")}})

		cases := []struct {
			name     string
			visitor  *access.Principal
			fields   map[string]string
			handoffs []conversation.HandoffReason
			tags     []string
		}{
			{"signed cart 250", w.SignedVisitor(map[string]any{"cart_value": 250}), nil,
				[]conversation.HandoffReason{conversation.HandoffAttributeRule}, []string{"big cart", "handoff"}},
			{"pre-chat cart 250", w.Visitor, map[string]string{"cart_value": "250"},
				[]conversation.HandoffReason{conversation.HandoffAttributeRule}, []string{"big cart", "handoff"}},
			{"signed cart 150", w.SignedVisitor(map[string]any{"cart_value": 150.0}), nil, nil, nil},
			{"signed VIP", w.SignedVisitor(map[string]any{"vip": true}), nil, nil, []string{"vip"}},
			{"unsigned VIP", w.Other, map[string]string{"vip": "true"}, nil, nil},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				conv, _, err := w.Srv.Domain().Conversations.Start(w.Ctx, tc.visitor, uuid.NewString(), "https://shop.example/cart", tc.fields,
					"Where is my parcel?")
				if err != nil {
					t.Fatal(err)
				}
				answer := w.BotAnswer(conv.ID)
				w.RunRules()
				if got := w.Handoffs(conv.ID); !slices.Equal(got, tc.handoffs) {
					t.Fatalf("handoffs %v, want %v", got, tc.handoffs)
				}
				if got := w.TagNames(conv.ID); !slices.Equal(got, tc.tags) {
					t.Fatalf("tags %v, want %v", got, tc.tags)
				}
				if (answer == nil) != (tc.handoffs != nil) {
					t.Fatalf("AI answer %v with handoffs %v", answer, tc.handoffs)
				}
			})
		}
	})
}

// TestRuleOrder: rules run in position order and each sees what the ones
// before it did; reordering changes the outcome.
func TestRuleOrder(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := worldOn(t, rpctest.Start(t, opts, rpctest.Quiet)) // only the test drains the reactors
		c := w.Srv.Clients(rpcclient.Connect)
		first := w.Rule(&tandemv1.RuleSpec{Name: "first", Enabled: true, Trigger: tandemv1.RuleTrigger_RULE_TRIGGER_CUSTOMER_MESSAGE,
			Conditions: []*tandemv1.Condition{rpctest.Keywords("order")}, Actions: []*tandemv1.Action{rpctest.AddTag("first")}})
		second := w.Rule(&tandemv1.RuleSpec{Name: "second", Enabled: true, Trigger: tandemv1.RuleTrigger_RULE_TRIGGER_CUSTOMER_MESSAGE,
			Conditions: []*tandemv1.Condition{hasTag("first")}, Actions: []*tandemv1.Action{rpctest.AddTag("second")}})

		conv := w.ConversationWith(w.Visitor, "about my order")
		w.RunRules()
		if got := w.TagNames(conv.ID); !slices.Equal(got, []string{"first", "second"}) {
			t.Fatalf("in order first, second: tags %v", got)
		}

		resp, err := c.Automation.ReorderRules(w.As("admin"), &tandemv1.ReorderRulesRequest{WorkspaceId: w.W1.ID,
			RuleIds: []string{second.GetId(), first.GetId()}})
		if err != nil {
			t.Fatal(err)
		}
		if got := resp.GetRules(); got[0].GetId() != second.GetId() || got[0].GetPosition() != 0 {
			t.Fatalf("reordered %v", got)
		}
		conv = w.ConversationWith(w.Visitor, "another order")
		w.RunRules()
		if got := w.TagNames(conv.ID); !slices.Equal(got, []string{"first"}) {
			t.Fatalf("in order second, first: tags %v", got)
		}

		_, err = c.Automation.ReorderRules(w.As("admin"), &tandemv1.ReorderRulesRequest{WorkspaceId: w.W1.ID, RuleIds: []string{first.GetId()}})
		if connect.CodeOf(err) != connect.CodeInvalidArgument {
			t.Fatalf("a partial order: %v, want InvalidArgument", err)
		}
	})
}

// TestRuleLoopProtection: two rules that undo each other stop after the
// limit, with a note telling the team; a rule does not react to its own
// actions.
func TestRuleLoopProtection(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		srv := rpctest.Start(t, opts, rpctest.Quiet) // only the test drains: the loop runs as it would, one step at a time
		tagAs := func(w *world, convID, name string) {
			tg, err := w.Srv.Domain().Tags.Ensure(w.Ctx, w.Principal("owner"), w.W1.ID, name)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.Srv.Domain().Conversations.Tag(w.Ctx, w.Principal("owner"), w.W1.ID, convID, tg.ID); err != nil {
				t.Fatal(err)
			}
		}
		runs := func(w *world, convID string) int {
			var n int
			if err := w.Srv.DB().GetContext(w.Ctx, &n, `SELECT COUNT(*) FROM rule_runs WHERE conversation_id = ?`, convID); err != nil {
				t.Fatal(err)
			}
			return n
		}

		// A rule whose action is its own trigger runs once.
		w := worldOn(t, srv)
		w.Rule(&tandemv1.RuleSpec{Name: "self", Enabled: true, Trigger: tandemv1.RuleTrigger_RULE_TRIGGER_TAG_ADDED,
			Actions: []*tandemv1.Action{rpctest.AddTag("self-made")}})
		conv := w.Conversation(w.Visitor)
		tagAs(w, conv.ID, "x")
		w.RunRules()
		if n := runs(w, conv.ID); n != 1 {
			t.Fatalf("the self-triggering rule ran %d times, want 1", n)
		}

		// Two rules that trigger each other stop at the limit.
		w = worldOn(t, srv)
		w.Rule(&tandemv1.RuleSpec{Name: "ping", Enabled: true, Trigger: tandemv1.RuleTrigger_RULE_TRIGGER_TAG_ADDED,
			Conditions: []*tandemv1.Condition{hasTag("ping")}, Actions: []*tandemv1.Action{removeTag("ping"), rpctest.AddTag("pong")}})
		w.Rule(&tandemv1.RuleSpec{Name: "pong", Enabled: true, Trigger: tandemv1.RuleTrigger_RULE_TRIGGER_TAG_ADDED,
			Conditions: []*tandemv1.Condition{hasTag("pong")}, Actions: []*tandemv1.Action{removeTag("pong"), rpctest.AddTag("ping")}})
		conv = w.Conversation(w.Visitor)
		tagAs(w, conv.ID, "ping")
		w.RunRules() // returns: the loop is stopped
		if n := runs(w, conv.ID); n != 20 {
			t.Fatalf("%d rule runs, want the limit of 20", n)
		}
		msgs, _, err := w.Srv.Domain().Conversations.History(w.Ctx, conv.ID, 200, "", false)
		if err != nil {
			t.Fatal(err)
		}
		notes := 0
		for _, m := range msgs {
			if m.Kind == conversation.KindNote && strings.Contains(m.Body, "Automation paused") {
				notes++
			}
		}
		if notes < 1 || notes > 2 { // one a minute: two if the run crossed a minute
			t.Fatalf("%d loop notes, want 1", notes)
		}
	})
}

// TestTalkToAPerson: the "Talk to a person" button hands off with
// customer_request exactly once, however often it is pressed; buttons are
// the workspace's own.
func TestTalkToAPerson(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := botWorld(t, rpctest.Start(t, opts, rpctest.Quiet)) // only the test drains the reactors
		c := w.Srv.Clients(rpcclient.Connect)
		created, err := c.Automation.CreateCustomAction(w.As("admin"), &tandemv1.CreateCustomActionRequest{WorkspaceId: w.W1.ID,
			Action: &tandemv1.CustomActionSpec{Label: "Talk to a person", Enabled: true, Actions: []*tandemv1.Action{rpctest.HandOff(),
				{Kind: &tandemv1.Action_SetPriority{SetPriority: tandemv1.Priority_PRIORITY_HIGH}}}}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Automation.CreateCustomAction(w.As("admin"), &tandemv1.CreateCustomActionRequest{WorkspaceId: w.W1.ID,
			Action: &tandemv1.CustomActionSpec{Label: "Close it", Enabled: true,
				Actions: []*tandemv1.Action{{Kind: &tandemv1.Action_Close{Close: &tandemv1.CloseAction{}}}}}})
		if connect.CodeOf(err) != connect.CodeInvalidArgument {
			t.Fatalf("a button that closes: %v, want InvalidArgument", err)
		}

		visitor := rpcclient.WithToken(w.Ctx, w.VisitorToken)
		list, err := c.Widget.ListCustomActions(visitor, &tandemv1.WidgetServiceListCustomActionsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if got := list.GetActions(); len(got) != 1 || got[0].GetLabel() != "Talk to a person" {
			t.Fatalf("widget buttons %v", got)
		}

		conv, answer := w.Ask("Do you ship to Canada?")
		if answer == nil {
			t.Fatal("no AI answer before the button")
		}
		for range 3 {
			resp, err := c.Widget.PressCustomAction(visitor, &tandemv1.PressCustomActionRequest{ConversationId: conv.ID,
				CustomActionId: created.GetAction().GetId()})
			if err != nil {
				t.Fatal(err)
			}
			if resp.GetConversation().GetState() != tandemv1.ConversationState_CONVERSATION_STATE_PENDING {
				t.Fatalf("state %v after the press", resp.GetConversation().GetState())
			}
		}
		if got := w.Handoffs(conv.ID); !slices.Equal(got, []conversation.HandoffReason{conversation.HandoffCustomerRequest}) {
			t.Fatalf("handoffs %v, want one customer_request", got)
		}
		if got := w.State(conv.ID); got.Priority != "high" || !slices.Contains(w.TagNames(conv.ID), "handoff") {
			t.Fatalf("priority %s, tags %v", got.Priority, w.TagNames(conv.ID))
		}

		// Another visitor's conversation, and W2's visitor: not theirs.
		other := w.Conversation(w.Other)
		_, err = c.Widget.PressCustomAction(visitor, &tandemv1.PressCustomActionRequest{ConversationId: other.ID,
			CustomActionId: created.GetAction().GetId()})
		if connect.CodeOf(err) != connect.CodeNotFound {
			t.Fatalf("pressing in another's conversation: %v, want NotFound", err)
		}
		if err := w.Srv.Domain().Automation.Press(w.Ctx, w.W2Visitor, w.W2.ID, w.Conversation(w.W2Visitor).ID, created.GetAction().GetId()); err == nil {
			t.Fatal("W2's visitor pressed W1's button")
		}
	})
}

// TestRuleValidation: bad rules are refused with InvalidArgument.
func TestRuleValidation(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) { testRuleValidation(t, opts) })
}

func testRuleValidation(t *testing.T, opts store.Options) {
	w := newWorld(t, opts)
	c := w.Srv.Clients(rpcclient.Connect)
	for name, spec := range map[string]*tandemv1.RuleSpec{
		"bad regex": {Name: "x", Trigger: tandemv1.RuleTrigger_RULE_TRIGGER_CUSTOMER_MESSAGE,
			Conditions: []*tandemv1.Condition{{Kind: &tandemv1.Condition_Text{Text: &tandemv1.TextCondition{MatchesRegex: "(refund"}}}},
			Actions:    []*tandemv1.Action{rpctest.HandOff()}},
		"no action":  {Name: "x", Trigger: tandemv1.RuleTrigger_RULE_TRIGGER_CUSTOMER_MESSAGE},
		"no trigger": {Name: "x", Actions: []*tandemv1.Action{rpctest.HandOff()}},
		"empty comparison": {Name: "x", Trigger: tandemv1.RuleTrigger_RULE_TRIGGER_CUSTOMER_MESSAGE,
			Conditions: []*tandemv1.Condition{attribute("cart_value", tandemv1.AttributeOp_ATTRIBUTE_OP_GT, false)},
			Actions:    []*tandemv1.Action{rpctest.HandOff()}},
	} {
		_, err := c.Automation.CreateRule(w.As("admin"), &tandemv1.CreateRuleRequest{WorkspaceId: w.W1.ID, Rule: spec})
		if connect.CodeOf(err) != connect.CodeInvalidArgument {
			t.Errorf("%s: %v, want InvalidArgument", name, err)
		}
	}
	// What was saved reads back the same.
	spec := &tandemv1.RuleSpec{Name: "round trip", Enabled: true, Trigger: tandemv1.RuleTrigger_RULE_TRIGGER_HANDOFF,
		Conditions: []*tandemv1.Condition{{Negate: true, Kind: &tandemv1.Condition_AnyOf{AnyOf: &tandemv1.ConditionGroup{
			Conditions: []*tandemv1.Condition{attribute("vendor_tier", tandemv1.AttributeOp_ATTRIBUTE_OP_IN, false, "gold", "platinum"),
				{Kind: &tandemv1.Condition_Priority{Priority: tandemv1.Priority_PRIORITY_URGENT}}}}}}},
		Actions: []*tandemv1.Action{{Kind: &tandemv1.Action_Snooze{Snooze: &tandemv1.SnoozeAction{Minutes: 30}}}}}
	r := w.Rule(spec)
	list, err := c.Automation.ListRules(w.As("agent"), &tandemv1.ListRulesRequest{WorkspaceId: w.W1.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.GetRules()) != 1 {
		t.Fatalf("%d rules, want 1", len(list.GetRules()))
	}
	for _, got := range []*tandemv1.Rule{r, list.GetRules()[0]} {
		if diff := cmp.Diff(spec.GetConditions(), got.GetConditions(), protocmp.Transform()); diff != "" {
			t.Fatalf("conditions read back differ (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(spec.GetActions(), got.GetActions(), protocmp.Transform()); diff != "" {
			t.Fatalf("actions read back differ (-want +got):\n%s", diff)
		}
	}
}

// TestRuleDryRun: a dry run finds the conversations a rule would act on and
// says what it would do there, and changes nothing at all.
func TestRuleDryRun(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := worldOn(t, rpctest.Start(t, opts, rpctest.Quiet)) // no reactor changes the workspace meanwhile
		refund := w.ConversationWith(w.Visitor, "Hello")
		if _, _, err := w.Srv.Domain().Conversations.Post(w.Ctx, w.Visitor, w.W1.ID, refund.ID, uuid.NewString(), "I want my money back: refund please",
			conversation.KindText); err != nil {
			t.Fatal(err)
		}
		w.ConversationWith(w.Visitor, "Where is my parcel?")
		w.ConversationWith(w.Other, "Is this refundable?")
		spec := &tandemv1.RuleSpec{Name: "Refunds", Enabled: true, Trigger: tandemv1.RuleTrigger_RULE_TRIGGER_CUSTOMER_MESSAGE,
			Conditions: []*tandemv1.Condition{rpctest.Keywords("refund")}, Actions: []*tandemv1.Action{rpctest.AddTag("refund"), rpctest.HandOff()}}
		c := w.Srv.Clients(rpcclient.GRPCWeb)

		// What a rule could change: conversations, their messages, tags and
		// hand-offs, the rule's own rows, and the event log.
		touched := []string{
			`SELECT id, state, assignee_id, group_id, priority, last_seq, closed_at FROM conversations WHERE workspace_id = ? ORDER BY id`,
			`SELECT id, body, kind FROM messages WHERE workspace_id = ? ORDER BY id`,
			`SELECT conversation_id, tag_id FROM conversation_tags WHERE workspace_id = ? ORDER BY conversation_id, tag_id`,
			`SELECT id, name FROM tags WHERE workspace_id = ? ORDER BY id`,
			`SELECT id, name, updated_at FROM automation_rules WHERE workspace_id = ? ORDER BY id`,
			`SELECT COUNT(*), MAX(seq) FROM events WHERE workspace_id = ?`,
		}
		before := w.Digest(w.W1.ID, touched...)
		resp, err := c.Automation.DryRunRule(w.As("admin"), &tandemv1.DryRunRuleRequest{WorkspaceId: w.W1.ID, Rule: spec})
		if err != nil {
			t.Fatal(err)
		}
		if after := w.Digest(w.W1.ID, touched...); after != before {
			t.Fatal("the dry run changed the workspace")
		}
		if resp.GetEvaluated() != 3 || len(resp.GetMatches()) != 1 {
			t.Fatalf("evaluated %d, matches %v", resp.GetEvaluated(), resp.GetMatches())
		}
		m := resp.GetMatches()[0]
		want := []string{`add the tag "refund"`, "hand off to the team (keyword_rule): nothing to do, the AI agent does not have it"}
		if m.GetConversationId() != refund.ID || !strings.Contains(m.GetMessageExcerpt(), "refund please") || !slices.Equal(m.GetEffects(), want) {
			t.Fatalf("match %v", m)
		}

		resp, err = c.Automation.DryRunRule(w.As("admin"), &tandemv1.DryRunRuleRequest{WorkspaceId: w.W1.ID, Rule: spec, ConversationCount: 2})
		if err != nil || resp.GetEvaluated() != 2 {
			t.Fatalf("two conversations: %v, %v", resp, err)
		}
		_, err = c.Automation.DryRunRule(w.As("agent"), &tandemv1.DryRunRuleRequest{WorkspaceId: w.W1.ID, Rule: spec})
		if connect.CodeOf(err) != connect.CodePermissionDenied {
			t.Fatalf("an agent's dry run: %v, want PermissionDenied", err)
		}
	})
}
