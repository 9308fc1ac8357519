package account

import (
	"context"
	"maps"
	"slices"
	"sync"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// ErrNoLongerMember ends the stream of someone removed from its workspace.
var ErrNoLongerMember = apperr.New(apperr.NotFound, "you are no longer a member of this workspace")

// MemberCheck returns which of the users are live members of the workspace
// (workspace.Service.LiveMembers).
type MemberCheck func(ctx context.Context, workspaceID string, userIDs []string) (map[string]bool, error)

// StreamGuard re-checks, for every stream a replica serves, that its
// caller may still read it: the session or API key is live and unexpired,
// the user is not disabled and is still a member of the workspace. One
// pass every interval checks all of them with a few batched queries;
// checking each stream on each of its heartbeats was most of what an idle
// replica did (tandembench S3). Removals and revoked keys also end a stream
// as soon as their event reaches it; the passes catch what the workspace's
// log does not carry: sign-outs, password changes, expiry, disabled users.
type StreamGuard struct {
	s       *Service
	members MemberCheck

	mu   sync.Mutex
	open map[*guarded]struct{}
}

type guarded struct {
	p      *access.Principal
	ws     string
	cancel context.CancelCauseFunc
}

// NewStreamGuard returns a guard of streams; Check runs a pass.
func (s *Service) NewStreamGuard(members MemberCheck) *StreamGuard {
	return &StreamGuard{s: s, members: members, open: map[*guarded]struct{}{}}
}

// Guard returns a context that ends when p may no longer read the
// workspace's stream, with the reason (an apperr) as its cause, and the
// release to call when the stream ends.
func (g *StreamGuard) Guard(ctx context.Context, p *access.Principal, workspaceID string) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(ctx)
	e := &guarded{p: p, ws: workspaceID, cancel: cancel}
	g.mu.Lock()
	g.open[e] = struct{}{}
	g.mu.Unlock()
	return ctx, func() {
		g.mu.Lock()
		delete(g.open, e)
		g.mu.Unlock()
		cancel(nil)
	}
}

// Check runs one pass over the open streams and returns how many it
// ended. A pass that cannot read the database ends none: their reads fail
// on their own.
func (g *StreamGuard) Check(ctx context.Context) (int, error) {
	g.mu.Lock()
	open := make([]*guarded, 0, len(g.open))
	for e := range g.open {
		open = append(open, e)
	}
	g.mu.Unlock()
	if len(open) == 0 {
		return 0, nil
	}
	sessions, keys := set{}, set{}
	users := map[string]set{} // workspace id -> user ids
	for _, e := range open {
		switch e.p.Kind {
		case access.KindUser:
			sessions[e.p.SessionID] = struct{}{}
		case access.KindAPIKey:
			keys[e.p.APIKeyID] = struct{}{}
		}
		if users[e.ws] == nil {
			users[e.ws] = set{}
		}
		users[e.ws][e.p.UserID] = struct{}{}
	}
	liveSessions, err := store.FoundIn(ctx, g.s.db, `SELECT s.id FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.revoked_at = 0 AND u.disabled_at = 0 AND s.id IN (%s)`, sessions.list())
	if err != nil {
		return 0, err
	}
	// A key dies with its creator's account, as AuthenticateAPIKey has it:
	// its stream ends as its next call would, Unauthenticated.
	liveKeys, err := store.FoundIn(ctx, g.s.db, `SELECT k.id FROM api_keys k JOIN users u ON u.id = k.created_by
		WHERE k.revoked_at = 0 AND u.disabled_at = 0 AND k.id IN (%s)`, keys.list())
	if err != nil {
		return 0, err
	}
	members := map[string]map[string]bool{}
	for ws, ids := range users {
		if members[ws], err = g.members(ctx, ws, ids.list()); err != nil {
			return 0, err
		}
	}
	now := store.NowMillis(g.s.now())
	ended := 0
	for _, e := range open {
		switch {
		case e.p.ExpiresAt != 0 && e.p.ExpiresAt <= now,
			e.p.Kind == access.KindUser && !liveSessions[e.p.SessionID],
			e.p.Kind == access.KindAPIKey && !liveKeys[e.p.APIKeyID]:
			e.cancel(ErrSessionInvalid)
			ended++
		case !members[e.ws][e.p.UserID]:
			e.cancel(ErrNoLongerMember)
			ended++
		}
	}
	return ended, nil
}

type set map[string]struct{}

func (s set) list() []string { return slices.Collect(maps.Keys(s)) }
