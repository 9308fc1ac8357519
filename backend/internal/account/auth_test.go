package account_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/config"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestAuthProtocols signs in and uses sessions and API keys over Connect,
// gRPC and gRPC-web against a real loopback server.
func TestAuthProtocols(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := rpctest.NewWorld(t, opts)
		for _, p := range rpcclient.Protocols() {
			t.Run(string(p), func(t *testing.T) {
				c := w.Srv.Clients(p)
				ctx := context.Background()
				agent := w.NewUser("agent-" + string(p)) // login limits are per account
				w.Join(w.W1, agent, access.RoleAgent)

				_, err := c.Auth.Login(ctx, &tandemv1.LoginRequest{Email: agent.Email, Password: "wrong password"})
				rpctest.WantCode(t, err, connect.CodeUnauthenticated)
				_, errMissing := c.Auth.Login(ctx, &tandemv1.LoginRequest{Email: "nobody@example.test", Password: "wrong password"})
				rpctest.WantCode(t, errMissing, connect.CodeUnauthenticated)
				if err.Error() != errMissing.Error() {
					t.Errorf("wrong password and unknown account answer differently: %q vs %q", err, errMissing)
				}

				login, err := c.Auth.Login(ctx, &tandemv1.LoginRequest{Email: strings.ToUpper(agent.Email), Password: rpctest.TestPassword})
				rpctest.WantCode(t, err, 0)
				if login.GetUser().GetId() != agent.ID || login.GetToken() == "" {
					t.Fatalf("login = %v", login)
				}
				authed := rpcclient.WithToken(ctx, login.GetToken())
				me, err := c.Auth.WhoAmI(authed, &tandemv1.WhoAmIRequest{})
				rpctest.WantCode(t, err, 0)
				if me.GetUser().GetEmail() != agent.Email || len(me.GetMemberships()) != 1 ||
					me.GetMemberships()[0].GetWorkspaceId() != w.W1.ID || me.GetMemberships()[0].GetRole() != tandemv1.Role_ROLE_AGENT {
					t.Fatalf("whoami = %v", me)
				}

				// No token, a garbage token, a well-formed unknown token.
				_, err = c.Auth.WhoAmI(ctx, &tandemv1.WhoAmIRequest{})
				rpctest.WantCode(t, err, connect.CodeUnauthenticated)
				_, err = c.Auth.WhoAmI(rpcclient.WithToken(ctx, "garbage"), &tandemv1.WhoAmIRequest{})
				rpctest.WantCode(t, err, connect.CodeUnauthenticated)
				forged, _ := access.NewSecret(access.PrefixSession)
				_, err = c.Auth.WhoAmI(rpcclient.WithToken(ctx, forged), &tandemv1.WhoAmIRequest{})
				rpctest.WantCode(t, err, connect.CodeUnauthenticated)

				// Logout revokes the token at once.
				_, err = c.Auth.Logout(authed, &tandemv1.LogoutRequest{})
				rpctest.WantCode(t, err, 0)
				_, err = c.Auth.WhoAmI(authed, &tandemv1.WhoAmIRequest{})
				rpctest.WantCode(t, err, connect.CodeUnauthenticated)
			})
		}
	})
}

// TestSessionExpiry issues sessions with a short lifetime and checks they stop working.
func TestSessionExpiryOverRPC(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		srv := rpctest.Start(t, opts, func(c *config.Config) { c.SessionTTL = 1500 * time.Millisecond })
		ctx := context.Background()
		u, _, err := srv.Domain().Accounts.EnsureUser(ctx, "expiring@example.test", "", rpctest.TestPassword)
		if err != nil {
			t.Fatal(err)
		}
		c := srv.Clients(rpcclient.Connect)
		login, err := c.Auth.Login(ctx, &tandemv1.LoginRequest{Email: u.Email, Password: rpctest.TestPassword})
		rpctest.WantCode(t, err, 0)
		authed := rpcclient.WithToken(ctx, login.GetToken())
		_, err = c.Auth.WhoAmI(authed, &tandemv1.WhoAmIRequest{})
		rpctest.WantCode(t, err, 0)
		time.Sleep(time.Until(time.UnixMilli(login.GetExpireTimeMs())) + 50*time.Millisecond)
		_, err = c.Auth.WhoAmI(authed, &tandemv1.WhoAmIRequest{})
		rpctest.WantCode(t, err, connect.CodeUnauthenticated)
	})
}

