package files_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"gocloud.dev/blob"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/config"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
	"github.com/tandem-inbox/tandem/backend/internal/workspace"
)

// TestSecurityServedNameMatchesType: a file's shown and downloaded name
// carries the extension of its sniffed type, so text with a script named
// invoice.html downloads as invoice.txt, served as plain text.
func TestSecurityServedNameMatchesType(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := newWorld(t, opts)
		conv := w.Conversation(w.Visitor)
		body := []byte("Invoice 42, total 10 EUR.\n<script>alert(document.cookie)</script>\n")
		for name, want := range map[string]string{"invoice.html": "invoice.txt", "notes.TXT": "notes.TXT", ".htaccess": "file.txt",
			"report.svg": "report.txt", "log.text": "log.text"} {
			up := w.upload(w.VisitorToken, conv.ID, uuid.NewString(), name, body)
			if up.status != http.StatusOK || up.file.Name != want || up.file.ContentType != "text/plain; charset=utf-8" {
				t.Errorf("%s: upload = %+v, want the name %s", name, up, want)
				continue
			}
			status, h, _ := w.download(w.VisitorToken, up.file.ID)
			if status != http.StatusOK || h.Get("Content-Disposition") != "attachment; filename="+want ||
				!strings.HasPrefix(h.Get("Content-Type"), "text/plain") {
				t.Errorf("%s: download %d, %q, %q", name, status, h.Get("Content-Disposition"), h.Get("Content-Type"))
			}
		}
	})
}

// textFile is n bytes of plain text.
func textFile(n int) []byte { return bytes.Repeat([]byte("a"), n) }

// storedFiles is the number of W1's objects in the bucket and file rows.
func (w *world) storedFiles() (objects, rows int) {
	w.T.Helper()
	iter := w.Srv.Domain().Files.Bucket().List(&blob.ListOptions{Prefix: "ws/" + w.W1.ID + "/"})
	for {
		if _, err := iter.Next(w.Ctx); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			w.T.Fatal(err)
		}
		objects++
	}
	if err := w.Srv.DB().GetContext(w.Ctx, &rows, `SELECT COUNT(*) FROM files WHERE workspace_id = ?`, w.W1.ID); err != nil {
		w.T.Fatal(err)
	}
	return objects, rows
}

