package account

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/limit"
	"github.com/tandem-inbox/tandem/backend/internal/naming"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// Options tune the service.
type Options struct {
	// SessionTTL is how long a session token lives; 0 means 30 days.
	SessionTTL time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Hasher runs every password hash of the server; nil means one with a
	// slot per CPU.
	Hasher *access.Hasher
	// Limits keeps the credential limits; nil keeps them in this process
	// (on Now's clock). The server gives the one shared by its replicas.
	Limits *limit.Limits
}

// Service manages users, sessions and API keys.
type Service struct {
	db         *store.DB
	log        *events.Log
	now        func() time.Time
	sessionTTL time.Duration
	hasher     *access.Hasher
	limits     *limit.Limits
	perClient  limit.Rule
	perPair    limit.Backoff
}

// NewService returns the account service.
func NewService(db *store.DB, log *events.Log, opts Options) *Service {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.SessionTTL == 0 {
		opts.SessionTTL = 30 * 24 * time.Hour
	}
	if opts.Hasher == nil {
		opts.Hasher = access.NewHasher(0, 0)
	}
	if opts.Limits == nil {
		opts.Limits = limit.New(limit.Options{Now: opts.Now})
	}
	return &Service{db: db, log: log, now: opts.Now, sessionTTL: opts.SessionTTL, hasher: opts.Hasher, limits: opts.Limits,
		// Thirty credential attempts at once per client address, then one
		// every 2 s, whatever the accounts. Per account and client
		// together, five free tries, then waits doubling from 1 s up to
		// 15 min: an attacker slows only their own pair, never the owner
		// elsewhere. Both hold across replicas when the limits are shared.
		perClient: limit.Rule{Name: "credentials-client", Every: 2 * time.Second, Burst: 30},
		perPair:   limit.Backoff{Name: "credentials-pair", Free: 5, Base: time.Second, Max: 15 * time.Minute},
	}
}

// Hasher is the server's password hasher.
func (s *Service) Hasher() *access.Hasher { return s.hasher }

// Attempt admits one credential check: key names what is being guessed
// (an account with the client, or a user for a signed-in check; "" for
// none) and client the caller's address, limited on its own too ("" for
// an in-process caller). It fails with
// ErrTooManyAttempts; otherwise report the outcome with done, a success
// clearing the key's backoff.
func (s *Service) Attempt(ctx context.Context, key, client string) (done func(ok bool), err error) {
	if client != "" {
		if ok, wait := s.limits.Take(ctx, s.perClient, client); !ok {
			return nil, apperr.RetryAfter(ErrTooManyAttempts, wait)
		}
	}
	if key != "" {
		if ok, wait := s.limits.Begin(ctx, s.perPair, key); !ok {
			return nil, apperr.RetryAfter(ErrTooManyAttempts, wait)
		}
	}
	return func(ok bool) {
		if ok && key != "" {
			s.limits.Clear(context.WithoutCancel(ctx), s.perPair, key)
		}
	}, nil
}

// PairKey is the Attempt key of an account tried from a client.
func PairKey(email, client string) string { return NormalizeEmail(email) + "|" + client }

// NormalizeEmail is the stored form of an email address.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// HashNewPassword checks a new password against the policy (field names
// it in the error) and hashes it, outside any transaction: argon2 takes
// tens of milliseconds that no lock should wait for.
func (s *Service) HashNewPassword(ctx context.Context, field, password string, userInputs ...string) (string, error) {
	if err := CheckPassword(field, password, userInputs...); err != nil {
		return "", err
	}
	return s.hasher.Hash(ctx, password)
}

