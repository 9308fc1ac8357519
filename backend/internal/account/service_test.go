package account_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/account"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/servicetest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

const sessionTTL = time.Hour

// env is the account service on one fresh database, with a clock the test
// controls.
type env struct {
	*servicetest.Env
	svc *account.Service
}

func newEnv(db *store.DB) *env {
	e := servicetest.New(db, servicetest.Options{SessionTTL: sessionTTL})
	return &env{Env: e, svc: e.Accounts}
}

// user creates an account without a display name.
func (e *env) user(t *testing.T) account.User {
	t.Helper()
	u, created, err := e.svc.EnsureUser(e.Ctx, e.Email("user"), "", servicetest.Password)
	if err != nil || !created {
		t.Fatalf("create user: %v, %v", created, err)
	}
	return u
}

func (e *env) session(t *testing.T, u account.User) account.Issued {
	t.Helper()
	issued, err := e.svc.NewSession(e.Ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	return issued
}

// valid reports whether a session token authenticates now.
func (e *env) valid(t *testing.T, token string) bool {
	t.Helper()
	_, err := e.svc.AuthenticateSession(e.Ctx, token)
	if err != nil && !errors.Is(err, account.ErrSessionInvalid) {
		t.Fatalf("authenticate: %v", err)
	}
	return err == nil
}

// workspace inserts a bare workspace row (the workspace domain's table) for
// API keys to belong to.
func (e *env) workspace(t *testing.T) string {
	t.Helper()
	id := uuid.NewString()
	storetest.MustExec(t, e.DB, `INSERT INTO workspaces (id, name, public_key, widget_secret, last_seq, created_at, updated_at)
		VALUES (?, 'w', ?, 's', 0, 0, 0)`, id, "pk_"+id)
	return id
}

func (e *env) disable(t *testing.T, u account.User) {
	t.Helper()
	storetest.MustExec(t, e.DB, `UPDATE users SET disabled_at = ? WHERE id = ?`, servicetest.T0.UnixMilli(), u.ID)
}

// TestSessionExpiry checks that a session works until its TTL has passed, and
// that it is stored only as a hash.
func TestSessionExpiry(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(db)
		u := e.user(t)
		for _, tc := range []struct {
			after time.Duration
			valid bool
		}{
			{0, true},
			{sessionTTL - time.Millisecond, true},
			{sessionTTL, false},
			{30 * 24 * time.Hour, false},
		} {
			t.Run(tc.after.String(), func(t *testing.T) {
				e.Clock.Set(servicetest.T0)
				issued := e.session(t, u)
				if want := servicetest.T0.Add(sessionTTL).UnixMilli(); issued.ExpiresAt != want {
					t.Errorf("expires at %d, want %d", issued.ExpiresAt, want)
				}
				e.Clock.Set(servicetest.T0.Add(tc.after))
				p, err := e.svc.AuthenticateSession(e.Ctx, issued.Token)
				if !tc.valid {
					if !errors.Is(err, account.ErrSessionInvalid) {
						t.Fatalf("error = %v, want ErrSessionInvalid", err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if p.Kind != access.KindUser || p.UserID != u.ID || p.SessionID == "" || p.ExpiresAt != issued.ExpiresAt {
					t.Errorf("principal = %+v", p)
				}
			})
		}

		t.Run("stored hashed", func(t *testing.T) {
			issued := e.session(t, u)
			var hashes [][]byte
			if err := db.SelectContext(e.Ctx, &hashes, `SELECT token_hash FROM sessions WHERE user_id = ?`, u.ID); err != nil {
				t.Fatal(err)
			}
			found := false
			for _, h := range hashes {
				found = found || bytes.Equal(h, access.HashSecret(issued.Token))
				if bytes.Contains(h, []byte(issued.Token)) {
					t.Fatal("session token stored in the clear")
				}
			}
			if !found {
				t.Error("no session stored under the token's hash")
			}
		})

		t.Run("unknown token", func(t *testing.T) {
			forged, _ := access.NewSecret(access.PrefixSession)
			if e.valid(t, forged) || e.valid(t, "") {
				t.Error("an unknown token authenticates")
			}
		})
	})
}

// TestLogout checks that logging out revokes that session and no other.
func TestLogout(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(db)
		u, other := e.user(t), e.user(t)
		a, b, c := e.session(t, u), e.session(t, u), e.session(t, other)
		p, err := e.svc.AuthenticateSession(e.Ctx, a.Token)
		if err != nil {
			t.Fatal(err)
		}
		for range 2 { // a second logout of the same session is harmless
			if err := e.svc.Logout(e.Ctx, p.SessionID); err != nil {
				t.Fatal(err)
			}
		}
		for _, tc := range []struct {
			name  string
			token string
			valid bool
		}{{"logged out", a.Token, false}, {"same user", b.Token, true}, {"other user", c.Token, true}} {
			if got := e.valid(t, tc.token); got != tc.valid {
				t.Errorf("%s session valid = %v, want %v", tc.name, got, tc.valid)
			}
		}
	})
}

