package conversation_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/files"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
	"github.com/tandem-inbox/tandem/backend/internal/workspace"
)

// The scoping test's generator: one workspace's cast (a member in every
// role, a second agent, a visitor with a conversation) and the calls that
// make every type of event a Watch stream can carry, run alike in W1 and
// in W2, whose every text holds the canary. The script runs with the
// reactors off (rpctest.Quiet) and drives them itself, so the events of
// the AI agent's hand-off, the SLA clocks, webhooks and notifications come
// when it says.

// roles are the cast's names for its members.
var roles = []string{"owner", "admin", "supervisor", "agent", "agent2"}

// side is one workspace of the scoping test.
type side struct {
	t     *testing.T
	ctx   context.Context
	w     *world
	c     rpcclient.Clients
	ws    workspace.Workspace
	words string // in every text written here

	as        map[string]context.Context // callers by role name
	users     map[string]string          // their user ids by role name
	visitor   context.Context
	visitorID string
	conv      string // the visitor's conversation
	other     string // a group the agent is not in
	texts     map[string]string
}

// newSide casts ws: the world's users named prefix+role, made and joined
// where the world has none.
func newSide(ctx context.Context, t *testing.T, w *world, ws workspace.Workspace, prefix, words string) *side {
	t.Helper()
	s := &side{t: t, ctx: ctx, w: w, c: w.Srv.Clients(rpcclient.Connect), ws: ws, words: words,
		as: map[string]context.Context{}, users: map[string]string{}, texts: map[string]string{}}
	for i, role := range []access.Role{access.RoleOwner, access.RoleAdmin, access.RoleSupervisor, access.RoleAgent, access.RoleAgent} {
		name := prefix + roles[i]
		if _, ok := w.Users[name]; !ok {
			w.Users[name] = w.NewUser(name)
			w.Join(ws, w.Users[name], role)
		}
		s.as[roles[i]], s.users[roles[i]] = rpcclient.WithToken(ctx, w.Token(name)), w.Users[name].ID
	}
	p, token := w.NewVisitor(ws)
	s.visitor, s.visitorID = rpcclient.WithToken(ctx, token), p.VisitorID
	return s
}

// text is a new text of the side about what, remembered under what.
func (s *side) text(what string) string {
	s.texts[what] = s.words + " " + what + " " + rpctest.Unique("")
	return s.texts[what]
}

func (s *side) done(_ any, err error) {
	s.t.Helper()
	if err != nil {
		s.t.Fatal(err)
	}
}

func (s *side) check(err error) {
	s.t.Helper()
	if err != nil {
		s.t.Fatal(err)
	}
}

// setUp runs before the streams open: the AI agent takes new
// conversations (so the visitor's can be handed to people), an SLA policy
// times them, and the visitor starts theirs.
func (s *side) setUp() {
	s.t.Helper()
	s.done(s.c.Bot.UpdateBotSettings(s.as["admin"], &tandemv1.UpdateBotSettingsRequest{WorkspaceId: s.ws.ID, Enabled: proto.Bool(true)}))
	s.done(s.c.SLA.CreateSlaPolicy(s.as["admin"], &tandemv1.CreateSlaPolicyRequest{WorkspaceId: s.ws.ID, Policy: &tandemv1.SlaPolicyInput{
		Name: s.text("sla policy"), FirstResponseSeconds: 60, NextResponseSeconds: 60, ResolutionSeconds: 3600, WarningPercent: 50}}))
	started, err := s.c.Widget.StartConversation(s.visitor, &tandemv1.StartConversationRequest{ClientId: uuid.NewString(),
		PageUrl: "https://shop.example/", Body: s.text("visitor's first words")})
	s.check(err)
	s.conv = started.GetConversation().GetId()
}