// EnsureUser creates the user unless one with the email exists; it reports
// whether it created one. Used to bootstrap the first owner and the demo.
func (s *Service) EnsureUser(ctx context.Context, email, displayName, password string) (User, bool, error) {
	email = NormalizeEmail(email)
	if u, err := userByEmail(ctx, s.db, email); err == nil {
		return u, false, nil
	} else if !store.ErrNoRows(err) {
		return User{}, false, fmt.Errorf("find user: %w", err)
	}
	hash, err := s.HashNewPassword(ctx, "password", password, email, displayName)
	if err != nil {
		return User{}, false, err
	}
	var u User
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		u, err = s.CreateUserTx(ctx, tx, email, displayName, hash)
		return err
	})
	if errors.Is(err, ErrEmailTaken) { // created meanwhile
		u, err = userByEmail(ctx, s.db, email)
		return u, false, err
	}
	return u, err == nil, err
}

// HasUsers reports whether any account exists, read through q (the
// service's database, or a transaction). A server without one offers a
// one-time setup link for its first owner.
func (s *Service) HasUsers(ctx context.Context, q store.Querier) (bool, error) {
	if q == nil {
		q = s.db
	}
	ok, err := anyUser(ctx, q)
	if err != nil {
		return false, fmt.Errorf("find any user: %w", err)
	}
	return ok, nil
}

// UserByEmail returns the user with the email, or apperr.ErrNotFound.
func (s *Service) UserByEmail(ctx context.Context, email string) (User, error) {
	u, err := userByEmail(ctx, s.db, NormalizeEmail(email))
	if store.ErrNoRows(err) {
		return User{}, apperr.ErrNotFound
	}
	if err != nil {
		return User{}, fmt.Errorf("find user: %w", err)
	}
	return u, nil
}

// CreateUserTx creates a user with an already checked and hashed password
// (HashNewPassword) in the caller's transaction; an empty display name
// becomes the email's local part. ErrEmailTaken when the email is in use.
func (s *Service) CreateUserTx(ctx context.Context, tx *store.Tx, email, displayName, passwordHash string) (User, error) {
	email = NormalizeEmail(email)
	if displayName == "" {
		displayName = strings.SplitN(email, "@", 2)[0]
	} else if err := naming.Check("display_name", displayName); err != nil {
		return User{}, err
	}
	now := store.NowMillis(s.now())
	u := User{ID: uuid.NewString(), Email: email, DisplayName: displayName,
		PasswordHash: passwordHash, CreatedAt: now, UpdatedAt: now}
	if err := insertUser(ctx, tx, &u); err != nil {
		if tx.Dialect.IsUniqueViolation(err) {
			return User{}, ErrEmailTaken
		}
		return User{}, fmt.Errorf("insert user: %w", err)
	}
	return u, nil
}

// Login checks an email and password and opens a session. Attempts are
// limited per client address and per account and client together (see
// Attempt); a wrong email and a wrong password get the same answer in
// about the same time.
func (s *Service) Login(ctx context.Context, email, password, clientIP string) (Issued, error) {
	email = NormalizeEmail(email)
	done, err := s.Attempt(ctx, PairKey(email, clientIP), clientIP)
	if err != nil {
		return Issued{}, err
	}
	u, err := userByEmail(ctx, s.db, email)
	if store.ErrNoRows(err) {
		if err := s.hasher.CheckNone(ctx, password); err != nil {
			return Issued{}, err
		}
		return Issued{}, ErrBadCredentials
	}
	if err != nil {
		return Issued{}, fmt.Errorf("login: %w", err)
	}
	ok, err := s.hasher.Check(ctx, u.PasswordHash, password)
	if err != nil {
		return Issued{}, fmt.Errorf("login %s: %w", u.ID, err)
	}
	if !ok || u.DisabledAt != 0 {
		return Issued{}, ErrBadCredentials
	}
	done(true)
	return s.NewSession(ctx, u)
}

// NewSession opens a session for the user.
func (s *Service) NewSession(ctx context.Context, u User) (Issued, error) {
	var issued Issued
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		issued, err = s.NewSessionTx(ctx, tx, u)
		return err
	})
	return issued, err
}

