package app

import (
	"context"
	"log/slog"
	"sync"
	"time"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/desktop/internal/apiclient"
	"github.com/tandem-inbox/tandem/desktop/internal/credential"
	"github.com/tandem-inbox/tandem/desktop/internal/outbox"
	"github.com/tandem-inbox/tandem/desktop/internal/profile"
	"github.com/tandem-inbox/tandem/desktop/internal/watch"
)

// core is the state App and Host share.
type core struct {
	cfg     Config
	log     *slog.Logger
	shell   Shell
	outbox  *outbox.Outbox
	tokens  *credential.Store
	profile *profile.Store

	// base lives from Start to Stop; every session derives from it.
	base   context.Context
	cancel context.CancelFunc

	mu     sync.Mutex
	sess   *session
	notice string // why the last session ended, in plain words
	stored credential.Where
	// picked maps ids handed to the frontend to files the person picked,
	// and saved holds files the app saved: the frontend names files only
	// through these, never by a path of its own.
	picked map[string]string
	saved  map[string]bool
}

// session is one signed-in account on one server. Its goroutines (the
// outbox sender, the connect loop, the workspace's stream) end with ctx.
// The token lives only in its client (and in the credential store): when
// the session ends, nothing in the app holds it any more.
type session struct {
	id     outbox.Identity
	email  string
	name   string
	client *apiclient.Client

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu          sync.Mutex
	memberships []*tandemv1.Membership
	ws          *workspace
	conn        watch.Status
	connMsg     string
}

func (s *session) account() string { return s.id.Server + " " + s.id.UserID }

// go runs f as one of the session's goroutines.
func (s *session) goRun(f func()) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		f()
	}()
}

func (s *session) workspace() *workspace {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ws
}

func (c *core) start(ctx context.Context) {
	c.mu.Lock()
	c.base, c.cancel = context.WithCancel(ctx)
	c.mu.Unlock()
	c.restore()
}

func (c *core) stop() {
	c.mu.Lock()
	sess := c.sess
	cancel := c.cancel
	c.mu.Unlock()
	if sess != nil {
		// Leaving for the day: routing must stop sending chats here.
		if ws := sess.workspace(); ws != nil {
			ctx, done := context.WithTimeout(context.WithoutCancel(sess.ctx), 2*time.Second)
			_, _ = sess.client.Presence.SetPresence(ctx, &tandemv1.SetPresenceRequest{WorkspaceId: ws.id, Status: tandemv1.PresenceStatus_PRESENCE_STATUS_OFFLINE})
			done()
		}
		sess.cancel()
		sess.wg.Wait()
	}
	if cancel != nil {
		cancel()
	}
	if err := c.outbox.Close(); err != nil {
		c.log.Warn("close outbox", "err", err)
	}
}

// current returns the session and its loaded workspace, or an error in
// plain words saying why there is none.
func (c *core) current() (*session, *workspace, error) {
	c.mu.Lock()
	sess := c.sess
	c.mu.Unlock()
	if sess == nil {
		return nil, nil, apiclient.Errorf(apiclient.KindSignedOut, "Sign in first.")
	}
	ws := sess.workspace()
	if ws == nil {
		return sess, nil, apiclient.Errorf(apiclient.KindOffline, "Still connecting to the server. Try again in a moment.")
	}
	return sess, ws, nil
}

// ctx is the context bound calls run in.
func (c *core) ctx() context.Context {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.base
}
