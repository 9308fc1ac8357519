package server_test

import (
	"context"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"connectrpc.com/connect"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/api/tandem/v1/tandemv1connect"
	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/config"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
	"github.com/tandem-inbox/tandem/backend/internal/workspace"
)

// forwardedFor makes every call claim to come from addr, as a reverse
// proxy would say it.
func forwardedFor(addr string) connect.Option {
	return connect.WithInterceptors(connect.UnaryInterceptorFunc(func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			req.Header().Set("X-Forwarded-For", addr)
			return next(ctx, req)
		}
	}))
}

func authFrom(srv *rpctest.Server, addr string) tandemv1connect.AuthServiceClient {
	return tandemv1connect.NewAuthServiceClient(rpcclient.HTTPClient(rpcclient.Connect), srv.URL,
		append(rpcclient.ClientOptions(rpcclient.Connect), forwardedFor(addr))...)
}

// TestSecurityAcceptInviteNoOracle (issue 14 item 1), over the API: an
// attacker who invites a victim's email gets no session with the victim's
// right password, and the victim joins signed in, without a new session.
func TestSecurityAcceptInviteNoOracle(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := newWorld(t, opts)
		c := w.Srv.Clients(rpcclient.Connect)
		ctx := context.Background()
		victim := w.Users["agent"]
		attacker := w.Principal("outsider")
		bait, err := w.Srv.Domain().Workspaces.Create(ctx, attacker, rpctest.Unique("Bait "))
		if err != nil {
			t.Fatal(err)
		}
		invite := func() string {
			token, _, err := w.Srv.Domain().Workspaces.Invite(ctx, attacker, w.OwnerScope(bait), victim.Email, access.RoleAgent)
			if err != nil {
				t.Fatal(err)
			}
			return token
		}
		token := invite()
		sessions := storetest.Count(t, w.Srv.DB(), "sessions", "user_id = ?", victim.ID)
		resp, err := c.Workspace.AcceptInvite(ctx, &tandemv1.AcceptInviteRequest{InviteToken: token, Password: rpctest.TestPassword})
		if resp.GetToken() != "" {
			t.Fatal("the victim's right password returned the victim's session")
		}
		rpctest.WantCode(t, err, connect.CodeUnauthenticated)
		_, wrong := c.Workspace.AcceptInvite(ctx, &tandemv1.AcceptInviteRequest{InviteToken: token, Password: "guess guess guess"})
		if wrong == nil || wrong.Error() != err.Error() {
			t.Errorf("right and wrong passwords answer differently: %v vs %v", err, wrong)
		}
		// Signed in as someone else: refused too.
		_, err = c.Workspace.AcceptInvite(rpcclient.WithToken(ctx, w.Token("admin")), &tandemv1.AcceptInviteRequest{InviteToken: token})
		rpctest.WantCode(t, err, connect.CodePermissionDenied)
		if n := storetest.Count(t, w.Srv.DB(), "sessions", "user_id = ?", victim.ID); n != sessions {
			t.Errorf("%d sessions opened for the victim", n-sessions)
		}
		// Hammering kills the invitation (or hits the credential limit).
		for range workspace.MaxInviteFailures {
			_, err = c.Workspace.AcceptInvite(ctx, &tandemv1.AcceptInviteRequest{InviteToken: token, Password: "guess guess guess"})
		}
		if code := connect.CodeOf(err); code != connect.CodeNotFound && code != connect.CodeResourceExhausted {
			t.Errorf("after %d failures: %v, want the invitation dead or the client limited", workspace.MaxInviteFailures, err)
		}
		_, err = c.Workspace.AcceptInvite(rpcclient.WithToken(ctx, w.Token("agent")), &tandemv1.AcceptInviteRequest{InviteToken: token})
		rpctest.WantCode(t, err, connect.CodeNotFound)

		// The victim, signed in, accepts a fresh invitation.
		joined, err := c.Workspace.AcceptInvite(rpcclient.WithToken(ctx, w.Token("agent")), &tandemv1.AcceptInviteRequest{InviteToken: invite()})
		rpctest.WantCode(t, err, 0)
		if joined.GetWorkspace().GetId() != bait.ID || joined.GetToken() != "" {
			t.Errorf("accepted signed in: %v, want the workspace and no token", joined)
		}
	})
}

