package server_test

import (
	"strings"
	"testing"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/config"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// wantText checks an error's code and that its message says want.
func wantText(t *testing.T, what string, err error, code connect.Code, want string) {
	t.Helper()
	if connect.CodeOf(err) != code || !strings.Contains(err.Error(), want) {
		t.Errorf("%s: %v, want %v saying %q", what, err, code, want)
	}
}

// TestClaimClosed (issue 15 item 6): claiming a closed conversation is
// FailedPrecondition saying it is closed, whoever owned it last (it used to
// say someone "has already claimed" it); claiming one a colleague holds
// still names them.
func TestClaimClosed(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := worldOn(t, rpctest.Start(t, opts, rpctest.Quiet))
		c := w.Srv.Clients(rpcclient.Connect)
		claim := func(who, id string) error {
			_, err := c.Conversation.ClaimConversation(w.As(who), &tandemv1.ClaimConversationRequest{ConversationId: id})
			return err
		}
		closeIt := func(who, id string) {
			t.Helper()
			if _, err := c.Conversation.CloseConversation(w.As(who), &tandemv1.CloseConversationRequest{ConversationId: id}); err != nil {
				t.Fatal(err)
			}
		}

		owned := w.Conversation(w.Visitor)
		if err := claim("agent", owned.ID); err != nil {
			t.Fatal(err)
		}
		wantText(t, "claim of a colleague's chat", claim("supervisor", owned.ID), connect.CodeFailedPrecondition, "agent has already claimed this conversation")
		closeIt("agent", owned.ID)
		wantText(t, "claim of a closed chat someone owned", claim("supervisor", owned.ID), connect.CodeFailedPrecondition, "this conversation is closed")
		wantText(t, "its last owner's claim of it", claim("agent", owned.ID), connect.CodeFailedPrecondition, "this conversation is closed")

		unowned := w.Conversation(w.Other)
		closeIt("supervisor", unowned.ID)
		wantText(t, "claim of a closed chat nobody owned", claim("agent", unowned.ID), connect.CodeFailedPrecondition, "this conversation is closed")
	})
}

// TestPermissionTexts (issue 15 item 6): a refusal by role reads as
// English: "may not manage knowledge in this workspace", not "may not
// manage knowledge this workspace".
func TestPermissionTexts(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := worldOn(t, rpctest.Start(t, opts, rpctest.Quiet))
		c := w.Srv.Clients(rpcclient.Connect)
		agent := w.As("agent")
		_, err := c.Knowledge.SearchKnowledge(agent, &tandemv1.SearchKnowledgeRequest{WorkspaceId: w.W1.ID, Query: "returns"})
		wantText(t, "manage_knowledge", err, connect.CodePermissionDenied, "your role (agent) may not manage knowledge in this workspace")
		_, err = c.Auth.ListApiKeys(agent, &tandemv1.ListApiKeysRequest{WorkspaceId: w.W1.ID})
		wantText(t, "manage_api_keys", err, connect.CodePermissionDenied, "your role (agent) may not manage API keys in this workspace")
		_, err = c.SLA.CreateSlaPolicy(agent, &tandemv1.CreateSlaPolicyRequest{WorkspaceId: w.W1.ID, Policy: &tandemv1.SlaPolicyInput{Name: "p", WarningPercent: 80}})
		wantText(t, "manage_sla", err, connect.CodePermissionDenied, "your role (agent) may not manage SLA policies in this workspace")
	})
}

// TestCountTexts (issue 15 item 6): counts in the server's texts agree
// with their nouns ("1 workspace", not "1 workspaces").
func TestCountTexts(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := worldOn(t, rpctest.Start(t, opts, rpctest.Quiet, func(c *config.Config) {
			c.MaxWorkspacesPerUser, c.WidgetMaxOpenConversations = 1, 1
		}))
		c := w.Srv.Clients(rpcclient.Connect)
		_, err := c.Workspace.CreateWorkspace(w.As("owner"), &tandemv1.CreateWorkspaceRequest{Name: "second shop"})
		wantText(t, "second workspace", err, connect.CodeResourceExhausted, "you own 1 workspace, the most allowed")

		ctx := rpcclient.WithToken(w.Ctx, w.TokenOf(w.Other))
		if _, err := c.Widget.StartConversation(ctx, &tandemv1.StartConversationRequest{ClientId: uuid.NewString(), Body: "hello"}); err != nil {
			t.Fatal(err)
		}
		_, err = c.Widget.StartConversation(ctx, &tandemv1.StartConversationRequest{ClientId: uuid.NewString(), Body: "hello again"})
		wantText(t, "second open conversation", err, connect.CodeResourceExhausted, "you have 1 open conversation, the most allowed")
	})
}
