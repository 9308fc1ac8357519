package app

import (
	"context"
	"sync"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/desktop/internal/apiclient"
	"github.com/tandem-inbox/tandem/desktop/internal/inbox"
	"github.com/tandem-inbox/tandem/desktop/internal/notify"
	"github.com/tandem-inbox/tandem/desktop/internal/watch"
)

// maxSnapshot bounds how many open conversations the inbox loads at once.
const maxSnapshot = 2000

// workspace is the open workspace of a session: its directory, its live
// inbox and the stream that keeps it live.
type workspace struct {
	id    string
	name  string
	role  tandemv1.Role
	inbox *inbox.Inbox

	mu      sync.Mutex
	members []*tandemv1.Member
	groups  []*tandemv1.Group
	tags    []*tandemv1.Tag
	cursor  string

	cancel context.CancelFunc
	done   chan struct{}
}

// openWorkspace loads what the inbox needs: members, groups, tags and the
// open conversations with the cursor they reflect.
func (c *core) openWorkspace(sess *session, m *tandemv1.Membership) (*workspace, error) {
	ws := &workspace{id: m.GetWorkspaceId(), name: m.GetWorkspaceName(), role: m.GetRole(), inbox: inbox.New(sess.id.UserID)}
	if err := ws.loadDirectory(sess.ctx, sess); err != nil {
		return nil, err
	}
	cursor, err := ws.loadSnapshot(sess.ctx, sess.client)
	if err != nil {
		return nil, err
	}
	ws.cursor = cursor
	return ws, nil
}

func (ws *workspace) loadDirectory(ctx context.Context, sess *session) error {
	cl := sess.client
	var members []*tandemv1.Member
	for token := ""; ; {
		res, err := cl.Workspaces.ListMembers(ctx, &tandemv1.ListMembersRequest{WorkspaceId: ws.id, PageSize: 200, PageToken: token})
		if err != nil {
			return err
		}
		members = append(members, res.GetMembers()...)
		if token = res.GetNextPageToken(); token == "" {
			break
		}
	}
	var groups []*tandemv1.Group
	for token := ""; ; {
		res, err := cl.Workspaces.ListGroups(ctx, &tandemv1.ListGroupsRequest{WorkspaceId: ws.id, PageSize: 200, PageToken: token})
		if err != nil {
			return err
		}
		groups = append(groups, res.GetGroups()...)
		if token = res.GetNextPageToken(); token == "" {
			break
		}
	}
	tags, err := cl.Tags.ListTags(ctx, &tandemv1.ListTagsRequest{WorkspaceId: ws.id})
	if err != nil {
		return err
	}
	ws.mu.Lock()
	ws.members, ws.groups, ws.tags = members, groups, tags.GetTags()
	ws.mu.Unlock()
	return nil
}

// loadSnapshot lists the open conversations into the inbox and returns the
// cursor the list reflects (the first page's: later pages are older, and
// the stream from that cursor brings every change since).
func (ws *workspace) loadSnapshot(ctx context.Context, cl *apiclient.Client) (string, error) {
	var (
		all    []*tandemv1.Conversation
		cursor string
	)
	for token := ""; len(all) < maxSnapshot; {
		res, err := cl.Conversations.ListConversations(ctx, &tandemv1.ListConversationsRequest{WorkspaceId: ws.id, PageSize: 200, PageToken: token})
		if err != nil {
			return "", err
		}
		if cursor == "" {
			cursor = res.GetCursor()
		}
		all = append(all, res.GetConversations()...)
		if token = res.GetNextPageToken(); token == "" {
			break
		}
	}
	ws.inbox.Reset(all)
	return cursor, nil
}

// startWatch follows the workspace's stream until the workspace is left or
// the session ends.
func (c *core) startWatch(sess *session, ws *workspace) {
	ctx, cancel := context.WithCancel(sess.ctx)
	ws.cancel, ws.done = cancel, make(chan struct{})
	w := watch.New(sess.client.Conversations, ws.id, ws.cursor, &streamHandler{c: c, sess: sess, ws: ws},
		watch.Options{Idle: c.cfg.WatchIdle, Logger: c.log})
	sess.goRun(func() {
		defer close(ws.done)
		err := w.Run(ctx)
		if ctx.Err() != nil {
			return
		}
		switch apiclient.KindOf(err) {
		case apiclient.KindSignedOut:
			c.expire(sess, "Your session has ended. Sign in again; anything you wrote is kept and sent after you do.")
		case apiclient.KindNotFound, apiclient.KindForbidden:
			c.setConn(sess, watch.Offline, apiclient.From(err).Message)
		}
	})
}

// stop ends the workspace's stream and waits for it.
func (ws *workspace) stop() {
	if ws.cancel != nil {
		ws.cancel()
		<-ws.done
	}
}

// streamHandler applies a workspace's events to its inbox, tells the
// frontend, and shows the server's notifications natively.
type streamHandler struct {
	c    *core
	sess *session
	ws   *workspace
}

func (h *streamHandler) Event(ev *tandemv1.Event) {
	if conv := h.ws.inbox.Apply(ev); conv != nil {
		ev.Conversation = conv
	}
	h.c.shell.Emit("inbox:event", wire(ev))
	// The server applied the member's preferences when it made it.
	if n, ok := notify.FromEvent(ev); ok {
		if err := h.c.shell.Notify(n); err != nil {
			h.c.log.Warn("notify", "kind", n.Kind, "err", err)
		}
	}
}

func (h *streamHandler) Resync(ctx context.Context) (string, error) {
	if err := h.ws.loadDirectory(ctx, h.sess); err != nil {
		return "", err
	}
	cursor, err := h.ws.loadSnapshot(ctx, h.sess.client)
	if err != nil {
		return "", err
	}
	h.c.shell.Emit("inbox:reset", h.ws.id)
	return cursor, nil
}

func (h *streamHandler) Status(s watch.Status, err error) {
	msg := ""
	if err != nil {
		msg = apiclient.From(err).Message
	}
	if s == watch.Live {
		h.c.outbox.Kick() // the server is reachable again
	}
	h.c.setConn(h.sess, s, msg)
}
