package contact

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/workspace"
)

// VisitorSessionTTL is how long a widget keeps its visitor token.
const VisitorSessionTTL = 90 * 24 * time.Hour

// DefaultIdentityMaxAge is the longest lifetime (exp - iat) of a signed
// identity when Options leave IdentityMaxAge unset.
const DefaultIdentityMaxAge = 24 * time.Hour

// Options tune the service.
type Options struct {
	Now func() time.Time
	// IdentityMaxAge is the longest lifetime (exp - iat) of a signed
	// identity; 0 means DefaultIdentityMaxAge.
	IdentityMaxAge time.Duration
	// ClockSkew is how far a store's clock may be off when its identity's
	// iat and exp are checked.
	ClockSkew time.Duration
}

// Service manages contacts and visitor sessions.
type Service struct {
	db         *store.DB
	log        *events.Log
	workspaces *workspace.Service
	now        func() time.Time
	maxAge     time.Duration
	skew       time.Duration
}

// NewService returns the contact service.
func NewService(db *store.DB, log *events.Log, workspaces *workspace.Service, opts Options) *Service {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.IdentityMaxAge <= 0 {
		opts.IdentityMaxAge = DefaultIdentityMaxAge
	}
	return &Service{db: db, log: log, workspaces: workspaces, now: opts.Now, maxAge: opts.IdentityMaxAge, skew: max(opts.ClockSkew, 0)}
}

// SessionRequest is what a widget sends to start a session.
type SessionRequest struct {
	PublicKey         string
	IdentityJSON      string
	IdentitySignature string
	Name, Email       string
	Attributes        map[string]string
	// What the browser says of itself: its User-Agent header, its IANA
	// time zone and the page the widget runs on.
	UserAgent, TimeZone, PageURL string
}

// StartSession opens a visitor session for the workspace with the public
// key. A correctly signed identity finds (or makes) the contact with that
// external id, so a shopper keeps their history across devices; otherwise a
// new anonymous contact is made.
func (s *Service) StartSession(ctx context.Context, req SessionRequest) (Session, error) {
	ws, err := s.workspaces.ByPublicKey(ctx, req.PublicKey)
	if err != nil {
		return Session{}, err
	}
	var id *Identity
	if req.IdentityJSON != "" || req.IdentitySignature != "" {
		if id, err = s.verifyIdentity(ws, req.IdentityJSON, req.IdentitySignature); err != nil {
			return Session{}, err
		}
	}
	now := store.NowMillis(s.now())
	token, hash := access.NewSecret(access.PrefixVisitor)
	expires := store.NowMillis(s.now().Add(VisitorSessionTTL))
	var c Contact
	// A new session writes in its workspace as its visitor will: an
	// anonymous caller's turn (a flood of new sessions waits apart from
	// the team's writes).
	ctx = store.WithAnonymousTenant(ctx, ws.ID)
	// Two first sessions of one shopper may race to create their contact;
	// the loser runs again and finds the winner's.
	for attempt := 0; attempt < 3; attempt++ {
		if err = s.startSession(ctx, ws, req, id, hash, now, expires, &c); !errors.Is(err, errContactRace) {
			break
		}
	}
	if err != nil {
		return Session{}, err
	}
	return Session{Token: token, ExpiresAt: expires, Contact: c, WorkspaceName: ws.Name}, nil
}

var errContactRace = errors.New("contact created concurrently")

