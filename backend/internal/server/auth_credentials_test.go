package server_test

import (
	"encoding/base64"
	"math/bits"
	"strings"
	"testing"

	"github.com/google/uuid"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestAuthCredentials (AUTH-03) runs the credential checks on one world
// per database: checkCredentialsRandom and checkIdentityHeaders.
func TestAuthCredentials(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := worldOn(t, rpctest.Start(t, opts, rpctest.Quiet))
		t.Run("opaque and random", func(t *testing.T) { checkCredentialsRandom(t, w) })
		t.Run("client-set identity headers", func(t *testing.T) { checkIdentityHeaders(t, w) })
	})
}

// checkCredentialsRandom (AUTH-03): every credential the API hands out,
// made over and over from the same inputs (one user signing in with the
// same email and password, one admin creating keys of the same name and
// role, one page starting widget sessions with the same key, name and
// email, one owner inviting), is its kind's prefix and 256 random bits in
// base64url; no two are alike; any two of a kind differ in about half
// their bits (one derived from the user's data, a counter or the clock
// would repeat or differ in few); none holds the user's, workspace's or
// key's id, email or name; and the database holds none of them, only
// their hashes. access.TestSecretEntropy checks the bits' balance over
// thousands.
func checkCredentialsRandom(t *testing.T, w *world) {
	srv := w.Srv
	c := srv.Clients(rpcclient.Connect)
	const each = 12
	agent := w.Users["agent"]
	admin, owner := w.As("admin"), w.As("owner")
	made := map[string][]string{} // prefix -> credentials
	for i := range each {
		login, err := c.Auth.Login(w.Ctx, &tandemv1.LoginRequest{Email: agent.Email, Password: rpctest.TestPassword})
		rpctest.WantCode(t, err, 0)
		key, err := c.Auth.CreateApiKey(admin, &tandemv1.CreateApiKeyRequest{WorkspaceId: w.W1.ID, Name: "same name",
			Role: tandemv1.Role_ROLE_AGENT})
		rpctest.WantCode(t, err, 0)
		visitor, err := c.Widget.StartSession(w.Ctx, &tandemv1.StartSessionRequest{PublicKey: w.W1.PublicKey,
			Name: "Same Shopper", Email: "same.shopper@example.test"})
		rpctest.WantCode(t, err, 0)
		invite, err := c.Workspace.InviteMember(owner, &tandemv1.InviteMemberRequest{WorkspaceId: w.W1.ID,
			Email: "invitee" + string(rune('a'+i)) + "@example.test", Role: tandemv1.Role_ROLE_AGENT})
		rpctest.WantCode(t, err, 0)
		made[access.PrefixSession] = append(made[access.PrefixSession], login.GetToken())
		made[access.PrefixAPIKey] = append(made[access.PrefixAPIKey], key.GetSecret())
		made[access.PrefixVisitor] = append(made[access.PrefixVisitor], visitor.GetToken())
		made[access.PrefixInvite] = append(made[access.PrefixInvite], invite.GetInviteToken())
	}
	userData := []string{agent.ID, agent.Email, strings.Split(agent.Email, "@")[0], agent.DisplayName, w.W1.ID, w.W1.PublicKey,
		w.Users["admin"].ID, w.Users["owner"].ID, "same.shopper", "Same Shopper"}
	stored := strings.Join(storetest.Rows(t, srv.DB(), `SELECT * FROM sessions`, `SELECT * FROM api_keys`,
		`SELECT * FROM visitor_sessions`, `SELECT * FROM invites`), "\n")
	seen := map[string]bool{}
	for prefix, secrets := range made {
		random := make([][]byte, len(secrets))
		for i, secret := range secrets {
			body, ok := strings.CutPrefix(secret, prefix)
			b, err := base64.RawURLEncoding.Strict().DecodeString(body)
			if !ok || err != nil || len(b) != 32 || len(body) != 43 {
				t.Fatalf("%q: want %q and 32 bytes in 43 base64url characters (%v)", secret, prefix, err)
			}
			if seen[secret] {
				t.Fatalf("%q was handed out twice", secret)
			}
			seen[secret] = true
			for _, d := range userData {
				if len(d) >= 6 && strings.Contains(strings.ToLower(secret), strings.ToLower(d)) {
					t.Errorf("%q holds %q", secret, d)
				}
			}
			if strings.Contains(stored, body) {
				t.Errorf("the database holds the %s credential itself", prefix)
			}
			random[i] = b
		}
		for i := range random {
			for j := range i {
				diff := 0
				for k := range random[i] {
					diff += bits.OnesCount8(random[i][k] ^ random[j][k])
				}
				// Expected 128, standard deviation 8.
				if diff < 40 || diff > 216 {
					t.Errorf("%s credentials %d and %d differ in %d of 256 bits, want about 128", prefix, j, i, diff)
				}
			}
		}
	}
	if len(seen) != 4*each {
		t.Fatalf("%d credentials, want %d", len(seen), 4*each)
	}
	// The credentials work: they are the real ones.
	for _, token := range made[access.PrefixSession] {
		me, err := c.Auth.WhoAmI(rpcclient.WithToken(w.Ctx, token), &tandemv1.WhoAmIRequest{})
		rpctest.WantCode(t, err, 0)
		if me.GetUser().GetId() != agent.ID {
			t.Fatalf("a sign-in's token is %v", me.GetUser())
		}
	}
	_, err := c.Widget.StartConversation(rpcclient.WithToken(w.Ctx, made[access.PrefixVisitor][0]),
		&tandemv1.StartConversationRequest{ClientId: uuid.NewString()})
	rpctest.WantCode(t, err, 0)
}
