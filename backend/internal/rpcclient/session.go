package rpcclient

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
)

// Sessions: the few sequences of calls that the tools and the fault tests
// share (sign in, make a workspace, open a widget visitor).

// Owner is a signed-in user of a tandemd (the bootstrap owner, usually).
type Owner struct {
	Token  string
	UserID string
	c      Clients
}

// Login signs in through the server at url.
func Login(ctx context.Context, url, email, password string) (*Owner, error) {
	c := New(url, Connect)
	resp, err := c.Auth.Login(ctx, &tandemv1.LoginRequest{Email: email, Password: password})
	if err != nil {
		return nil, fmt.Errorf("login %s: %w", email, err)
	}
	return &Owner{Token: resp.GetToken(), UserID: resp.GetUser().GetId(), c: c}, nil
}

// Workspace is a workspace the owner created.
type Workspace struct {
	ID        string
	PublicKey string
}

// CreateWorkspace creates a workspace owned by o.
func (o *Owner) CreateWorkspace(ctx context.Context, name string) (Workspace, error) {
	resp, err := o.c.Workspace.CreateWorkspace(WithToken(ctx, o.Token), &tandemv1.CreateWorkspaceRequest{Name: name})
	if err != nil {
		return Workspace{}, fmt.Errorf("create workspace: %w", err)
	}
	return Workspace{ID: resp.GetWorkspace().GetId(), PublicKey: resp.GetWorkspace().GetPublicKey()}, nil
}

// AgentKey creates an API key with the agent role in the workspace and
// returns its secret: a distinct principal for each simulated agent, made
// without the cost of a password hash.
func (o *Owner) AgentKey(ctx context.Context, ws Workspace, name string) (string, error) {
	resp, err := o.c.Auth.CreateApiKey(WithToken(ctx, o.Token), &tandemv1.CreateApiKeyRequest{
		WorkspaceId: ws.ID, Name: name, Role: tandemv1.Role_ROLE_AGENT})
	if err != nil {
		return "", fmt.Errorf("create API key: %w", err)
	}
	return resp.GetSecret(), nil
}

// NoteRule creates an enabled automation rule in the workspace that adds
// the note to the conversation on every customer message, and returns the
// rule's id (its notes' author). Such a rule is a reaction that needs no
// model, and that a test can count exactly.
func (o *Owner) NoteRule(ctx context.Context, ws Workspace, name, note string) (string, error) {
	resp, err := o.c.Automation.CreateRule(WithToken(ctx, o.Token), &tandemv1.CreateRuleRequest{WorkspaceId: ws.ID,
		Rule: &tandemv1.RuleSpec{Name: name, Enabled: true, Trigger: tandemv1.RuleTrigger_RULE_TRIGGER_CUSTOMER_MESSAGE,
			Actions: []*tandemv1.Action{{Kind: &tandemv1.Action_AddNote{AddNote: note}}}}})
	if err != nil {
		return "", fmt.Errorf("create rule: %w", err)
	}
	return resp.GetRule().GetId(), nil
}

// Cursor is the workspace's current log position for the principal whose
// token is given, read through the server at url: a Watch from it misses
// nothing committed afterwards.
func Cursor(ctx context.Context, url, token, workspaceID string) (string, error) {
	c := New(url, Connect)
	list, err := c.Conversation.ListConversations(WithToken(ctx, token),
		&tandemv1.ListConversationsRequest{WorkspaceId: workspaceID, PageSize: 1})
	if err != nil {
		return "", fmt.Errorf("list conversations: %w", err)
	}
	return list.GetCursor(), nil
}

// Visitor is a widget customer with one open conversation.
type Visitor struct {
	Token          string
	ConversationID string
}

// NewVisitor starts a widget session in the workspace through the clients c
// and opens a conversation.
func NewVisitor(ctx context.Context, c Clients, publicKey, name string) (*Visitor, error) {
	s, err := c.Widget.StartSession(ctx, &tandemv1.StartSessionRequest{PublicKey: publicKey, Name: name})
	if err != nil {
		return nil, fmt.Errorf("start session: %w", err)
	}
	conv, err := c.Widget.StartConversation(WithToken(ctx, s.GetToken()),
		&tandemv1.StartConversationRequest{ClientId: uuid.NewString()})
	if err != nil {
		return nil, fmt.Errorf("start conversation: %w", err)
	}
	return &Visitor{Token: s.GetToken(), ConversationID: conv.GetConversation().GetId()}, nil
}

// Send posts one message through the widget client c with the client id
// (reuse it to retry).
func (v *Visitor) Send(ctx context.Context, c Clients, clientID, body string) (*tandemv1.WidgetMessage, error) {
	resp, err := c.Widget.SendMessage(WithToken(ctx, v.Token), &tandemv1.WidgetServiceSendMessageRequest{
		ConversationId: v.ConversationID, ClientId: clientID, Body: body})
	if err != nil {
		return nil, err
	}
	return resp.GetMessage(), nil
}
