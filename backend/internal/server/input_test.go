package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"connectrpc.com/connect"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestBadInput sends malformed requests through every protocol and checks
// that each is refused with InvalidArgument naming the field (or
// ResourceExhausted past the message cap), and that nothing is written.
func TestBadInput(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := newWorld(t, opts)
		owner := w.Token("owner")
		rows := func() int {
			return storetest.Count(t, w.Srv.DB(), "workspaces", "") + storetest.Count(t, w.Srv.DB(), "agent_groups", "") +
				storetest.Count(t, w.Srv.DB(), "api_keys", "") + storetest.Count(t, w.Srv.DB(), "events", "")
		}
		before := rows()
		long := strings.Repeat("x", 101)
		cases := []struct {
			name  string
			call  func(c rpcclient.Clients) error
			code  connect.Code
			field string
		}{
			{"empty name", func(c rpcclient.Clients) error {
				_, err := c.Workspace.CreateWorkspace(rpcclient.WithToken(w.Ctx, owner), &tandemv1.CreateWorkspaceRequest{})
				return err
			}, connect.CodeInvalidArgument, "name"},
			{"name too long", func(c rpcclient.Clients) error {
				_, err := c.Workspace.CreateWorkspace(rpcclient.WithToken(w.Ctx, owner), &tandemv1.CreateWorkspaceRequest{Name: long})
				return err
			}, connect.CodeInvalidArgument, "name"},
			{"malformed id", func(c rpcclient.Clients) error {
				_, err := c.Workspace.CreateGroup(rpcclient.WithToken(w.Ctx, owner), &tandemv1.CreateGroupRequest{WorkspaceId: "../etc/passwd", Name: "g"})
				return err
			}, connect.CodeInvalidArgument, "workspace_id"},
			{"unknown enum value", func(c rpcclient.Clients) error {
				_, err := c.Auth.CreateApiKey(rpcclient.WithToken(w.Ctx, owner), &tandemv1.CreateApiKeyRequest{WorkspaceId: w.W1.ID, Name: "k", Role: tandemv1.Role(99)})
				return err
			}, connect.CodeInvalidArgument, "role"},
			{"unspecified enum", func(c rpcclient.Clients) error {
				_, err := c.Workspace.InviteMember(rpcclient.WithToken(w.Ctx, owner), &tandemv1.InviteMemberRequest{WorkspaceId: w.W1.ID, Email: "a@example.test"})
				return err
			}, connect.CodeInvalidArgument, "role"},
			{"bad email", func(c rpcclient.Clients) error {
				_, err := c.Workspace.InviteMember(rpcclient.WithToken(w.Ctx, owner), &tandemv1.InviteMemberRequest{WorkspaceId: w.W1.ID, Email: "not an email", Role: tandemv1.Role_ROLE_AGENT})
				return err
			}, connect.CodeInvalidArgument, "email"},
			{"page size out of range", func(c rpcclient.Clients) error {
				_, err := c.Workspace.ListMembers(rpcclient.WithToken(w.Ctx, owner), &tandemv1.ListMembersRequest{WorkspaceId: w.W1.ID, PageSize: 100000})
				return err
			}, connect.CodeInvalidArgument, "page_size"},
			{"forged page token", func(c rpcclient.Clients) error {
				_, err := c.Workspace.ListMembers(rpcclient.WithToken(w.Ctx, owner), &tandemv1.ListMembersRequest{WorkspaceId: w.W1.ID, PageToken: "not-a-token"})
				return err
			}, connect.CodeInvalidArgument, "page_token"},
			{"over the message cap", func(c rpcclient.Clients) error {
				_, err := c.Workspace.CreateGroup(rpcclient.WithToken(w.Ctx, owner), &tandemv1.CreateGroupRequest{WorkspaceId: w.W1.ID, Name: "g", Description: strings.Repeat("x", 2<<20)})
				return err
			}, connect.CodeResourceExhausted, ""},
		}
		for _, p := range rpcclient.Protocols() {
			c := w.Srv.Clients(p)
			for _, tc := range cases {
				err := tc.call(c)
				if got := connect.CodeOf(err); got != tc.code {
					t.Errorf("%s over %s: %v, want %v", tc.name, p, err, tc.code)
					continue
				}
				if tc.field != "" && !strings.Contains(err.Error(), tc.field) {
					t.Errorf("%s over %s: error does not name %q: %v", tc.name, p, tc.field, err)
				}
			}
		}
		t.Run("invalid UTF-8", func(t *testing.T) {
			// Field 1 (name) of CreateWorkspaceRequest, holding bytes that are not UTF-8.
			body := []byte{0x0a, 0x03, 'a', 0xff, 0xfe}
			req, _ := http.NewRequestWithContext(w.Ctx, http.MethodPost, w.Srv.URL+"/tandem.v1.WorkspaceService/CreateWorkspace", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/proto")
			req.Header.Set("Authorization", "Bearer "+owner)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = resp.Body.Close() }()
			var e struct{ Code, Message string }
			b, _ := io.ReadAll(resp.Body)
			_ = json.Unmarshal(b, &e)
			if e.Code != "invalid_argument" || !strings.Contains(e.Message, "name") {
				t.Fatalf("status %d, body %s: want invalid_argument naming the field", resp.StatusCode, b)
			}
		})
		t.Run("malformed JSON", func(t *testing.T) {
			req, _ := http.NewRequestWithContext(w.Ctx, http.MethodPost, w.Srv.URL+"/tandem.v1.WorkspaceService/CreateWorkspace", strings.NewReader(`{"name": `))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+owner)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = resp.Body.Close() }()
			if resp.StatusCode != http.StatusBadRequest {
				b, _ := io.ReadAll(resp.Body)
				t.Fatalf("status %d, body %s", resp.StatusCode, b)
			}
		})
		if after := rows(); after != before {
			t.Fatalf("bad input wrote rows: %d before, %d after", before, after)
		}
	})
}
