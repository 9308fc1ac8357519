package server_test

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/config"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/server"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
	"github.com/tandem-inbox/tandem/backend/internal/workspace"
)

// policy is the reviewed, intended authorization of one procedure: who may
// call it at all, and for workspace-scoped procedures the lowest role that may.
type policy struct {
	access  tandemv1.Access
	minRole access.Role
	// people: only signed-in people may do it; an authorized API key is
	// refused by the domain with FailedPrecondition.
	people bool
	// owning: it changes or ends the conversation's ownership, so on a
	// colleague's conversation only supervisors and above may do it.
	owning bool
	// ownedOnly: it needs an owned conversation (the own fixture is the
	// agent's), so an agent's API key, never an owner, may not do it.
	ownedOnly bool
}

var (
	public    = policy{access: tandemv1.Access_ACCESS_PUBLIC}
	usersOnly = policy{access: tandemv1.Access_ACCESS_USER}
	anyone    = policy{access: tandemv1.Access_ACCESS_PRINCIPAL}
)

func member(r access.Role) policy {
	return policy{access: tandemv1.Access_ACCESS_WORKSPACE, minRole: r}
}

// people is member for signed-in people only.
func people(r access.Role) policy {
	return policy{access: tandemv1.Access_ACCESS_WORKSPACE, minRole: r, people: true}
}

// owning is member for procedures under the ownership rule: agents act on
// unowned conversations and their own, supervisors and above on anyone's.
func owning(r access.Role) policy {
	return policy{access: tandemv1.Access_ACCESS_WORKSPACE, minRole: r, owning: true}
}

var (
	// visitorOnly procedures act in the visitor's own workspace.
	visitorOnly = policy{access: tandemv1.Access_ACCESS_VISITOR}
	// visitorsOwn procedures act on a conversation of the calling visitor.
	visitorsOwn = policy{access: tandemv1.Access_ACCESS_VISITOR, minRole: "own"}
)

