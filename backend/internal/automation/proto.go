package automation

import (
	"strings"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/conversation"
)

// enumName is an API enum value's domain name ("PRIORITY_HIGH" -> "high").
func enumName(v interface{ String() string }, prefix string) string {
	return strings.ToLower(strings.TrimPrefix(v.String(), prefix))
}

func triggerFromProto(t tandemv1.RuleTrigger) string { return enumName(t, "RULE_TRIGGER_") }

func triggerToProto(t string) tandemv1.RuleTrigger {
	return tandemv1.RuleTrigger(tandemv1.RuleTrigger_value["RULE_TRIGGER_"+strings.ToUpper(t)])
}

func conditionsFromProto(cs []*tandemv1.Condition) []Condition {
	var out []Condition
	for _, c := range cs {
		d := Condition{Negate: c.GetNegate()}
		switch k := c.GetKind().(type) {
		case *tandemv1.Condition_Text:
			d.Kind, d.Words, d.Regex = CondText, k.Text.GetContainsAny(), k.Text.GetMatchesRegex()
		case *tandemv1.Condition_Attribute:
			d.Kind, d.Key, d.Op = CondAttribute, k.Attribute.GetKey(), enumName(k.Attribute.GetOp(), "ATTRIBUTE_OP_")
			d.Values, d.VerifiedOnly = k.Attribute.GetValues(), k.Attribute.GetVerifiedOnly()
		case *tandemv1.Condition_Language:
			d.Kind, d.Value = CondLanguage, k.Language
		case *tandemv1.Condition_PageUrlContains:
			d.Kind, d.Value = CondPageURL, k.PageUrlContains
		case *tandemv1.Condition_Channel:
			d.Kind, d.Value = CondChannel, conversation.ChannelFromProto(k.Channel)
		case *tandemv1.Condition_HasTag:
			d.Kind, d.Value = CondTag, k.HasTag
		case *tandemv1.Condition_Priority:
			d.Kind, d.Value = CondPriority, conversation.PriorityFromProto(k.Priority)
		case *tandemv1.Condition_State:
			d.Kind, d.Value = CondState, string(conversation.StateFromProto(k.State))
		case *tandemv1.Condition_GroupId:
			d.Kind, d.Value = CondGroup, k.GroupId
		case *tandemv1.Condition_BotConfidenceBelow:
			d.Kind, d.Number = CondConfidence, k.BotConfidenceBelow
		case *tandemv1.Condition_AnyOf:
			d.Kind, d.Children = CondAnyOf, conditionsFromProto(k.AnyOf.GetConditions())
		case *tandemv1.Condition_AllOf:
			d.Kind, d.Children = CondAllOf, conditionsFromProto(k.AllOf.GetConditions())
		}
		out = append(out, d)
	}
	return out
}

func conditionsToProto(cs []Condition) []*tandemv1.Condition {
	var out []*tandemv1.Condition
	for _, d := range cs {
		c := &tandemv1.Condition{Negate: d.Negate}
		switch d.Kind {
		case CondText:
			c.Kind = &tandemv1.Condition_Text{Text: &tandemv1.TextCondition{ContainsAny: d.Words, MatchesRegex: d.Regex}}
		case CondAttribute:
			op := tandemv1.AttributeOp(tandemv1.AttributeOp_value["ATTRIBUTE_OP_"+strings.ToUpper(d.Op)])
			c.Kind = &tandemv1.Condition_Attribute{Attribute: &tandemv1.AttributeCondition{Key: d.Key, Op: op,
				Values: d.Values, VerifiedOnly: d.VerifiedOnly}}
		case CondLanguage:
			c.Kind = &tandemv1.Condition_Language{Language: d.Value}
		case CondPageURL:
			c.Kind = &tandemv1.Condition_PageUrlContains{PageUrlContains: d.Value}
		case CondChannel:
			c.Kind = &tandemv1.Condition_Channel{Channel: conversation.ChannelToProto(d.Value)}
		case CondTag:
			c.Kind = &tandemv1.Condition_HasTag{HasTag: d.Value}
		case CondPriority:
			c.Kind = &tandemv1.Condition_Priority{Priority: conversation.PriorityToProto(d.Value)}
		case CondState:
			c.Kind = &tandemv1.Condition_State{State: conversation.StateToProto(conversation.State(d.Value))}
		case CondGroup:
			c.Kind = &tandemv1.Condition_GroupId{GroupId: d.Value}
		case CondConfidence:
			c.Kind = &tandemv1.Condition_BotConfidenceBelow{BotConfidenceBelow: d.Number}
		case CondAnyOf:
			c.Kind = &tandemv1.Condition_AnyOf{AnyOf: &tandemv1.ConditionGroup{Conditions: conditionsToProto(d.Children)}}
		case CondAllOf:
			c.Kind = &tandemv1.Condition_AllOf{AllOf: &tandemv1.ConditionGroup{Conditions: conditionsToProto(d.Children)}}
		}
		out = append(out, c)
	}
	return out
}

