package events

// Type names what an event says happened; its payload's shape follows from
// it. Every type the server appends to the log or sends on a stream is
// declared here, once: the domains append and match these constants, never
// a bare string (TestNoBareEventTypes fails on one). A type is part of the
// API (Event.type on every stream), so a shipped value never changes.
type Type string

// Conversations and their messages (internal/conversation). The payload is a
// conversation.Payload: the conversation after the change, the message if
// one was written, and the change's details in Data.
const (
	// ConversationCreated: a customer, an agent or an integration started a
	// conversation (with its first message).
	ConversationCreated Type = "conversation.created"
	// ConversationStateChanged: the conversation moved between bot, pending,
	// active and closed (Data from, to).
	ConversationStateChanged Type = "conversation.state_changed"
	// ConversationHandoff: the AI agent handed the conversation to people
	// (Data reason, detail); the bot's goodbye follows as a message.
	ConversationHandoff Type = "conversation.handoff"
	// ConversationAssigned: a person owns the conversation (Data assignee_id,
	// assignee_name, how).
	ConversationAssigned Type = "conversation.assigned"
	// ConversationUnassigned: the conversation went back to its queue, by a
	// person or by the router's reroute (Data needs_attention once it has
	// been rerouted too often).
	ConversationUnassigned Type = "conversation.unassigned"
	// ConversationTransferred: the conversation moved to another group's
	// queue.
	ConversationTransferred Type = "conversation.transferred"
	// ConversationTagged: a tag was added (Data tag_id, tag_name).
	ConversationTagged Type = "conversation.tagged"
	// ConversationUntagged: a tag was removed (Data tag_id, tag_name).
	ConversationUntagged Type = "conversation.untagged"
	// ConversationPriorityChanged: the priority changed (Data from, to).
	ConversationPriorityChanged Type = "conversation.priority_changed"
	// ConversationSkillsChanged: the skills routing asks for changed (Data
	// from, to).
	ConversationSkillsChanged Type = "conversation.skills_changed"
	// ConversationSLAUpdated: the SLA clocks' bookkeeping on the
	// conversation (deadlines, outcomes, first_response_at); not activity.
	ConversationSLAUpdated Type = "conversation.sla_updated"
	// ConversationRead: a member's read marker moved (Self visibility: only
	// that member's other devices see it).
	ConversationRead Type = "conversation.read"
	// ConversationJoined: a member joined the conversation as a participant.
	ConversationJoined Type = "conversation.joined"
	// ConversationLeft: a participant left the conversation.
	ConversationLeft Type = "conversation.left"
	// MessageCreated: a customer, agent, bot or system message was written.
	MessageCreated Type = "message.created"
	// NoteCreated: an internal note or a whisper was written (never seen by
	// the customer).
	NoteCreated Type = "note.created"
	// CSATReceived: the customer rated the conversation (Data rating,
	// comment).
	CSATReceived Type = "csat.received"
	// MemberMentioned: a note mentioned a member (Direct visibility: only
	// the member the payload's user_id names sees it).
	MemberMentioned Type = "member.mentioned"
)

// Events only sent on streams, never stored.
const (
	// ConversationChanged is sent on the widget's stream in place of an
	// event the customer may not see (a handoff, a transfer) that changed
	// what the widget shows of the conversation, and on an agent's stream
	// in place of a whisper they may not read; it carries the
	// conversation, never the hidden event. Not in the log.
	ConversationChanged Type = "conversation.changed"
	// Typing is the type of the Ephemeral event a typing indicator is:
	// published through the Hub (and the Broker), never stored, and
	// dropped under pressure.
	Typing Type = "typing"
)

// Workspaces, their members and groups (internal/workspace).
const (
	// WorkspaceCreated: a workspace was created (Data name).
	WorkspaceCreated Type = "workspace.created"
	// WorkspaceUpdated: the workspace's settings changed (Data name).
	WorkspaceUpdated Type = "workspace.updated"
	// WorkspaceWidgetSecretRotated: the widget secret was rotated (Admins
	// visibility; the event says that and when, never the secret).
	WorkspaceWidgetSecretRotated Type = "workspace.widget_secret_rotated"
	// MemberInvited: an invitation was sent (Admins visibility).
	MemberInvited Type = "member.invited"
	// MemberAdded: a user became a member (created the workspace, accepted
	// an invitation, or was enrolled).
	MemberAdded Type = "member.added"
	// MemberRoleChanged: a member's role changed; their streams re-read it.
	MemberRoleChanged Type = "member.role_changed"
	// MemberRemoved: a member was removed; their streams end.
	MemberRemoved Type = "member.removed"
	// GroupCreated: a group was created.
	GroupCreated Type = "group.created"
	// GroupUpdated: a group's settings changed.
	GroupUpdated Type = "group.updated"
	// GroupDeleted: a group was deleted.
	GroupDeleted Type = "group.deleted"
	// GroupMemberAdded: a member joined a group.
	GroupMemberAdded Type = "group.member_added"
	// GroupMemberRemoved: a member left a group.
	GroupMemberRemoved Type = "group.member_removed"
)