func (s *Service) startSession(ctx context.Context, ws workspace.Workspace, req SessionRequest, id *Identity, hash []byte, now, expires int64, out *Contact) error {
	var c Contact
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		created := true
		if id != nil {
			existing, err := getContact(ctx, tx, `workspace_id = ? AND external_id = ?`+tx.Dialect.ForUpdate(), ws.ID, id.ExternalID)
			switch {
			case err == nil:
				c, created = existing, false
			case !store.ErrNoRows(err):
				return fmt.Errorf("find contact: %w", err)
			}
		}
		if created {
			c = Contact{ID: uuid.NewString(), WorkspaceID: ws.ID, CreatedAt: now}
		}
		c.apply(req, id)
		c.UpdatedAt, c.LastSeenAt = now, now
		c.addPage(req.PageURL, now)
		if created {
			if err := insertContact(ctx, tx, &c); err != nil {
				if tx.Dialect.IsUniqueViolation(err) {
					return errContactRace
				}
				return fmt.Errorf("insert contact: %w", err)
			}
		} else if err := updateContact(ctx, tx, &c); err != nil {
			return fmt.Errorf("update contact: %w", err)
		}
		if err := insertSession(ctx, tx, uuid.NewString(), ws.ID, c.ID, hash, now, expires); err != nil {
			return fmt.Errorf("insert visitor session: %w", err)
		}
		typ := events.ContactUpdated
		if created {
			typ = events.ContactCreated
		}
		payload, _ := json.Marshal(map[string]any{"contact": c})
		return s.log.Append(ctx, tx, &events.Event{WorkspaceID: ws.ID, Type: typ, ActorKind: events.ActorVisitor, ActorID: c.ID,
			Visibility: events.Agents, Payload: payload})
	})
	*out = c
	return err
}

// apply folds what the widget sent into the contact: signed fields win and
// are verified; unsigned ones fill in and stay unverified.
func (c *Contact) apply(req SessionRequest, id *Identity) {
	if c.Verified == nil {
		c.Verified = store.JSONMap{}
	}
	if c.Unverified == nil {
		c.Unverified = store.JSONMap{}
	}
	if id != nil {
		ext := id.ExternalID
		c.ExternalID = &ext
		c.IdentityVerified = true
		if id.Name != "" {
			c.Name = id.Name
		}
		if id.Email != "" {
			c.Email = strings.ToLower(id.Email)
		}
		for k, v := range id.Attributes {
			c.Verified[k] = attributeString(v)
			delete(c.Unverified, k)
		}
	}
	if c.Name == "" {
		c.Name = req.Name
	}
	if c.Email == "" {
		c.Email = strings.ToLower(req.Email)
	}
	for k, v := range req.Attributes {
		if _, vouched := c.Verified[k]; !vouched {
			c.Unverified[k] = v
		}
	}
	if req.UserAgent != "" {
		c.UserAgent = store.Truncate(req.UserAgent, 512)
	}
	if timeZonePattern.MatchString(req.TimeZone) {
		c.TimeZone = req.TimeZone
	}
}

