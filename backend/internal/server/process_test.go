package server_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"connectrpc.com/grpcreflect"
	"github.com/google/uuid"
	"google.golang.org/protobuf/reflect/protoreflect"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/demo"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/server"
)

// TestEmbeddedStoreSurvivesRestart writes through a tandemd process on the
// embedded default, stops it, starts a new one on the same data directory and
// reads the data back; the bootstrap owner is created once.
func TestEmbeddedStoreSurvivesRestart(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs tandemd")
	}
	dataDir := t.TempDir()
	env := map[string]string{
		"TANDEM_DATA_DIR":           dataDir,
		"TANDEM_BOOTSTRAP_EMAIL":    "first@example.test",
		"TANDEM_BOOTSTRAP_PASSWORD": rpctest.TestPassword,
	}
	addr := rpctest.FreeAddr(t)
	ctx := context.Background()

	p := rpctest.StartProcess(t, addr, env)
	c := rpcclient.New(p.URL, rpcclient.Connect)
	login, err := c.Auth.Login(ctx, &tandemv1.LoginRequest{Email: "first@example.test", Password: rpctest.TestPassword})
	if err != nil {
		t.Fatalf("bootstrap owner cannot sign in: %v", err)
	}
	authed := rpcclient.WithToken(ctx, login.GetToken())
	created, err := c.Workspace.CreateWorkspace(authed, &tandemv1.CreateWorkspaceRequest{Name: "Survivor"})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Stop(30 * time.Second); err != nil {
		t.Fatalf("graceful stop: %v", err)
	}

	p = rpctest.StartProcess(t, addr, env)
	c = rpcclient.New(p.URL, rpcclient.GRPC)
	list, err := c.Workspace.ListWorkspaces(authed, &tandemv1.ListWorkspacesRequest{})
	if err != nil {
		t.Fatalf("session from before the restart: %v", err)
	}
	if len(list.GetWorkspaces()) != 1 || list.GetWorkspaces()[0].GetId() != created.GetWorkspace().GetId() {
		t.Fatalf("workspaces after restart = %v", list.GetWorkspaces())
	}
	if strings.Contains(p.Output(), "bootstrap account created") {
		t.Error("bootstrap account created again on the second start")
	}
}