// people makes the workspace's membership, group, key and presence events.
func (s *side) people() {
	s.t.Helper()
	owner, admin, agent := s.as["owner"], s.as["admin"], s.as["agent"]
	ws := s.ws.ID
	name := s.text("workspace name")
	s.done(s.c.Workspace.UpdateWorkspace(owner, &tandemv1.UpdateWorkspaceRequest{WorkspaceId: ws, Name: &name}))
	s.done(s.c.Workspace.RotateWidgetSecret(admin, &tandemv1.RotateWidgetSecretRequest{WorkspaceId: ws}))
	invited := strings.ReplaceAll(s.text("invited"), " ", ".") + "@example.test"
	s.texts["invited"] = invited
	s.done(s.c.Workspace.InviteMember(owner, &tandemv1.InviteMemberRequest{WorkspaceId: ws, Email: invited, Role: tandemv1.Role_ROLE_AGENT}))
	// A newcomer joins, is promoted and removed.
	newcomer := s.w.NewUser(s.text("newcomer"))
	s.w.Join(s.ws, newcomer, access.RoleAgent)
	s.done(s.c.Workspace.UpdateMemberRole(owner, &tandemv1.UpdateMemberRoleRequest{WorkspaceId: ws, UserId: newcomer.ID, Role: tandemv1.Role_ROLE_SUPERVISOR}))
	s.done(s.c.Workspace.RemoveMember(owner, &tandemv1.RemoveMemberRequest{WorkspaceId: ws, UserId: newcomer.ID}))

	other, err := s.c.Workspace.CreateGroup(admin, &tandemv1.CreateGroupRequest{WorkspaceId: ws, Name: s.text("other group")})
	s.check(err)
	s.other = other.GetGroup().GetId()
	g, err := s.c.Workspace.CreateGroup(admin, &tandemv1.CreateGroupRequest{WorkspaceId: ws, Name: s.text("group")})
	s.check(err)
	gid, desc := g.GetGroup().GetId(), s.text("group description")
	s.done(s.c.Workspace.UpdateGroup(admin, &tandemv1.UpdateGroupRequest{GroupId: gid, Description: &desc}))
	s.done(s.c.Workspace.AddGroupMember(admin, &tandemv1.AddGroupMemberRequest{GroupId: gid, UserId: s.users["agent2"]}))
	s.done(s.c.Workspace.RemoveGroupMember(admin, &tandemv1.RemoveGroupMemberRequest{GroupId: gid, UserId: s.users["agent2"]}))
	s.done(s.c.Workspace.DeleteGroup(admin, &tandemv1.DeleteGroupRequest{GroupId: gid}))

	key, err := s.c.Auth.CreateApiKey(admin, &tandemv1.CreateApiKeyRequest{WorkspaceId: ws, Name: s.text("api key"), Role: tandemv1.Role_ROLE_AGENT})
	s.check(err)
	s.done(s.c.Auth.RevokeApiKey(admin, &tandemv1.RevokeApiKeyRequest{ApiKeyId: key.GetApiKey().GetId()}))

	s.done(s.c.Presence.SetPresence(agent, &tandemv1.SetPresenceRequest{WorkspaceId: ws, Status: tandemv1.PresenceStatus_PRESENCE_STATUS_AWAY}))
	s.done(s.c.Presence.SetAgentSettings(admin, &tandemv1.SetAgentSettingsRequest{WorkspaceId: ws, UserId: s.users["agent"], MaxChats: 4,
		Skills: []string{"billing"}}))

	// A second visitor arrives (a contact) and starts a conversation; an
	// agent edits the contact.
	p, token := s.w.NewVisitor(s.ws)
	s.done(s.c.Widget.StartConversation(rpcclient.WithToken(s.ctx, token), &tandemv1.StartConversationRequest{ClientId: uuid.NewString(),
		PageUrl: "https://shop.example/", Body: s.text("second visitor's words")}))
	contactName := s.text("contact name")
	s.done(s.c.Contact.UpdateContact(agent, &tandemv1.UpdateContactRequest{ContactId: p.VisitorID, Name: &contactName,
		Attributes: map[string]string{"plan": s.text("contact attribute")}}))
}

