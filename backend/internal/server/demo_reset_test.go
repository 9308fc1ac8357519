package server_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/demo"
	"github.com/tandem-inbox/tandem/backend/internal/fleet"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
)

// demoChats signs in to a running demo as its owner and returns the ids of
// the demo workspace's conversations, in every state.
func demoChats(t *testing.T, p *fleet.Tandemd) (workspace *tandemv1.Workspace, ids []string) {
	t.Helper()
	ctx := context.Background()
	c := rpcclient.New(p.URL, rpcclient.Connect)
	login, err := c.Auth.Login(ctx, &tandemv1.LoginRequest{Email: demo.OwnerEmail, Password: demo.Password})
	if err != nil {
		t.Fatal(err)
	}
	authed := rpcclient.WithToken(ctx, login.GetToken())
	list, err := c.Workspace.ListWorkspaces(authed, &tandemv1.ListWorkspacesRequest{})
	if err != nil || len(list.GetWorkspaces()) != 1 {
		t.Fatalf("demo workspaces = %v, %v; want one", list.GetWorkspaces(), err)
	}
	workspace = list.GetWorkspaces()[0]
	convs, err := c.Conversation.ListConversations(authed, &tandemv1.ListConversationsRequest{WorkspaceId: workspace.GetId(),
		PageSize: 100, Filter: &tandemv1.ConversationFilter{States: []tandemv1.ConversationState{
			tandemv1.ConversationState_CONVERSATION_STATE_BOT, tandemv1.ConversationState_CONVERSATION_STATE_PENDING,
			tandemv1.ConversationState_CONVERSATION_STATE_ACTIVE, tandemv1.ConversationState_CONVERSATION_STATE_SNOOZED,
			tandemv1.ConversationState_CONVERSATION_STATE_CLOSED}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, cv := range convs.GetConversations() {
		ids = append(ids, cv.GetId())
	}
	return workspace, ids
}

// TestDemoReset (issue 15 item 20) runs `tandemd --demo` on one data
// directory, chats as a customer, and restarts it: without --demo-reset the
// chat is still there (the demo keeps its data); with it, the demo starts
// afresh with only its seeded conversations, says so in its log, and keeps
// the files it does not own.
func TestDemoReset(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs tandemd")
	}
	dataDir := t.TempDir()
	keep := filepath.Join(dataDir, "notes.txt")
	if err := os.WriteFile(keep, []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"TANDEM_DATA_DIR": dataDir}
	addr := rpctest.FreeAddr(t)

	p := rpctest.StartProcess(t, addr, env, "--demo")
	ws, seeded := demoChats(t, p)
	if len(seeded) == 0 {
		t.Fatal("the demo has no conversations")
	}
	ctx := context.Background()
	c := rpcclient.New(p.URL, rpcclient.Connect)
	sess, err := c.Widget.StartSession(ctx, &tandemv1.StartSessionRequest{PublicKey: ws.GetPublicKey(), Name: "Earlier visitor"})
	if err != nil {
		t.Fatal(err)
	}
	started, err := c.Widget.StartConversation(rpcclient.WithToken(ctx, sess.GetToken()),
		&tandemv1.StartConversationRequest{ClientId: uuid.NewString(), Body: "I was here first"})
	if err != nil {
		t.Fatal(err)
	}
	mine := started.GetConversation().GetId()
	if err := p.Stop(30 * time.Second); err != nil {
		t.Fatal(err)
	}

	p = rpctest.StartProcess(t, addr, env, "--demo")
	if _, ids := demoChats(t, p); !slices.Contains(ids, mine) || len(ids) != len(seeded)+1 {
		t.Fatalf("after a plain restart: %d conversations (mine there: %v), want the %d seeded and mine", len(ids), slices.Contains(ids, mine), len(seeded))
	}
	if strings.Contains(p.Output(), "demo reset") {
		t.Errorf("a plain --demo start reset the demo:\n%s", p.Output())
	}
	if err := p.Stop(30 * time.Second); err != nil {
		t.Fatal(err)
	}

	p = rpctest.StartProcess(t, addr, env, "--demo-reset")
	ws2, ids := demoChats(t, p)
	if slices.Contains(ids, mine) || len(ids) != len(seeded) {
		t.Fatalf("after --demo-reset: %d conversations (the earlier chat there: %v), want the %d seeded only", len(ids), slices.Contains(ids, mine), len(seeded))
	}
	if ws2.GetId() == ws.GetId() {
		t.Error("--demo-reset kept the old demo workspace")
	}
	if !strings.Contains(p.Output(), "demo reset: deleted the embedded database") || !strings.Contains(p.Output(), dataDir) {
		t.Errorf("--demo-reset does not say what it deleted:\n%s", p.Output())
	}
	if b, err := os.ReadFile(keep); err != nil || string(b) != "mine" {
		t.Errorf("--demo-reset touched a file it does not own: %q, %v", b, err)
	}
}

// TestDemoBanner (issue 15 item 20) starts `tandemd --demo` and runs the
// command its banner suggests, from the repository root as the banner says,
// with the buf that `make tools` installs; the banner also names the data
// directory and --demo-reset.
func TestDemoBanner(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs tandemd")
	}
	dataDir := t.TempDir()
	p := rpctest.StartProcess(t, rpctest.FreeAddr(t), map[string]string{"TANDEM_DATA_DIR": dataDir}, "--demo")
	out := p.Output()
	if !strings.Contains(out, "data       "+dataDir) || !strings.Contains(out, "--demo-reset") {
		t.Errorf("the banner does not name the data directory and --demo-reset:\n%s", out)
	}
	try := regexp.MustCompile(`(?m)^  try        (.+)$`).FindStringSubmatch(out)
	if try == nil || !strings.Contains(out, "`make tools`") {
		t.Fatalf("the banner suggests no command, or not how to get buf:\n%s", out)
	}
	root := filepath.Join("..", "..", "..")
	if _, err := os.Stat(filepath.Join(root, "api", "node_modules", ".bin", "buf")); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("buf is not installed (make tools): %v", err)
		}
		t.Skipf("buf is not installed (make tools): %v", err)
	}
	cmd := exec.CommandContext(t.Context(), "bash", "-c", try[1])
	cmd.Dir = root
	got, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", try[1], err, got)
	}
	for _, want := range []string{"tandem.v1.AuthService/Login", "grpc.health.v1.Health/Check"} {
		if !strings.Contains(string(got), want) {
			t.Errorf("%s lists no %s:\n%s", try[1], want, got)
		}
	}
}
