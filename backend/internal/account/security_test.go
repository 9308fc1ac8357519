package account_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/account"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/demo"
	"github.com/tandem-inbox/tandem/backend/internal/servicetest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestSecurityPasswordPolicy (issue 14 item 17): common and pattern
// passwords are refused wherever a password is set, with the reason; the
// passwords of the demo and the tests pass.
func TestSecurityPasswordPolicy(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		password, why string
	}{
		{"aaaaaaaaaa", "repeats"},
		{"abababababab", "repeats"},
		{"1234567890", "common password"},
		{"password123", "common password"},
		{"qwertyuiop", "common password"},
		{"Password1!", "common password"},
		{"zxcvbnm,./", "keyboard pattern"},
		{"abcdefghijk", "sequence"},
		{"short", "at least 10 characters"},
	} {
		err := account.CheckPassword("password", tc.password)
		var ae *apperr.Error
		if !errors.As(err, &ae) || ae.Kind != apperr.InvalidArgument || ae.Field != "password" || !strings.Contains(ae.Public, tc.why) {
			t.Errorf("CheckPassword(%q) = %v, want InvalidArgument on password saying %q", tc.password, err, tc.why)
		}
	}
	if err := account.CheckPassword("password", "dorothea.gale.1977", "dorothea.gale@example.test", "Dorothea Gale"); err == nil ||
		!strings.Contains(err.Error(), "your email address or name") {
		t.Errorf("a password made of the user's own name: %v, want refused", err)
	}
	for _, ok := range []string{servicetest.Password, demo.Password, "a brand new secret", "another long password", "bench password 1234"} {
		if err := account.CheckPassword("password", ok); err != nil {
			t.Errorf("CheckPassword(%q) = %v, want accepted", ok, err)
		}
	}

	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(db)
		users := storetest.Count(t, db, "users", "")
		if _, _, err := e.svc.EnsureUser(e.Ctx, "weak@example.test", "", "aaaaaaaaaa"); apperr.KindOf(err) != apperr.InvalidArgument {
			t.Errorf("bootstrap with a weak password: %v, want InvalidArgument", err)
		}
		if n := storetest.Count(t, db, "users", ""); n != users {
			t.Errorf("a refused password created %d users", n-users)
		}
		u := e.user(t)
		var ae *apperr.Error
		if _, err := e.svc.ChangePassword(e.Ctx, u.ID, servicetest.Password, "1234567890", ""); !errors.As(err, &ae) || ae.Field != "new_password" {
			t.Errorf("change to a weak password: %v, want InvalidArgument on new_password", err)
		}
		if _, err := e.svc.Login(e.Ctx, u.Email, servicetest.Password, "192.0.2.1"); err != nil {
			t.Errorf("the old password stopped working after a refused change: %v", err)
		}
	})
}

// TestSecurityLoginNoLockout (issue 14 item 10): an attacker hammering an
// account from one client slows that client only, with waits that grow;
// the owner signs in from another client at once, and a success clears
// the backoff.
func TestSecurityLoginNoLockout(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(db)
		u := e.user(t)
		const attacker, owner = "203.0.113.9", "198.51.100.7"
		limited := 0
		for range 12 {
			_, err := e.svc.Login(e.Ctx, u.Email, "guess guess guess", attacker)
			switch {
			case errors.Is(err, account.ErrTooManyAttempts):
				limited++
			case !errors.Is(err, account.ErrBadCredentials):
				t.Fatalf("wrong password: %v", err)
			}
		}
		if limited != 12-5 {
			t.Errorf("%d of 12 attempts limited, want all but the 5 free ones", limited)
		}
		if _, err := e.svc.Login(e.Ctx, u.Email, servicetest.Password, attacker); !errors.Is(err, account.ErrTooManyAttempts) {
			t.Errorf("the attacking client during its backoff: %v, want ErrTooManyAttempts", err)
		}
		if _, err := e.svc.Login(e.Ctx, u.Email, servicetest.Password, owner); err != nil {
			t.Fatalf("the owner from another client while the attacker hammers: %v", err)
		}
		// The waits double: 1 s after the fifth try, then 2 s, ...
		e.Clock.Set(e.Clock.Now().Add(time.Second))
		if _, err := e.svc.Login(e.Ctx, u.Email, "guess guess guess", attacker); !errors.Is(err, account.ErrBadCredentials) {
			t.Fatalf("after the first wait: %v, want one more try", err)
		}
		e.Clock.Set(e.Clock.Now().Add(time.Second))
		if _, err := e.svc.Login(e.Ctx, u.Email, "guess guess guess", attacker); !errors.Is(err, account.ErrTooManyAttempts) {
			t.Fatalf("one second into a two-second wait: %v, want ErrTooManyAttempts", err)
		}
		e.Clock.Set(e.Clock.Now().Add(time.Second))
		if _, err := e.svc.Login(e.Ctx, u.Email, servicetest.Password, attacker); err != nil {
			t.Fatalf("the right password after the wait: %v", err)
		}
		for range 5 { // the success cleared the pair: five free tries again
			if _, err := e.svc.Login(e.Ctx, u.Email, "guess guess guess", attacker); !errors.Is(err, account.ErrBadCredentials) {
				t.Fatalf("after a success: %v, want a fresh allowance", err)
			}
		}
	})
}

