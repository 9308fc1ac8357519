package files_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"image"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/files"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// upload is one POST /files answer.
type upload struct {
	status int
	file   struct{ ID, Name, ContentType string }
	code   string // the Connect error code, if it failed
	msg    string
}

func (w *world) upload(token, conversationID, clientID, name string, body []byte) upload {
	w.T.Helper()
	q := url.Values{"conversation_id": {conversationID}, "client_id": {clientID}, "name": {name}}
	req, err := http.NewRequestWithContext(w.Ctx, http.MethodPost, w.Srv.URL+"/files?"+q.Encode(), bytes.NewReader(body))
	if err != nil {
		w.T.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "image/png") // a lie the server must ignore
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.T.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	raw, _ := io.ReadAll(resp.Body)
	u := upload{status: resp.StatusCode}
	if resp.StatusCode == http.StatusOK {
		var f struct {
			ID          string `json:"id"`
			Name        string `json:"name"`
			ContentType string `json:"contentType"`
			SizeBytes   string `json:"sizeBytes"`
		}
		if err := json.Unmarshal(raw, &f); err != nil {
			w.T.Fatalf("upload answer %s: %v", raw, err)
		}
		u.file.ID, u.file.Name, u.file.ContentType = f.ID, f.Name, f.ContentType
		return u
	}
	var e struct{ Code, Message string }
	_ = json.Unmarshal(raw, &e)
	u.code, u.msg = e.Code, e.Message
	return u
}

