package tandemtest

import (
	"context"
	"net/http"
	"testing"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/api/tandem/v1/tandemv1connect"
)

// bearer sets a token on every call of a client.
type bearer string

func (b bearer) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		req.Header().Set("Authorization", "Bearer "+string(b))
		return next(ctx, req)
	}
}

func (b bearer) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return func(ctx context.Context, spec connect.Spec) connect.StreamingClientConn {
		conn := next(ctx, spec)
		conn.RequestHeader().Set("Authorization", "Bearer "+string(b))
		return conn
	}
}

func (b bearer) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return next
}

// Agent is a signed-in member, with clients that carry their token.
type Agent struct {
	Token         string
	User          *tandemv1.User
	Conversations tandemv1connect.ConversationServiceClient
	Presence      tandemv1connect.PresenceServiceClient
	Workspaces    tandemv1connect.WorkspaceServiceClient
}

// Login signs a demo member in.
func (s *Server) Login(t testing.TB, email string) *Agent {
	t.Helper()
	auth := tandemv1connect.NewAuthServiceClient(http.DefaultClient, s.URL)
	res, err := auth.Login(context.Background(), &tandemv1.LoginRequest{Email: email, Password: Password})
	if err != nil {
		t.Fatalf("login %s: %v", email, err)
	}
	o := connect.WithInterceptors(bearer(res.GetToken()))
	return &Agent{
		Token: res.GetToken(), User: res.GetUser(),
		Conversations: tandemv1connect.NewConversationServiceClient(http.DefaultClient, s.URL, o),
		Presence:      tandemv1connect.NewPresenceServiceClient(http.DefaultClient, s.URL, o),
		Workspaces:    tandemv1connect.NewWorkspaceServiceClient(http.DefaultClient, s.URL, o),
	}
}

// Customer is a widget visitor with one conversation.
type Customer struct {
	Widget       tandemv1connect.WidgetServiceClient
	Conversation *tandemv1.WidgetConversation
}

// StartConversation plays a customer opening a chat with a first message.
// In the demo workspace the AI agent takes it first (state bot).
func (s *Server) StartConversation(t testing.TB, name, body string) *Customer {
	t.Helper()
	anon := tandemv1connect.NewWidgetServiceClient(http.DefaultClient, s.URL)
	ses, err := anon.StartSession(context.Background(), &tandemv1.StartSessionRequest{PublicKey: s.WidgetKey, Name: name})
	if err != nil {
		t.Fatalf("widget session: %v", err)
	}
	w := tandemv1connect.NewWidgetServiceClient(http.DefaultClient, s.URL, connect.WithInterceptors(bearer(ses.GetToken())))
	res, err := w.StartConversation(context.Background(), &tandemv1.StartConversationRequest{ClientId: uuid.NewString(), Body: body})
	if err != nil {
		t.Fatalf("start conversation: %v", err)
	}
	return &Customer{Widget: w, Conversation: res.GetConversation()}
}

// HandOff plays the customer pressing "Talk to a person": the AI agent
// hands the conversation to the team's queue (pending).
func (c *Customer) HandOff(t testing.TB) {
	t.Helper()
	if _, err := c.Widget.RequestHuman(context.Background(), &tandemv1.RequestHumanRequest{ConversationId: c.Conversation.GetId()}); err != nil {
		t.Fatalf("request a human: %v", err)
	}
}

// Messages returns what the customer sees of their conversation, oldest
// first.
func (c *Customer) Messages(t testing.TB) []*tandemv1.WidgetMessage {
	t.Helper()
	res, err := c.Widget.ListMessages(context.Background(), &tandemv1.ListMessagesRequest{ConversationId: c.Conversation.GetId(), PageSize: 200})
	if err != nil {
		t.Fatalf("list messages: %v", err)
	}
	out := res.GetMessages()
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}