// TestSecurityUploadLimits: POST /files is rate limited per uploader; the
// per-visitor, per-conversation and per-workspace byte quotas refuse with
// 429 naming the quota, leaving nothing stored; unsent uploads expire
// after the configured time (2 hours by default); a disk below the reserve
// refuses uploads before anything is written.
func TestSecurityUploadLimits(t *testing.T) {
	t.Parallel()
	defaults, err := config.Load(t.Context(), nil, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if defaults.UploadPendingTTL != 2*time.Hour || defaults.DiskReserve != 1<<30 || defaults.UploadsPerMinute <= 0 ||
		defaults.UploadQuotaVisitor <= 0 || defaults.UploadQuotaConversation <= 0 || defaults.UploadQuotaWorkspace <= 0 {
		t.Errorf("defaults: pending TTL %v, reserve %d, %v uploads/min, quotas %d/%d/%d", defaults.UploadPendingTTL,
			defaults.DiskReserve, defaults.UploadsPerMinute, defaults.UploadQuotaVisitor, defaults.UploadQuotaConversation,
			defaults.UploadQuotaWorkspace)
	}
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		t.Run("rate", func(t *testing.T) {
			w := worldOn(t, rpctest.Start(t, opts, func(c *config.Config) { c.UploadsPerMinute, c.UploadBurst = 1, 3 }))
			conv := w.Conversation(w.Visitor)
			for i := range 3 {
				if up := w.upload(w.VisitorToken, conv.ID, uuid.NewString(), "a.txt", textFile(10)); up.status != http.StatusOK {
					t.Fatalf("upload %d within the burst = %+v", i, up)
				}
			}
			if up := w.upload(w.VisitorToken, conv.ID, uuid.NewString(), "a.txt", textFile(10)); up.status != http.StatusTooManyRequests ||
				up.code != "resource_exhausted" {
				t.Errorf("upload past the burst = %+v, want 429", up)
			}
			// Another uploader has a bucket of its own.
			if up := w.upload(w.Token("agent"), conv.ID, uuid.NewString(), "a.txt", textFile(10)); up.status != http.StatusOK {
				t.Errorf("the agent's upload = %+v", up)
			}
		})

		t.Run("quotas", func(t *testing.T) {
			w := worldOn(t, rpctest.Start(t, opts, func(c *config.Config) {
				c.UploadQuotaVisitor, c.UploadQuotaConversation, c.UploadQuotaWorkspace = 2500, 4500, 6500
			}))
			conv, other := w.Conversation(w.Visitor), w.Conversation(w.Other)
			agent := w.Token("agent")
			for _, step := range []struct {
				token, conv string
				refused     string // the quota named, or ""
			}{
				{w.VisitorToken, conv.ID, ""}, {w.VisitorToken, conv.ID, ""}, {w.VisitorToken, conv.ID, "per-visitor"},
				{agent, conv.ID, ""}, {agent, conv.ID, ""}, {agent, conv.ID, "per-conversation"},
				{agent, other.ID, ""}, {agent, other.ID, ""}, {agent, other.ID, "per-workspace"},
			} {
				before, _ := w.storedFiles()
				up := w.upload(step.token, step.conv, uuid.NewString(), "a.txt", textFile(1000))
				switch {
				case step.refused == "" && up.status != http.StatusOK:
					t.Fatalf("upload = %+v, want it stored", up)
				case step.refused != "" && (up.status != http.StatusTooManyRequests || up.code != "resource_exhausted" ||
					!strings.Contains(up.msg, step.refused)):
					t.Fatalf("upload = %+v, want 429 naming the %s quota", up, step.refused)
				case step.refused != "":
					if after, rows := w.storedFiles(); after != before || after != rows {
						t.Errorf("a refused upload left %d objects (was %d) for %d rows", after, before, rows)
					}
				}
			}
		})

		t.Run("unsent uploads expire", func(t *testing.T) {
			// The lifetime is long enough that uploading and sending the
			// first file never outlasts it, even on a loaded machine (at 1 s
			// it did, and the file was swept before it was sent).
			const ttl = 4 * time.Second
			w := worldOn(t, rpctest.Start(t, opts, func(c *config.Config) { c.UploadPendingTTL = ttl }))
			conv := w.Conversation(w.Visitor)
			sent := w.upload(w.VisitorToken, conv.ID, uuid.NewString(), "sent.txt", textFile(10))
			if _, err := w.Srv.Clients(rpcclient.Connect).Widget.SendMessage(rpcclient.WithToken(w.Ctx, w.VisitorToken),
				&tandemv1.WidgetServiceSendMessageRequest{ConversationId: conv.ID, ClientId: uuid.NewString(), FileIds: []string{sent.file.ID}}); err != nil {
				t.Fatal(err)
			}
			unsent := w.upload(w.VisitorToken, conv.ID, uuid.NewString(), "unsent.txt", textFile(10))
			deadline := time.Now().Add(ttl + 15*time.Second)
			for {
				status, _, _ := w.download(w.VisitorToken, unsent.file.ID)
				if status == http.StatusNotFound {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("an unsent upload is still there 15 s after its %s lifetime", ttl)
				}
				time.Sleep(100 * time.Millisecond)
			}
			if status, _, _ := w.download(w.VisitorToken, sent.file.ID); status != http.StatusOK {
				t.Errorf("a sent file was swept: %d", status)
			}
		})

		t.Run("disk reserve", func(t *testing.T) {
			dir := t.TempDir()
			w := worldOn(t, rpctest.Start(t, opts, func(c *config.Config) {
				c.BlobURL, c.DataDir = "", dir // local files, on both databases
				c.DiskReserve = 1 << 62        // more than any disk has free
			}))
			conv := w.Conversation(w.Visitor)
			up := w.upload(w.VisitorToken, conv.ID, uuid.NewString(), "a.txt", textFile(1000))
			if up.status != http.StatusTooManyRequests || !strings.Contains(up.msg, "disk space") {
				t.Errorf("upload on a full disk = %+v, want 429 saying the disk is low", up)
			}
			if objects, rows := w.storedFiles(); objects != 0 || rows != 0 {
				t.Errorf("%d objects, %d rows after a refused upload", objects, rows)
			}
			// The database still takes writes: the chat goes on.
			if _, err := w.Srv.Clients(rpcclient.Connect).Widget.SendMessage(rpcclient.WithToken(w.Ctx, w.VisitorToken),
				&tandemv1.WidgetServiceSendMessageRequest{ConversationId: conv.ID, ClientId: uuid.NewString(), Body: "still here"}); err != nil {
				t.Errorf("send after a refused upload: %v", err)
			}
		})
	})
}