// settings makes the events of the workspace's settings and objects: tags,
// canned responses, knowledge, the AI agent, automation, SLAs, routing and
// email inboxes.
func (s *side) settings() {
	s.t.Helper()
	admin, supervisor, agent := s.as["admin"], s.as["supervisor"], s.as["agent"]
	ws := s.ws.ID
	tag, err := s.c.Tag.CreateTag(admin, &tandemv1.CreateTagRequest{WorkspaceId: ws, Name: s.text("tag")})
	s.check(err)
	tagName := s.text("tag renamed")
	s.done(s.c.Tag.UpdateTag(admin, &tandemv1.UpdateTagRequest{TagId: tag.GetTag().GetId(), Name: &tagName}))
	s.done(s.c.Tag.DeleteTag(admin, &tandemv1.DeleteTagRequest{TagId: tag.GetTag().GetId()}))

	// A workspace-wide canned response, and the agent's personal one.
	for _, c := range []struct {
		as       context.Context
		what     string
		personal bool
	}{{supervisor, "canned", false}, {agent, "personal canned", true}} {
		cr, err := s.c.Canned.CreateCannedResponse(c.as, &tandemv1.CreateCannedResponseRequest{WorkspaceId: ws,
			Shortcut: strings.ToLower(strings.ReplaceAll(rpctest.Unique("c"), " ", "")), Title: s.text(c.what), Body: s.text(c.what + " body"),
			Personal: c.personal})
		s.check(err)
		title := s.text(c.what + " retitled")
		s.done(s.c.Canned.UpdateCannedResponse(c.as, &tandemv1.UpdateCannedResponseRequest{CannedResponseId: cr.GetCannedResponse().GetId(), Title: &title}))
		s.done(s.c.Canned.DeleteCannedResponse(c.as, &tandemv1.DeleteCannedResponseRequest{CannedResponseId: cr.GetCannedResponse().GetId()}))
	}

	doc, err := s.c.Knowledge.UploadDocument(admin, &tandemv1.UploadDocumentRequest{WorkspaceId: ws, Filename: "help.md",
		Content: []byte("# " + s.text("document title") + "\n\n" + s.text("document body") + "\n")})
	s.check(err)
	s.done(s.c.Knowledge.ReplaceDocument(admin, &tandemv1.ReplaceDocumentRequest{DocumentId: doc.GetDocument().GetId(), Filename: "help.md",
		Content: []byte("# " + s.text("document title again") + "\n\n" + s.text("document body again") + "\n")}))
	s.done(s.c.Knowledge.DeleteDocument(admin, &tandemv1.DeleteDocumentRequest{DocumentId: doc.GetDocument().GetId()}))
	greeting := s.text("bot greeting")
	s.done(s.c.Bot.UpdateBotSettings(admin, &tandemv1.UpdateBotSettingsRequest{WorkspaceId: ws, Greeting: &greeting}))

	s.automation()

	policy, err := s.c.SLA.CreateSlaPolicy(admin, &tandemv1.CreateSlaPolicyRequest{WorkspaceId: ws, Policy: &tandemv1.SlaPolicyInput{
		Name: s.text("second sla policy"), Priorities: []tandemv1.Priority{tandemv1.Priority_PRIORITY_URGENT}, FirstResponseSeconds: 600, WarningPercent: 80}})
	s.check(err)
	s.done(s.c.SLA.DeleteSlaPolicy(admin, &tandemv1.DeleteSlaPolicyRequest{PolicyId: policy.GetPolicy().GetId()}))
	week := make([]*tandemv1.BusinessHours_Range, 7)
	for d := range week {
		week[d] = &tandemv1.BusinessHours_Range{Weekday: int32(d), StartMinute: 0, EndMinute: 1440} //nolint:gosec // a weekday
	}
	s.done(s.c.SLA.SetBusinessHours(admin, &tandemv1.SetBusinessHoursRequest{WorkspaceId: ws, Hours: &tandemv1.BusinessHours{TimeZone: "UTC", Ranges: week}}))
	s.done(s.c.SLA.UpdateFollowUpSettings(admin, &tandemv1.UpdateFollowUpSettingsRequest{WorkspaceId: ws,
		Settings: &tandemv1.FollowUpSettings{ReminderMessage: s.text("follow-up reminder")}}))
	s.done(s.c.Routing.UpdateRoutingSettings(admin, &tandemv1.UpdateRoutingSettingsRequest{WorkspaceId: ws, Mode: tandemv1.RoutingMode_ROUTING_MODE_OFF,
		ReplyTimeoutSeconds: 120}))

	shortcut := strings.ReplaceAll(rpctest.Unique("inbox"), " ", "")
	inbox, err := s.c.Email.CreateEmailInbox(admin, &tandemv1.CreateEmailInboxRequest{WorkspaceId: ws, Name: s.text("inbox"),
		SupportAddress: shortcut + "@example.test", SmtpHost: "smtp.example.test", SmtpPort: 587,
		SmtpTlsMode: tandemv1.SmtpTlsMode_SMTP_TLS_MODE_STARTTLS, SmtpUsername: shortcut, SmtpPassword: s.text("smtp password")})
	s.check(err)
	signature := s.text("inbox signature")
	s.done(s.c.Email.UpdateEmailInbox(admin, &tandemv1.UpdateEmailInboxRequest{EmailInboxId: inbox.GetEmailInbox().GetId(), Signature: &signature}))
	s.done(s.c.Email.DeleteEmailInbox(admin, &tandemv1.DeleteEmailInboxRequest{EmailInboxId: inbox.GetEmailInbox().GetId()}))
}

