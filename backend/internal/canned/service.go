package canned

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/account"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/contact"
	"github.com/tandem-inbox/tandem/backend/internal/conversation"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/naming"
	"github.com/tandem-inbox/tandem/backend/internal/page"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/workspace"
)

// Conversations finds a conversation of a workspace (conversation.Service).
type Conversations interface {
	Get(ctx context.Context, workspaceID, id string) (conversation.Conversation, error)
}

// Contacts finds a contact of a workspace (contact.Service).
type Contacts interface {
	Get(ctx context.Context, workspaceID, id string) (contact.Contact, error)
}

// Users finds a user (account.Service).
type Users interface {
	User(ctx context.Context, id string) (account.User, error)
}

// Workspaces finds a workspace (workspace.Service).
type Workspaces interface {
	Get(ctx context.Context, id string) (workspace.Workspace, error)
}

// Deps are the collaborators the service needs: the other domains rendering
// reads from, each through the one method it needs, so that tests can pass
// small fakes. Settings go in Options (see server/wire.go).
type Deps struct {
	Conversations Conversations
	Contacts      Contacts
	Users         Users
	Workspaces    Workspaces
}

// Options tune the service.
type Options struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Service manages canned responses.
type Service struct {
	db   *store.DB
	log  *events.Log
	deps Deps
	now  func() time.Time
}

// NewService returns the canned response service.
func NewService(db *store.DB, log *events.Log, deps Deps, opts Options) *Service {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Service{db: db, log: log, deps: deps, now: opts.Now}
}

// Create saves a response in the scope's workspace: workspace-wide, which
// needs the role supervisor or above, or personal, which needs a signed-in
// person.
func (s *Service) Create(ctx context.Context, actor *access.Principal, scope *access.Scope, shortcut, title, body string, personal bool) (Response, error) {
	title, err := clean(shortcut, title, body)
	if err != nil {
		return Response{}, err
	}
	owner := ""
	if personal {
		if owner = ownerOf(actor); owner == "" {
			return Response{}, ErrPeopleOnly
		}
	} else if !scope.Role.AtLeast(access.RoleSupervisor) {
		return Response{}, ErrSupervisorsOnly
	}
	now := store.NowMillis(s.now())
	r := Response{ID: uuid.NewString(), WorkspaceID: scope.WorkspaceID, OwnerUserID: owner, Shortcut: shortcut,
		Title: title, Body: body, CreatedBy: actor.UserID, CreatedAt: now, UpdatedAt: now}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := insertResponse(ctx, tx, &r); err != nil {
			if tx.Dialect.IsUniqueViolation(err) {
				return ErrShortcutTaken
			}
			return fmt.Errorf("insert canned response: %w", err)
		}
		return s.appendEvent(ctx, tx, actor, events.CannedResponseCreated, &r)
	})
	return r, err
}

// List pages by shortcut through the workspace's workspace-wide responses
// and the caller's personal ones; a query keeps those whose shortcut starts
// with it or whose title or body contains it.
func (s *Service) List(ctx context.Context, p *access.Principal, workspaceID, query string, size int32, token string) ([]Response, string, error) {
	query = strings.TrimSpace(query)
	if utf8.RuneCountInString(query) > MaxQuery {
		return nil, "", apperr.Invalid("query", "must be at most 100 characters")
	}
	var afterShortcut, afterID string
	if _, err := page.Decode(token, &afterShortcut, &afterID); err != nil {
		return nil, "", err
	}
	limit := page.Size(size)
	rs, err := responsesPage(ctx, s.db, workspaceID, ownerOf(p), query, afterShortcut, afterID, limit+1)
	if err != nil {
		return nil, "", fmt.Errorf("list canned responses: %w", err)
	}
	rs, next := page.Cut(rs, limit, func(r Response) []any { return []any{r.Shortcut, r.ID} })
	return rs, next, nil
}