// TestChangePassword checks that a password change needs the current
// password, revokes every session of the user, and replaces the password.
func TestChangePassword(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(db)
		u, other := e.user(t), e.user(t)
		a, b, c := e.session(t, u), e.session(t, u), e.session(t, other)
		const next = "a brand new secret"

		_, err := e.svc.ChangePassword(e.Ctx, u.ID, "not the password", next, "")
		var ae *apperr.Error
		if !errors.As(err, &ae) || ae.Kind != apperr.InvalidArgument || ae.Field != "current_password" {
			t.Fatalf("wrong current password: %v", err)
		}
		if !e.valid(t, a.Token) || !e.valid(t, b.Token) {
			t.Fatal("a refused password change revoked sessions")
		}

		issued, err := e.svc.ChangePassword(e.Ctx, u.ID, servicetest.Password, next, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name  string
			token string
			valid bool
		}{{"first", a.Token, false}, {"second", b.Token, false}, {"other user's", c.Token, true}, {"new", issued.Token, true}} {
			if got := e.valid(t, tc.token); got != tc.valid {
				t.Errorf("%s session valid = %v, want %v", tc.name, got, tc.valid)
			}
		}
		if _, err := e.svc.Login(e.Ctx, u.Email, servicetest.Password, "192.0.2.1"); !errors.Is(err, account.ErrBadCredentials) {
			t.Errorf("login with the old password: %v, want ErrBadCredentials", err)
		}
		if _, err := e.svc.Login(e.Ctx, u.Email, next, "192.0.2.1"); err != nil {
			t.Errorf("login with the new password: %v", err)
		}
	})
}

// TestDisabledUser checks that a disabled user's sessions stop working and
// that they cannot log in, with the answer a wrong password gets.
func TestDisabledUser(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(db)
		u := e.user(t)
		s := e.session(t, u)
		if _, err := e.svc.Login(e.Ctx, u.Email, servicetest.Password, "192.0.2.1"); err != nil {
			t.Fatalf("login before disabling: %v", err)
		}
		e.disable(t, u)
		if e.valid(t, s.Token) {
			t.Error("a disabled user's session authenticates")
		}
		_, disabled := e.svc.Login(e.Ctx, u.Email, servicetest.Password, "192.0.2.1")
		_, wrong := e.svc.Login(e.Ctx, u.Email, "not the password", "192.0.2.1")
		if !errors.Is(disabled, account.ErrBadCredentials) || !errors.Is(wrong, account.ErrBadCredentials) {
			t.Errorf("login of a disabled user: %v and %v, want ErrBadCredentials", disabled, wrong)
		}
		if n := storetest.Count(t, db, "sessions", "user_id = ?", u.ID); n != 2 {
			t.Errorf("%d sessions, want the 2 opened before disabling", n)
		}
	})
}

