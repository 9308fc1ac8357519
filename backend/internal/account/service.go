package account

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// Options tune the service.
type Options struct {
	// SessionTTL is how long a session token lives; 0 means 30 days.
	SessionTTL time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Service manages users, sessions and API keys.
type Service struct {
	db         *store.DB
	log        *events.Log
	now        func() time.Time
	sessionTTL time.Duration
	perEmail   *limiter
	perIP      *limiter
}

// NewService returns the account service.
func NewService(db *store.DB, log *events.Log, opts Options) *Service {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.SessionTTL == 0 {
		opts.SessionTTL = 30 * 24 * time.Hour
	}
	return &Service{
		db: db, log: log, now: opts.Now, sessionTTL: opts.SessionTTL,
		// Five tries at once per account, then one every 12 s; thirty per
		// address, then one every 2 s. Enough for people, not for guessing.
		perEmail: newLimiter(12*time.Second, 5),
		perIP:    newLimiter(2*time.Second, 30),
	}
}

// NormalizeEmail is the stored form of an email address.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// EnsureUser creates the user unless one with the email exists; it reports
// whether it created one. Used to bootstrap the first owner.
func (s *Service) EnsureUser(ctx context.Context, email, displayName, password string) (User, bool, error) {
	var (
		u       User
		created bool
	)
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		u, created, err = s.FindOrCreateUserTx(ctx, tx, email, displayName, password, false)
		return err
	})
	return u, created, err
}

// FindOrCreateUserTx returns the user with the email, creating it with the
// display name and password when there is none. With checkPassword, an
// existing user's password must match. It runs in the caller's transaction.
func (s *Service) FindOrCreateUserTx(ctx context.Context, tx *store.Tx, email, displayName, password string, checkPassword bool) (User, bool, error) {
	email = NormalizeEmail(email)
	u, err := userByEmail(ctx, tx, email)
	switch {
	case err == nil:
		if checkPassword {
			ok, err := access.CheckPassword(u.PasswordHash, password)
			if err != nil {
				return User{}, false, fmt.Errorf("check password of %s: %w", u.ID, err)
			}
			if !ok || u.DisabledAt != 0 {
				return User{}, false, ErrBadCredentials
			}
		}
		return u, false, nil
	case !store.ErrNoRows(err):
		return User{}, false, fmt.Errorf("find user: %w", err)
	}
	if displayName == "" {
		displayName = strings.SplitN(email, "@", 2)[0]
	}
	if len(password) < 10 {
		return User{}, false, apperr.Invalid("password", "must be at least 10 characters")
	}
	now := store.NowMillis(s.now())
	u = User{ID: uuid.NewString(), Email: email, DisplayName: displayName,
		PasswordHash: access.HashPassword(password), CreatedAt: now, UpdatedAt: now}
	if err := insertUser(ctx, tx, &u); err != nil {
		if tx.Dialect.IsUniqueViolation(err) {
			return User{}, false, ErrEmailTaken
		}
		return User{}, false, fmt.Errorf("insert user: %w", err)
	}
	return u, true, nil
}

// Login checks an email and password and opens a session. Attempts are
// limited per account and per client address; a wrong email and a wrong
// password get the same answer in about the same time.
func (s *Service) Login(ctx context.Context, email, password, clientIP string) (Issued, error) {
	email = NormalizeEmail(email)
	now := s.now()
	if !s.perIP.allow(clientIP, now) || !s.perEmail.allow(email, now) {
		return Issued{}, ErrTooManyAttempts
	}
	u, err := userByEmail(ctx, s.db, email)
	if store.ErrNoRows(err) {
		access.CheckNoPassword(password)
		return Issued{}, ErrBadCredentials
	}
	if err != nil {
		return Issued{}, fmt.Errorf("login: %w", err)
	}
	ok, err := access.CheckPassword(u.PasswordHash, password)
	if err != nil {
		return Issued{}, fmt.Errorf("login %s: %w", u.ID, err)
	}
	if !ok || u.DisabledAt != 0 {
		return Issued{}, ErrBadCredentials
	}
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
// every session of the user and opens a fresh one for the caller.
func (s *Service) ChangePassword(ctx context.Context, userID, current, next string) (Issued, error) {
	u, err := userByID(ctx, s.db, userID)
	if err != nil {
		return Issued{}, fmt.Errorf("change password: %w", err)
	}
	ok, err := access.CheckPassword(u.PasswordHash, current)
	if err != nil {
		return Issued{}, fmt.Errorf("change password of %s: %w", userID, err)
	}
	if !ok {
		return Issued{}, apperr.Invalid("current_password", "is incorrect")
	}
	hash := access.HashPassword(next)
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
		return s.appendKeyEvent(ctx, tx, actor, "api_key.created", k)
	})
	if err != nil {
		return APIKey{}, "", err
	}
	return k, secret, nil
}

func (s *Service) appendKeyEvent(ctx context.Context, tx *store.Tx, actor *access.Principal, typ string, k APIKey) error {
	payload, _ := json.Marshal(map[string]string{"api_key_id": k.ID, "name": k.Name, "role": string(k.Role)})
	kind, id := actor.Actor()
	return s.log.Append(ctx, tx, &events.Event{WorkspaceID: k.WorkspaceID, Type: typ,
		ActorKind: kind, ActorID: id, Visibility: events.Admins, Payload: payload})
}

// APIKeys lists a workspace's keys.
func (s *Service) APIKeys(ctx context.Context, workspaceID string) ([]APIKey, error) {
	return apiKeysOfWorkspace(ctx, s.db, workspaceID)
}

// RevokeAPIKey revokes a key of the scope's workspace.
func (s *Service) RevokeAPIKey(ctx context.Context, actor *access.Principal, scope *access.Scope, id string) error {
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		k, err := apiKeyByID(ctx, tx, id)
		if store.ErrNoRows(err) || (err == nil && k.WorkspaceID != scope.WorkspaceID) {
			return apperr.ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("revoke api key: %w", err)
		}
		revoked, err := revokeAPIKey(ctx, tx, id, store.NowMillis(s.now()))
		if err != nil || !revoked { // already revoked: nothing to do, no event
			return err
		}
		return s.appendKeyEvent(ctx, tx, actor, "api_key.revoked", k)
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