// Update changes a response; nil fields stay. A change that changes nothing
// writes nothing and appends no event.
func (s *Service) Update(ctx context.Context, actor *access.Principal, scope *access.Scope, id string, shortcut, title, body *string) (Response, error) {
	if shortcut != nil {
		if err := checkShortcut(*shortcut); err != nil {
			return Response{}, err
		}
	}
	if title != nil {
		t, err := cleanTitle(*title)
		if err != nil {
			return Response{}, err
		}
		title = &t
	}
	if body != nil {
		if err := checkBody(*body); err != nil {
			return Response{}, err
		}
	}
	var r Response
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if r, err = s.changeable(ctx, tx, actor, scope, id); err != nil {
			return err
		}
		before := r
		if shortcut != nil {
			r.Shortcut = *shortcut
		}
		if title != nil {
			r.Title = *title
		}
		if body != nil {
			r.Body = *body
		}
		if r == before {
			return nil
		}
		r.UpdatedAt = store.NowMillis(s.now())
		if err := updateResponse(ctx, tx, &r); err != nil {
			if tx.Dialect.IsUniqueViolation(err) {
				return ErrShortcutTaken
			}
			return fmt.Errorf("update canned response: %w", err)
		}
		return s.appendEvent(ctx, tx, actor, events.CannedResponseUpdated, &r)
	})
	return r, err
}

// Delete removes a response.
func (s *Service) Delete(ctx context.Context, actor *access.Principal, scope *access.Scope, id string) error {
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		r, err := s.changeable(ctx, tx, actor, scope, id)
		if err != nil {
			return err
		}
		if err := deleteResponse(ctx, tx, id); err != nil {
			return fmt.Errorf("delete canned response: %w", err)
		}
		return s.appendEvent(ctx, tx, actor, events.CannedResponseDeleted, &r)
	})
}

// Get returns a response the principal may see.
func (s *Service) Get(ctx context.Context, p *access.Principal, scope *access.Scope, id string) (Response, error) {
	return s.visible(ctx, s.db, p, scope, id, "")
}

// Render fills a response's variables for a conversation of its workspace,
// as the calling agent would send it.
func (s *Service) Render(ctx context.Context, p *access.Principal, scope *access.Scope, id, conversationID string) (string, error) {
	r, err := s.RenderDetail(ctx, p, scope, id, conversationID)
	return r.Text, err
}

// RenderDetail is Render, also naming the variables that rendered empty.
func (s *Service) RenderDetail(ctx context.Context, p *access.Principal, scope *access.Scope, id, conversationID string) (Rendered, error) {
	r, err := s.visible(ctx, s.db, p, scope, id, "")
	if err != nil {
		return Rendered{}, err
	}
	conv, err := s.deps.Conversations.Get(ctx, r.WorkspaceID, conversationID)
	if apperr.Is(err, apperr.NotFound) {
		return Rendered{}, ErrNotConversation
	}
	if err != nil {
		return Rendered{}, fmt.Errorf("render: %w", err)
	}
	// A conversation's contact is not expected to vanish; if it has, the
	// customer's variables render empty rather than the call failing.
	c, err := s.deps.Contacts.Get(ctx, r.WorkspaceID, conv.ContactID)
	if err != nil && !apperr.Is(err, apperr.NotFound) {
		return Rendered{}, fmt.Errorf("render: %w", err)
	}
	// An API key has no name of its own to sign with: {{agent.name}} is
	// empty when an integration renders.
	agent := ""
	if p.Kind == access.KindUser {
		u, err := s.deps.Users.User(ctx, p.UserID)
		if err != nil {
			return Rendered{}, fmt.Errorf("render: %w", err)
		}
		agent = u.DisplayName
	}
	w, err := s.deps.Workspaces.Get(ctx, r.WorkspaceID)
	if err != nil {
		return Rendered{}, fmt.Errorf("render: %w", err)
	}
	return RenderDetail(r.Body, Variables(c, agent, conv.ID, w.Name)), nil
}

// WorkspaceOf resolves a response id to its workspace, for authorization.
// Whether the caller may see a personal response is the service's to say.
func (s *Service) WorkspaceOf(ctx context.Context, id string) (string, error) {
	r, err := responseByID(ctx, s.db, id, "")
	if store.ErrNoRows(err) {
		return "", apperr.ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("resolve canned response: %w", err)
	}
	return r.WorkspaceID, nil
}