// API keys (internal/account).
const (
	// APIKeyCreated: an API key was created (never its secret).
	APIKeyCreated Type = "api_key.created"
	// APIKeyRevoked: an API key was revoked; the streams it opened end.
	APIKeyRevoked Type = "api_key.revoked"
)

// Agents' presence and settings (internal/presence).
const (
	// PresenceChanged: an agent's status changed, by their hand or by the
	// server (inactive, reconnected: Data reason).
	PresenceChanged Type = "presence.changed"
	// AgentSettingsChanged: an agent's capacity or skills changed.
	AgentSettingsChanged Type = "agent.settings_changed"
)

// Routing (internal/routing).
const (
	// RoutingUpdated: the workspace's routing settings changed.
	RoutingUpdated Type = "routing.updated"
)

// Contacts (internal/contact).
const (
	// ContactCreated: a contact was created (a visitor identified, or an
	// email's sender).
	ContactCreated Type = "contact.created"
	// ContactUpdated: a contact's details or attributes changed.
	ContactUpdated Type = "contact.updated"
)

// Tags (internal/tag).
const (
	// TagCreated: a tag was created.
	TagCreated Type = "tag.created"
	// TagUpdated: a tag's name, colour or description changed.
	TagUpdated Type = "tag.updated"
	// TagDeleted: a tag was deleted.
	TagDeleted Type = "tag.deleted"
)

// Canned responses (internal/canned).
const (
	// CannedResponseCreated: a canned response was created.
	CannedResponseCreated Type = "canned_response.created"
	// CannedResponseUpdated: a canned response changed.
	CannedResponseUpdated Type = "canned_response.updated"
	// CannedResponseDeleted: a canned response was deleted.
	CannedResponseDeleted Type = "canned_response.deleted"
)

// The AI agent's knowledge and settings (internal/knowledge, internal/bot).
const (
	// KnowledgeDocumentCreated: a document was added to the knowledge base.
	KnowledgeDocumentCreated Type = "knowledge.document_created"
	// KnowledgeDocumentUpdated: a knowledge document changed.
	KnowledgeDocumentUpdated Type = "knowledge.document_updated"
	// KnowledgeDocumentDeleted: a knowledge document was deleted.
	KnowledgeDocumentDeleted Type = "knowledge.document_deleted"
	// BotSettingsUpdated: the AI agent's settings changed.
	BotSettingsUpdated Type = "bot.settings_updated"
)

// Automation: rules, custom actions and webhooks (internal/automation), all
// of Admins visibility.
const (
	// AutomationRuleCreated: a rule was created.
	AutomationRuleCreated Type = "automation.rule_created"
	// AutomationRuleUpdated: a rule changed.
	AutomationRuleUpdated Type = "automation.rule_updated"
	// AutomationRuleDeleted: a rule was deleted.
	AutomationRuleDeleted Type = "automation.rule_deleted"
	// AutomationRulesReordered: the rules' order changed.
	AutomationRulesReordered Type = "automation.rules_reordered"
	// AutomationCustomActionCreated: a custom action was created.
	AutomationCustomActionCreated Type = "automation.custom_action_created"
	// AutomationCustomActionUpdated: a custom action changed.
	AutomationCustomActionUpdated Type = "automation.custom_action_updated"
	// AutomationCustomActionDeleted: a custom action was deleted.
	AutomationCustomActionDeleted Type = "automation.custom_action_deleted"
	// AutomationWebhookDead: a webhook delivery gave up after its last
	// attempt.
	AutomationWebhookDead Type = "automation.webhook_dead"
	// AutomationWebhookRedelivered: a dead webhook delivery was queued again.
	AutomationWebhookRedelivered Type = "automation.webhook_redelivered"
)

// SLAs (internal/sla).
const (
	// SLAWarning: a target's deadline is close (Data target, kind, due_at).
	SLAWarning Type = "sla.warning"
	// SLABreach: a target's deadline passed unmet (Data target, kind,
	// due_at); the conversation records it missed in the same commit.
	SLABreach Type = "sla.breach"
	// SLAPolicyChanged: an SLA policy was created, changed or deleted.
	SLAPolicyChanged Type = "sla.policy_changed"
	// SLAHoursChanged: the business hours changed.
	SLAHoursChanged Type = "sla.hours_changed"
	// SLAFollowupsChanged: the follow-up settings changed.
	SLAFollowupsChanged Type = "sla.followups_changed"
)

// Email inboxes (internal/email).
const (
	// EmailInboxCreated: an email inbox was created.
	EmailInboxCreated Type = "email_inbox.created"
	// EmailInboxUpdated: an email inbox changed.
	EmailInboxUpdated Type = "email_inbox.updated"
	// EmailInboxDeleted: an email inbox was deleted.
	EmailInboxDeleted Type = "email_inbox.deleted"
)

// Notifications (internal/notify).
const (
	// NotificationCreated: a member was notified (Direct visibility).
	NotificationCreated Type = "notification.created"
)