// TestStreamEndsWithAccess: an open Watch ends with Unauthenticated within
// 5 s of its session's sign-out or expiry (the stream guard's batched
// re-checks), while the same user's other session streams on.
func TestStreamEndsWithAccess(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		srv := rpctest.Start(t, opts, rpctest.Quiet, func(c *config.Config) { c.SessionTTL = 8 * time.Second })
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		u, _, err := srv.Domain().Accounts.EnsureUser(ctx, rpctest.Unique("streamer")+"@example.test", "", rpctest.TestPassword)
		if err != nil {
			t.Fatal(err)
		}
		c := srv.Clients(rpcclient.GRPC)
		login := func() *tandemv1.LoginResponse {
			res, err := c.Auth.Login(ctx, &tandemv1.LoginRequest{Email: u.Email, Password: rpctest.TestPassword})
			rpctest.WantCode(t, err, 0)
			return res
		}
		a, b := login(), login()
		ws, err := c.Workspace.CreateWorkspace(rpcclient.WithToken(ctx, a.GetToken()), &tandemv1.CreateWorkspaceRequest{Name: rpctest.Unique("ws ")})
		rpctest.WantCode(t, err, 0)
		watch := func(token string) <-chan error {
			stream, err := c.Conversation.Watch(rpcclient.WithToken(ctx, token), &tandemv1.WatchRequest{WorkspaceId: ws.GetWorkspace().GetId()})
			rpctest.WantCode(t, err, 0)
			ended := make(chan error, 1)
			go func() {
				for stream.Receive() {
				}
				ended <- stream.Err()
			}()
			return ended
		}
		aEnded, bEnded := watch(a.GetToken()), watch(b.GetToken())

		_, err = c.Auth.Logout(rpcclient.WithToken(ctx, b.GetToken()), &tandemv1.LogoutRequest{})
		rpctest.WantCode(t, err, 0)
		select {
		case err := <-bEnded:
			rpctest.WantCode(t, err, connect.CodeUnauthenticated)
		case <-time.After(5 * time.Second):
			t.Fatal("the signed-out session's stream is still open after 5 s")
		}
		expiry := time.UnixMilli(a.GetExpireTimeMs())
		select {
		case err := <-aEnded:
			if time.Now().Before(expiry) {
				t.Fatalf("the other session's stream ended before its expiry: %v", err)
			}
			rpctest.WantCode(t, err, connect.CodeUnauthenticated)
			if late := time.Since(expiry); late > 5*time.Second {
				t.Errorf("the expired session's stream ended %v after its expiry, want within 5 s", late)
			}
		case <-time.After(time.Until(expiry) + 5*time.Second):
			t.Fatal("the expired session's stream is still open 5 s after its expiry")
		}
	})
}

// TestChangePasswordRevokesSessions checks that every session of the user ends.
func TestChangePasswordRevokesSessions(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := rpctest.NewWorld(t, opts)
		c := w.Srv.Clients(rpcclient.GRPC)
		first, second := w.As("agent"), w.As("agent")
		_, err := c.Auth.ChangePassword(first, &tandemv1.ChangePasswordRequest{CurrentPassword: "not it at all", NewPassword: "a brand new secret"})
		rpctest.WantCode(t, err, connect.CodeInvalidArgument)
		resp, err := c.Auth.ChangePassword(first, &tandemv1.ChangePasswordRequest{CurrentPassword: rpctest.TestPassword, NewPassword: "a brand new secret"})
		rpctest.WantCode(t, err, 0)
		for _, ctx := range []context.Context{first, second} {
			_, err = c.Auth.WhoAmI(ctx, &tandemv1.WhoAmIRequest{})
			rpctest.WantCode(t, err, connect.CodeUnauthenticated)
		}
		_, err = c.Auth.WhoAmI(rpcclient.WithToken(w.Ctx, resp.GetToken()), &tandemv1.WhoAmIRequest{})
		rpctest.WantCode(t, err, 0)
		_, err = c.Auth.Login(w.Ctx, &tandemv1.LoginRequest{Email: w.Users["agent"].Email, Password: rpctest.TestPassword})
		rpctest.WantCode(t, err, connect.CodeUnauthenticated)
		_, err = c.Auth.Login(w.Ctx, &tandemv1.LoginRequest{Email: w.Users["agent"].Email, Password: "a brand new secret"})
		rpctest.WantCode(t, err, 0)
	})
}