// authzTable is THE table of who may do what. Review changes to it like
// changes to a security policy. A procedure missing here fails the test.
var authzTable = map[string]policy{
	"/tandem.v1.AuthService/Login":          public,
	"/tandem.v1.AuthService/Logout":         usersOnly,
	"/tandem.v1.AuthService/WhoAmI":         anyone,
	"/tandem.v1.AuthService/ChangePassword": usersOnly,
	"/tandem.v1.AuthService/CreateApiKey":   member(access.RoleAdmin),
	"/tandem.v1.AuthService/ListApiKeys":    member(access.RoleAdmin),
	"/tandem.v1.AuthService/RevokeApiKey":   member(access.RoleAdmin),

	"/tandem.v1.WorkspaceService/CreateWorkspace":   usersOnly,
	"/tandem.v1.WorkspaceService/ListWorkspaces":    anyone,
	"/tandem.v1.WorkspaceService/GetWorkspace":      member(access.RoleAgent),
	"/tandem.v1.WorkspaceService/UpdateWorkspace":   member(access.RoleAdmin),
	"/tandem.v1.WorkspaceService/InviteMember":      member(access.RoleAdmin),
	"/tandem.v1.WorkspaceService/AcceptInvite":      public,
	"/tandem.v1.WorkspaceService/ListMembers":       member(access.RoleAgent),
	"/tandem.v1.WorkspaceService/UpdateMemberRole":  member(access.RoleAdmin),
	"/tandem.v1.WorkspaceService/RemoveMember":      member(access.RoleAdmin),
	"/tandem.v1.WorkspaceService/CreateGroup":       member(access.RoleAdmin),
	"/tandem.v1.WorkspaceService/ListGroups":        member(access.RoleAgent),
	"/tandem.v1.WorkspaceService/UpdateGroup":       member(access.RoleAdmin),
	"/tandem.v1.WorkspaceService/DeleteGroup":       member(access.RoleAdmin),
	"/tandem.v1.WorkspaceService/AddGroupMember":    member(access.RoleAdmin),
	"/tandem.v1.WorkspaceService/RemoveGroupMember": member(access.RoleAdmin),

	"/tandem.v1.ConversationService/ListConversations":    member(access.RoleAgent),
	"/tandem.v1.ConversationService/GetConversation":      member(access.RoleAgent),
	"/tandem.v1.ConversationService/SendMessage":          member(access.RoleAgent),
	"/tandem.v1.ConversationService/AddNote":              member(access.RoleAgent),
	"/tandem.v1.ConversationService/SetTyping":            member(access.RoleAgent),
	"/tandem.v1.ConversationService/MarkRead":             member(access.RoleAgent),
	"/tandem.v1.ConversationService/CloseConversation":    owning(access.RoleAgent),
	"/tandem.v1.ConversationService/ReopenConversation":   owning(access.RoleAgent),
	"/tandem.v1.ConversationService/MarkSpam":             owning(access.RoleAgent),
	"/tandem.v1.ConversationService/ReleaseConversation":  owning(access.RoleAgent),
	"/tandem.v1.ConversationService/SnoozeConversation":   owning(access.RoleAgent),
	"/tandem.v1.ConversationService/Watch":                member(access.RoleAgent),
	"/tandem.v1.ConversationService/ClaimConversation":    {access: tandemv1.Access_ACCESS_WORKSPACE, minRole: access.RoleAgent, people: true},
	"/tandem.v1.ConversationService/AssignConversation":   owning(access.RoleAgent),
	"/tandem.v1.ConversationService/UnassignConversation": {access: tandemv1.Access_ACCESS_WORKSPACE, minRole: access.RoleAgent, owning: true, ownedOnly: true},
	"/tandem.v1.ConversationService/TransferConversation": owning(access.RoleAgent),
	"/tandem.v1.ConversationService/TakeOverConversation": {access: tandemv1.Access_ACCESS_WORKSPACE, minRole: access.RoleAgent, people: true, owning: true},
	"/tandem.v1.ConversationService/SetPriority":          member(access.RoleAgent),
	"/tandem.v1.ConversationService/SetRequiredSkills":    member(access.RoleAgent),
	"/tandem.v1.ConversationService/TagConversation":      member(access.RoleAgent),
	"/tandem.v1.ConversationService/UntagConversation":    member(access.RoleAgent),
	"/tandem.v1.ConversationService/JoinConversation":     {access: tandemv1.Access_ACCESS_WORKSPACE, minRole: access.RoleSupervisor, people: true},
	"/tandem.v1.ConversationService/LeaveConversation":    {access: tandemv1.Access_ACCESS_WORKSPACE, minRole: access.RoleAgent, people: true},

	"/tandem.v1.ContactService/GetContact":     member(access.RoleAgent),
	"/tandem.v1.ContactService/UpdateContact":  member(access.RoleAgent),
	"/tandem.v1.ContactService/SearchContacts": member(access.RoleAgent),

	"/tandem.v1.PresenceService/SetPresence":      {access: tandemv1.Access_ACCESS_WORKSPACE, minRole: access.RoleAgent, people: true},
	"/tandem.v1.PresenceService/SetAgentSettings": member(access.RoleSupervisor), // someone else's; one's own is any agent's
	"/tandem.v1.PresenceService/ListAgents":       member(access.RoleAgent),

	"/tandem.v1.CannedResponseService/CreateCannedResponse": member(access.RoleSupervisor),
	"/tandem.v1.CannedResponseService/ListCannedResponses":  member(access.RoleAgent),
	"/tandem.v1.CannedResponseService/UpdateCannedResponse": member(access.RoleSupervisor),
	"/tandem.v1.CannedResponseService/DeleteCannedResponse": member(access.RoleSupervisor),
	"/tandem.v1.CannedResponseService/RenderCannedResponse": member(access.RoleAgent),

	"/tandem.v1.RoutingService/GetRoutingSettings":    member(access.RoleAgent),
	"/tandem.v1.RoutingService/UpdateRoutingSettings": member(access.RoleAdmin),

	"/tandem.v1.TagService/CreateTag": member(access.RoleSupervisor),
	"/tandem.v1.TagService/ListTags":  member(access.RoleAgent),
	"/tandem.v1.TagService/UpdateTag": member(access.RoleSupervisor),
	"/tandem.v1.TagService/DeleteTag": member(access.RoleSupervisor),
	"/tandem.v1.TagService/CountTags": member(access.RoleAgent),

	"/tandem.v1.WidgetService/StartSession":        public,
	"/tandem.v1.WidgetService/StartConversation":   visitorOnly,
	"/tandem.v1.WidgetService/ListMyConversations": visitorOnly,
	"/tandem.v1.WidgetService/SendMessage":         visitorsOwn,
	"/tandem.v1.WidgetService/ListMessages":        visitorsOwn,
	"/tandem.v1.WidgetService/Watch":               visitorsOwn,
	"/tandem.v1.WidgetService/SetTyping":           visitorsOwn,
	"/tandem.v1.WidgetService/CloseConversation":   visitorsOwn,
	"/tandem.v1.WidgetService/MarkSeen":            visitorsOwn,
}

