package conversation

import (
	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/contact"
)

var stateToProto = map[State]tandemv1.ConversationState{ //nolint:gochecknoglobals // read-only table
	StateBot: tandemv1.ConversationState_CONVERSATION_STATE_BOT, StatePending: tandemv1.ConversationState_CONVERSATION_STATE_PENDING,
	StateActive: tandemv1.ConversationState_CONVERSATION_STATE_ACTIVE, StateSnoozed: tandemv1.ConversationState_CONVERSATION_STATE_SNOOZED,
	StateClosed: tandemv1.ConversationState_CONVERSATION_STATE_CLOSED, StateSpam: tandemv1.ConversationState_CONVERSATION_STATE_SPAM,
}

// StateToProto converts a state for the API.
func StateToProto(s State) tandemv1.ConversationState { return stateToProto[s] }

// StateFromProto converts an API state.
func StateFromProto(s tandemv1.ConversationState) State {
	for k, v := range stateToProto {
		if v == s {
			return k
		}
	}
	return ""
}

var priorityToProto = map[string]tandemv1.Priority{ //nolint:gochecknoglobals // read-only table
	"none": tandemv1.Priority_PRIORITY_NONE, "low": tandemv1.Priority_PRIORITY_LOW, "medium": tandemv1.Priority_PRIORITY_MEDIUM,
	"high": tandemv1.Priority_PRIORITY_HIGH, "urgent": tandemv1.Priority_PRIORITY_URGENT,
}

// PriorityToProto converts a priority for the API.
func PriorityToProto(p string) tandemv1.Priority { return priorityToProto[p] }

// PriorityFromProto converts an API priority.
func PriorityFromProto(p tandemv1.Priority) string {
	for k, v := range priorityToProto {
		if v == p {
			return k
		}
	}
	return ""
}

var channelToProto = map[string]tandemv1.Channel{ChannelWeb: tandemv1.Channel_CHANNEL_WEB, ChannelAPI: tandemv1.Channel_CHANNEL_API, //nolint:gochecknoglobals // read-only table
	ChannelEmail: tandemv1.Channel_CHANNEL_EMAIL}

// ChannelToProto converts a channel to the API's.
func ChannelToProto(c string) tandemv1.Channel { return channelToProto[c] }

// ChannelFromProto converts an API channel.
func ChannelFromProto(c tandemv1.Channel) string {
	for k, v := range channelToProto {
		if v == c {
			return k
		}
	}
	return ""
}

var authorToProto = map[string]tandemv1.AuthorKind{ //nolint:gochecknoglobals // read-only table
	AuthorCustomer: tandemv1.AuthorKind_AUTHOR_KIND_CUSTOMER, AuthorAgent: tandemv1.AuthorKind_AUTHOR_KIND_AGENT,
	AuthorBot: tandemv1.AuthorKind_AUTHOR_KIND_BOT, AuthorSystem: tandemv1.AuthorKind_AUTHOR_KIND_SYSTEM,
	"visitor": tandemv1.AuthorKind_AUTHOR_KIND_CUSTOMER, "user": tandemv1.AuthorKind_AUTHOR_KIND_AGENT,
	"api_key": tandemv1.AuthorKind_AUTHOR_KIND_AGENT, "rule": tandemv1.AuthorKind_AUTHOR_KIND_SYSTEM,
}

// AuthorToProto converts an author or event actor kind for the API.
func AuthorToProto(k string) tandemv1.AuthorKind { return authorToProto[k] }

var kindToProto = map[string]tandemv1.MessageKind{ //nolint:gochecknoglobals // read-only table
	KindText: tandemv1.MessageKind_MESSAGE_KIND_TEXT, KindNote: tandemv1.MessageKind_MESSAGE_KIND_NOTE,
	KindActivity: tandemv1.MessageKind_MESSAGE_KIND_ACTIVITY,
}

var outcomeToProto = map[Outcome]tandemv1.ConversationOutcome{ //nolint:gochecknoglobals // read-only table
	OutcomeOpen: tandemv1.ConversationOutcome_CONVERSATION_OUTCOME_OPEN, OutcomeResolvedByAI: tandemv1.ConversationOutcome_CONVERSATION_OUTCOME_RESOLVED_BY_AI,
	OutcomeResolvedByAgent: tandemv1.ConversationOutcome_CONVERSATION_OUTCOME_RESOLVED_BY_AGENT, OutcomeAbandoned: tandemv1.ConversationOutcome_CONVERSATION_OUTCOME_ABANDONED,
}

