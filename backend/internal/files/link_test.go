package files_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/config"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/files"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// get sends a GET with the header and returns the status, headers and body.
func get(t testing.TB, rawURL string, header http.Header) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, body
}

// bearer is the Authorization header of a token.
func bearer(token string) http.Header { return http.Header{"Authorization": {"Bearer " + token}} }

// cookie is what the web app's browser sends for a session: its cookies,
// and with csrf, the CSRF header the app's script adds.
func cookie(token string, csrf bool) http.Header {
	h := http.Header{"Cookie": {access.SessionCookie + "=" + token + "; " + access.CSRFCookie + "=" + access.CSRFToken(token)}}
	if csrf {
		h.Set(access.CSRFHeader, access.CSRFToken(token))
	}
	return h
}

// link asks the API's origin for a link to the file and returns the status
// and the link (zero when refused).
func (w *world) link(id string, header http.Header) (int, files.Link) {
	w.T.Helper()
	status, hd, body := get(w.T, w.Srv.URL+"/files/"+id+"/link", header)
	var l files.Link
	if status == http.StatusOK {
		if err := json.Unmarshal(body, &l); err != nil {
			w.T.Fatalf("link answer %s: %v", body, err)
		}
		if hd.Get("Cache-Control") != "private, no-store" {
			w.T.Errorf("link answer Cache-Control %q", hd.Get("Cache-Control"))
		}
	}
	return status, l
}

// sent uploads body to the conversation as the agent and sends it there.
func (w *world) sent(agent, conversationID, name string, body []byte) string {
	w.T.Helper()
	up := w.upload(agent, conversationID, uuid.NewString(), name, body)
	if up.status != http.StatusOK {
		w.T.Fatalf("upload = %+v", up)
	}
	if _, err := w.Srv.Clients(rpcclient.Connect).Conversation.SendMessage(rpcclient.WithToken(w.Ctx, agent), &tandemv1.SendMessageRequest{
		ConversationId: conversationID, ClientId: uuid.NewString(), FileIds: []string{up.file.ID}}); err != nil {
		w.T.Fatal(err)
	}
	return up.file.ID
}