// authzPart is one service's share of the matrix, kept in its own file
// (authz_<service>_test.go) and registered from an init function: its rows
// of the table, its fixtures and the queries that fingerprint its tables.
type authzPart struct {
	table    map[string]policy
	fixtures func(*world) map[string]func(tg target) call
	digest   []string
}

var authzParts []authzPart

// fullAuthzTable is authzTable with every part's rows.
func fullAuthzTable(t *testing.T) map[string]policy {
	table := maps.Clone(authzTable)
	for _, p := range authzParts {
		for proc, pol := range p.table {
			if _, dup := table[proc]; dup {
				t.Fatalf("%s has two rows in the authorization table", proc)
			}
			table[proc] = pol
		}
	}
	return table
}

type target int

const (
	own target = iota
	foreign
	missing
	// colleagues is a conversation of W1 owned by another member (an
	// agent none of the callers is): every procedure on a conversation is
	// also called on one.
	colleagues
)

func (t target) String() string { return [...]string{"own", "foreign", "missing", "colleague's"}[t] }

// caller is one kind of principal in the matrix.
type caller struct {
	name string
	// role in W1 ("" for none); API keys act with their key's role.
	role    access.Role
	user    bool
	anon    bool
	member  bool
	visitor bool
	// disabled is a W1 agent whose account was then disabled: every
	// session it holds is dead, whatever the procedure.
	disabled bool
}

var callers = []caller{
	{name: "owner", role: access.RoleOwner, user: true, member: true},
	{name: "admin", role: access.RoleAdmin, user: true, member: true},
	{name: "supervisor", role: access.RoleSupervisor, user: true, member: true},
	{name: "agent", role: access.RoleAgent, user: true, member: true},
	{name: "key:admin", role: access.RoleAdmin, member: true},
	{name: "key:agent", role: access.RoleAgent, member: true},
	{name: "outsider", user: true},
	{name: "removed", user: true},
	{name: "disabled", disabled: true},
	{name: "anonymous", anon: true},
	{name: "visitor", visitor: true},
}

func (p policy) expect(c caller, tg target) connect.Code {
	if c.disabled && p.access != tandemv1.Access_ACCESS_PUBLIC {
		return connect.CodeUnauthenticated
	}
	switch p.access {
	case tandemv1.Access_ACCESS_PUBLIC:
		return 0
	case tandemv1.Access_ACCESS_USER:
		if c.user {
			return 0
		}
		return connect.CodeUnauthenticated
	case tandemv1.Access_ACCESS_PRINCIPAL:
		if c.anon || c.visitor {
			return connect.CodeUnauthenticated
		}
		return 0
	case tandemv1.Access_ACCESS_VISITOR:
		switch {
		case !c.visitor:
			return connect.CodeUnauthenticated
		case p.minRole == "own" && tg != own:
			return connect.CodeNotFound
		}
		return 0
	}
	switch {
	case c.anon || c.visitor:
		return connect.CodeUnauthenticated
	case (tg != own && tg != colleagues) || !c.member:
		return connect.CodeNotFound
	case c.role.AtLeast(p.minRole):
		if p.people && !c.user {
			return connect.CodeFailedPrecondition
		}
		if (tg == colleagues && p.owning || p.ownedOnly && !c.user) && !c.role.AtLeast(access.RoleSupervisor) {
			return connect.CodePermissionDenied
		}
		return 0
	}
	return connect.CodePermissionDenied
}