// TestDemo starts `tandemd --demo` twice on one data directory, lists the
// services by gRPC reflection, signs in with the printed demo account and
// creates a workspace.
func TestDemo(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs tandemd")
	}
	dataDir := t.TempDir()
	addr := rpctest.FreeAddr(t)
	p := rpctest.StartProcess(t, addr, map[string]string{"TANDEM_DATA_DIR": dataDir}, "--demo")
	if err := p.Stop(30 * time.Second); err != nil {
		t.Fatal(err)
	}
	p = rpctest.StartProcess(t, addr, map[string]string{"TANDEM_DATA_DIR": dataDir}, "--demo")
	if !strings.Contains(p.Output(), demo.OwnerEmail) {
		t.Fatalf("demo does not say how to sign in:\n%s", p.Output())
	}

	ctx := context.Background()
	refl := grpcreflect.NewClient(rpcclient.HTTPClient(rpcclient.GRPC), p.URL, rpcclient.ClientOptions(rpcclient.GRPC)...)
	stream := refl.NewStream(ctx)
	names, err := stream.ListServices()
	if err != nil {
		t.Fatalf("reflection: %v", err)
	}
	_, _ = stream.Close()
	for _, want := range server.Services() {
		if !slices.Contains(names, protoreflect.FullName(want)) {
			t.Errorf("reflection lists %v, missing %s", names, want)
		}
	}

	c := rpcclient.New(p.URL, rpcclient.GRPC)
	login, err := c.Auth.Login(ctx, &tandemv1.LoginRequest{Email: demo.OwnerEmail, Password: demo.Password})
	if err != nil {
		t.Fatal(err)
	}
	authed := rpcclient.WithToken(ctx, login.GetToken())
	if _, err := c.Workspace.CreateWorkspace(authed, &tandemv1.CreateWorkspaceRequest{Name: "From the demo"}); err != nil {
		t.Fatal(err)
	}
	list, err := c.Workspace.ListWorkspaces(authed, &tandemv1.ListWorkspacesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(list.GetWorkspaces()); n != 2 {
		t.Fatalf("%d workspaces: the demo was seeded twice or not at all: %v", n, list.GetWorkspaces())
	}
	demoWS := list.GetWorkspaces()[0].GetId()
	groups, err := c.Workspace.ListGroups(authed, &tandemv1.ListGroupsRequest{WorkspaceId: demoWS})
	if err != nil || len(groups.GetGroups()) != 3 {
		t.Fatalf("demo groups = %v, %v", groups.GetGroups(), err)
	}
	all := []tandemv1.ConversationState{tandemv1.ConversationState_CONVERSATION_STATE_PENDING, tandemv1.ConversationState_CONVERSATION_STATE_ACTIVE,
		tandemv1.ConversationState_CONVERSATION_STATE_SNOOZED, tandemv1.ConversationState_CONVERSATION_STATE_CLOSED}
	convs, err := c.Conversation.ListConversations(authed, &tandemv1.ListConversationsRequest{WorkspaceId: demoWS,
		Filter: &tandemv1.ConversationFilter{States: all}})
	if err != nil {
		t.Fatal(err)
	}
	states := map[tandemv1.ConversationState]int{}
	for _, cv := range convs.GetConversations() {
		states[cv.GetState()]++
	}
	for _, st := range all {
		if states[st] != 1 {
			t.Errorf("demo has %d %v conversations, want 1 (seeded twice, or not at all?)", states[st], st)
		}
	}

	// A customer asks the demo store a question and the AI agent answers
	// from the demo documents, citing them.
	ws, err := c.Workspace.GetWorkspace(authed, &tandemv1.GetWorkspaceRequest{WorkspaceId: demoWS})
	if err != nil {
		t.Fatal(err)
	}
	sess, err := c.Widget.StartSession(ctx, &tandemv1.StartSessionRequest{PublicKey: ws.GetWorkspace().GetPublicKey(), Name: "Casey"})
	if err != nil {
		t.Fatal(err)
	}
	vctx := rpcclient.WithToken(ctx, sess.GetToken())
	started, err := c.Widget.StartConversation(vctx, &tandemv1.StartConversationRequest{ClientId: uuid.NewString(),
		Body: "How long does standard delivery take?"})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		msgs, err := c.Widget.ListMessages(vctx, &tandemv1.ListMessagesRequest{ConversationId: started.GetConversation().GetId()})
		if err != nil {
			t.Fatal(err)
		}
		answered := false
		for _, m := range msgs.GetMessages() {
			if m.GetAuthorKind() == tandemv1.AuthorKind_AUTHOR_KIND_BOT && len(m.GetCitations()) > 0 {
				answered = strings.Contains(m.GetBody(), "2 to 4 business days") && m.GetAuthorName() == "Ava"
				if !answered {
					t.Fatalf("the demo AI agent answered %q as %q", m.GetBody(), m.GetAuthorName())
				}
			}
		}
		if answered {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the demo AI agent did not answer within 15s: %v", msgs.GetMessages())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestGracefulShutdown stops tandemd with SIGTERM while a stream is open:
// the stream ends with Unavailable and the RECONNECT reason (so the client
// resumes elsewhere with its cursor), and the process exits cleanly.
func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs tandemd")
	}
	env := map[string]string{"TANDEM_DATA_DIR": t.TempDir(), "TANDEM_BOOTSTRAP_EMAIL": "first@example.test", "TANDEM_BOOTSTRAP_PASSWORD": rpctest.TestPassword}
	p := rpctest.StartProcess(t, rpctest.FreeAddr(t), env)
	ctx := context.Background()
	c := rpcclient.New(p.URL, rpcclient.GRPC)
	login, err := c.Auth.Login(ctx, &tandemv1.LoginRequest{Email: "first@example.test", Password: rpctest.TestPassword})
	if err != nil {
		t.Fatal(err)
	}
	authed := rpcclient.WithToken(ctx, login.GetToken())
	ws, err := c.Workspace.CreateWorkspace(authed, &tandemv1.CreateWorkspaceRequest{Name: "Shop"})
	if err != nil {
		t.Fatal(err)
	}
	stream, err := c.Conversation.Watch(authed, &tandemv1.WatchRequest{WorkspaceId: ws.GetWorkspace().GetId()})
	if err != nil {
		t.Fatal(err)
	}
	if !stream.Receive() || !stream.Msg().GetHeartbeat() || stream.Msg().GetCursor() == "" {
		t.Fatalf("first message %v, %v: want a heartbeat with the start cursor", stream.Msg(), stream.Err())
	}
	stopped := make(chan error, 1)
	go func() { stopped <- p.Stop(30 * time.Second) }()
	for stream.Receive() {
	}
	var ce *connect.Error
	if !errors.As(stream.Err(), &ce) || ce.Code() != connect.CodeUnavailable || ce.Meta().Get(apperr.DetailHeader) != events.Reconnect {
		t.Fatalf("stream ended with %v, want Unavailable with reason %s", stream.Err(), events.Reconnect)
	}
	if err := <-stopped; err != nil {
		t.Fatalf("tandemd exit: %v", err)
	}
}