// TestAPIKeyLifetime checks expiry, revocation, hashing and last-use
// recording of API keys, and their events.
func TestAPIKeyLifetime(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(db)
		creator := e.user(t)
		ws := e.workspace(t)
		// A key lives only while its creator is an enabled member of its workspace.
		storetest.MustExec(t, db, `INSERT INTO members (workspace_id, user_id, role, created_at) VALUES (?, ?, 'admin', 0)`, ws, creator.ID)
		actor := &access.Principal{Kind: access.KindUser, UserID: creator.ID}
		sc := &access.Scope{WorkspaceID: ws, Role: access.RoleAdmin}
		authn := func(secret string) (*access.Principal, error) {
			p, err := e.svc.AuthenticateAPIKey(e.Ctx, secret)
			if err != nil && !errors.Is(err, account.ErrSessionInvalid) {
				t.Fatalf("authenticate api key: %v", err)
			}
			return p, err
		}

		for _, tc := range []struct {
			ttl   time.Duration
			after time.Duration
			valid bool
		}{
			{time.Hour, 0, true},
			{time.Hour, time.Hour - time.Millisecond, true},
			{time.Hour, time.Hour, false},
			{0, 10 * 365 * 24 * time.Hour, true}, // no TTL: no expiry
		} {
			t.Run(fmt.Sprintf("ttl %v after %v", tc.ttl, tc.after), func(t *testing.T) {
				e.Clock.Set(servicetest.T0)
				k, secret, err := e.svc.CreateAPIKey(e.Ctx, actor, sc, "crm", access.RoleAgent, tc.ttl)
				if err != nil {
					t.Fatal(err)
				}
				want := int64(0) // never
				if tc.ttl > 0 {
					want = servicetest.T0.Add(tc.ttl).UnixMilli()
				}
				if k.ExpiresAt != want {
					t.Errorf("expires at %d, want %d", k.ExpiresAt, want)
				}
				e.Clock.Set(servicetest.T0.Add(tc.after))
				p, err := authn(secret)
				if (err == nil) != tc.valid {
					t.Fatalf("authenticates = %v, want %v", err == nil, tc.valid)
				}
				if tc.valid && (p.Kind != access.KindAPIKey || p.APIKeyID != k.ID || p.UserID != creator.ID ||
					p.WorkspaceID != ws || p.Role != access.RoleAgent) {
					t.Errorf("principal = %+v", p)
				}
			})
		}

		t.Run("revoke", func(t *testing.T) {
			e.Clock.Set(servicetest.T0)
			count := func(typ events.Type) int {
				return storetest.Count(t, db, "events", "workspace_id = ? AND type = ?", ws, typ)
			}
			created := count(events.APIKeyCreated)
			k, secret, err := e.svc.CreateAPIKey(e.Ctx, actor, sc, "to revoke", access.RoleAgent, 0)
			if err != nil {
				t.Fatal(err)
			}
			if n := count(events.APIKeyCreated); n != created+1 {
				t.Errorf("%d api_key.created events, want %d", n, created+1)
			}
			var hash []byte
			if err := db.GetContext(e.Ctx, &hash, `SELECT secret_hash FROM api_keys WHERE id = ?`, k.ID); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(hash, access.HashSecret(secret)) || k.Prefix != secret[:10] {
				t.Errorf("stored hash %x, prefix %q: want the secret's hash and its first 10 characters", hash, k.Prefix)
			}

			other := &access.Scope{WorkspaceID: e.workspace(t), Role: access.RoleOwner}
			if err := e.svc.RevokeAPIKey(e.Ctx, actor, other, k.ID); !errors.Is(err, apperr.ErrNotFound) {
				t.Errorf("revoke from another workspace: %v, want ErrNotFound", err)
			}
			if _, err := authn(secret); err != nil {
				t.Fatal("a refused revocation revoked the key")
			}
			for range 2 { // revoking twice is harmless and records one event
				if err := e.svc.RevokeAPIKey(e.Ctx, actor, sc, k.ID); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := authn(secret); err == nil {
				t.Error("a revoked key authenticates")
			}
			if n := count(events.APIKeyRevoked); n != 1 {
				t.Errorf("%d api_key.revoked events, want 1", n)
			}
		})

		t.Run("last use is recorded once a minute", func(t *testing.T) {
			e.Clock.Set(servicetest.T0)
			k, secret, err := e.svc.CreateAPIKey(e.Ctx, actor, sc, "busy", access.RoleAgent, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, tc := range []struct {
				at, want time.Duration
			}{{0, 0}, {30 * time.Second, 0}, {61 * time.Second, 61 * time.Second}} {
				e.Clock.Set(servicetest.T0.Add(tc.at))
				if _, err := authn(secret); err != nil {
					t.Fatal(err)
				}
				got, err := e.svc.APIKey(e.Ctx, k.ID)
				if err != nil {
					t.Fatal(err)
				}
				if want := servicetest.T0.Add(tc.want).UnixMilli(); got.LastUsedAt != want {
					t.Errorf("after a use at +%v: last used %d, want %d", tc.at, got.LastUsedAt, want)
				}
			}
		})

		t.Run("unknown key", func(t *testing.T) {
			forged, _ := access.NewSecret(access.PrefixAPIKey)
			if _, err := authn(forged); err == nil {
				t.Error("an unknown key authenticates")
			}
		})

		t.Run("dies with its creator's membership", func(t *testing.T) {
			e.Clock.Set(servicetest.T0)
			other := e.user(t)
			storetest.MustExec(t, db, `INSERT INTO members (workspace_id, user_id, role, created_at) VALUES (?, ?, 'admin', 0)`, ws, other.ID)
			_, secret, err := e.svc.CreateAPIKey(e.Ctx, &access.Principal{Kind: access.KindUser, UserID: other.ID}, sc, "leaver", access.RoleAgent, 0)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := authn(secret); err != nil {
				t.Fatalf("fresh key: %v", err)
			}
			storetest.MustExec(t, db, `DELETE FROM members WHERE workspace_id = ? AND user_id = ?`, ws, other.ID)
			if _, err := authn(secret); !errors.Is(err, account.ErrSessionInvalid) {
				t.Fatalf("key of a removed creator: %v, want ErrSessionInvalid", err)
			}
			storetest.MustExec(t, db, `INSERT INTO members (workspace_id, user_id, role, created_at) VALUES (?, ?, 'admin', 0)`, ws, other.ID)
			e.disable(t, other)
			if _, err := authn(secret); !errors.Is(err, account.ErrSessionInvalid) {
				t.Fatalf("key of a disabled creator: %v, want ErrSessionInvalid", err)
			}
		})
	})
}