func actionsFromProto(as []*tandemv1.Action) []Action {
	var out []Action
	for _, a := range as {
		var d Action
		switch k := a.GetKind().(type) {
		case *tandemv1.Action_AddTag:
			d = Action{Kind: ActAddTag, Value: k.AddTag}
		case *tandemv1.Action_RemoveTag:
			d = Action{Kind: ActRemoveTag, Value: k.RemoveTag}
		case *tandemv1.Action_HandOff:
			d = Action{Kind: ActHandOff, Reason: conversation.HandoffReasonFromProto(k.HandOff.GetReason())}
		case *tandemv1.Action_AssignGroupId:
			d = Action{Kind: ActAssignGroup, Value: k.AssignGroupId}
		case *tandemv1.Action_AssignUserId:
			d = Action{Kind: ActAssignUser, Value: k.AssignUserId}
		case *tandemv1.Action_SetPriority:
			d = Action{Kind: ActPriority, Value: conversation.PriorityFromProto(k.SetPriority)}
		case *tandemv1.Action_SendCannedResponseId:
			d = Action{Kind: ActCanned, Value: k.SendCannedResponseId}
		case *tandemv1.Action_AddNote:
			d = Action{Kind: ActNote, Value: k.AddNote}
		case *tandemv1.Action_Close:
			d = Action{Kind: ActClose}
		case *tandemv1.Action_Snooze:
			d = Action{Kind: ActSnooze, Minutes: int(k.Snooze.GetMinutes())}
		case *tandemv1.Action_CallWebhook:
			d = Action{Kind: ActWebhook, Value: k.CallWebhook.GetUrl(), Secret: k.CallWebhook.GetSecret()}
		}
		out = append(out, d)
	}
	return out
}

func actionsToProto(as []Action) []*tandemv1.Action {
	var out []*tandemv1.Action
	for _, d := range as {
		a := &tandemv1.Action{}
		switch d.Kind {
		case ActAddTag:
			a.Kind = &tandemv1.Action_AddTag{AddTag: d.Value}
		case ActRemoveTag:
			a.Kind = &tandemv1.Action_RemoveTag{RemoveTag: d.Value}
		case ActHandOff:
			a.Kind = &tandemv1.Action_HandOff{HandOff: &tandemv1.HandOffAction{Reason: conversation.HandoffReasonToProto(d.Reason)}}
		case ActAssignGroup:
			a.Kind = &tandemv1.Action_AssignGroupId{AssignGroupId: d.Value}
		case ActAssignUser:
			a.Kind = &tandemv1.Action_AssignUserId{AssignUserId: d.Value}
		case ActPriority:
			a.Kind = &tandemv1.Action_SetPriority{SetPriority: conversation.PriorityToProto(d.Value)}
		case ActCanned:
			a.Kind = &tandemv1.Action_SendCannedResponseId{SendCannedResponseId: d.Value}
		case ActNote:
			a.Kind = &tandemv1.Action_AddNote{AddNote: d.Value}
		case ActClose:
			a.Kind = &tandemv1.Action_Close{Close: &tandemv1.CloseAction{}}
		case ActWebhook: // the secret is write-only
			a.Kind = &tandemv1.Action_CallWebhook{CallWebhook: &tandemv1.CallWebhookAction{Url: d.Value}}
		case ActSnooze:
			a.Kind = &tandemv1.Action_Snooze{Snooze: &tandemv1.SnoozeAction{Minutes: int32(d.Minutes)}} //nolint:gosec // checked on save: at most 43200
		}
		out = append(out, a)
	}
	return out
}

// RuleToProto converts a rule for the API.
func RuleToProto(r Rule) *tandemv1.Rule {
	return &tandemv1.Rule{Id: r.ID, WorkspaceId: r.WorkspaceID, Name: r.Name, Enabled: r.Enabled, Position: int32(r.Position), //nolint:gosec // positions are small
		Trigger: triggerToProto(r.Trigger), Conditions: conditionsToProto(r.Conditions), Actions: actionsToProto(r.Actions),
		CreateTimeMs: r.CreatedAt, UpdateTimeMs: r.UpdatedAt, DelayMinutes: int32(r.DelayMinutes)} //nolint:gosec // at most 43200
}

// CustomActionToProto converts a button for the API.
func CustomActionToProto(a CustomAction) *tandemv1.CustomAction {
	return &tandemv1.CustomAction{Id: a.ID, WorkspaceId: a.WorkspaceID, Label: a.Label, Enabled: a.Enabled,
		Position: int32(a.Position), Actions: actionsToProto(a.Actions), //nolint:gosec // positions are small
		CreateTimeMs: a.CreatedAt, UpdateTimeMs: a.UpdatedAt}
}

func specFromProto(s *tandemv1.RuleSpec) RuleSpec {
	return RuleSpec{Name: s.GetName(), Enabled: s.GetEnabled(), Trigger: triggerFromProto(s.GetTrigger()), DelayMinutes: int(s.GetDelayMinutes()),
		Conditions: conditionsFromProto(s.GetConditions()), Actions: actionsFromProto(s.GetActions())}
}
