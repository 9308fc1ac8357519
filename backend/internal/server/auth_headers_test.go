package server_test

import (
	"net/http"
	"slices"
	"testing"

	"connectrpc.com/connect"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/api/tandem/v1/tandemv1connect"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
)

// withHeaders is a transport that sets its headers on every request: a
// client that claims an identity in headers of its own choosing.
type withHeaders struct {
	base   http.RoundTripper
	header http.Header
}

func (t withHeaders) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for k, vs := range t.header {
		r.Header[k] = vs
	}
	return t.base.RoundTrip(r)
}

// headerClients are the clients the test needs, sending the headers.
type headerClients struct {
	auth      tandemv1connect.AuthServiceClient
	workspace tandemv1connect.WorkspaceServiceClient
	conv      tandemv1connect.ConversationServiceClient
}

func newHeaderClients(url string, p rpcclient.Protocol, h http.Header) headerClients {
	hc := &http.Client{Transport: withHeaders{rpcclient.HTTPClient(p).Transport, h}}
	opts := rpcclient.ClientOptions(p)
	return headerClients{auth: tandemv1connect.NewAuthServiceClient(hc, url, opts...),
		workspace: tandemv1connect.NewWorkspaceServiceClient(hc, url, opts...),
		conv:      tandemv1connect.NewConversationServiceClient(hc, url, opts...)}
}