// ToProto converts a conversation for agents.
func ToProto(c *Conversation, ct *contact.Contact) *tandemv1.Conversation {
	out := &tandemv1.Conversation{Id: c.ID, WorkspaceId: c.WorkspaceID, State: StateToProto(c.State), AssigneeUserId: c.AssigneeID,
		GroupId: c.GroupID, Priority: priorityToProto[c.Priority], Channel: ChannelToProto(c.Channel), PageUrl: c.PageURL,
		CustomFields: c.CustomFields, LastMessagePreview: c.LastMessagePreview, LastMessageTimeMs: c.LastMessageAt,
		LastActivityTimeMs: c.LastActivityAt, CreateTimeMs: c.CreatedAt, SnoozeUntilTimeMs: c.SnoozedUntil,
		CloseTimeMs: c.ClosedAt, Unread: c.Unread, LastSeq: c.LastSeq, TagIds: c.TagIDs,
		ParticipantUserIds: c.ParticipantIDs, RequiredSkills: c.Skills(), CsatRating: int32(c.CSATRating), CsatComment: c.CSATComment, //nolint:gosec // a rating from 1 to 5
		LastCustomerMessagePreview: c.LastCustomerPreview, LastCustomerMessageTimeMs: c.LastCustomerAt, Outcome: outcomeToProto[c.Outcome()],
		NeedsAttention: c.NeedsAttention, Subject: c.Subject}
	if c.PolicyID != "" {
		out.Sla = &tandemv1.ConversationSla{PolicyId: c.PolicyID, FirstResponseDueMs: c.FirstResponseDue,
			NextResponseDueMs: c.NextResponseDue, ResolutionDueMs: c.ResolutionDue, FirstResponse: c.FirstResponse,
			NextResponse: c.NextResponse, Resolution: c.Resolution}
	}
	if ct != nil {
		out.Contact = contact.ToProto(ct)
	}
	return out
}

// MessageToProto converts a history item for agents.
func MessageToProto(m *Message) *tandemv1.Message {
	return &tandemv1.Message{Id: m.ID, ConversationId: m.ConversationID, Kind: kindToProto[m.Kind],
		AuthorKind: authorToProto[m.AuthorKind], AuthorId: m.AuthorID, AuthorName: m.AuthorName, Body: m.Body,
		Activity: m.Activity, ActivityData: m.ActivityData, ClientId: m.ClientID, CreateTimeMs: m.CreatedAt, Seq: m.Seq,
		Attachments: attachmentsToProto(m.Meta.Attachments), BotAnswer: botAnswerToProto(m.Meta.Bot)}
}

func botAnswerToProto(b *BotAnswer) *tandemv1.BotAnswer {
	if b == nil {
		return nil
	}
	return &tandemv1.BotAnswer{Confidence: b.Confidence, Method: b.Method, Citations: citationsToProto(b.Citations)}
}

func citationsToProto(cs []Citation) []*tandemv1.Citation {
	out := make([]*tandemv1.Citation, len(cs))
	for i, c := range cs {
		out[i] = &tandemv1.Citation{ChunkId: c.ChunkID, DocumentId: c.DocumentID, DocumentTitle: c.DocumentTitle, Heading: c.Heading,
			Url: c.URL}
	}
	return out
}

func attachmentsToProto(as []Attachment) []*tandemv1.Attachment {
	if len(as) == 0 {
		return nil
	}
	out := make([]*tandemv1.Attachment, len(as))
	for i, a := range as {
		out[i] = AttachmentToProto(a)
	}
	return out
}

// AttachmentToProto converts an attachment.
func AttachmentToProto(a Attachment) *tandemv1.Attachment {
	return &tandemv1.Attachment{Id: a.ID, Name: a.Name, ContentType: a.ContentType, SizeBytes: a.Size}
}

// WidgetConversationToProto converts a conversation for its customer.
func WidgetConversationToProto(c *Conversation) *tandemv1.WidgetConversation {
	state := c.State
	if state == StateSpam { // a customer is not told their chat is held as spam
		state = StatePending
	}
	return &tandemv1.WidgetConversation{Id: c.ID, State: StateToProto(state), CreateTimeMs: c.CreatedAt,
		CloseTimeMs: c.ClosedAt, LastSeq: c.LastSeq, CsatRating: int32(c.CSATRating)} //nolint:gosec // a rating from 1 to 5
}

// WidgetMessageToProto converts a public history item for the customer:
// no author ids, no activity details.
func WidgetMessageToProto(m *Message) *tandemv1.WidgetMessage {
	out := &tandemv1.WidgetMessage{Id: m.ID, Kind: kindToProto[m.Kind], AuthorKind: authorToProto[m.AuthorKind],
		AuthorName: m.AuthorName, Body: m.Body, Activity: m.Activity, ClientId: m.ClientID, CreateTimeMs: m.CreatedAt, Seq: m.Seq,
		Attachments: attachmentsToProto(m.Meta.Attachments)}
	if m.Meta.Bot != nil {
		out.Citations = citationsToProto(m.Meta.Bot.Citations)
		out.AnsweredWhileWaiting = m.Meta.Bot.WhileWaiting
	}
	return out
}

// FilterFromProto converts a list or stream filter.
func FilterFromProto(f *tandemv1.ConversationFilter) Filter {
	out := Filter{GroupID: f.GetGroupId(), Text: f.GetText(), Since: f.GetUpdatedSinceTimeMs(), AssigneeID: f.GetAssigneeUserId(),
		TagIDs: f.GetTagIds()}
	for _, s := range f.GetStates() {
		out.States = append(out.States, StateFromProto(s))
	}
	for _, p := range f.GetPriorities() {
		out.Priorities = append(out.Priorities, PriorityFromProto(p))
	}
	for _, c := range f.GetChannels() {
		out.Channels = append(out.Channels, ChannelFromProto(c))
	}
	switch f.GetAssignee() {
	case tandemv1.ConversationFilter_ASSIGNEE_ME:
		out.Assignee = "me"
	case tandemv1.ConversationFilter_ASSIGNEE_UNASSIGNED:
		out.Assignee = "unassigned"
	case tandemv1.ConversationFilter_ASSIGNEE_USER:
		out.Assignee = "user"
	}
	return out
}