// TestSecurityArgon2Bounded (issue 14 item 2): a flood of wrong
// ChangePassword calls never runs more argon2 hashes at once than the
// configured limit, and the per-user limit answers ResourceExhausted.
func TestSecurityArgon2Bounded(t *testing.T) {
	t.Parallel()
	srv := rpctest.Start(t, storetest.Options(t, "sqlite"), func(c *config.Config) { c.PasswordHashConcurrency = 2 })
	w := worldOn(t, srv)
	c := srv.Clients(rpcclient.Connect)
	const users, calls = 4, 7 // per user: 5 free guesses, then limited
	var tokens []string
	realCost := access.HashPassword(rpctest.TestPassword) // each check takes as long as a real account's
	for range users {
		u := w.NewUserHashed("flooder", realCost)
		issued, err := srv.Domain().Accounts.NewSession(context.Background(), u)
		if err != nil {
			t.Fatal(err)
		}
		tokens = append(tokens, issued.Token)
	}
	var (
		mu    sync.Mutex
		codes = map[connect.Code]int{}
		wg    sync.WaitGroup
	)
	for _, tok := range tokens {
		for range calls {
			wg.Go(func() {
				_, err := c.Auth.ChangePassword(rpcclient.WithToken(context.Background(), tok),
					&tandemv1.ChangePasswordRequest{CurrentPassword: "guess guess guess", NewPassword: "a brand new secret"})
				mu.Lock()
				codes[connect.CodeOf(err)]++
				mu.Unlock()
			})
		}
	}
	wg.Wait()
	if peak := srv.Domain().Accounts.Hasher().Peak(); peak > 2 {
		t.Errorf("%d argon2 hashes ran at once, want at most 2", peak)
	}
	if codes[connect.CodeInvalidArgument]+codes[connect.CodeResourceExhausted] != users*calls {
		t.Errorf("codes %v, want only InvalidArgument (wrong password) and ResourceExhausted", codes)
	}
	if codes[connect.CodeResourceExhausted] < users*(calls-5) {
		t.Errorf("%d calls limited, want at least %d (all but 5 per user)", codes[connect.CodeResourceExhausted], users*(calls-5))
	}
}

// TestSecurityLoginNoOwnerLockout (issue 14 item 10): an attacker
// hammering the owner's account from one client (behind a trusted proxy)
// does not lock the owner out of signing in from another.
func TestSecurityLoginNoOwnerLockout(t *testing.T) {
	t.Parallel()
	srv := rpctest.Start(t, storetest.Options(t, "sqlite"), func(c *config.Config) {
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	})
	u, _, err := srv.Domain().Accounts.EnsureUser(context.Background(), "owner-lockout@example.test", "", rpctest.TestPassword)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	attacker, owner := authFrom(srv, "203.0.113.9"), authFrom(srv, "198.51.100.7")
	limited := 0
	for range 12 {
		_, err := attacker.Login(ctx, &tandemv1.LoginRequest{Email: u.Email, Password: "guess guess guess"})
		if connect.CodeOf(err) == connect.CodeResourceExhausted {
			limited++
		}
	}
	if limited == 0 {
		t.Error("12 wrong passwords from one client, none limited")
	}
	login, err := owner.Login(ctx, &tandemv1.LoginRequest{Email: u.Email, Password: rpctest.TestPassword})
	rpctest.WantCode(t, err, 0)
	if login.GetToken() == "" {
		t.Fatal("no session for the owner")
	}
}

// TestSecurityTrustedProxies (issue 14 item 10): without a configured
// proxy, X-Forwarded-For is ignored, so a client cannot shed its limits by
// making up addresses.
func TestSecurityTrustedProxies(t *testing.T) {
	t.Parallel()
	srv := rpctest.Start(t, storetest.Options(t, "sqlite"))
	u, _, err := srv.Domain().Accounts.EnsureUser(context.Background(), "spoofed@example.test", "", rpctest.TestPassword)
	if err != nil {
		t.Fatal(err)
	}
	limited := 0
	for i := range 12 {
		_, err := authFrom(srv, "203.0.113."+string(rune('1'+i%9))).Login(context.Background(),
			&tandemv1.LoginRequest{Email: u.Email, Password: "guess guess guess"})
		if connect.CodeOf(err) == connect.CodeResourceExhausted {
			limited++
		}
	}
	if limited == 0 {
		t.Error("made-up X-Forwarded-For addresses escaped the limit")
	}
}

// TestSecurityDeniedCallsLogged (issue 14 item 18): a denied call's log
// line names the principal and the client address.
func TestSecurityDeniedCallsLogged(t *testing.T) {
	t.Parallel()
	var logs rpctest.SyncBuffer
	srv := rpctest.StartLogging(t, storetest.Options(t, "sqlite"), &logs, func(c *config.Config) {
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	})
	w := worldOn(t, srv)
	agent := w.Users["agent"]
	ws := tandemv1connect.NewWorkspaceServiceClient(rpcclient.HTTPClient(rpcclient.Connect), srv.URL,
		append(rpcclient.ClientOptions(rpcclient.Connect), forwardedFor("198.51.100.23"))...)
	name := "renamed"
	_, err := ws.UpdateWorkspace(rpcclient.WithToken(context.Background(), w.Token("agent")),
		&tandemv1.UpdateWorkspaceRequest{WorkspaceId: w.W1.ID, Name: &name})
	rpctest.WantCode(t, err, connect.CodePermissionDenied)
	_, err = authFrom(srv, "198.51.100.24").WhoAmI(context.Background(), &tandemv1.WhoAmIRequest{})
	rpctest.WantCode(t, err, connect.CodeUnauthenticated)

	var denied, anonymous bool
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, "UpdateWorkspace") && strings.Contains(line, "code=permission_denied") {
			denied = strings.Contains(line, "principal=user:"+agent.ID) && strings.Contains(line, "client_ip=198.51.100.23") &&
				strings.Contains(line, "level=WARN")
		}
		if strings.Contains(line, "WhoAmI") && strings.Contains(line, "code=unauthenticated") {
			anonymous = strings.Contains(line, "principal=anonymous") && strings.Contains(line, "client_ip=198.51.100.24")
		}
	}
	if !denied || !anonymous {
		t.Errorf("denials not logged with principal and client (agent: %v, anonymous: %v):\n%s", denied, anonymous, logs.String())
	}
}