// checkIdentityHeaders (AUTH-03): headers that proxies and
// frameworks elsewhere take as the caller's identity or credential
// (X-User-ID, X-Workspace-ID, X-Forwarded-User, X-Remote-User, X-Principal,
// X-Auth-Request-User, X-Ms-Client-Principal-*, X-Api-Key, X-Auth-Token,
// Proxy-Authorization, ...), naming W1's owner, W2 and live credentials of
// the owner and an admin API key, change nothing, over Connect, gRPC and
// gRPC-web: an anonymous caller is still Unauthenticated on WhoAmI,
// ListWorkspaces, GetWorkspace, CreateWorkspace and Watch; an agent's
// session, an API key and a visitor token are still exactly themselves
// (WhoAmI, their workspaces, NotFound on W2, PermissionDenied above their
// role). The same transport with an Authorization header signs in, so the
// headers do reach the server.
func checkIdentityHeaders(t *testing.T, w *world) {
	owner, ownerToken := w.Users["owner"], w.Token("owner")
	forged := http.Header{}
	for name, value := range map[string]string{
		"X-User-Id": owner.ID, "X-User": owner.Email, "X-User-Email": owner.Email, "X-Email": owner.Email,
		"X-Workspace-Id": w.W2.ID, "X-Tenant-Id": w.W2.ID, "X-Tandem-User": owner.ID, "X-Tandem-Workspace": w.W2.ID,
		"X-Role": "owner", "X-User-Role": "owner", "X-Roles": "owner,admin",
		"X-Forwarded-User": owner.Email, "X-Forwarded-Email": owner.Email, "X-Forwarded-Preferred-Username": owner.Email,
		"X-Remote-User": owner.Email, "Remote-User": owner.Email, "X-Principal": owner.ID, "X-Principal-Id": owner.ID,
		"X-Auth-Request-User": owner.ID, "X-Auth-Request-Email": owner.Email, "X-Authenticated-User": owner.Email,
		"X-Authenticated-Userid": owner.ID, "X-Ms-Client-Principal-Name": owner.Email, "X-Ms-Client-Principal-Id": owner.ID,
		"X-Goog-Authenticated-User-Email": "accounts.google.com:" + owner.Email, "X-Api-Key": w.Keys["admin"],
		"X-Auth-Token": ownerToken, "X-Session-Token": ownerToken, "X-Access-Token": ownerToken, "Proxy-Authorization": "Bearer " + ownerToken,
	} {
		forged.Set(name, value)
	}
	agent, agentKey := w.Users["agent"], w.Keys["agent"]
	keys, err := w.Srv.Clients(rpcclient.Connect).Auth.ListApiKeys(w.As("owner"), &tandemv1.ListApiKeysRequest{WorkspaceId: w.W1.ID})
	rpctest.WantCode(t, err, 0)
	agentKeyID := ""
	for _, k := range keys.GetApiKeys() {
		if k.GetPrefix() == agentKey[:len(k.GetPrefix())] {
			agentKeyID = k.GetId()
		}
	}
	for _, p := range rpcclient.Protocols() {
		t.Run(string(p), func(t *testing.T) {
			// The transport's headers reach the server.
			signedIn := forged.Clone()
			signedIn.Set("Authorization", "Bearer "+ownerToken)
			me, err := newHeaderClients(w.Srv.URL, p, signedIn).auth.WhoAmI(w.Ctx, &tandemv1.WhoAmIRequest{})
			rpctest.WantCode(t, err, 0)
			if me.GetUser().GetId() != owner.ID {
				t.Fatalf("the owner's token in the transport's headers: %v", me)
			}

			c := newHeaderClients(w.Srv.URL, p, forged)
			t.Run("anonymous", func(t *testing.T) {
				_, err := c.auth.WhoAmI(w.Ctx, &tandemv1.WhoAmIRequest{})
				rpctest.WantCode(t, err, connect.CodeUnauthenticated)
				_, err = c.workspace.ListWorkspaces(w.Ctx, &tandemv1.ListWorkspacesRequest{})
				rpctest.WantCode(t, err, connect.CodeUnauthenticated)
				for _, ws := range []string{w.W1.ID, w.W2.ID} {
					_, err = c.workspace.GetWorkspace(w.Ctx, &tandemv1.GetWorkspaceRequest{WorkspaceId: ws})
					rpctest.WantCode(t, err, connect.CodeUnauthenticated)
					rpctest.WantCode(t, authStreamEnd(c.conv.Watch(w.Ctx, &tandemv1.WatchRequest{WorkspaceId: ws})), connect.CodeUnauthenticated)
				}
				_, err = c.workspace.CreateWorkspace(w.Ctx, &tandemv1.CreateWorkspaceRequest{Name: rpctest.Unique("forged ")})
				rpctest.WantCode(t, err, connect.CodeUnauthenticated)
			})
			t.Run("member", func(t *testing.T) {
				as := rpcclient.WithToken(w.Ctx, w.Token("agent"))
				me, err := c.auth.WhoAmI(as, &tandemv1.WhoAmIRequest{})
				rpctest.WantCode(t, err, 0)
				if me.GetUser().GetId() != agent.ID || me.GetUser().GetEmail() != agent.Email || me.GetApiKey() != nil ||
					len(me.GetMemberships()) != 1 || me.GetMemberships()[0].GetWorkspaceId() != w.W1.ID ||
					me.GetMemberships()[0].GetRole() != tandemv1.Role_ROLE_AGENT {
					t.Fatalf("whoami as the agent with forged headers = %v", me)
				}
				list, err := c.workspace.ListWorkspaces(as, &tandemv1.ListWorkspacesRequest{})
				rpctest.WantCode(t, err, 0)
				if ids := workspaceIDs(list.GetWorkspaces()); !slices.Equal(ids, []string{w.W1.ID}) {
					t.Errorf("the agent lists workspaces %v, want only W1 %s", ids, w.W1.ID)
				}
				_, err = c.workspace.GetWorkspace(as, &tandemv1.GetWorkspaceRequest{WorkspaceId: w.W2.ID})
				rpctest.WantCode(t, err, connect.CodeNotFound)
				rpctest.WantCode(t, authStreamEnd(c.conv.Watch(as, &tandemv1.WatchRequest{WorkspaceId: w.W2.ID})), connect.CodeNotFound)
				_, err = c.workspace.InviteMember(as, &tandemv1.InviteMemberRequest{WorkspaceId: w.W1.ID,
					Email: rpctest.Unique("forged") + "@example.test", Role: tandemv1.Role_ROLE_AGENT})
				rpctest.WantCode(t, err, connect.CodePermissionDenied)
			})
			t.Run("api key", func(t *testing.T) {
				as := rpcclient.WithToken(w.Ctx, agentKey)
				me, err := c.auth.WhoAmI(as, &tandemv1.WhoAmIRequest{})
				rpctest.WantCode(t, err, 0)
				if me.GetApiKey().GetId() != agentKeyID || agentKeyID == "" || me.GetUser() != nil ||
					len(me.GetMemberships()) != 1 || me.GetMemberships()[0].GetRole() != tandemv1.Role_ROLE_AGENT {
					t.Fatalf("whoami as the agent key with forged headers = %v", me)
				}
				_, err = c.workspace.GetWorkspace(as, &tandemv1.GetWorkspaceRequest{WorkspaceId: w.W2.ID})
				rpctest.WantCode(t, err, connect.CodeNotFound)
				_, err = c.workspace.InviteMember(as, &tandemv1.InviteMemberRequest{WorkspaceId: w.W1.ID,
					Email: rpctest.Unique("forged") + "@example.test", Role: tandemv1.Role_ROLE_AGENT})
				rpctest.WantCode(t, err, connect.CodePermissionDenied)
			})
			t.Run("visitor", func(t *testing.T) {
				as := rpcclient.WithToken(w.Ctx, w.VisitorToken)
				_, err := c.auth.WhoAmI(as, &tandemv1.WhoAmIRequest{})
				rpctest.WantCode(t, err, connect.CodeUnauthenticated)
				_, err = c.workspace.GetWorkspace(as, &tandemv1.GetWorkspaceRequest{WorkspaceId: w.W1.ID})
				rpctest.WantCode(t, err, connect.CodeUnauthenticated)
				rpctest.WantCode(t, authStreamEnd(c.conv.Watch(as, &tandemv1.WatchRequest{WorkspaceId: w.W1.ID})), connect.CodeUnauthenticated)
			})
		})
	}
}

// workspaceIDs lists the workspaces' ids in order.
func workspaceIDs(ws []*tandemv1.Workspace) []string {
	ids := make([]string, len(ws))
	for i, x := range ws {
		ids[i] = x.GetId()
	}
	return ids
}