// automation makes the rules' and custom actions' events (the rules are
// off: nothing runs them here).
func (s *side) automation() {
	s.t.Helper()
	admin, ws := s.as["admin"], s.ws.ID
	rule := func(what string) *tandemv1.RuleSpec {
		return &tandemv1.RuleSpec{Name: s.text(what), Trigger: tandemv1.RuleTrigger_RULE_TRIGGER_CUSTOMER_MESSAGE,
			Actions: []*tandemv1.Action{rpctest.AddTag(s.text(what + " tag"))}}
	}
	var ids []string
	for _, what := range []string{"rule", "second rule"} {
		r, err := s.c.Automation.CreateRule(admin, &tandemv1.CreateRuleRequest{WorkspaceId: ws, Rule: rule(what)})
		s.check(err)
		ids = append(ids, r.GetRule().GetId())
	}
	s.done(s.c.Automation.UpdateRule(admin, &tandemv1.UpdateRuleRequest{RuleId: ids[0], Rule: rule("rule renamed")}))
	s.done(s.c.Automation.ReorderRules(admin, &tandemv1.ReorderRulesRequest{WorkspaceId: ws, RuleIds: []string{ids[1], ids[0]}}))
	s.done(s.c.Automation.DeleteRule(admin, &tandemv1.DeleteRuleRequest{RuleId: ids[1]}))
	button := func(what string) *tandemv1.CustomActionSpec {
		return &tandemv1.CustomActionSpec{Label: s.text(what), Actions: []*tandemv1.Action{rpctest.AddTag(s.text(what + " tag"))}}
	}
	a, err := s.c.Automation.CreateCustomAction(admin, &tandemv1.CreateCustomActionRequest{WorkspaceId: ws, Action: button("button")})
	s.check(err)
	s.done(s.c.Automation.UpdateCustomAction(admin, &tandemv1.UpdateCustomActionRequest{CustomActionId: a.GetAction().GetId(), Action: button("button renamed")}))
	s.done(s.c.Automation.DeleteCustomAction(admin, &tandemv1.DeleteCustomActionRequest{CustomActionId: a.GetAction().GetId()}))
}

// conversation makes the events of the visitor's conversation, in the
// order a day with it could bring them: the hand-off from the AI agent,
// a claim, messages both ways (one with a file), a note with a mention, a
// whisper to its owner, typing, tags, priority and skills, a colleague
// joining and leaving, a read marker, an unassignment and an assignment,
// a transfer with a note, a snooze, the close, the rating and a reopen.
func (s *side) conversation() {
	s.t.Helper()
	visitor, agent, supervisor := s.visitor, s.as["agent"], s.as["supervisor"]
	id := s.conv
	s.done(s.c.Widget.RequestHuman(visitor, &tandemv1.RequestHumanRequest{ConversationId: id}))
	s.done(s.c.Conversation.ClaimConversation(agent, &tandemv1.ClaimConversationRequest{ConversationId: id}))
	s.done(s.c.Widget.SendMessage(visitor, &tandemv1.WidgetServiceSendMessageRequest{ConversationId: id, ClientId: uuid.NewString(),
		Body: s.text("visitor's words")}))
	file := strings.ReplaceAll(s.text("attachment"), " ", "-") + ".txt"
	s.texts["attachment"] = file
	f, err := s.w.Srv.Domain().Files.Put(s.ctx, files.Upload{WorkspaceID: s.ws.ID, ConversationID: id, UploaderKind: "user",
		UploaderID: s.users["agent"], ClientID: uuid.NewString(), Name: file}, strings.NewReader(s.words+" attached"))
	s.check(err)
	s.done(s.c.Conversation.SendMessage(agent, &tandemv1.SendMessageRequest{ConversationId: id, ClientId: uuid.NewString(),
		Body: s.text("public words"), FileIds: []string{f.ID}}))
	s.done(s.c.Conversation.AddNote(supervisor, &tandemv1.AddNoteRequest{ConversationId: id, ClientId: uuid.NewString(),
		Body: s.text("note"), MentionUserIds: []string{s.users["agent2"]}}))
	s.done(s.c.Conversation.AddNote(supervisor, &tandemv1.AddNoteRequest{ConversationId: id, ClientId: uuid.NewString(),
		Body: s.text("whisper"), Whisper: true}))
	s.done(s.c.Conversation.SetTyping(agent, &tandemv1.SetTypingRequest{ConversationId: id, Typing: true}))
	s.done(s.c.Widget.SetTyping(visitor, &tandemv1.WidgetServiceSetTypingRequest{ConversationId: id, Typing: true}))

	tag := s.w.Tag(s.ws)
	s.done(s.c.Conversation.TagConversation(agent, &tandemv1.TagConversationRequest{ConversationId: id, TagId: tag}))
	s.done(s.c.Conversation.UntagConversation(agent, &tandemv1.UntagConversationRequest{ConversationId: id, TagId: tag}))
	s.done(s.c.Conversation.SetPriority(agent, &tandemv1.SetPriorityRequest{ConversationId: id, Priority: tandemv1.Priority_PRIORITY_HIGH}))
	s.done(s.c.Conversation.SetRequiredSkills(agent, &tandemv1.SetRequiredSkillsRequest{ConversationId: id, Skills: []string{"billing"}}))
	s.done(s.c.Conversation.JoinConversation(supervisor, &tandemv1.JoinConversationRequest{ConversationId: id}))
	s.done(s.c.Conversation.LeaveConversation(supervisor, &tandemv1.LeaveConversationRequest{ConversationId: id}))
	s.done(s.c.Conversation.MarkRead(agent, &tandemv1.MarkReadRequest{ConversationId: id}))
	s.done(s.c.Conversation.UnassignConversation(agent, &tandemv1.UnassignConversationRequest{ConversationId: id}))
	s.done(s.c.Conversation.AssignConversation(supervisor, &tandemv1.AssignConversationRequest{ConversationId: id, UserId: s.users["agent"]}))
	s.done(s.c.Conversation.TransferConversation(supervisor, &tandemv1.TransferConversationRequest{ConversationId: id,
		To: &tandemv1.TransferConversationRequest_GroupId{GroupId: s.other}, Note: s.text("transfer note")}))
	s.done(s.c.Conversation.SnoozeConversation(supervisor, &tandemv1.SnoozeConversationRequest{ConversationId: id,
		UntilTimeMs: time.Now().Add(time.Hour).UnixMilli()}))
	s.done(s.c.Conversation.CloseConversation(supervisor, &tandemv1.CloseConversationRequest{ConversationId: id}))
	s.done(s.c.Widget.RateConversation(visitor, &tandemv1.RateConversationRequest{ConversationId: id, Rating: 4, Comment: s.text("rating comment")}))
	s.done(s.c.Conversation.ReopenConversation(agent, &tandemv1.ReopenConversationRequest{ConversationId: id}))
}

