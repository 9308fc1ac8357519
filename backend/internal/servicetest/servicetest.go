// Package servicetest builds a domain service's surroundings on a test
// database as server.New wires them (the event log, accounts, workspaces),
// with a clock the test controls, and checks the errors services return.
// Only tests import it; storetest gives each test its database.
package servicetest

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/account"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/workspace"
)

// T0 is where every test's clock starts.
var T0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC) //nolint:gochecknoglobals // a fixed instant: time.Time cannot be const

// Password is the password of every user an Env makes.
const Password = "correct horse battery"

// Clock is an injected clock: it stands still until the test moves it.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock is a clock standing at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) { c.Set(c.Now().Add(d)) }

// Env is one fresh database with the event log, the account service and
// the workspace service on it, all on one clock.
type Env struct {
	Ctx        context.Context
	DB         *store.DB
	Clock      *Clock
	Log        *events.Log
	Accounts   *account.Service
	Workspaces *workspace.Service

	n atomic.Int64
}

// Options adjust an Env.
type Options struct {
	SessionTTL time.Duration // the account service's; its default when zero
}

// New builds an Env on db, its clock at T0.
func New(db *store.DB, opts Options) *Env {
	c := NewClock(T0)
	log := events.NewLog(db, nil, c.Now)
	acc := account.NewService(db, log, account.Options{SessionTTL: opts.SessionTTL, Now: c.Now})
	return &Env{Ctx: context.Background(), DB: db, Clock: c, Log: log, Accounts: acc,
		Workspaces: workspace.NewService(db, log, acc, workspace.Options{Now: c.Now})}
}

// Email is an address no other call on this Env returns.
func (e *Env) Email(name string) string {
	return fmt.Sprintf("%s%d@example.test", strings.ToLower(strings.ReplaceAll(name, " ", ".")), e.n.Add(1))
}

// User creates an account, in no workspace, whose display name is name.
// Its password is Password, with the cheap hash every test user shares
// (PasswordHash).
func (e *Env) User(t testing.TB, name string) account.User {
	t.Helper()
	email := account.NormalizeEmail(e.Email(name))
	var u account.User
	err := e.DB.InTx(e.Ctx, func(tx *store.Tx) (err error) {
		u, err = e.Accounts.CreateUserTx(e.Ctx, tx, email, name, PasswordHash())
		return err
	})
	if errors.Is(err, account.ErrEmailTaken) { // another Env on the same database made it: the same person
		u, err = e.Accounts.UserByEmail(e.Ctx, email)
	}
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// PasswordHash is Password's argon2id hash, shared by every test user. It
// is made with 64 KiB and one pass instead of the server's 19 MiB and two:
// a password check reads its parameters from the hash, so every sign-in of
// a test user costs a fraction of a millisecond instead of tens, while the
// check itself is the server's own. Accounts made through the API get
// real-cost hashes as always.
var PasswordHash = sync.OnceValue(func() string { //nolint:gochecknoglobals // computed once per test binary, read-only after
	const memoryKiB, passes, lanes = 64, 1, 1
	salt := []byte("tandem-test-salt")
	key := argon2.IDKey([]byte(Password), salt, passes, memoryKiB, lanes, 32)
	hash := fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, memoryKiB, passes, lanes,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
	if ok, err := access.CheckPassword(hash, Password); !ok || err != nil {
		panic(fmt.Sprintf("servicetest: the test password hash does not check (%v)", err))
	}
	return hash
})

// Workspace creates a workspace owned by u, named name.
func (e *Env) Workspace(t testing.TB, u account.User, name string) workspace.Workspace {
	t.Helper()
	w, err := e.Workspaces.Create(e.Ctx, As(u), name)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// As is u calling with a session.
func As(u account.User) *access.Principal {
	return &access.Principal{Kind: access.KindUser, UserID: u.ID}
}

// Scope is what authorization would establish for a caller with role r in w.
func Scope(w workspace.Workspace, r access.Role) *access.Scope {
	return &access.Scope{WorkspaceID: w.ID, Role: r}
}

// Is matches an error of the kind.
func Is(kind apperr.Kind) func(error) bool {
	return func(err error) bool { return apperr.Is(err, kind) }
}

// IsInvalid matches an InvalidArgument error naming the field.
func IsInvalid(field string) func(error) bool {
	return func(err error) bool {
		var ae *apperr.Error
		return errors.As(err, &ae) && ae.Kind == apperr.InvalidArgument && ae.Field == field
	}
}
