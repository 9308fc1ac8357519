// Package watch follows a workspace's live event stream
// (ConversationService.Watch) for the desktop app: it resumes from the last
// cursor after any interruption, with capped, jittered backoff; reloads the
// snapshot when the server says the cursor can no longer be resumed from
// (RESYNC_REQUIRED); reconnects when the stream goes quiet for longer than
// the server's heartbeats allow; and stops for good when the session or
// the membership ends.
package watch

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"time"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/api/tandem/v1/tandemv1connect"
	"github.com/tandem-inbox/tandem/desktop/internal/apiclient"
)

// Status is the stream's connection state, for the app to show.
type Status string

// Statuses.
const (
	Connecting Status = "connecting"
	Live       Status = "live"
	// Offline: the last attempt failed; another follows after a backoff.
	Offline Status = "offline"
)

// Handler receives what the stream delivers.
type Handler interface {
	// Event handles one event; the stream resumes after it on reconnect.
	Event(ev *tandemv1.Event)
	// Resync reloads the snapshot (the inbox list) and returns the cursor
	// it reflects; the stream continues from there.
	Resync(ctx context.Context) (cursor string, err error)
	// Status reports connection changes; err is why it went offline.
	Status(s Status, err error)
}

// Options tune a Watcher.
type Options struct {
	// Idle is how long the stream may stay silent (heartbeats included)
	// before it is presumed dead and reopened. The server sends a heartbeat
	// every TANDEM_HEARTBEAT (15 s by default).
	Idle       time.Duration
	MinBackoff time.Duration
	MaxBackoff time.Duration
	Logger     *slog.Logger
}

// Watcher follows one workspace.
type Watcher struct {
	client      tandemv1connect.ConversationServiceClient
	workspaceID string
	h           Handler
	opts        Options
	cursor      string
}

// New returns a watcher of the workspace that starts after cursor.
func New(client tandemv1connect.ConversationServiceClient, workspaceID, cursor string, h Handler, opts Options) *Watcher {
	if opts.Idle <= 0 {
		opts.Idle = 45 * time.Second
	}
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = 500 * time.Millisecond
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = 30 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Watcher{client: client, workspaceID: workspaceID, h: h, opts: opts, cursor: cursor}
}

// Cursor is the position the stream resumes after.
func (w *Watcher) Cursor() string { return w.cursor }

// Run follows the stream until ctx ends (returning ctx.Err()) or the
// server ends the session or the membership for good (returning an
// *apiclient.Error of kind signed_out, forbidden or not_found).
func (w *Watcher) Run(ctx context.Context) error {
	backoff := w.opts.MinBackoff
	for {
		w.h.Status(Connecting, nil)
		received, err := w.once(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if received {
			backoff = w.opts.MinBackoff
		}
		e := apiclient.From(err)
		switch e.Kind {
		case apiclient.KindSignedOut, apiclient.KindForbidden, apiclient.KindNotFound:
			w.h.Status(Offline, e)
			return e
		case apiclient.KindResync:
			w.opts.Logger.Info("stream cursor expired, reloading", "workspace_id", w.workspaceID)
			cursor, rerr := w.h.Resync(ctx)
			if rerr == nil {
				w.cursor = cursor
				continue // at once: the server is up, only the cursor was stale
			}
			e = apiclient.From(rerr)
			if k := e.Kind; k == apiclient.KindSignedOut || k == apiclient.KindForbidden || k == apiclient.KindNotFound {
				w.h.Status(Offline, e)
				return e
			}
		}
		w.h.Status(Offline, e)
		w.opts.Logger.Debug("stream interrupted", "workspace_id", w.workspaceID, "err", err, "retry_in", backoff)
		t := time.NewTimer(backoff/2 + rand.N(backoff/2+1))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		backoff = min(backoff*2, w.opts.MaxBackoff)
	}
}

// errIdle ends a stream that went silent.
var errIdle = apiclient.Errorf(apiclient.KindOffline, "The live connection went quiet; reconnecting.")

// once opens the stream and reads it until it fails. It reports whether
// anything arrived (a sign the connection worked).
func (w *Watcher) once(ctx context.Context) (bool, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	idle := time.AfterFunc(w.opts.Idle, func() { cancel(errIdle) })
	defer idle.Stop()
	stream, err := w.client.Watch(ctx, &tandemv1.WatchRequest{WorkspaceId: w.workspaceID, Cursor: w.cursor})
	if err != nil {
		return false, w.cause(ctx, err)
	}
	defer stream.Close()
	received := false
	for stream.Receive() {
		idle.Reset(w.opts.Idle)
		if !received {
			received = true
			w.h.Status(Live, nil)
		}
		msg := stream.Msg()
		if ev := msg.GetEvent(); ev != nil && !msg.GetHeartbeat() {
			w.h.Event(ev)
		}
		if c := msg.GetCursor(); c != "" {
			w.cursor = c
		}
	}
	err = stream.Err()
	if err == nil {
		// A clean end without an error is still an end: reconnect.
		err = apiclient.Errorf(apiclient.KindOffline, "The server closed the live connection; reconnecting.")
	}
	return received, w.cause(ctx, err)
}

// cause prefers the reason this side ended the stream (idle) over the
// cancellation error it produced.
func (w *Watcher) cause(ctx context.Context, err error) error {
	if c := context.Cause(ctx); c != nil && errors.Is(c, errIdle) {
		return errIdle
	}
	return err
}