// reactions makes, in every side at once, the events the server's own
// reactions write: the SLA clocks' warning and breach on the visitor's
// conversation (its clock moved on past them), a webhook about it given up
// and redelivered by hand, and the members' notifications.
func reactions(ctx context.Context, t *testing.T, srv *rpctest.Server, sides []*side) {
	t.Helper()
	for _, s := range sides { // the customer writes and waits for an answer
		s.done(s.c.Widget.SendMessage(s.visitor, &tandemv1.WidgetServiceSendMessageRequest{ConversationId: s.conv, ClientId: uuid.NewString(),
			Body: s.text("visitor waits")}))
	}
	base := time.Now()
	for _, s := range sides {
		s.check(srv.SLAReactor().Drain(ctx, s.ws.ID))
	}
	// Past the warning (half of the minute), then past the deadline.
	// Whether a deadline counts from the message or from the clocks'
	// look at it, 45 s is past the one and short of the other.
	for _, d := range []time.Duration{45 * time.Second, 2 * time.Minute} {
		srv.Domain().SLA.SetClock(func() time.Time { return base.Add(d) })
		if _, err := srv.Domain().SLA.FireDue(ctx); err != nil {
			t.Fatal(err)
		}
	}

	// A webhook about the conversation, queued as a rule would, to an
	// address the server refuses: dead at its first attempt.
	dead := map[*side]string{}
	for _, s := range sides {
		dead[s] = uuid.NewString()
		storetest.MustExec(t, srv.DB(), `INSERT INTO webhook_deliveries (id, workspace_id, source_id, conversation_id, url,
			secret, payload, status, attempts, next_attempt_at, lease_until, last_status_code, last_error, created_at, updated_at, delivered_at)
			VALUES (?, ?, ?, ?, 'http://127.0.0.1:9/', 'a webhook secret', '{}', 'pending', 0, 0, 0, 0, '', 1, 1, 0)`,
			dead[s], s.ws.ID, uuid.NewString(), s.conv)
	}
	// Passes until one makes no call: a pass may leave a delivery to the
	// next (calls to one address are limited), and a dead one is not
	// called again.
	for calls := 1; calls > 0; {
		var err error
		if calls, err = srv.Domain().Automation.DeliverDue(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range sides {
		s.done(s.c.Automation.RedeliverWebhook(s.as["admin"], &tandemv1.RedeliverWebhookRequest{DeliveryId: dead[s]}))
		s.check(srv.NotifyReactor().Drain(ctx, s.ws.ID))
	}
}