// call is one request ready to send.
type call func(ctx context.Context, c rpcclient.Clients) error

// fixtures build, for each procedure, a request whose target lives in W1
// (own), in W2 (foreign) or nowhere (missing), creating what it needs first,
// so that an allowed call succeeds.
func fixtures(w *world) map[string]func(tg target) call {
	ws := func(tg target) workspace.Workspace {
		switch tg {
		case own:
			return w.W1
		case foreign:
			return w.W2
		}
		return workspace.Workspace{ID: uuid.NewString()}
	}
	group := func(tg target) workspace.Group {
		if tg == missing {
			return workspace.Group{ID: uuid.NewString()}
		}
		return w.Group(ws(tg))
	}
	memberOf := func(tg target) string {
		if tg == missing {
			return uuid.NewString()
		}
		return w.QuickMember(ws(tg), access.RoleAgent)
	}
	anyMember := func(tg target) string {
		if tg == foreign {
			return w.Users["w2owner"].ID
		}
		return w.Users["agent"].ID
	}
	return map[string]func(tg target) call{
		"/tandem.v1.AuthService/Login": func(target) call {
			u := w.NewUser("login")
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Auth.Login(ctx, &tandemv1.LoginRequest{Email: u.Email, Password: rpctest.TestPassword})
				return err
			}
		},
		"/tandem.v1.AuthService/Logout": func(target) call {
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Auth.Logout(ctx, &tandemv1.LogoutRequest{})
				return err
			}
		},
		"/tandem.v1.AuthService/WhoAmI": func(target) call {
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Auth.WhoAmI(ctx, &tandemv1.WhoAmIRequest{})
				return err
			}
		},
		"/tandem.v1.AuthService/ChangePassword": func(target) call {
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Auth.ChangePassword(ctx, &tandemv1.ChangePasswordRequest{CurrentPassword: rpctest.TestPassword, NewPassword: rpctest.TestPassword})
				return err
			}
		},
		"/tandem.v1.AuthService/CreateApiKey": func(tg target) call {
			id := ws(tg).ID
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Auth.CreateApiKey(ctx, &tandemv1.CreateApiKeyRequest{WorkspaceId: id, Name: "k", Role: tandemv1.Role_ROLE_AGENT})
				return err
			}
		},
		"/tandem.v1.AuthService/ListApiKeys": func(tg target) call {
			id := ws(tg).ID
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Auth.ListApiKeys(ctx, &tandemv1.ListApiKeysRequest{WorkspaceId: id})
				return err
			}
		},
		"/tandem.v1.AuthService/RevokeApiKey": func(tg target) call {
			id := uuid.NewString()
			if tg != missing {
				id = w.apiKey(ws(tg))
			}
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Auth.RevokeApiKey(ctx, &tandemv1.RevokeApiKeyRequest{ApiKeyId: id})
				return err
			}
		},
		"/tandem.v1.WorkspaceService/CreateWorkspace": func(target) call {
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Workspace.CreateWorkspace(ctx, &tandemv1.CreateWorkspaceRequest{Name: rpctest.Unique("ws ")})
				return err
			}
		},
		"/tandem.v1.WorkspaceService/ListWorkspaces": func(target) call {
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Workspace.ListWorkspaces(ctx, &tandemv1.ListWorkspacesRequest{})
				return err
			}
		},
		"/tandem.v1.WorkspaceService/GetWorkspace": func(tg target) call {
			id := ws(tg).ID
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Workspace.GetWorkspace(ctx, &tandemv1.GetWorkspaceRequest{WorkspaceId: id})
				return err
			}
		},
		"/tandem.v1.WorkspaceService/UpdateWorkspace": func(tg target) call {
			id, name := ws(tg).ID, rpctest.Unique("renamed ")
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Workspace.UpdateWorkspace(ctx, &tandemv1.UpdateWorkspaceRequest{WorkspaceId: id, Name: &name})
				return err
			}
		},
		"/tandem.v1.WorkspaceService/InviteMember": func(tg target) call {
			id, email := ws(tg).ID, rpctest.Unique("invitee")+"@example.test"
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Workspace.InviteMember(ctx, &tandemv1.InviteMemberRequest{WorkspaceId: id, Email: email, Role: tandemv1.Role_ROLE_AGENT})
				return err
			}
		},
		"/tandem.v1.WorkspaceService/AcceptInvite": func(target) call {
			token, _, err := w.Srv.Domain().Workspaces.Invite(w.Ctx, w.Principal("owner"), w.OwnerScope(w.W1), rpctest.Unique("new")+"@example.test", access.RoleAgent)
			if err != nil {
				w.T.Fatal(err)
			}
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Workspace.AcceptInvite(ctx, &tandemv1.AcceptInviteRequest{InviteToken: token, DisplayName: "New", Password: rpctest.TestPassword})
				return err
			}
		},
		"/tandem.v1.WorkspaceService/ListMembers": func(tg target) call {
			id := ws(tg).ID
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Workspace.ListMembers(ctx, &tandemv1.ListMembersRequest{WorkspaceId: id})
				return err
			}
		},
		"/tandem.v1.WorkspaceService/UpdateMemberRole": func(tg target) call {
			id, user := ws(tg).ID, memberOf(tg)
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Workspace.UpdateMemberRole(ctx, &tandemv1.UpdateMemberRoleRequest{WorkspaceId: id, UserId: user, Role: tandemv1.Role_ROLE_SUPERVISOR})
				return err
			}
		},
		"/tandem.v1.WorkspaceService/RemoveMember": func(tg target) call {
			id, user := ws(tg).ID, memberOf(tg)
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Workspace.RemoveMember(ctx, &tandemv1.RemoveMemberRequest{WorkspaceId: id, UserId: user})
				return err
			}
		},
		"/tandem.v1.WorkspaceService/CreateGroup": func(tg target) call {
			id := ws(tg).ID
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Workspace.CreateGroup(ctx, &tandemv1.CreateGroupRequest{WorkspaceId: id, Name: rpctest.Unique("g")})
				return err
			}
		},
		"/tandem.v1.WorkspaceService/ListGroups": func(tg target) call {
			id := ws(tg).ID
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Workspace.ListGroups(ctx, &tandemv1.ListGroupsRequest{WorkspaceId: id})
				return err
			}
		},
		"/tandem.v1.WorkspaceService/UpdateGroup": func(tg target) call {
			id, name := group(tg).ID, rpctest.Unique("g")
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Workspace.UpdateGroup(ctx, &tandemv1.UpdateGroupRequest{GroupId: id, Name: &name})
				return err
			}
		},
		"/tandem.v1.WorkspaceService/DeleteGroup": func(tg target) call {
			id := group(tg).ID
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Workspace.DeleteGroup(ctx, &tandemv1.DeleteGroupRequest{GroupId: id})
				return err
			}
		},
		"/tandem.v1.WorkspaceService/AddGroupMember": func(tg target) call {
			id, user := group(tg).ID, anyMember(tg)
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Workspace.AddGroupMember(ctx, &tandemv1.AddGroupMemberRequest{GroupId: id, UserId: user})
				return err
			}
		},
		"/tandem.v1.WorkspaceService/RemoveGroupMember": func(tg target) call {
			g, user := group(tg), anyMember(tg)
			if tg != missing {
				if _, err := w.Srv.Domain().Workspaces.AddGroupMember(w.Ctx, nil, g.ID, user); err != nil {
					w.T.Fatal(err)
				}
			}
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Workspace.RemoveGroupMember(ctx, &tandemv1.RemoveGroupMemberRequest{GroupId: g.ID, UserId: user})
				return err
			}
		},
	}
}