// NewSessionTx opens a session for the user in the caller's transaction.
func (s *Service) NewSessionTx(ctx context.Context, tx *store.Tx, u User) (Issued, error) {
	token, hash := access.NewSecret(access.PrefixSession)
	now := s.now()
	sess := Session{ID: uuid.NewString(), UserID: u.ID, TokenHash: hash,
		CreatedAt: store.NowMillis(now), ExpiresAt: store.NowMillis(now.Add(s.sessionTTL))}
	if err := insertSession(ctx, tx, &sess); err != nil {
		return Issued{}, fmt.Errorf("insert session: %w", err)
	}
	return Issued{Token: token, ExpiresAt: sess.ExpiresAt, User: u}, nil
}

// AuthenticateSession turns a session token into a principal.
func (s *Service) AuthenticateSession(ctx context.Context, token string) (*access.Principal, error) {
	su, err := sessionByHash(ctx, s.db, access.HashSecret(token))
	if store.ErrNoRows(err) {
		return nil, ErrSessionInvalid
	}
	if err != nil {
		return nil, fmt.Errorf("authenticate session: %w", err)
	}
	if su.RevokedAt != 0 || su.DisabledAt != 0 || su.ExpiresAt <= store.NowMillis(s.now()) {
		return nil, ErrSessionInvalid
	}
	return &access.Principal{Kind: access.KindUser, UserID: su.UserID, SessionID: su.SessionID, ExpiresAt: su.ExpiresAt}, nil
}

// Logout revokes one session.
func (s *Service) Logout(ctx context.Context, sessionID string) error {
	return revokeSession(ctx, s.db, sessionID, store.NowMillis(s.now()))
}

// ChangePassword checks the current password, sets the new one, revokes
// every session of the user and opens a fresh one for the caller. Checks
// of the current password are limited per user (a stolen session cannot
// guess on) and per client address.
func (s *Service) ChangePassword(ctx context.Context, userID, current, next, clientIP string) (Issued, error) {
	done, err := s.Attempt(ctx, "change-password|"+userID, clientIP)
	if err != nil {
		return Issued{}, err
	}
	u, err := userByID(ctx, s.db, userID)
	if err != nil {
		return Issued{}, fmt.Errorf("change password: %w", err)
	}
	ok, err := s.hasher.Check(ctx, u.PasswordHash, current)
	if err != nil {
		return Issued{}, fmt.Errorf("change password of %s: %w", userID, err)
	}
	if !ok {
		return Issued{}, apperr.Invalid("current_password", "is incorrect")
	}
	done(true)
	hash, err := s.HashNewPassword(ctx, "new_password", next, u.Email, u.DisplayName)
	if err != nil {
		return Issued{}, err
	}
	var issued Issued
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		now := store.NowMillis(s.now())
		if err := setPassword(ctx, tx, userID, hash, now); err != nil {
			return fmt.Errorf("set password: %w", err)
		}
		if err := revokeUserSessions(ctx, tx, userID, now); err != nil {
			return fmt.Errorf("revoke sessions: %w", err)
		}
		issued, err = s.NewSessionTx(ctx, tx, u)
		return err
	})
	return issued, err
}

// User returns a user by id.
func (s *Service) User(ctx context.Context, id string) (User, error) {
	u, err := userByID(ctx, s.db, id)
	if store.ErrNoRows(err) {
		return User{}, apperr.ErrNotFound
	}
	return u, err
}

// CreateAPIKey creates a key in the scope's workspace with a role no higher
// than the creator's; it returns the key and its secret.
func (s *Service) CreateAPIKey(ctx context.Context, actor *access.Principal, scope *access.Scope, name string, role access.Role, ttl time.Duration) (APIKey, string, error) {
	if role.Rank() > scope.Role.Rank() {
		return APIKey{}, "", apperr.Invalid("role", "cannot be higher than your own role")
	}
	if err := naming.Check("name", name); err != nil {
		return APIKey{}, "", err
	}
	secret, hash := access.NewSecret(access.PrefixAPIKey)
	now := s.now()
	k := APIKey{ID: uuid.NewString(), WorkspaceID: scope.WorkspaceID, Name: name, Role: role,
		Prefix: secret[:len(access.PrefixAPIKey)+6], SecretHash: hash, CreatedBy: actor.UserID,
		CreatedAt: store.NowMillis(now)}
	if ttl > 0 {
		k.ExpiresAt = store.NowMillis(now.Add(ttl))
	}
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := insertAPIKey(ctx, tx, &k); err != nil {
			return fmt.Errorf("insert api key: %w", err)
		}
		return s.appendKeyEvent(ctx, tx, actor, events.APIKeyCreated, k)
	})
	if err != nil {
		return APIKey{}, "", err
	}
	return k, secret, nil
}

