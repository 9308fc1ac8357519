package app

import (
	"strings"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/desktop/internal/outbox"
	"github.com/tandem-inbox/tandem/desktop/internal/watch"
)

// SessionView is the session as the frontend shows it.
type SessionView struct {
	SignedIn bool   `json:"signed_in"`
	Server   string `json:"server"`
	Email    string `json:"email"`
	UserID   string `json:"user_id"`
	UserName string `json:"user_name"`
	// Ready is true once the workspace is loaded.
	Ready       bool            `json:"ready"`
	Workspaces  []WorkspaceView `json:"workspaces"`
	WorkspaceID string          `json:"workspace_id"`
	// Role in the workspace: agent, supervisor, admin or owner.
	Role string `json:"role"`
	// Connection is connecting, live or offline.
	Connection        string `json:"connection"`
	ConnectionMessage string `json:"connection_message"`
	// Notice says why the person is signed out, if they did not choose to.
	Notice string `json:"notice"`
	// TokenStorage is where the token is kept: keychain or file.
	TokenStorage string `json:"token_storage"`
}

// WorkspaceView is one of the account's workspaces.
type WorkspaceView struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Role string `json:"role"`
}

func roleName(r tandemv1.Role) string {
	return strings.ToLower(strings.TrimPrefix(r.String(), "ROLE_"))
}

func (c *core) sessionView() SessionView {
	c.mu.Lock()
	sess, notice, stored := c.sess, c.notice, c.stored
	c.mu.Unlock()
	if sess == nil {
		v := SessionView{Notice: notice, Connection: string(watch.Offline)}
		if p, err := c.profile.Load(); err == nil {
			v.Server, v.Email = p.Server, p.Email
		}
		return v
	}
	sess.mu.Lock()
	defer sess.mu.Unlock()
	v := SessionView{SignedIn: true, Server: sess.id.Server, Email: sess.email, UserID: sess.id.UserID, UserName: sess.name,
		Connection: string(sess.conn), ConnectionMessage: sess.connMsg, TokenStorage: string(stored)}
	for _, m := range sess.memberships {
		v.Workspaces = append(v.Workspaces, WorkspaceView{ID: m.GetWorkspaceId(), Name: m.GetWorkspaceName(), Role: roleName(m.GetRole())})
	}
	if sess.ws != nil {
		v.Ready, v.WorkspaceID, v.Role = true, sess.ws.id, roleName(sess.ws.role)
	}
	return v
}

func (c *core) emitSession() { c.shell.Emit("session", c.sessionView()) }

// State returns the session as it stands.
func (a *App) State() SessionView { return a.c.sessionView() }

// SignIn signs in to a Tandem server and opens the account's last (or
// first) workspace.
func (a *App) SignIn(server, email, password string) (SessionView, error) {
	if err := a.c.signIn(server, email, password); err != nil {
		return a.c.sessionView(), err
	}
	return a.c.sessionView(), nil
}

// SignOut ends the session on the server and forgets its token. Queued
// replies stay in the outbox, to be sent when the same person signs in.
func (a *App) SignOut() SessionView {
	a.c.endSession("", true)
	a.c.emitSession()
	return a.c.sessionView()
}

// SwitchWorkspace opens another of the account's workspaces.
func (a *App) SwitchWorkspace(workspaceID string) (SessionView, error) {
	err := a.c.switchWorkspace(workspaceID)
	return a.c.sessionView(), err
}

// Outbox returns the signed-in (or last) account's outbox items.
func (a *App) Outbox() []outbox.Item {
	id, ok := a.c.identity()
	if !ok {
		return []outbox.Item{}
	}
	items := a.c.outbox.Items(id)
	if items == nil {
		items = []outbox.Item{}
	}
	return items
}

// identity is the current account, or the last one while signed out (its
// queued items are shown as waiting for sign-in).
func (c *core) identity() (outbox.Identity, bool) {
	c.mu.Lock()
	sess := c.sess
	c.mu.Unlock()
	if sess != nil {
		return sess.id, true
	}
	p, err := c.profile.Load()
	if err != nil || p.UserID == "" {
		return outbox.Identity{}, false
	}
	return outbox.Identity{Server: p.Server, UserID: p.UserID}, true
}