// TestSecurityAllowFilesEnforced: with the widget's allow_files off, a
// customer can neither upload nor send files uploaded before (agents still
// can); nobody uploads into a closed conversation.
func TestSecurityAllowFilesEnforced(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := newWorld(t, opts)
		conv := w.Conversation(w.Visitor)
		agent := w.Token("agent")
		early := w.upload(w.VisitorToken, conv.ID, uuid.NewString(), "early.png", pngBytes(t))
		if early.status != http.StatusOK {
			t.Fatalf("upload while files are on = %+v", early)
		}
		off := workspace.DefaultWidget()
		off.AllowFiles = false
		if _, err := w.Srv.Domain().Workspaces.Update(w.Ctx, w.Principal("owner"), w.W1.ID, nil, &off); err != nil {
			t.Fatal(err)
		}
		if up := w.upload(w.VisitorToken, conv.ID, uuid.NewString(), "x.png", pngBytes(t)); up.status != http.StatusForbidden ||
			up.code != "permission_denied" || !strings.Contains(up.msg, "files are turned off") {
			t.Errorf("customer upload with files off = %+v, want 403", up)
		}
		c := w.Srv.Clients(rpcclient.Connect)
		_, err := c.Widget.SendMessage(rpcclient.WithToken(w.Ctx, w.VisitorToken), &tandemv1.WidgetServiceSendMessageRequest{
			ConversationId: conv.ID, ClientId: uuid.NewString(), FileIds: []string{early.file.ID}})
		if connect.CodeOf(err) != connect.CodePermissionDenied || !strings.Contains(err.Error(), "files are turned off") {
			t.Errorf("customer send of an earlier upload with files off = %v, want PermissionDenied", err)
		}
		// Text still goes through, and agents still send files.
		if _, err := c.Widget.SendMessage(rpcclient.WithToken(w.Ctx, w.VisitorToken), &tandemv1.WidgetServiceSendMessageRequest{
			ConversationId: conv.ID, ClientId: uuid.NewString(), Body: "no file then"}); err != nil {
			t.Errorf("text send: %v", err)
		}
		if up := w.upload(agent, conv.ID, uuid.NewString(), "label.png", pngBytes(t)); up.status != http.StatusOK {
			t.Errorf("agent upload with customer files off = %+v", up)
		}

		if _, err := w.Srv.Domain().Conversations.Close(w.Ctx, w.Principal("owner"), w.W1.ID, conv.ID); err != nil {
			t.Fatal(err)
		}
		defaults := workspace.DefaultWidget()
		if _, err := w.Srv.Domain().Workspaces.Update(w.Ctx, w.Principal("owner"), w.W1.ID, nil, &defaults); err != nil {
			t.Fatal(err)
		}
		for who, token := range map[string]string{"customer": w.VisitorToken, "agent": agent} {
			if up := w.upload(token, conv.ID, uuid.NewString(), "late.png", pngBytes(t)); up.status != http.StatusBadRequest ||
				up.code != "failed_precondition" || !strings.Contains(up.msg, "closed") {
				t.Errorf("%s upload to a closed conversation = %+v, want failed_precondition", who, up)
			}
		}
	})
}