// procedures lists every procedure of every service tandemd serves, from the
// compiled descriptors.
func procedures(t testing.TB) map[string]protoreflect.MethodDescriptor {
	t.Helper()
	out := map[string]protoreflect.MethodDescriptor{}
	for _, name := range server.Services() {
		d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(name))
		if err != nil {
			t.Fatalf("service %s: %v", name, err)
		}
		methods := d.(protoreflect.ServiceDescriptor).Methods()
		for i := range methods.Len() {
			m := methods.Get(i)
			out[fmt.Sprintf("/%s/%s", name, m.Name())] = m
		}
	}
	return out
}

// TestAuthorizationMatrix calls every procedure as every kind of caller on
// an object of the caller's workspace, of another workspace and on a missing
// id, and checks each answer against authzTable. Foreign and missing objects
// answer the same NotFound, foreign workspaces are left untouched, and no
// error names them.
func TestAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		// No reactors: their reactions to W2's own fixtures would change W2
		// between the snapshots that show the calls left it alone.
		w := worldOn(t, rpctest.Start(t, opts, func(c *config.Config) { c.Reactors = false }))
		w.disableAgent("disabled")
		procs := procedures(t)
		fx := fixtures(w)
		for proc, f := range conversationFixtures(w) {
			fx[proc] = f
		}
		for proc, f := range cannedFixtures(w) {
			fx[proc] = f
		}
		for _, p := range authzParts {
			for proc, f := range p.fixtures(w) {
				fx[proc] = f
			}
		}
		authzTable := fullAuthzTable(t)
		for proc := range authzTable {
			if _, ok := procs[proc]; !ok {
				t.Errorf("authzTable names %s, which no service serves", proc)
			}
		}
		n := 0
		for proc, md := range procs {
			pol, ok := authzTable[proc]
			if !ok {
				t.Errorf("%s has no entry in authzTable: decide who may call it", proc)
				continue
			}
			rule := access.RuleOf(md)
			if rule == nil || rule.GetAccess() != pol.access {
				t.Errorf("%s declares authz %v, table says %v", proc, rule, pol.access)
				continue
			}
			build, ok := fx[proc]
			if !ok {
				t.Errorf("%s has no fixture in the authorization matrix", proc)
				continue
			}
			targets := []target{own}
			if pol.access == tandemv1.Access_ACCESS_WORKSPACE || pol == visitorsOwn {
				targets = []target{own, foreign, missing}
			}
			onConversation := pol.access == tandemv1.Access_ACCESS_WORKSPACE && rule.GetResource() == "conversation"
			if onConversation {
				targets = append(targets, colleagues)
			} else if pol.owning {
				t.Errorf("%s is under the ownership rule but does not act on a conversation", proc)
			}
			// Every call's objects are made first; then no call may change
			// W2, whose rows are compared once around the procedure's calls
			// instead of around each of thousands.
			sends := make([][]call, len(callers))
			for i := range callers {
				for _, tg := range targets {
					sends[i] = append(sends[i], build(tg))
				}
			}
			before := w.Digest(w.W2.ID, authzDigest()...)
			for i, c := range callers {
				notFound := map[target]string{}
				for j, tg := range targets {
					p := rpcclient.Protocols()[n%3]
					n++
					// Below supervisor, no call may change or end a
					// colleague's ownership, whatever the procedure.
					guard := tg == colleagues && !c.role.AtLeast(access.RoleSupervisor)
					var held string
					if guard {
						held = w.colleagueHold()
					}
					err := sends[i][j](w.callerCtx(c), w.Srv.Clients(p))
					want := pol.expect(c, tg)
					got := connect.CodeOf(err)
					// Procedures outside the ownership rule may have their own
					// reasons to refuse on someone else's conversation
					// (replying without joining, claiming an owned one).
					otherRule := tg == colleagues && !pol.owning && want == 0 && got == connect.CodeFailedPrecondition
					if !otherRule && ((err == nil && want != 0) || (err != nil && got != want)) {
						t.Errorf("%s as %s on %s object over %s: got %v, want %v", proc, c.name, tg, p, errOrOK(err), rpctest.CodeOrOK(want))
					}
					if guard {
						if now := w.colleagueHold(); now != held {
							t.Errorf("%s as %s changed a colleague's ownership:\n%s\n->\n%s", proc, c.name, held, now)
						}
					}
					if err != nil {
						msg := err.Error()
						if strings.Contains(msg, w.W2.ID) || strings.Contains(msg, w.W2.Name) {
							t.Errorf("%s as %s: error names the other workspace: %s", proc, c.name, msg)
						}
						if connect.CodeOf(err) == connect.CodeNotFound {
							notFound[tg] = msg
						}
					}
				}
				if f, m := notFound[foreign], notFound[missing]; f != "" && m != "" && f != m {
					t.Errorf("%s as %s: foreign and missing objects answer differently: %q vs %q", proc, c.name, f, m)
				}
			}
			if after := w.Digest(w.W2.ID, authzDigest()...); after != before {
				t.Errorf("%s changed the other workspace", proc)
			}
		}
		t.Logf("%d calls over %d procedures", n, len(procs))
		storetest.CheckTenancy(t, w.Srv.DB()) // no row the matrix wrote refers to another workspace's (ISO-02)
	})
}

