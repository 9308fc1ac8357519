package server_test

import (
	"context"
	"errors"
	"net/http/httptrace"
	"slices"
	"strings"
	"sync"
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
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
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

// TestGracefulShutdown stops tandemd with SIGTERM while a stream is open
// and a unary write is in flight: the stream ends with Unavailable and the
// RECONNECT reason (so the client resumes elsewhere with its cursor), the
// write is answered OK rather than cut, its row is on disk after the exit,
// and the process exits cleanly. The write is held in flight by a lock the
// test takes on the database (SQLite's write lock, or the workspace's row on
// MariaDB), released only once the drain has begun.
func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs tandemd")
	}
	storetest.EachURL(t, testGracefulShutdown)
}

func testGracefulShutdown(t *testing.T, opts store.Options) {
	env := processEnv(t, opts)
	env["TANDEM_BOOTSTRAP_EMAIL"], env["TANDEM_BOOTSTRAP_PASSWORD"] = "first@example.test", rpctest.TestPassword
	if opts.URL == "" {
		opts = store.Options{DataDir: env["TANDEM_DATA_DIR"]}
	}
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

	release := holdWriteLock(t, opts, ws.GetWorkspace().GetId())
	write := startBlockedWrite(authed, t, c, ws.GetWorkspace().GetId())
	sigterm := time.Now()
	stopped := make(chan error, 1)
	go func() { stopped <- p.Stop(30 * time.Second) }()
	for stream.Receive() {
	}
	// The stream's end says the drain has begun (it is told from
	// http.Server's shutdown hook); Errorf, so that a broken drain also shows
	// what became of the write.
	var ce *connect.Error
	if !errors.As(stream.Err(), &ce) || ce.Code() != connect.CodeUnavailable || ce.Meta().Get(apperr.DetailHeader) != events.Reconnect {
		t.Errorf("stream ended with %v, want Unavailable with reason %s", stream.Err(), events.Reconnect)
	}
	// Hold the write a while into the drain: a server that gave in-flight
	// calls only a moment, or none, cuts it now.
	time.Sleep(300 * time.Millisecond)
	select {
	case r := <-write:
		t.Fatalf("the write ended (%v, %v) before the lock was released: the shutdown cut it", r.group, r.err)
	default:
	}
	release()

	r := <-write
	if r.err != nil {
		t.Fatalf("the write in flight at SIGTERM ended with %v, want OK", r.err)
	}
	// The group's time is taken in the handler before its transaction: at or
	// before SIGTERM, so the call was in the server when the signal came.
	if created := r.group.GetCreateTimeMs(); created > sigterm.UnixMilli() {
		t.Fatalf("the group was made at %d, after SIGTERM at %d: the write reached the server too late to test the drain", created, sigterm.UnixMilli())
	}
	if err := <-stopped; err != nil {
		t.Fatalf("tandemd exit: %v", err)
	}
	if name := storedGroupName(t, opts, r.group.GetId()); name != r.group.GetName() {
		t.Fatalf("after the exit the group's stored name is %q, want %q", name, r.group.GetName())
	}
}

// holdWriteLock takes, from a connection of the test's own, the lock every
// write to the workspace waits for, as a long writer would: SQLite's write
// lock, or the workspace's row on MySQL (each event takes it for its seq).
// It returns the function that rolls it back.
func holdWriteLock(t *testing.T, opts store.Options, workspaceID string) (release func()) {
	t.Helper()
	ctx := context.Background() // used again in release, after the test's context ends
	db, err := store.Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if opts.URL == "" {
		_, err = conn.ExecContext(ctx, "BEGIN IMMEDIATE")
	} else if _, err = conn.ExecContext(ctx, "BEGIN"); err == nil {
		var id string
		err = conn.QueryRowContext(ctx, "SELECT id FROM workspaces WHERE id = ? FOR UPDATE", workspaceID).Scan(&id)
	}
	if err != nil {
		t.Fatal(err)
	}
	release = sync.OnceFunc(func() {
		if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
			t.Errorf("release the write lock: %v", err)
		}
		_ = conn.Close()
		_ = db.Close()
	})
	t.Cleanup(release)
	return release
}

// writeResult is how a unary write ended.
type writeResult struct {
	group *tandemv1.Group
	err   error
}

// startBlockedWrite creates a group in the workspace, in the background, and
// returns once the request is on the wire and has not been answered for a
// while: it is waiting in the server for the write lock.
func startBlockedWrite(authed context.Context, t *testing.T, c rpcclient.Clients, workspaceID string) <-chan writeResult {
	t.Helper()
	wrote := make(chan struct{})
	trace := &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) {
		select {
		case <-wrote:
		default:
			close(wrote)
		}
	}}
	done := make(chan writeResult, 1)
	go func() {
		res, err := c.Workspace.CreateGroup(httptrace.WithClientTrace(authed, trace),
			&tandemv1.CreateGroupRequest{WorkspaceId: workspaceID, Name: "Night shift"})
		done <- writeResult{group: res.GetGroup(), err: err}
	}()
	select {
	case <-wrote:
	case r := <-done:
		t.Fatalf("the write ended (%v) before it was sent", r.err)
	case <-time.After(10 * time.Second):
		t.Fatal("the write was not sent within 10s")
	}
	// No signal says the handler has reached the lock; the group's time,
	// checked after, proves it was in the server before SIGTERM.
	select {
	case r := <-done:
		t.Fatalf("the write returned (%v, %v) while the database was locked", r.group, r.err)
	case <-time.After(300 * time.Millisecond):
	}
	return done
}

// storedGroupName reads the group's name from a fresh connection to the
// database tandemd left behind.
func storedGroupName(t *testing.T, opts store.Options, groupID string) string {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	var name string
	if err := db.GetContext(ctx, &name, "SELECT name FROM agent_groups WHERE id = ?", groupID); err != nil {
		t.Fatalf("read the group back: %v", err)
	}
	return name
}
