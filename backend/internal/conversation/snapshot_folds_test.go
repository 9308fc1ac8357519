package conversation_test

import (
	"testing"

	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// fold is what an event does to a client's copy of its inbox.
type fold int

const (
	// foldConversation: the event carries the conversation after the
	// change; the client replaces its copy (or drops it, once it has left
	// the view).
	foldConversation fold = iota + 1
	// foldRead: the reader's read marker moved (their own events only).
	foldRead
	// foldTagDeleted: a tag went, and with it from every conversation.
	foldTagDeleted
	// foldNothing: nothing an inbox shows changes (workspace settings,
	// members, other kinds of objects, typing).
	foldNothing
)

// folds says how the client folds in each type of event a Watch stream can
// carry. Every type events/types.go declares has its row
// (TestInboxClientFoldsEveryEventType): a new type must say what it does to
// an inbox, or the test's client would silently drift from the server.
var folds = map[events.Type]fold{
	events.ConversationCreated:         foldConversation,
	events.ConversationStateChanged:    foldConversation,
	events.ConversationHandoff:         foldConversation,
	events.ConversationAssigned:        foldConversation,
	events.ConversationUnassigned:      foldConversation,
	events.ConversationTransferred:     foldConversation,
	events.ConversationTagged:          foldConversation,
	events.ConversationUntagged:        foldConversation,
	events.ConversationPriorityChanged: foldConversation,
	events.ConversationSkillsChanged:   foldConversation,
	events.ConversationSLAUpdated:      foldConversation,
	events.ConversationJoined:          foldConversation,
	events.ConversationLeft:            foldConversation,
	events.MessageCreated:              foldConversation,
	events.NoteCreated:                 foldConversation,
	events.CSATReceived:                foldConversation,
	// The SLA clocks' events carry the conversation as the breach left it;
	// the conversation.sla_updated of the same commit follows.
	events.SLAWarning: foldConversation,
	events.SLABreach:  foldConversation,

	// In place of a whisper the reader may not read: the conversation
	// it moved, never the whisper.
	events.ConversationChanged: foldConversation,

	events.ConversationRead: foldRead,
	events.TagDeleted:       foldTagDeleted,

	// A mention repeats its note (note.created brought it) for one member.
	events.MemberMentioned: foldNothing,
	// Ephemeral.
	events.Typing: foldNothing,
	// Settings and objects besides conversations: an inbox shows a
	// conversation's group, tags and people by id, and none of these
	// changes a conversation (a deleted group stays named by its
	// conversations; a removed member keeps what they own).
	events.WorkspaceCreated: foldNothing, events.WorkspaceUpdated: foldNothing, events.WorkspaceWidgetSecretRotated: foldNothing,
	events.MemberInvited: foldNothing, events.MemberAdded: foldNothing, events.MemberRoleChanged: foldNothing,
	events.MemberRemoved: foldNothing, events.GroupCreated: foldNothing, events.GroupUpdated: foldNothing,
	events.GroupDeleted: foldNothing, events.GroupMemberAdded: foldNothing, events.GroupMemberRemoved: foldNothing,
	events.APIKeyCreated: foldNothing, events.APIKeyRevoked: foldNothing,
	events.PresenceChanged: foldNothing, events.AgentSettingsChanged: foldNothing, events.RoutingUpdated: foldNothing,
	// The contact is compared by id only (see shown).
	events.ContactCreated: foldNothing, events.ContactUpdated: foldNothing,
	events.TagCreated: foldNothing, events.TagUpdated: foldNothing,
	events.CannedResponseCreated: foldNothing, events.CannedResponseUpdated: foldNothing, events.CannedResponseDeleted: foldNothing,
	events.KnowledgeDocumentCreated: foldNothing, events.KnowledgeDocumentUpdated: foldNothing,
	events.KnowledgeDocumentDeleted: foldNothing, events.BotSettingsUpdated: foldNothing,
	events.AutomationRuleCreated: foldNothing, events.AutomationRuleUpdated: foldNothing, events.AutomationRuleDeleted: foldNothing,
	events.AutomationRulesReordered: foldNothing, events.AutomationCustomActionCreated: foldNothing,
	events.AutomationCustomActionUpdated: foldNothing, events.AutomationCustomActionDeleted: foldNothing,
	events.AutomationWebhookDead: foldNothing, events.AutomationWebhookRedelivered: foldNothing,
	events.SLAPolicyChanged: foldNothing, events.SLAHoursChanged: foldNothing, events.SLAFollowupsChanged: foldNothing,
	events.EmailInboxCreated: foldNothing, events.EmailInboxUpdated: foldNothing, events.EmailInboxDeleted: foldNothing,
	events.NotificationCreated: foldNothing,
}

// TestInboxClientFoldsEveryEventType fails when events/types.go declares a
// type the snapshot test's client has no row for in folds (or folds names a
// type no longer declared): whoever adds an event type decides, here, what
// it does to an agent's copy of the inbox, and the snapshot test then holds
// the server to it.
func TestInboxClientFoldsEveryEventType(t *testing.T) {
	t.Parallel()
	declared := storetest.EventTypes(t)
	for v, name := range declared {
		if _, ok := folds[events.Type(v)]; !ok {
			t.Errorf("events.%s (%q) has no row in folds: say what it does to an inbox", name, v)
		}
	}
	for typ := range folds {
		if _, ok := declared[string(typ)]; !ok {
			t.Errorf("folds has a row for %q, which events/types.go no longer declares", typ)
		}
	}
}