func errOrOK(err error) string {
	if err == nil {
		return "OK"
	}
	return err.Error()
}

func (w *world) callerCtx(c caller) context.Context {
	switch {
	case c.anon:
		return w.Ctx
	case c.visitor:
		return rpcclient.WithToken(w.Ctx, w.VisitorToken)
	case !c.user:
		return rpcclient.WithToken(w.Ctx, w.Keys[string(c.role)])
	}
	return w.As(c.name)
}

// disableAgent makes the named user a W1 agent and then disables their
// account, as an operator does (users.disabled_at; there is no RPC).
func (w *world) disableAgent(name string) {
	w.T.Helper()
	w.Users[name] = w.NewUser(name)
	w.Join(w.W1, w.Users[name], access.RoleAgent)
	if _, err := w.Srv.DB().ExecContext(w.Ctx, `UPDATE users SET disabled_at = ? WHERE id = ?`, time.Now().UnixMilli(), w.Users[name].ID); err != nil {
		w.T.Fatal(err)
	}
}

// apiKey creates an API key in ws and returns its id.
func (w *world) apiKey(ws workspace.Workspace) string {
	w.T.Helper()
	owner := w.Principal("owner")
	if ws.ID == w.W2.ID {
		owner = w.Principal("w2owner")
	}
	k, _, err := w.Srv.Domain().Accounts.CreateAPIKey(w.Ctx, owner, w.OwnerScope(ws), "fixture", access.RoleAgent, 0)
	if err != nil {
		w.T.Fatal(err)
	}
	return k.ID
}

