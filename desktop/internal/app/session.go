package app

import (
	"context"
	"errors"
	"strings"
	"time"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/desktop/internal/apiclient"
	"github.com/tandem-inbox/tandem/desktop/internal/credential"
	"github.com/tandem-inbox/tandem/desktop/internal/outbox"
	"github.com/tandem-inbox/tandem/desktop/internal/profile"
	"github.com/tandem-inbox/tandem/desktop/internal/watch"
)

func (c *core) userAgent() string { return "tandem-desktop/" + c.cfg.Version }

// newSession builds a session for a known account and token.
func (c *core) newSession(id outbox.Identity, email, name, token string) (*session, error) {
	cl, err := apiclient.New(id.Server, apiclient.Options{Token: func() string { return token }, Transport: c.cfg.Transport, UserAgent: c.userAgent()})
	if err != nil {
		return nil, err
	}
	s := &session{id: id, email: email, name: name, client: cl, conn: watch.Connecting}
	s.ctx, s.cancel = context.WithCancel(c.ctx())
	return s, nil
}

// signIn exchanges a password for a session token, keeps the token, and
// opens the account's workspace.
func (c *core) signIn(server, email, password string) error {
	server, err := apiclient.NormalizeURL(server)
	if err != nil {
		return err
	}
	email = strings.TrimSpace(email)
	if email == "" || password == "" {
		return apiclient.Errorf(apiclient.KindInvalid, "Enter your email and password.")
	}
	c.endSession("", false)
	anon, err := apiclient.New(server, apiclient.Options{Transport: c.cfg.Transport, UserAgent: c.userAgent()})
	if err != nil {
		return err
	}
	res, err := anon.Auth.Login(c.ctx(), &tandemv1.LoginRequest{Email: email, Password: password})
	if err != nil {
		e := apiclient.From(err)
		if e.Kind == apiclient.KindSignedOut || e.Kind == apiclient.KindInvalid {
			return apiclient.Errorf(apiclient.KindSignedOut, "That email and password don't match an account on this server.")
		}
		return e
	}
	id := outbox.Identity{Server: server, UserID: res.GetUser().GetId()}
	sess, err := c.newSession(id, email, res.GetUser().GetDisplayName(), res.GetToken())
	if err != nil {
		return err
	}
	where, err := c.tokens.Save(sess.account(), res.GetToken())
	if err != nil {
		return apiclient.Errorf(apiclient.KindInternal, "Signed in, but the app could not keep your session: "+err.Error())
	}
	prev, _ := c.profile.Load()
	wsHint := ""
	if prev.Server == server && prev.UserID == id.UserID {
		wsHint = prev.WorkspaceID
	}
	who, err := sess.client.Auth.WhoAmI(sess.ctx, &tandemv1.WhoAmIRequest{})
	if err != nil {
		sess.cancel()
		c.forget(sess)
		return err
	}
	if err := c.activate(sess, who.GetMemberships(), wsHint); err != nil {
		sess.cancel()
		sess.wg.Wait()
		c.forget(sess)
		return err
	}
	if _, err := c.profile.Update(func(p *profile.Profile) {
		p.Server, p.Email, p.UserID, p.UserName, p.SignedIn = server, email, id.UserID, sess.name, true
	}); err != nil {
		c.log.Warn("save profile", "err", err)
	}
	c.mu.Lock()
	c.sess, c.notice, c.stored = sess, "", where
	c.mu.Unlock()
	c.runOutbox(sess)
	c.emitSession()
	return nil
}

// restore signs back in with the remembered account at start. The server
// may be unreachable: the outbox starts sending at once (it needs only the
// identity and the token), and a connect loop opens the workspace when the
// server answers.
func (c *core) restore() {
	p, err := c.profile.Load()
	if err != nil {
		c.log.Warn("load profile", "err", err)
		return
	}
	if !p.SignedIn || p.Server == "" || p.UserID == "" {
		c.emitSession()
		return
	}
	id := outbox.Identity{Server: p.Server, UserID: p.UserID}
	token, err := c.tokens.Load(id.Server + " " + id.UserID)
	if err != nil {
		if !errors.Is(err, credential.ErrNoToken) {
			c.log.Warn("load token", "err", err)
		}
		c.mu.Lock()
		c.notice = "Sign in to continue."
		c.mu.Unlock()
		c.emitSession()
		return
	}
	sess, err := c.newSession(id, p.Email, p.UserName, token)
	if err != nil {
		c.log.Warn("restore session", "err", err)
		return
	}
	c.mu.Lock()
	c.sess = sess
	c.mu.Unlock()
	c.runOutbox(sess)
	sess.goRun(func() { c.connect(sess, p.WorkspaceID) })
	c.emitSession()
}