// download fetches a file and returns the status, headers and body.
func (w *world) download(token, id string) (int, http.Header, []byte) {
	w.T.Helper()
	req, _ := http.NewRequestWithContext(w.Ctx, http.MethodGet, w.Srv.URL+"/files/"+id, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.T.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, body
}

func pngBytes(t testing.TB) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewRGBA(image.Rect(0, 0, 4, 4))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestFiles(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := newWorld(t, opts)
		conv := w.Conversation(w.Visitor)
		agent := w.Token("agent")
		pic := pngBytes(t)

		t.Run("agent sends a file the customer downloads", func(t *testing.T) {
			up := w.upload(agent, conv.ID, uuid.NewString(), "receipt.png", pic)
			if up.status != http.StatusOK || up.file.ContentType != "image/png" || up.file.Name != "receipt.png" {
				t.Fatalf("upload = %+v", up)
			}
			c := w.Srv.Clients(rpcclient.Connect)
			if _, err := c.Conversation.SendMessage(rpcclient.WithToken(w.Ctx, agent), &tandemv1.SendMessageRequest{
				ConversationId: conv.ID, ClientId: uuid.NewString(), FileIds: []string{up.file.ID}}); err != nil {
				t.Fatal(err)
			}
			hist, err := c.Widget.ListMessages(rpcclient.WithToken(w.Ctx, w.VisitorToken), &tandemv1.ListMessagesRequest{ConversationId: conv.ID})
			if err != nil {
				t.Fatal(err)
			}
			var seen *tandemv1.Attachment
			for _, m := range hist.GetMessages() {
				for _, a := range m.GetAttachments() {
					seen = a
				}
			}
			if seen == nil || seen.GetId() != up.file.ID || seen.GetSizeBytes() != int64(len(pic)) {
				t.Fatalf("customer history attachment = %v", seen)
			}
			status, h, body := w.download(w.VisitorToken, up.file.ID)
			if status != http.StatusOK || !bytes.Equal(body, pic) {
				t.Fatalf("download = %d, %d bytes", status, len(body))
			}
			for k, v := range map[string]string{
				"Content-Type": "image/png", "X-Content-Type-Options": "nosniff",
				"Content-Disposition": `attachment; filename=receipt.png`, "Cache-Control": "private, no-store",
			} {
				if h.Get(k) != v {
					t.Errorf("%s = %q, want %q", k, h.Get(k), v)
				}
			}
			if !strings.HasPrefix(h.Get("Content-Security-Policy"), "sandbox") {
				t.Errorf("CSP = %q", h.Get("Content-Security-Policy"))
			}
			// A second send of the same file is refused: it is no longer pending.
			_, err = c.Conversation.SendMessage(rpcclient.WithToken(w.Ctx, agent), &tandemv1.SendMessageRequest{
				ConversationId: conv.ID, ClientId: uuid.NewString(), FileIds: []string{up.file.ID}})
			expectInvalid(t, err, "file_ids")
		})

		t.Run("10 MiB passes and one byte more fails", func(t *testing.T) {
			ok := w.upload(w.VisitorToken, conv.ID, uuid.NewString(), "big.txt", bytes.Repeat([]byte("a"), files.MaxSize))
			if ok.status != http.StatusOK || ok.file.ContentType != "text/plain; charset=utf-8" {
				t.Fatalf("10 MiB upload = %+v", ok)
			}
			big := w.upload(w.VisitorToken, conv.ID, uuid.NewString(), "big.txt", bytes.Repeat([]byte("a"), files.MaxSize+1))
			if big.status != http.StatusRequestEntityTooLarge || big.code != "invalid_argument" || !strings.Contains(big.msg, "10 MiB") {
				t.Fatalf("10 MiB + 1 upload = %+v", big)
			}
		})

		t.Run("types are sniffed, not named", func(t *testing.T) {
			for name, body := range map[string][]byte{
				"page.png":    []byte("<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"),
				"logo.gif":    []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`),
				"invoice.pdf": append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff"), make([]byte, 200)...),
				"a.zip":       {'P', 'K', 3, 4, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
			} {
				up := w.upload(w.VisitorToken, conv.ID, uuid.NewString(), name, body)
				if up.code != "invalid_argument" || !strings.Contains(up.msg, "not accepted") {
					t.Errorf("%s: upload = %+v, want a refused type", name, up)
				}
			}
			if up := w.upload(w.VisitorToken, conv.ID, uuid.NewString(), "empty.txt", nil); up.code != "invalid_argument" || !strings.Contains(up.msg, "empty") {
				t.Errorf("empty upload = %+v", up)
			}
		})

		t.Run("names with path parts are refused", func(t *testing.T) {
			for _, name := range []string{"../../etc/passwd", "a/b.png", `..\x.png`, `C:\x.png`, "..", "x\r\nContent-Type: text/html",
				"invoice\u202efdp.exe", "nul\x00.png", strings.Repeat("n", 256), ""} {
				up := w.upload(w.VisitorToken, conv.ID, uuid.NewString(), name, pic)
				if up.code != "invalid_argument" || !strings.HasPrefix(up.msg, "name:") {
					t.Errorf("name %q: upload = %+v", name, up)
				}
			}
		})

		t.Run("downloads are for those who may see the conversation", func(t *testing.T) {
			up := w.upload(w.VisitorToken, conv.ID, uuid.NewString(), "photo.png", pic)
			c := w.Srv.Clients(rpcclient.Connect)
			if _, err := c.Widget.SendMessage(rpcclient.WithToken(w.Ctx, w.VisitorToken), &tandemv1.WidgetServiceSendMessageRequest{
				ConversationId: conv.ID, ClientId: uuid.NewString(), FileIds: []string{up.file.ID}}); err != nil {
				t.Fatal(err)
			}
			if status, _, _ := w.download(agent, up.file.ID); status != http.StatusOK {
				t.Errorf("agent of the workspace: %d", status)
			}
			_, _, missingBody := w.download(w.Token("w2owner"), uuid.NewString())
			for who, token := range map[string]string{
				"owner of another workspace": w.Token("w2owner"),
				"another visitor":            w.TokenOf(w.Other),
				"removed member":             w.Token("removed"),
			} {
				status, _, body := w.download(token, up.file.ID)
				if status != http.StatusNotFound || !bytes.Equal(body, missingBody) {
					t.Errorf("%s: %d %s, want the missing file's 404 %s", who, status, body, missingBody)
				}
			}
			if status, _, _ := w.download("", up.file.ID); status != http.StatusUnauthorized {
				t.Errorf("no credentials: %d", status)
			}
			// Uploading into another workspace's conversation is not possible either.
			foreign := w.Conversation(w.W2Visitor)
			if up := w.upload(agent, foreign.ID, uuid.NewString(), "x.png", pic); up.status != http.StatusNotFound {
				t.Errorf("upload to a foreign conversation = %+v", up)
			}
		})

		t.Run("an unsent upload is its uploader's alone", func(t *testing.T) {
			up := w.upload(w.VisitorToken, conv.ID, uuid.NewString(), "draft.png", pic)
			if status, _, _ := w.download(agent, up.file.ID); status != http.StatusNotFound {
				t.Errorf("agent sees an unsent upload: %d", status)
			}
			if status, _, _ := w.download(w.VisitorToken, up.file.ID); status != http.StatusOK {
				t.Errorf("uploader cannot see their upload: %d", status)
			}
			_, err := w.Srv.Clients(rpcclient.Connect).Conversation.SendMessage(rpcclient.WithToken(w.Ctx, agent), &tandemv1.SendMessageRequest{
				ConversationId: conv.ID, ClientId: uuid.NewString(), Body: "mine now", FileIds: []string{up.file.ID}})
			expectInvalid(t, err, "file_ids")
		})

		t.Run("a retried upload stores one object", func(t *testing.T) {
			clientID := uuid.NewString()
			var wg sync.WaitGroup
			ups := make([]upload, 5)
			for i := range ups {
				wg.Go(func() { ups[i] = w.upload(w.VisitorToken, conv.ID, clientID, "same.png", pic) })
			}
			wg.Wait()
			for _, up := range ups {
				if up.status != http.StatusOK || up.file.ID != ups[0].file.ID {
					t.Fatalf("retries answered %+v and %+v", ups[0], up)
				}
			}
			var rows int
			if err := w.Srv.DB().GetContext(w.Ctx, &rows, `SELECT COUNT(*) FROM files WHERE client_id = ?`, clientID); err != nil || rows != 1 {
				t.Fatalf("%d rows (%v)", rows, err)
			}
			// Every stored object has its row: retries and refused uploads left nothing behind.
			objects := 0
			iter := w.Srv.Domain().Files.Bucket().List(nil)
			for {
				if _, err := iter.Next(w.Ctx); errors.Is(err, io.EOF) {
					break
				} else if err != nil {
					t.Fatal(err)
				}
				objects++
			}
			if err := w.Srv.DB().GetContext(w.Ctx, &rows, `SELECT COUNT(*) FROM files`); err != nil || objects != rows {
				t.Errorf("%d objects for %d files (%v)", objects, rows, err)
			}
			if other := w.upload(w.VisitorToken, conv.ID, clientID, "same.png", append(pngBytes(t), 0)); other.code != "already_exists" {
				t.Errorf("same client id, other content: %+v", other)
			}
		})
	})
}

func expectInvalid(t *testing.T, err error, field string) {
	t.Helper()
	if connect.CodeOf(err) != connect.CodeInvalidArgument || !strings.Contains(err.Error(), field) {
		t.Errorf("err = %v, want InvalidArgument naming %s", err, field)
	}
}