func (s *Service) appendKeyEvent(ctx context.Context, tx *store.Tx, actor *access.Principal, typ events.Type, k APIKey) error {
	payload, _ := json.Marshal(map[string]string{"api_key_id": k.ID, "name": k.Name, "role": string(k.Role)})
	kind, id := actor.Actor()
	return s.log.Append(ctx, tx, &events.Event{WorkspaceID: k.WorkspaceID, Type: typ,
		ActorKind: kind, ActorID: id, Visibility: events.Admins, Payload: payload})
}

// APIKeys lists a workspace's keys.
func (s *Service) APIKeys(ctx context.Context, workspaceID string) ([]APIKey, error) {
	return apiKeysOfWorkspace(ctx, s.db, workspaceID)
}

// RevokeAPIKey revokes a key of the scope's workspace. Keys follow the
// role hierarchy: nobody revokes a key whose role is above their own.
func (s *Service) RevokeAPIKey(ctx context.Context, actor *access.Principal, scope *access.Scope, id string) error {
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		k, err := apiKeyByID(ctx, tx, id)
		if store.ErrNoRows(err) || (err == nil && k.WorkspaceID != scope.WorkspaceID) {
			return apperr.ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("revoke api key: %w", err)
		}
		if k.Role.Rank() > scope.Role.Rank() {
			return ErrKeyOutranks
		}
		revoked, err := revokeAPIKey(ctx, tx, id, store.NowMillis(s.now()))
		if err != nil || !revoked { // already revoked: nothing to do, no event
			return err
		}
		return s.appendKeyEvent(ctx, tx, actor, events.APIKeyRevoked, k)
	})
}

// APIKeyWorkspace resolves an API key id to its workspace, for authorization.
func (s *Service) APIKeyWorkspace(ctx context.Context, id string) (string, error) {
	k, err := apiKeyByID(ctx, s.db, id)
	if store.ErrNoRows(err) {
		return "", apperr.ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("resolve api key: %w", err)
	}
	return k.WorkspaceID, nil
}

// APIKey returns a key by id.
func (s *Service) APIKey(ctx context.Context, id string) (APIKey, error) {
	k, err := apiKeyByID(ctx, s.db, id)
	if store.ErrNoRows(err) {
		return APIKey{}, apperr.ErrNotFound
	}
	return k, err
}

// AuthenticateAPIKey turns an API key secret into a principal.
func (s *Service) AuthenticateAPIKey(ctx context.Context, secret string) (*access.Principal, error) {
	k, err := liveAPIKeyByHash(ctx, s.db, access.HashSecret(secret))
	if store.ErrNoRows(err) {
		return nil, ErrSessionInvalid
	}
	if err != nil {
		return nil, fmt.Errorf("authenticate api key: %w", err)
	}
	now := store.NowMillis(s.now())
	if k.RevokedAt != 0 || (k.ExpiresAt != 0 && k.ExpiresAt <= now) {
		return nil, ErrSessionInvalid
	}
	// Record use at most once a minute, so a busy integration does not turn
	// every call into a write.
	if now-k.LastUsedAt > time.Minute.Milliseconds() {
		if err := touchAPIKey(ctx, s.db, k.ID, now); err != nil {
			return nil, fmt.Errorf("touch api key: %w", err)
		}
	}
	return &access.Principal{Kind: access.KindAPIKey, APIKeyID: k.ID, UserID: k.CreatedBy,
		WorkspaceID: k.WorkspaceID, Role: k.Role, ExpiresAt: k.ExpiresAt}, nil
}