// timeZonePattern is the shape of an IANA zone name ("Europe/Berlin",
// "America/Argentina/Buenos_Aires", "UTC", "Etc/GMT+5"); anything else a
// browser sends is dropped.
var timeZonePattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_+-]{0,30}(/[A-Za-z0-9_+-]{1,30}){0,2}$`)

// Visited records that the visitor was on a page (when they started a
// conversation there), for agents looking at their profile.
func (s *Service) Visited(ctx context.Context, actor *access.Principal, workspaceID, id, url string) error {
	if url == "" {
		return nil
	}
	_, err := s.edit(ctx, actor, workspaceID, id, func(c *Contact) error {
		now := store.NowMillis(s.now())
		c.addPage(url, now)
		c.LastSeenAt = now
		return nil
	})
	return err
}

// edit changes a contact under its row lock with change, and logs
// contact.updated in the same transaction.
func (s *Service) edit(ctx context.Context, actor *access.Principal, workspaceID, id string, change func(*Contact) error) (Contact, error) {
	var c Contact
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		c, err = getContact(ctx, tx, `id = ? AND workspace_id = ?`+tx.Dialect.ForUpdate(), id, workspaceID)
		if store.ErrNoRows(err) {
			return apperr.ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("load contact: %w", err)
		}
		if err := change(&c); err != nil {
			return err
		}
		c.UpdatedAt = store.NowMillis(s.now())
		if err := updateContact(ctx, tx, &c); err != nil {
			return fmt.Errorf("update contact: %w", err)
		}
		payload, _ := json.Marshal(map[string]any{"contact": c})
		kind, actorID := actor.Actor()
		return s.log.Append(ctx, tx, &events.Event{WorkspaceID: workspaceID, Type: events.ContactUpdated, ActorKind: kind, ActorID: actorID,
			Visibility: events.Agents, Payload: payload})
	})
	return c, err
}

func attributeString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case nil:
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// AuthenticateVisitor turns a visitor token into a principal.
func (s *Service) AuthenticateVisitor(ctx context.Context, token string) (*access.Principal, error) {
	row, err := sessionByHash(ctx, s.db, access.HashSecret(token))
	if store.ErrNoRows(err) {
		return nil, apperr.New(apperr.Unauthenticated, "this chat session has expired; start a new one")
	}
	if err != nil {
		return nil, fmt.Errorf("authenticate visitor: %w", err)
	}
	if row.RevokedAt != 0 || row.ExpiresAt <= store.NowMillis(s.now()) {
		return nil, apperr.New(apperr.Unauthenticated, "this chat session has expired; start a new one")
	}
	return &access.Principal{Kind: access.KindVisitor, VisitorID: row.ContactID, SessionID: row.ID,
		WorkspaceID: row.WorkspaceID, ExpiresAt: row.ExpiresAt}, nil
}

// Get returns a contact of the workspace.
func (s *Service) Get(ctx context.Context, workspaceID, id string) (Contact, error) {
	c, err := getContact(ctx, s.db, `id = ? AND workspace_id = ?`, id, workspaceID)
	if store.ErrNoRows(err) {
		return Contact{}, apperr.ErrNotFound
	}
	return c, err
}

// ByIDs returns the contacts with the ids, by id.
func (s *Service) ByIDs(ctx context.Context, ids []string) (map[string]Contact, error) {
	cs, err := contactsByID(ctx, s.db, ids)
	if err != nil {
		return nil, fmt.Errorf("load contacts: %w", err)
	}
	out := make(map[string]Contact, len(cs))
	for _, c := range cs {
		out[c.ID] = c
	}
	return out, nil
}

// Update edits what agents may: name, email and unverified attributes (an
// empty value removes one). Verified fields stay as the store vouched.
func (s *Service) Update(ctx context.Context, actor *access.Principal, workspaceID, id string, name, email *string, attrs map[string]string) (Contact, error) {
	return s.edit(ctx, actor, workspaceID, id, func(c *Contact) error {
		if name != nil {
			c.Name = strings.TrimSpace(*name)
		}
		if email != nil {
			c.Email = strings.ToLower(strings.TrimSpace(*email))
		}
		if c.Unverified == nil {
			c.Unverified = store.JSONMap{}
		}
		for k, v := range attrs {
			if _, vouched := c.Verified[k]; vouched {
				return apperr.Invalid("attributes", fmt.Sprintf("%q was verified by the store and cannot be edited", k))
			}
			if v == "" {
				delete(c.Unverified, k)
			} else {
				c.Unverified[k] = v
			}
		}
		return nil
	})
}

// Search finds a workspace's contacts whose name, email or external id
// contains the query, most recently seen first.
func (s *Service) Search(ctx context.Context, workspaceID, query string, limit int) ([]Contact, error) {
	like := "%" + store.LikeEscape(strings.ToLower(query)) + "%"
	var cs []Contact
	err := s.db.SelectContext(ctx, &cs, `SELECT `+contactColumns+` FROM contacts WHERE workspace_id = ?
		AND (LOWER(name) LIKE ? ESCAPE '!' OR email LIKE ? ESCAPE '!' OR LOWER(COALESCE(external_id, '')) LIKE ? ESCAPE '!')
		ORDER BY last_seen_at DESC, id LIMIT ?`, workspaceID, like, like, like, limit)
	if err != nil {
		return nil, fmt.Errorf("search contacts: %w", err)
	}
	for i := range cs {
		if err := cs[i].decode(); err != nil {
			return nil, err
		}
	}
	return cs, nil
}

// WorkspaceOf resolves a contact id to its workspace, for authorization.
func (s *Service) WorkspaceOf(ctx context.Context, id string) (string, error) {
	var ws string
	err := s.db.GetContext(ctx, &ws, `SELECT workspace_id FROM contacts WHERE id = ?`, id)
	if store.ErrNoRows(err) {
		return "", apperr.ErrNotFound
	}
	return ws, err
}