// visible loads a response the principal may see: any workspace-wide one of
// the scope's workspace, or a personal one of their own. Anything else does
// not exist for them.
func (s *Service) visible(ctx context.Context, q store.Querier, p *access.Principal, scope *access.Scope, id, lock string) (Response, error) {
	r, err := responseByID(ctx, q, id, lock)
	if store.ErrNoRows(err) {
		return Response{}, apperr.ErrNotFound
	}
	if err != nil {
		return Response{}, fmt.Errorf("get canned response: %w", err)
	}
	if r.WorkspaceID != scope.WorkspaceID || (r.Personal() && r.OwnerUserID != ownerOf(p)) {
		return Response{}, apperr.ErrNotFound
	}
	return r, nil
}

// changeable locks a response the principal may change: their own personal
// one, or a workspace-wide one when their role is supervisor or above.
func (s *Service) changeable(ctx context.Context, tx *store.Tx, p *access.Principal, scope *access.Scope, id string) (Response, error) {
	r, err := s.visible(ctx, tx, p, scope, id, tx.Dialect.ForUpdate())
	if err != nil {
		return Response{}, err
	}
	if !r.Personal() && !scope.Role.AtLeast(access.RoleSupervisor) {
		return Response{}, ErrSupervisorsOnly
	}
	return r, nil
}

// appendEvent records a change to r in tx. A personal response's events are
// for its owner's eyes (events.Self) only. The fields go under "data", where
// Watch streams pass them on to clients.
func (s *Service) appendEvent(ctx context.Context, tx *store.Tx, actor *access.Principal, typ events.Type, r *Response) error {
	data := map[string]string{"canned_response_id": r.ID, "shortcut": r.Shortcut, "title": r.Title}
	vis := events.Agents
	if r.Personal() {
		data["owner_user_id"] = r.OwnerUserID
		vis = events.Self
	}
	payload, err := json.Marshal(map[string]any{"data": data})
	if err != nil {
		return fmt.Errorf("encode %s: %w", typ, err)
	}
	kind, id := actor.Actor()
	return s.log.Append(ctx, tx, &events.Event{WorkspaceID: r.WorkspaceID, Type: typ, ActorKind: kind, ActorID: id,
		Visibility: vis, Payload: payload})
}

// ownerOf is the owner of the principal's personal responses: a signed-in
// user; "" for anyone else (API keys have none).
func ownerOf(p *access.Principal) string {
	if p == nil || p.Kind != access.KindUser {
		return ""
	}
	return p.UserID
}

// clean checks a new response's fields and returns its trimmed title.
func clean(shortcut, title, body string) (string, error) {
	if err := checkShortcut(shortcut); err != nil {
		return "", err
	}
	title, err := cleanTitle(title)
	if err != nil {
		return "", err
	}
	return title, checkBody(body)
}

// checkShortcut allows 1 to 32 of [a-z0-9_-]. With no spaces and no case,
// both dialects agree on which shortcuts collide.
func checkShortcut(s string) error {
	if s == "" || len(s) > MaxShortcut {
		return errShortcut
	}
	for i := range len(s) {
		switch c := s[i]; {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '_', c == '-':
		default:
			return errShortcut
		}
	}
	return nil
}

// cleanTitle trims a title and checks it is 1 to 100 characters.
func cleanTitle(t string) (string, error) {
	t = strings.TrimSpace(t)
	switch {
	case t == "":
		return "", apperr.Invalid("title", "must not be blank")
	case !utf8.ValidString(t):
		return "", apperr.Invalid("title", "must be UTF-8 text")
	case utf8.RuneCountInString(t) > MaxTitle:
		return "", apperr.Invalid("title", "must be at most 100 characters")
	}
	// A title is a name teammates see in the picker: the rule of names holds.
	if err := naming.Check("title", t); err != nil {
		return "", err
	}
	return t, nil
}

// checkBody checks a body is 1 to 16384 bytes of text, not all blank. It is
// kept as written: its spacing is the reply's.
func checkBody(b string) error {
	switch {
	case strings.TrimSpace(b) == "":
		return apperr.Invalid("body", "must not be blank")
	case len(b) > MaxBody:
		return apperr.Invalid("body", "must be at most 16384 bytes")
	case !utf8.ValidString(b):
		return apperr.Invalid("body", "must be UTF-8 text")
	}
	return nil
}
