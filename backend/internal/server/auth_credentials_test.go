package server_test

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math/bits"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
	"google.golang.org/protobuf/encoding/protojson"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestAuthCredentials (AUTH-03, ISO-05) runs the credential checks on one
// world per database: checkCredentialsRandom, checkIdentityHeaders and
// checkVisitorIDsRandom.
func TestAuthCredentials(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := worldOn(t, rpctest.Start(t, opts, rpctest.Quiet))
		t.Run("opaque and random", func(t *testing.T) { checkCredentialsRandom(t, w) })
		t.Run("client-set identity headers", func(t *testing.T) { checkIdentityHeaders(t, w) })
		t.Run("visitor-facing ids are random", func(t *testing.T) { checkVisitorIDsRandom(t, w) })
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

// checkVisitorIDsRandom (ISO-05): every id a widget visitor is shown (its
// contact's, its conversations', every message's it can list, its files')
// is a canonical UUID version 4 of the RFC 4122 variant, none repeats, and
// any two differ in about half of their 122 random bits. A visitor who
// could guess a neighbour's id from its own (a counter, or a time-ordered
// UUIDv7) would only need an authorization bug to read another's chat.
// Client ids are the widget's own, or derived from them, and not checked.
// Forty visitors show over 200 ids, about 20,000 pairs: enough for a
// counter or a clock to show, in a few seconds.
func checkVisitorIDsRandom(t *testing.T, w *world) {
	const visitors = 40
	c := w.Srv.Clients(rpcclient.Connect)
	var ids []string // one per object: a repeat is two objects sharing an id
	for range visitors {
		sess, err := c.Widget.StartSession(w.Ctx, &tandemv1.StartSessionRequest{PublicKey: w.W1.PublicKey, Name: "Same Shopper"})
		rpctest.WantCode(t, err, 0)
		visitor := rpcclient.WithToken(w.Ctx, sess.GetToken())
		start, err := c.Widget.StartConversation(visitor, &tandemv1.StartConversationRequest{ClientId: uuid.NewString(), Body: "hello"})
		rpctest.WantCode(t, err, 0)
		conv := start.GetConversation().GetId()
		file := uploadAsVisitor(t, w.Srv.URL, sess.GetToken(), conv)
		_, err = c.Widget.SendMessage(visitor, &tandemv1.WidgetServiceSendMessageRequest{ConversationId: conv,
			ClientId: uuid.NewString(), FileIds: []string{file}})
		rpctest.WantCode(t, err, 0)
		list, err := c.Widget.ListMessages(visitor, &tandemv1.ListMessagesRequest{ConversationId: conv})
		rpctest.WantCode(t, err, 0)
		ids = append(ids, sess.GetContactId(), conv, file)
		for _, m := range list.GetMessages() {
			ids = append(ids, m.GetId())
		}
	}
	if len(ids) < 5*visitors {
		t.Fatalf("%d ids from %d visitors, want a contact, a conversation, a file and two messages each", len(ids), visitors)
	}
	if problems := idProblems(ids); len(problems) > 0 {
		t.Errorf("%d problems with %d ids, the first:\n%s", len(problems), len(ids), strings.Join(problems[:min(10, len(problems))], "\n"))
	}

	// The check itself refuses what it must: time-ordered and counted ids.
	var v7, counted []string
	for i := range 50 {
		v7 = append(v7, uuid.Must(uuid.NewV7()).String())
		counted = append(counted, fmt.Sprintf("00000000-0000-4000-8000-%012x", i))
	}
	if len(idProblems(v7)) == 0 || len(idProblems(counted)) == 0 {
		t.Fatal("the check passes UUIDv7s or counted ids")
	}
}

// idProblems names what makes the ids other than distinct random UUIDv4s.
func idProblems(ids []string) []string {
	var problems []string
	seen := map[string]bool{}
	halves := make([][2]uint64, 0, len(ids))
	for _, id := range ids {
		u, err := uuid.Parse(id)
		switch {
		case err != nil || u.String() != id:
			problems = append(problems, fmt.Sprintf("%q is not a UUID in canonical form (%v)", id, err))
			continue
		case u.Version() != 4 || u.Variant() != uuid.RFC4122:
			problems = append(problems, fmt.Sprintf("%s is a version %d, %s UUID, want version 4, RFC 4122", id, u.Version(), u.Variant()))
		case seen[id]:
			problems = append(problems, fmt.Sprintf("%s was handed out twice", id))
		}
		seen[id] = true
		halves = append(halves, [2]uint64{binary.BigEndian.Uint64(u[:8]), binary.BigEndian.Uint64(u[8:])})
	}
	for i := range halves {
		for j := range i {
			diff := bits.OnesCount64(halves[i][0]^halves[j][0]) + bits.OnesCount64(halves[i][1]^halves[j][1])
			// Expected 61 of the 122 random bits, standard deviation 5.5:
			// outside 15..107 is eight deviations out.
			if diff < 15 || diff > 107 {
				problems = append(problems, fmt.Sprintf("%s and %s differ in %d bits, want about 61", ids[j], ids[i], diff))
			}
		}
	}
	return problems
}

// uploadAsVisitor posts a small file to the conversation as the widget
// does, and returns the id the answer gives it.
func uploadAsVisitor(t *testing.T, srv, token, conversationID string) string {
	t.Helper()
	status, raw := rawUpload(t, srv, token, conversationID)
	if status != http.StatusOK {
		t.Fatalf("upload: %d %s", status, raw)
	}
	var a tandemv1.Attachment
	if err := protojson.Unmarshal(raw, &a); err != nil {
		t.Fatalf("upload answered %s: %v", raw, err)
	}
	return a.GetId()
}
