package conversation_test

import (
	"fmt"
	"slices"
	"testing"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// The scoping test's entitlement table: who among a workspace's staff each
// type of event reaches (a widget visitor's are in scoping_visitor_test.go).

// audience is who among a workspace's staff an event type reaches.
type audience int

const (
	// everyone: every member and API key (Public and Agents visibility).
	// Groups narrow nothing: a conversation moved to a group a member is
	// not in still reaches them.
	everyone audience = iota + 1
	// admins: admins and owners, and API keys of those roles (Admins).
	admins
	// actorOnly: the sessions of the member who acted, never an API key
	// (Self: their read marker, their personal canned response).
	actorOnly
	// named: the sessions of the member the event names in data.user_id,
	// never an API key (Direct: a mention, a notification).
	named
	// notTypist: everyone but the one typing (and the keys they made).
	notTypist
	// whisperOutsiders: those who may not read a whisper get this in its
	// place, and only they.
	whisperOutsiders
)

// audiences has a row for every type events/types.go declares; a new type
// fails TestWatchScoping until it has one here and the generator
// (scoping_cast_test.go) makes it, in W1 and in W2.
var audiences = map[events.Type]audience{
	events.ConversationCreated: everyone, events.ConversationStateChanged: everyone, events.ConversationHandoff: everyone,
	events.ConversationAssigned: everyone, events.ConversationUnassigned: everyone, events.ConversationTransferred: everyone,
	events.ConversationTagged: everyone, events.ConversationUntagged: everyone, events.ConversationPriorityChanged: everyone,
	events.ConversationSkillsChanged: everyone, events.ConversationSLAUpdated: everyone,
	events.ConversationJoined: everyone, events.ConversationLeft: everyone,
	events.MessageCreated: everyone, events.CSATReceived: everyone,
	// A note reaches everyone; a whisper (also note.created) is held to
	// its readers by the words checks of TestWatchScoping.
	events.NoteCreated:         everyone,
	events.ConversationRead:    actorOnly,
	events.MemberMentioned:     named,
	events.ConversationChanged: whisperOutsiders,
	events.Typing:              notTypist,

	events.WorkspaceCreated: everyone, events.WorkspaceUpdated: everyone, events.WorkspaceWidgetSecretRotated: admins,
	events.MemberInvited: admins, events.MemberAdded: everyone, events.MemberRoleChanged: everyone, events.MemberRemoved: everyone,
	events.GroupCreated: everyone, events.GroupUpdated: everyone, events.GroupDeleted: everyone,
	events.GroupMemberAdded: everyone, events.GroupMemberRemoved: everyone,
	events.APIKeyCreated: admins, events.APIKeyRevoked: admins,
	events.PresenceChanged: everyone, events.AgentSettingsChanged: everyone, events.RoutingUpdated: everyone,
	events.ContactCreated: everyone, events.ContactUpdated: everyone,
	events.TagCreated: everyone, events.TagUpdated: everyone, events.TagDeleted: everyone,
	// A personal response's events are actorOnly: words checks again.
	events.CannedResponseCreated: everyone, events.CannedResponseUpdated: everyone, events.CannedResponseDeleted: everyone,
	events.KnowledgeDocumentCreated: admins, events.KnowledgeDocumentUpdated: admins, events.KnowledgeDocumentDeleted: admins,
	events.BotSettingsUpdated:    admins,
	events.AutomationRuleCreated: admins, events.AutomationRuleUpdated: admins, events.AutomationRuleDeleted: admins,
	events.AutomationRulesReordered: admins, events.AutomationCustomActionCreated: admins,
	events.AutomationCustomActionUpdated: admins, events.AutomationCustomActionDeleted: admins,
	events.AutomationWebhookDead: admins, events.AutomationWebhookRedelivered: admins,
	events.SLAWarning: everyone, events.SLABreach: everyone,
	events.SLAPolicyChanged: everyone, events.SLAHoursChanged: everyone, events.SLAFollowupsChanged: everyone,
	events.EmailInboxCreated: everyone, events.EmailInboxUpdated: everyone, events.EmailInboxDeleted: everyone,
	events.NotificationCreated: named,
}

// notProduced are the types the generator cannot make reach a live
// stream, and why. Their audiences still bind: a stream that carries one
// is held to its row.
var notProduced = map[events.Type]string{
	events.WorkspaceCreated: "a workspace's first event, written with its first member in one transaction: " +
		"no member can watch before it, and the API issues no cursor from before it",
}

// streamOnly are the types sent on streams and never written to the log,
// so W2's log holds no canary of them (its typing is checked by W2's ids).
var streamOnly = []events.Type{events.ConversationChanged, events.Typing}

// watcher is one W1 principal whose Watch stream the test reads.
type watcher struct {
	name    string // a session of the world's user of that name, or "key:" and the key's role
	user    string // the user it acts for: an API key's is its maker, the owner
	session bool   // a signed-in member, not an API key
	admin   bool   // admins-only events reach it
	whisper bool   // may read the supervisor's whisper to the agent, the conversation's owner
}

// watchers are every role, an ordinary agent who neither wrote nor
// receives the whisper ("agent2"), and API keys of an agent and of an
// admin (an API key is capped at its own role).
var watchers = []watcher{
	{name: "owner", user: "owner", session: true, admin: true, whisper: true},
	{name: "admin", user: "admin", session: true, admin: true, whisper: true},
	{name: "supervisor", user: "supervisor", session: true, whisper: true},
	{name: "agent", user: "agent", session: true, whisper: true},
	{name: "agent2", user: "agent2", session: true},
	{name: "key:agent", user: "owner"},
	{name: "key:admin", user: "owner", admin: true, whisper: true},
}

// checkAudiences holds one watcher's stream to the audiences table, type
// by type: a type it may not see never, one it may see at least once
// (the generator made each), and those of one member only (actorOnly,
// named, typing) for that member alone. userID is the watcher's user's
// id, mentioned that of the member the generator mentions.
func checkAudiences(t *testing.T, wt watcher, userID, mentioned string, evs []*tandemv1.Event) {
	t.Helper()
	byType := map[events.Type][]*tandemv1.Event{}
	for _, ev := range evs {
		typ := events.Type(ev.GetType())
		if _, ok := audiences[typ]; !ok {
			t.Errorf("%s's stream carried %q, which has no row in audiences", wt.name, typ)
		}
		byType[typ] = append(byType[typ], ev)
	}
	for typ, a := range audiences {
		got := byType[typ]
		var want bool // at least one
		switch a {
		case everyone:
			want = true
		case admins:
			want = wt.admin
		case actorOnly:
			want = wt.name == "agent" // who marks read and owns the personal response
			for _, ev := range got {
				if !wt.session || ev.GetActorId() != userID {
					t.Errorf("%s's stream carried another's %s: %s", wt.name, typ, oneLine(ev))
				}
			}
		case named:
			// The mentioned member hears of it; other members may, of
			// their own notifications; keys never.
			want = wt.session && (userID == mentioned || len(got) > 0)
			for _, ev := range got {
				if !wt.session || ev.GetData()["user_id"] != userID {
					t.Errorf("%s's stream carried %s for another: %s", wt.name, typ, oneLine(ev))
				}
			}
		case notTypist:
			want = true // the visitor types too
			for _, ev := range got {
				if ev.GetActorId() == userID {
					t.Errorf("%s's stream carried its own user's typing: %s", wt.name, oneLine(ev))
				}
			}
		case whisperOutsiders:
			want = !wt.whisper
		}
		if _, skip := notProduced[typ]; skip && len(got) == 0 {
			continue
		}
		if (len(got) > 0) != want {
			t.Errorf("%s's stream carried %d %s events; entitled to them: %v", wt.name, len(got), typ, want)
		}
	}
}

// oneLine names an event in a failure.
func oneLine(ev *tandemv1.Event) string {
	return fmt.Sprintf("%s %s by %s for %q", ev.GetType(), ev.GetId(), ev.GetActorId(), ev.GetData()["user_id"])
}

// checkCoverage fails on a type declared in events/types.go that has no
// audience, or that neither reached W1's streams (seen) nor W2's log
// (canaries) without a reason in notProduced: so the generator cannot
// fall behind a new type.
func checkCoverage(t *testing.T, seen, canaries map[events.Type]bool) {
	t.Helper()
	declared := storetest.EventTypes(t)
	for v, name := range declared {
		typ := events.Type(v)
		if _, ok := audiences[typ]; !ok {
			t.Errorf("events.%s (%q) has no row in audiences: say who may see it", name, v)
		}
		why, skip := notProduced[typ]
		switch {
		case skip && seen[typ]:
			t.Errorf("events.%s is in notProduced (%s) but reached a stream: take it off the list", name, why)
		case !skip && !seen[typ]:
			t.Errorf("events.%s (%q) reached no W1 stream: make the generator write it, or say in notProduced why it cannot", name, v)
		}
		if !canaries[typ] && !slices.Contains(streamOnly, typ) {
			t.Errorf("events.%s (%q) has no canary in W2's log: make the generator write it there", name, v)
		}
	}
	for typ := range audiences {
		if _, ok := declared[string(typ)]; !ok {
			t.Errorf("audiences has a row for %q, which events/types.go no longer declares", typ)
		}
	}
}