// TestSecurityChangePasswordLimited (issue 14 item 2): guesses of the
// current password are limited per user, whatever the client.
func TestSecurityChangePasswordLimited(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(db)
		u := e.user(t)
		limited := 0
		for i := range 8 {
			_, err := e.svc.ChangePassword(e.Ctx, u.ID, "guess guess guess", "a brand new secret", "192.0.2."+string(rune('1'+i)))
			if errors.Is(err, account.ErrTooManyAttempts) {
				limited++
			} else if apperr.KindOf(err) != apperr.InvalidArgument {
				t.Fatalf("wrong current password: %v", err)
			}
		}
		if limited != 3 {
			t.Errorf("%d of 8 guesses from 8 clients limited, want 3", limited)
		}
	})
}

// TestSecurityAPIKeyRoleHierarchy (issue 14 item 16): nobody revokes an API
// key whose role is above their own.
func TestSecurityAPIKeyRoleHierarchy(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(db)
		owner, admin := e.user(t), e.user(t)
		ws := e.workspace(t)
		storetest.MustExec(t, db, `INSERT INTO members (workspace_id, user_id, role, created_at) VALUES (?, ?, 'owner', 0), (?, ?, 'admin', 0)`,
			ws, owner.ID, ws, admin.ID)
		ownerP, adminP := &access.Principal{Kind: access.KindUser, UserID: owner.ID}, &access.Principal{Kind: access.KindUser, UserID: admin.ID}
		ownerS, adminS := &access.Scope{WorkspaceID: ws, Role: access.RoleOwner}, &access.Scope{WorkspaceID: ws, Role: access.RoleAdmin}
		ownerKey, secret, err := e.svc.CreateAPIKey(e.Ctx, ownerP, ownerS, "deploy", access.RoleOwner, 0)
		if err != nil {
			t.Fatal(err)
		}
		adminKey, _, err := e.svc.CreateAPIKey(e.Ctx, ownerP, ownerS, "crm", access.RoleAdmin, 0)
		if err != nil {
			t.Fatal(err)
		}
		events := storetest.Count(t, db, "events", "")
		if err := e.svc.RevokeAPIKey(e.Ctx, adminP, adminS, ownerKey.ID); !errors.Is(err, account.ErrKeyOutranks) {
			t.Fatalf("admin revokes the owner's owner key: %v, want ErrKeyOutranks", err)
		}
		if _, err := e.svc.AuthenticateAPIKey(e.Ctx, secret); err != nil {
			t.Errorf("the owner key stopped working after a refused revoke: %v", err)
		}
		if n := storetest.Count(t, db, "events", ""); n != events {
			t.Errorf("a refused revoke appended %d events", n-events)
		}
		if err := e.svc.RevokeAPIKey(e.Ctx, adminP, adminS, adminKey.ID); err != nil {
			t.Errorf("admin revokes an admin key: %v", err)
		}
		if err := e.svc.RevokeAPIKey(e.Ctx, ownerP, ownerS, ownerKey.ID); err != nil {
			t.Errorf("owner revokes the owner key: %v", err)
		}
	})
}

// TestSecurityLoginUniform (RATE-02): a wrong password for an account and
// any password for an email no account has get the same answer, and do
// the same work: each checks one password hash (the unknown email against
// a dummy one), which is what takes the time. Proven without a clock: with
// every hashing slot held, both wait for one (a path that skipped its hash
// would answer at once). The medians of the two are logged; on a loaded
// machine their noise exceeds the difference a test could hold them to.
func TestSecurityLoginUniform(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(db)
		const rounds = 9
		users := make([]account.User, rounds)
		for i := range users {
			users[i] = e.user(t)
		}
		attempt := func(ctx context.Context, email string, n int) error {
			_, err := e.svc.Login(ctx, email, "not the password at all", fmt.Sprintf("192.0.2.%d", n))
			return err
		}

		hasher := e.svc.Hasher()
		var held []func()
		for range hasher.Limit() {
			release, err := hasher.Acquire(e.Ctx)
			if err != nil {
				t.Fatal(err)
			}
			held = append(held, release)
		}
		for i, email := range []string{users[0].Email, "nobody@example.test"} {
			ctx, cancel := context.WithTimeout(e.Ctx, 200*time.Millisecond)
			err := attempt(ctx, email, 200+i)
			cancel()
			if apperr.KindOf(err) != apperr.ResourceExhausted || !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("login as %s with every hashing slot held: %v, want a wait for one", email, err)
			}
		}
		for _, release := range held {
			release()
		}

		var known, unknown []time.Duration
		var answers []string
		for i, u := range users {
			emails := []string{u.Email, fmt.Sprintf("nobody-%d@example.test", i)}
			if i%2 == 1 { // neither goes first every time
				slices.Reverse(emails)
			}
			for _, email := range emails {
				began := time.Now()
				err := attempt(e.Ctx, email, 1+len(answers))
				if email == u.Email {
					known = append(known, time.Since(began))
				} else {
					unknown = append(unknown, time.Since(began))
				}
				var ae *apperr.Error
				if !errors.As(err, &ae) {
					t.Fatalf("login as %s: %v, want a refusal", email, err)
				}
				answers = append(answers, fmt.Sprintf("%v %q %q %q", ae.Kind, ae.Public, ae.Field, ae.Detail))
			}
		}
		if distinct := slices.Compact(slices.Sorted(slices.Values(answers))); len(distinct) != 1 {
			t.Errorf("the answers differ: %q", distinct)
		}
		median := func(d []time.Duration) time.Duration { slices.Sort(d); return d[len(d)/2] }
		t.Logf("median time: wrong password %v, unknown email %v", median(known), median(unknown))
	})
}