// TestAPIKeyRole checks every pair of creator and key roles: a key's role may
// not exceed the creator's, and a refused key writes nothing.
func TestAPIKeyRole(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(db)
		creator := e.user(t)
		ws := e.workspace(t)
		roles := []access.Role{access.RoleAgent, access.RoleSupervisor, access.RoleAdmin, access.RoleOwner}
		for _, scopeRole := range roles {
			for _, keyRole := range roles {
				t.Run(fmt.Sprintf("%s makes %s", scopeRole, keyRole), func(t *testing.T) {
					rows := func() int {
						return storetest.Count(t, db, "api_keys", "") + storetest.Count(t, db, "events", "")
					}
					before := rows()
					k, _, err := e.svc.CreateAPIKey(e.Ctx, &access.Principal{Kind: access.KindUser, UserID: creator.ID},
						&access.Scope{WorkspaceID: ws, Role: scopeRole}, "key", keyRole, 0)
					if keyRole.Rank() <= scopeRole.Rank() {
						if err != nil || k.Role != keyRole {
							t.Fatalf("key %+v, %v; want a %s key", k, err, keyRole)
						}
						return
					}
					var ae *apperr.Error
					if !errors.As(err, &ae) || ae.Kind != apperr.InvalidArgument || ae.Field != "role" {
						t.Fatalf("error = %v, want invalid role", err)
					}
					if after := rows(); after != before {
						t.Errorf("a refused key wrote %d rows", after-before)
					}
				})
			}
		}
	})
}

// TestPasswordStorage checks that passwords are stored as salted argon2id
// PHC strings and checked against them.
func TestPasswordStorage(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(db)
		a, b := e.user(t), e.user(t)
		stored := func(u account.User) string {
			var h string
			if err := db.GetContext(e.Ctx, &h, `SELECT password_hash FROM users WHERE id = ?`, u.ID); err != nil {
				t.Fatal(err)
			}
			return h
		}
		ha, hb := stored(a), stored(b)
		for _, h := range []string{ha, hb} {
			parts := strings.Split(h, "$")
			if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != "v=19" {
				t.Fatalf("stored hash %q is not an argon2id v19 PHC string", h)
			}
			var mem, passes, lanes int
			if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &passes, &lanes); err != nil ||
				mem < 19*1024 || passes < 2 || lanes < 1 {
				t.Fatalf("argon2id parameters %q below OWASP's floor (m=19456,t=2,p=1)", parts[3])
			}
			salt, errSalt := base64.RawStdEncoding.DecodeString(parts[4])
			key, errKey := base64.RawStdEncoding.DecodeString(parts[5])
			if errSalt != nil || errKey != nil || len(salt) != 16 || len(key) != 32 {
				t.Fatalf("stored hash %q: salt %d bytes (%v), key %d bytes (%v)", h, len(salt), errSalt, len(key), errKey)
			}
			if strings.Contains(h, servicetest.Password) {
				t.Fatal("password stored in the clear")
			}
		}
		if ha == hb {
			t.Error("two users with one password have the same hash: no salt")
		}
		if a.PasswordHash != ha {
			t.Error("the returned user's hash differs from the stored one")
		}

		for _, tc := range []struct {
			password string
			ok       bool
		}{
			{servicetest.Password, true},
			{"", false},
			{servicetest.Password + " ", false},
			{servicetest.Password[:len(servicetest.Password)-1], false},
			{strings.ToUpper(servicetest.Password), false},
		} {
			ok, err := access.CheckPassword(ha, tc.password)
			if err != nil || ok != tc.ok {
				t.Errorf("CheckPassword(%q) = %v, %v; want %v", tc.password, ok, err, tc.ok)
			}
		}
		if _, err := access.CheckPassword(servicetest.Password, servicetest.Password); err == nil {
			t.Error("CheckPassword accepts a plain-text 'hash'")
		}

		// EnsureUser neither re-hashes nor replaces an existing user's password.
		if _, created, err := e.svc.EnsureUser(e.Ctx, strings.ToUpper(a.Email), "", "another long password"); err != nil || created {
			t.Fatalf("EnsureUser of an existing email: created %v, %v", created, err)
		}
		if stored(a) != ha {
			t.Error("EnsureUser changed an existing password")
		}
		var ae *apperr.Error
		if _, _, err := e.svc.EnsureUser(e.Ctx, "short@example.test", "", "2short"); !errors.As(err, &ae) || ae.Field != "password" {
			t.Errorf("short password: %v, want invalid password", err)
		}
	})
}