// wantServed checks a files origin answer: the bytes, the headers that keep
// a browser from rendering them, CORS for the app's fetch, and no cookie.
func wantServed(t *testing.T, status int, hd http.Header, body, want []byte) {
	t.Helper()
	if status != http.StatusOK || !bytes.Equal(body, want) {
		t.Fatalf("files origin: %d, %d bytes (want %d): %s", status, len(body), len(want), body)
	}
	for k, v := range map[string]string{
		"Content-Disposition":          "attachment",
		"X-Content-Type-Options":       "nosniff",
		"Content-Security-Policy":      "sandbox; default-src 'none'",
		"Cache-Control":                "private, no-store",
		"Cross-Origin-Resource-Policy": "same-origin",
		"Access-Control-Allow-Origin":  "*",
	} {
		if got := hd.Get(k); !strings.HasPrefix(got, v) {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if hd.Get("Access-Control-Allow-Credentials") != "" || hd.Values("Set-Cookie") != nil {
		t.Errorf("files origin answer allows credentials or sets a cookie: %v", hd)
	}
}

// wantRefused checks a files origin refusal: status, and still no cookie.
func wantRefused(t *testing.T, what string, status int, hd http.Header, want int) {
	t.Helper()
	if status != want {
		t.Errorf("%s: %d, want %d", what, status, want)
	}
	if hd.Values("Set-Cookie") != nil {
		t.Errorf("%s: the files origin set a cookie: %v", what, hd.Values("Set-Cookie"))
	}
}

// forge signs a link token with the server's own key, as Links does, with
// the grant given: only a holder of the key (a replica) can.
func forge(t *testing.T, db *store.DB, fileID string, grant map[string]any) string {
	t.Helper()
	key, err := events.Secret(t.Context(), db, "files_link_key", make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(grant)
	payload := base64.RawURLEncoding.EncodeToString(b)
	m := hmac.New(sha256.New, key)
	m.Write([]byte("tandem file link v1\x00" + fileID + "\x00" + payload))
	return payload + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// TestFileLinks: browsers fetch files from the files origin, another host
// than the API's, by a short-lived link the API issues to whoever may read
// the file; the files origin takes nothing but the link, checks it and the
// reader's access again, and answers as the API's download did, without a
// cookie. The API's origin no longer serves a cookie session's download.
func TestFileLinks(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := newWorld(t, opts)
		agent, w2owner := w.Token("agent"), w.Token("w2owner")
		conv := w.Conversation(w.Visitor)
		pic := pngBytes(t)
		id := w.sent(agent, conv.ID, "receipt.png", pic)
		other := w.sent(agent, conv.ID, "other.png", append(pngBytes(t), 'x'))
		unsent := w.upload(agent, conv.ID, uuid.NewString(), "draft.png", pic).file.ID

		api, _ := url.Parse(w.Srv.URL)
		fo, _ := url.Parse(w.Srv.FilesURL)
		if fo.Hostname() == api.Hostname() {
			t.Fatalf("files origin %s is on the API's host %s: it would get the app's cookies", fo, api)
		}

		t.Run("links are issued to who may read the file, as downloads were", func(t *testing.T) {
			for _, c := range []struct {
				who    string
				header http.Header
				file   string
				want   int
			}{
				{"the conversation's visitor", bearer(w.VisitorToken), id, http.StatusOK},
				{"an agent of the workspace", bearer(agent), id, http.StatusOK},
				{"an API key of the workspace", bearer(w.Keys["agent"]), id, http.StatusOK},
				{"a signed-in browser with its CSRF token", cookie(agent, true), id, http.StatusOK},
				{"the uploader, for an unsent upload", bearer(agent), unsent, http.StatusOK},
				{"a signed-in browser without its CSRF token", cookie(agent, false), id, http.StatusForbidden},
				{"another visitor of the workspace", bearer(w.Tokens[w.Other]), id, http.StatusNotFound},
				{"the owner of another workspace", bearer(w2owner), id, http.StatusNotFound},
				{"a member removed from the workspace", bearer(w.Token("removed")), id, http.StatusNotFound},
				{"the visitor, for someone else's unsent upload", bearer(w.VisitorToken), unsent, http.StatusNotFound},
				{"no one (no credential)", nil, id, http.StatusUnauthorized},
				{"no one, for a file that does not exist", bearer(agent), uuid.NewString(), http.StatusNotFound},
			} {
				status, l := w.link(c.file, c.header)
				if status != c.want {
					t.Errorf("%s: %d, want %d", c.who, status, c.want)
					continue
				}
				if status != http.StatusOK {
					continue
				}
				if !strings.HasPrefix(l.URL, w.Srv.FilesURL+"/files/"+c.file+"?t=") {
					t.Errorf("%s: link %q is not on the files origin %s", c.who, l.URL, w.Srv.FilesURL)
				}
				if left := time.Until(l.ExpiresAt); left <= 0 || left > files.LinkTTL {
					t.Errorf("%s: link expires in %v, want within %v", c.who, left, files.LinkTTL)
				}
			}
		})

		t.Run("the files origin serves a link with the download's headers and no cookie", func(t *testing.T) {
			for _, h := range []http.Header{bearer(w.VisitorToken), cookie(agent, true), bearer(w.Keys["agent"])} {
				_, l := w.link(id, h)
				status, hd, body := get(t, l.URL, nil)
				wantServed(t, status, hd, body, pic)
				if !strings.Contains(hd.Get("Content-Disposition"), "receipt.png") {
					t.Errorf("Content-Disposition %q", hd.Get("Content-Disposition"))
				}
			}
			_, l := w.link(unsent, bearer(agent))
			status, hd, body := get(t, l.URL, nil)
			wantServed(t, status, hd, body, pic)
		})

		t.Run("the files origin refuses anything but a sound link", func(t *testing.T) {
			_, l := w.link(id, bearer(w.VisitorToken))
			token := strings.SplitN(l.URL, "?t=", 2)[1]
			payload, sig, _ := strings.Cut(token, ".")
			raw, _ := base64.RawURLEncoding.DecodeString(payload)
			var grant map[string]any
			if err := json.Unmarshal(raw, &grant); err != nil {
				t.Fatal(err)
			}
			swapped := map[string]any{}
			for k, v := range grant {
				swapped[k] = v
			}
			swapped["v"] = w.Other.VisitorID // the other visitor, same signature
			rewritten, _ := json.Marshal(swapped)
			bad := map[string]string{
				"no link":             "",
				"a signature alone":   "." + sig,
				"a forged signature":  payload + "." + base64.RawURLEncoding.EncodeToString(make([]byte, 32)),
				"an altered payload":  base64.RawURLEncoding.EncodeToString(rewritten) + "." + sig,
				"a truncated token":   token[:len(token)-2],
				"garbage":             "not a link",
				"another file's link": "", // below: the path names another file
			}
			for what, tok := range bad {
				path := w.Srv.FilesURL + "/files/" + id + "?t=" + url.QueryEscape(tok)
				if what == "another file's link" {
					path = w.Srv.FilesURL + "/files/" + other + "?t=" + token
				}
				status, hd, _ := get(t, path, nil)
				wantRefused(t, what, status, hd, http.StatusForbidden)
			}
			expired := map[string]any{}
			for k, v := range grant {
				expired[k] = v
			}
			expired["e"] = time.Now().Add(-time.Second).UnixMilli()
			status, hd, _ := get(t, w.Srv.FilesURL+"/files/"+id+"?t="+forge(t, w.Srv.DB(), id, expired), nil)
			wantRefused(t, "an expired link", status, hd, http.StatusForbidden)
			// The same, unexpired, is served: the refusal above was the expiry's.
			expired["e"] = time.Now().Add(time.Minute).UnixMilli()
			status, hd, body := get(t, w.Srv.FilesURL+"/files/"+id+"?t="+forge(t, w.Srv.DB(), id, expired), nil)
			wantServed(t, status, hd, body, pic)
			// A link made out to a principal who may not read the file opens nothing.
			status, hd, _ = get(t, w.Srv.FilesURL+"/files/"+id+"?t="+forge(t, w.Srv.DB(), id, swapped), nil)
			wantRefused(t, "a link of another visitor", status, hd, http.StatusNotFound)
			// Only the one route: no API, no app, no upload.
			for _, path := range []string{"/", "/app/", "/files/" + id + "/link", "/tandem.v1.AuthService/WhoAmI", "/healthz"} {
				status, hd, _ := get(t, w.Srv.FilesURL+path, bearer(agent))
				wantRefused(t, path, status, hd, http.StatusNotFound)
			}
		})

		t.Run("the files origin ignores cookies and Authorization", func(t *testing.T) {
			creds := cookie(agent, true)
			creds.Set("Authorization", "Bearer "+agent)
			status, hd, _ := get(t, w.Srv.FilesURL+"/files/"+id, creds)
			wantRefused(t, "a session's cookie, CSRF token and bearer token, no link", status, hd, http.StatusForbidden)
			// A visitor's link works whatever other credentials ride along:
			// they neither add nor take away.
			_, l := w.link(id, bearer(w.VisitorToken))
			status, hd, body := get(t, l.URL, bearer(w2owner))
			wantServed(t, status, hd, body, pic)
		})

		t.Run("the API's origin serves no cookie session's download", func(t *testing.T) {
			for what, h := range map[string]http.Header{"cookie and CSRF token": cookie(agent, true), "cookie alone": cookie(agent, false)} {
				status, hd, body := get(t, w.Srv.URL+"/files/"+id, h)
				if status != http.StatusForbidden || bytes.Contains(body, pic) || hd.Get("Content-Disposition") != "" {
					t.Errorf("API origin download with the %s: %d %v", what, status, hd)
				}
			}
			status, hd, body := get(t, w.Srv.URL+"/files/"+id, bearer(agent))
			if status != http.StatusOK || !bytes.Equal(body, pic) || hd.Get("Content-Security-Policy") != "sandbox; default-src 'none'" {
				t.Errorf("API origin download with a bearer token: %d %v", status, hd)
			}
		})

		t.Run("a link stops working when the reader loses access or the file its conversation", func(t *testing.T) {
			sup := w.Token("supervisor")
			_, l := w.link(id, bearer(sup))
			status, hd, body := get(t, l.URL, nil)
			wantServed(t, status, hd, body, pic)
			if err := w.Srv.Domain().Workspaces.RemoveMember(w.Ctx, w.Principal("owner"), w.OwnerScope(w.W1), w.Users["supervisor"].ID); err != nil {
				t.Fatal(err)
			}
			status, hd, _ = get(t, l.URL, nil)
			wantRefused(t, "a removed member's link", status, hd, http.StatusNotFound)

			_, l = w.link(id, bearer(w.VisitorToken))
			storetest.MustExec(t, w.Srv.DB(), `DELETE FROM conversations WHERE id = ?`, conv.ID)
			status, hd, _ = get(t, l.URL, nil)
			wantRefused(t, "a link to a file of a deleted conversation", status, hd, http.StatusNotFound)
		})
	})
}

// TestFileLinksAcrossReplicas: a link one replica issued opens on another
// (the key is shared through the database, made by the first to start).
func TestFileLinksAcrossReplicas(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		if opts.URL == "" {
			t.Skip("replicas share a MySQL database; SQLite is one process's")
		}
		blobs := "file://" + t.TempDir() // the bucket the replicas share
		shared := func(c *config.Config) { c.BlobURL = blobs }
		a := worldOn(t, rpctest.Start(t, opts, shared))
		b := rpctest.Start(t, opts, shared)
		conv := a.Conversation(a.Visitor)
		pic := pngBytes(t)
		id := a.sent(a.Token("agent"), conv.ID, "receipt.png", pic)
		_, l := a.link(id, bearer(a.VisitorToken))
		onB := strings.Replace(l.URL, a.Srv.FilesURL, b.FilesURL, 1)
		if onB == l.URL {
			t.Fatalf("the replicas share a files origin %s", b.FilesURL)
		}
		status, hd, body := get(t, onB, nil)
		wantServed(t, status, hd, body, pic)
	})
}