// colleagueHold is a fingerprint of the ownership of every conversation the
// matrix gave W1's colleague.
func (w *world) colleagueHold() string {
	w.T.Helper()
	var rows []struct {
		ID           string `db:"id"`
		State        string `db:"state"`
		AssigneeID   string `db:"assignee_id"`
		SnoozedUntil int64  `db:"snoozed_until"`
	}
	if err := w.Srv.DB().SelectContext(w.Ctx, &rows, `SELECT id, state, assignee_id, snoozed_until FROM conversations
		WHERE workspace_id = ? AND page_url = ? ORDER BY id`, w.W1.ID, colleaguePage); err != nil {
		w.T.Fatal(err)
	}
	return fmt.Sprint(rows)
}

// authzDigest are the queries whose answers fingerprint everything a
// workspace holds: the ones here and each part's.
func authzDigest() []string {
	queries := []string{
		`SELECT name, last_seq, updated_at FROM workspaces WHERE id = ?`,
		`SELECT user_id, role FROM members WHERE workspace_id = ? ORDER BY user_id`,
		`SELECT id, name, description FROM agent_groups WHERE workspace_id = ? ORDER BY id`,
		`SELECT group_id, user_id FROM group_members WHERE workspace_id = ? ORDER BY group_id, user_id`,
		`SELECT id, revoked_at FROM api_keys WHERE workspace_id = ? ORDER BY id`,
		`SELECT id, accepted_at FROM invites WHERE workspace_id = ? ORDER BY id`,
		`SELECT id, state, assignee_id, last_seq, closed_at FROM conversations WHERE workspace_id = ? ORDER BY id`,
		`SELECT id, body, kind FROM messages WHERE workspace_id = ? ORDER BY id`,
		`SELECT id, scope, shortcut, title, body, updated_at FROM canned_responses WHERE workspace_id = ? ORDER BY id`,
	}
	for _, p := range authzParts {
		queries = append(queries, p.digest...)
	}
	return queries
}