// TestSecurityWidgetAbuseLimits: one client IP starts a few widget sessions
// a minute (with a burst), not 20 a second; a visitor has at most the
// configured number of conversations open; beyond either, ResourceExhausted.
func TestSecurityWidgetAbuseLimits(t *testing.T) {
	t.Parallel()
	defaults, err := config.Load(t.Context(), nil, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if defaults.WidgetSessionsPerMinute <= 0 || defaults.WidgetSessionsPerMinute > 60 || defaults.WidgetSessionBurst > 50 ||
		defaults.WidgetMaxOpenConversations <= 0 {
		t.Errorf("defaults: %v sessions a minute, burst %d, %d open conversations", defaults.WidgetSessionsPerMinute,
			defaults.WidgetSessionBurst, defaults.WidgetMaxOpenConversations)
	}
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		srv := rpctest.Start(t, opts, func(c *config.Config) {
			c.WidgetSessionsPerMinute, c.WidgetSessionBurst = 6, 3
			c.WidgetMaxOpenConversations = 2
		})
		w := worldOn(t, srv)
		c := srv.Clients(rpcclient.Connect)
		var tokens []string
		for i := range 4 {
			s, err := c.Widget.StartSession(w.Ctx, &tandemv1.StartSessionRequest{PublicKey: w.W1.PublicKey})
			if i < 3 {
				if err != nil {
					t.Fatalf("session %d within the burst: %v", i, err)
				}
				tokens = append(tokens, s.GetToken())
				continue
			}
			var ce *connect.Error
			if !errors.As(err, &ce) || ce.Code() != connect.CodeResourceExhausted || ce.Meta().Get("Retry-After") == "" {
				t.Errorf("session past the burst = %v, want ResourceExhausted with Retry-After", err)
			}
		}

		ctx := rpcclient.WithToken(w.Ctx, tokens[0])
		start := func(clientID string) (*tandemv1.StartConversationResponse, error) {
			return c.Widget.StartConversation(ctx, &tandemv1.StartConversationRequest{ClientId: clientID, Body: "hello"})
		}
		firstID := uuid.NewString()
		first, err := start(firstID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := start(uuid.NewString()); err != nil {
			t.Fatal(err)
		}
		_, err = start(uuid.NewString())
		if connect.CodeOf(err) != connect.CodeResourceExhausted || !strings.Contains(err.Error(), "2 open conversations") {
			t.Errorf("third open conversation = %v, want ResourceExhausted", err)
		}
		// A retry of a start is still answered; a closed one frees a place.
		if again, err := start(firstID); err != nil || again.GetConversation().GetId() != first.GetConversation().GetId() {
			t.Errorf("retried start = %v, %v", again, err)
		}
		if _, err := c.Widget.CloseConversation(ctx, &tandemv1.WidgetServiceCloseConversationRequest{ConversationId: first.GetConversation().GetId()}); err != nil {
			t.Fatal(err)
		}
		if _, err := start(uuid.NewString()); err != nil {
			t.Errorf("start after closing one: %v", err)
		}
		// Another visitor has places of their own.
		if _, err := c.Widget.StartConversation(rpcclient.WithToken(w.Ctx, tokens[1]), &tandemv1.StartConversationRequest{
			ClientId: uuid.NewString(), Body: "hi"}); err != nil {
			t.Errorf("another visitor's start: %v", err)
		}
	})
}