// connect asks the server who the session is until it answers, then opens
// the workspace. A dead token ends the session.
func (c *core) connect(sess *session, wsHint string) {
	wait := 500 * time.Millisecond
	for {
		who, err := sess.client.Auth.WhoAmI(sess.ctx, &tandemv1.WhoAmIRequest{})
		if err == nil {
			err = c.activate(sess, who.GetMemberships(), wsHint)
		}
		if err == nil || sess.ctx.Err() != nil {
			return
		}
		e := apiclient.From(err)
		if e.Kind == apiclient.KindSignedOut {
			c.expire(sess, "Your session has ended. Sign in again; anything you wrote is kept and sent after you do.")
			return
		}
		c.setConn(sess, watch.Offline, e.Message)
		select {
		case <-sess.ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(wait*2, 30*time.Second)
	}
}

// activate opens a workspace of the memberships (the hinted one if it is
// among them) and starts following it.
func (c *core) activate(sess *session, ms []*tandemv1.Membership, hint string) error {
	if len(ms) == 0 {
		return apiclient.Errorf(apiclient.KindForbidden, "You're not a member of any workspace on this server yet. Ask an admin to invite you.")
	}
	chosen := ms[0]
	for _, m := range ms {
		if m.GetWorkspaceId() == hint {
			chosen = m
		}
	}
	ws, err := c.openWorkspace(sess, chosen)
	if err != nil {
		return err
	}
	sess.mu.Lock()
	sess.memberships, sess.ws = ms, ws
	sess.mu.Unlock()
	c.startWatch(sess, ws)
	if _, err := c.profile.Update(func(p *profile.Profile) { p.WorkspaceID = ws.id }); err != nil {
		c.log.Warn("save profile", "err", err)
	}
	// Opening the app means being at work: routing may send chats here.
	if _, err := sess.client.Presence.SetPresence(sess.ctx, &tandemv1.SetPresenceRequest{WorkspaceId: ws.id, Status: tandemv1.PresenceStatus_PRESENCE_STATUS_ONLINE}); err != nil {
		c.log.Warn("set presence", "err", err)
	}
	c.shell.Emit("inbox:reset", ws.id)
	c.emitSession()
	return nil
}

// runOutbox sends the identity's outbox for as long as the session lasts.
func (c *core) runOutbox(sess *session) {
	sess.goRun(func() {
		err := c.outbox.Run(sess.ctx, sess.id, c.outbox.Via(sess.client), c.cfg.OutboxBackoff)
		if errors.Is(err, outbox.ErrSignedOut) {
			c.expire(sess, "Your session has ended. Sign in again; anything you wrote is kept and sent after you do.")
		}
	})
}

// expire ends a session the server no longer accepts: its token is
// forgotten (kept nowhere), its outbox items wait for the same person.
func (c *core) expire(sess *session, notice string) {
	c.mu.Lock()
	if c.sess != sess {
		c.mu.Unlock()
		return
	}
	c.sess, c.notice = nil, notice
	c.mu.Unlock()
	sess.cancel()
	c.forget(sess)
	c.emitSession()
}

// endSession signs the current session out, if any, and waits for its
// goroutines. With logout, the server is told too.
func (c *core) endSession(notice string, logout bool) {
	c.mu.Lock()
	sess := c.sess
	c.sess, c.notice = nil, notice
	c.mu.Unlock()
	if sess == nil {
		return
	}
	if logout {
		ctx, cancel := context.WithTimeout(sess.ctx, 3*time.Second)
		if ws := sess.workspace(); ws != nil {
			_, _ = sess.client.Presence.SetPresence(ctx, &tandemv1.SetPresenceRequest{WorkspaceId: ws.id, Status: tandemv1.PresenceStatus_PRESENCE_STATUS_OFFLINE})
		}
		if _, err := sess.client.Auth.Logout(ctx, &tandemv1.LogoutRequest{}); err != nil {
			c.log.Info("logout", "err", err)
		}
		cancel()
	}
	sess.cancel()
	sess.wg.Wait()
	c.forget(sess)
}

// forget removes a session's token from wherever it was kept.
func (c *core) forget(sess *session) {
	if err := c.tokens.Delete(sess.account()); err != nil {
		c.log.Warn("delete token", "err", err)
	}
	if _, err := c.profile.Update(func(p *profile.Profile) { p.SignedIn = false }); err != nil {
		c.log.Warn("save profile", "err", err)
	}
}

// switchWorkspace shows another of the account's workspaces.
func (c *core) switchWorkspace(id string) error {
	sess, _, err := c.current()
	if sess == nil {
		return err
	}
	sess.mu.Lock()
	ms := sess.memberships
	old := sess.ws
	sess.mu.Unlock()
	var target *tandemv1.Membership
	for _, m := range ms {
		if m.GetWorkspaceId() == id {
			target = m
		}
	}
	if target == nil {
		return apiclient.Errorf(apiclient.KindNotFound, "You're not a member of that workspace.")
	}
	if old != nil {
		if old.id == id {
			return nil
		}
		old.stop()
	}
	return c.activate(sess, ms, id)
}

func (c *core) setConn(sess *session, st watch.Status, msg string) {
	sess.mu.Lock()
	changed := sess.conn != st || sess.connMsg != msg
	sess.conn, sess.connMsg = st, msg
	sess.mu.Unlock()
	if changed {
		c.emitSession()
	}
}