// TestAPIKeys creates, uses, scopes and revokes API keys over each protocol.
func TestAPIKeys(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := rpctest.NewWorld(t, opts)
		for _, p := range rpcclient.Protocols() {
			t.Run(string(p), func(t *testing.T) {
				c := w.Srv.Clients(p)
				admin := w.As("admin")
				_, err := c.Auth.CreateApiKey(admin, &tandemv1.CreateApiKeyRequest{WorkspaceId: w.W1.ID, Name: "too high", Role: tandemv1.Role_ROLE_OWNER})
				rpctest.WantCode(t, err, connect.CodeInvalidArgument)
				created, err := c.Auth.CreateApiKey(admin, &tandemv1.CreateApiKeyRequest{WorkspaceId: w.W1.ID, Name: "crm sync", Role: tandemv1.Role_ROLE_AGENT})
				rpctest.WantCode(t, err, 0)
				key := rpcclient.WithToken(w.Ctx, created.GetSecret())

				me, err := c.Auth.WhoAmI(key, &tandemv1.WhoAmIRequest{})
				rpctest.WantCode(t, err, 0)
				if me.GetApiKey().GetId() != created.GetApiKey().GetId() || me.GetUser() != nil {
					t.Fatalf("whoami = %v", me)
				}
				_, err = c.Workspace.GetWorkspace(key, &tandemv1.GetWorkspaceRequest{WorkspaceId: w.W1.ID})
				rpctest.WantCode(t, err, 0)
				// Scoped: the other workspace does not exist for it; agent role cannot manage.
				_, err = c.Workspace.GetWorkspace(key, &tandemv1.GetWorkspaceRequest{WorkspaceId: w.W2.ID})
				rpctest.WantCode(t, err, connect.CodeNotFound)
				_, err = c.Workspace.CreateGroup(key, &tandemv1.CreateGroupRequest{WorkspaceId: w.W1.ID, Name: rpctest.Unique("g")})
				rpctest.WantCode(t, err, connect.CodePermissionDenied)
				// Keys cannot act as users.
				_, err = c.Workspace.CreateWorkspace(key, &tandemv1.CreateWorkspaceRequest{Name: "nope"})
				rpctest.WantCode(t, err, connect.CodeUnauthenticated)
				list, err := c.Auth.ListApiKeys(admin, &tandemv1.ListApiKeysRequest{WorkspaceId: w.W1.ID})
				rpctest.WantCode(t, err, 0)
				found := false
				for _, k := range list.GetApiKeys() {
					found = found || k.GetId() == created.GetApiKey().GetId()
				}
				if !found {
					t.Fatalf("created key not listed: %v", list)
				}

				_, err = c.Auth.RevokeApiKey(admin, &tandemv1.RevokeApiKeyRequest{ApiKeyId: created.GetApiKey().GetId()})
				rpctest.WantCode(t, err, 0)
				_, err = c.Workspace.GetWorkspace(key, &tandemv1.GetWorkspaceRequest{WorkspaceId: w.W1.ID})
				rpctest.WantCode(t, err, connect.CodeUnauthenticated)
			})
		}
	})
}

// TestAPIKeyFollowsCreator checks a key never outranks its creator's current
// role: demoting or removing the creator demotes the key at once.
func TestAPIKeyFollowsCreator(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := rpctest.NewWorld(t, opts)
		c := w.Srv.Clients(rpcclient.Connect)
		created, err := c.Auth.CreateApiKey(w.As("admin"), &tandemv1.CreateApiKeyRequest{WorkspaceId: w.W1.ID, Name: "admin key", Role: tandemv1.Role_ROLE_ADMIN})
		rpctest.WantCode(t, err, 0)
		key := rpcclient.WithToken(w.Ctx, created.GetSecret())
		_, err = c.Workspace.CreateGroup(key, &tandemv1.CreateGroupRequest{WorkspaceId: w.W1.ID, Name: rpctest.Unique("g")})
		rpctest.WantCode(t, err, 0)
		_, err = c.Workspace.UpdateMemberRole(w.As("owner"), &tandemv1.UpdateMemberRoleRequest{WorkspaceId: w.W1.ID, UserId: w.Users["admin"].ID, Role: tandemv1.Role_ROLE_AGENT})
		rpctest.WantCode(t, err, 0)
		_, err = c.Workspace.CreateGroup(key, &tandemv1.CreateGroupRequest{WorkspaceId: w.W1.ID, Name: rpctest.Unique("g")})
		rpctest.WantCode(t, err, connect.CodePermissionDenied)
		_, err = c.Workspace.RemoveMember(w.As("owner"), &tandemv1.RemoveMemberRequest{WorkspaceId: w.W1.ID, UserId: w.Users["admin"].ID})
		rpctest.WantCode(t, err, 0)
		// The creator left: the key is dead everywhere, not just for workspace calls.
		_, err = c.Workspace.GetWorkspace(key, &tandemv1.GetWorkspaceRequest{WorkspaceId: w.W1.ID})
		rpctest.WantCode(t, err, connect.CodeUnauthenticated)
		_, err = c.Workspace.ListWorkspaces(key, &tandemv1.ListWorkspacesRequest{})
		rpctest.WantCode(t, err, connect.CodeUnauthenticated)
	})
}

// TestLoginRateLimit makes many attempts for one account from one client at
// once: beyond the free tries they are refused with ResourceExhausted
// (TestSecurityLoginNoOwnerLockout: another client is not).
func TestLoginRateLimit(t *testing.T) {
	t.Parallel()
	srv := rpctest.Start(t, storetest.Options(t, "sqlite"))
	u, _, err := srv.Domain().Accounts.EnsureUser(context.Background(), "target@example.test", "", rpctest.TestPassword)
	if err != nil {
		t.Fatal(err)
	}
	c := srv.Clients(rpcclient.Connect)
	codes := make(chan connect.Code, 20)
	for range cap(codes) {
		go func() {
			_, err := c.Auth.Login(context.Background(), &tandemv1.LoginRequest{Email: u.Email, Password: "guess guess guess"})
			codes <- connect.CodeOf(err)
		}()
	}
	limited := 0
	for range cap(codes) {
		switch code := <-codes; code {
		case connect.CodeResourceExhausted:
			limited++
		case connect.CodeUnauthenticated:
		default:
			t.Errorf("unexpected code %v", code)
		}
	}
	if limited != cap(codes)-5 {
		t.Errorf("%d of %d attempts limited, want all but the burst of 5", limited, cap(codes))
	}
}
