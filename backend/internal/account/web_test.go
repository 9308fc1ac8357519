package account_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/api/tandem/v1/tandemv1connect"
	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// cookieJar is a browser's cookies for one origin, sent the way a browser
// sends them (with the CSRF header when the page adds it).
type cookieJar struct {
	base    http.RoundTripper
	cookies []*http.Cookie
	csrf    string
}

func (j *cookieJar) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for _, c := range j.cookies {
		r.AddCookie(c)
	}
	if j.csrf != "" {
		r.Header.Set(access.CSRFHeader, j.csrf)
	}
	return j.base.RoundTrip(r)
}

// signIn posts the web app's sign-in form and returns the answer.
func signIn(t *testing.T, url, email, password string, header http.Header) (*http.Response, string) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"email": email, "password": password})
	h := http.Header{"Content-Type": {"application/json"}}
	for k, v := range header {
		h[k] = v
	}
	return rpctest.Do(t, http.DefaultClient, http.MethodPost, url+"/app/session", h, string(body))
}

func cookieNamed(resp *http.Response, name string) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// TestWebSessionCookie (WEB-01, CSRF): the web app signs in with a cookie
// scripts cannot read, and a cookie alone authenticates nothing: every
// call, unary, streaming or files, needs the session's CSRF token beside
// it. Signing out ends the session and its live stream.
func TestWebSessionCookie(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := rpctest.NewWorld(t, opts)
		agent := w.NewUser("web-agent")
		w.Join(w.W1, agent, access.RoleAgent)
		url := w.Srv.URL

		// Refused sign-ins set no cookie.
		for _, tc := range []struct {
			name     string
			password string
			header   http.Header
			status   int
		}{
			{"wrong password", "wrong password", nil, http.StatusUnauthorized},
			{"a form post", rpctest.TestPassword, http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, http.StatusBadRequest},
			{"another site", rpctest.TestPassword, http.Header{"Origin": {"https://evil.example"}}, http.StatusForbidden},
			{"another site, no Origin", rpctest.TestPassword, http.Header{"Sec-Fetch-Site": {"cross-site"}}, http.StatusForbidden},
		} {
			resp, body := signIn(t, url, agent.Email, tc.password, tc.header)
			if resp.StatusCode != tc.status || len(resp.Cookies()) != 0 {
				t.Errorf("%s: %d %s with cookies %v, want %d and none", tc.name, resp.StatusCode, body, resp.Cookies(), tc.status)
			}
		}

		resp, body := signIn(t, url, strings.ToUpper(agent.Email), rpctest.TestPassword, http.Header{"Origin": {url}})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("sign in: %d %s", resp.StatusCode, body)
		}
		session, csrfCookie := cookieNamed(resp, access.SessionCookie), cookieNamed(resp, access.CSRFCookie)
		if session == nil || !session.HttpOnly || !session.Secure || session.SameSite != http.SameSiteStrictMode || session.Path != "/" {
			t.Fatalf("session cookie = %+v, want HttpOnly, Secure, SameSite=Strict, Path=/", session)
		}
		if csrfCookie == nil || csrfCookie.HttpOnly || !csrfCookie.Secure || csrfCookie.SameSite != http.SameSiteStrictMode {
			t.Fatalf("CSRF cookie = %+v, want readable by the page, Secure, SameSite=Strict", csrfCookie)
		}
		var answer struct {
			CSRF   string `json:"csrf"`
			UserID string `json:"user_id"`
		}
		if err := json.Unmarshal([]byte(body), &answer); err != nil || answer.CSRF != csrfCookie.Value || answer.UserID != agent.ID {
			t.Fatalf("sign-in answer %s (%v), want the CSRF token and the user", body, err)
		}
		if strings.Contains(body, session.Value) {
			t.Fatal("the sign-in answer shows the session token to the page")
		}

		whoAmI := func(jar *cookieJar) (*tandemv1.WhoAmIResponse, error) {
			c := tandemv1connect.NewAuthServiceClient(&http.Client{Transport: jar}, url)
			return c.WhoAmI(context.Background(), &tandemv1.WhoAmIRequest{})
		}
		jar := &cookieJar{base: http.DefaultTransport, cookies: []*http.Cookie{{Name: session.Name, Value: session.Value}}} //nolint:gosec // a request's cookie, as a browser sends it
		_, err := whoAmI(jar)
		rpctest.WantCode(t, err, connect.CodePermissionDenied) // the cookie alone
		other, _ := signIn(t, url, agent.Email, rpctest.TestPassword, nil)
		jar.csrf = cookieNamed(other, access.CSRFCookie).Value
		_, err = whoAmI(jar)
		rpctest.WantCode(t, err, connect.CodePermissionDenied) // another session's token
		jar.csrf = answer.CSRF
		me, err := whoAmI(jar)
		rpctest.WantCode(t, err, 0)
		if me.GetUser().GetId() != agent.ID {
			t.Fatalf("whoami = %v", me)
		}

		// The files routes take the cookie the same way.
		upload := url + "/files?conversation_id=00000000-0000-4000-8000-000000000000&client_id=00000000-0000-4000-8000-000000000001&name=a.txt"
		noCSRF, _ := rpctest.Do(t, &http.Client{Transport: &cookieJar{base: http.DefaultTransport, cookies: jar.cookies}}, http.MethodPost, upload, nil, "x")
		if noCSRF.StatusCode != http.StatusForbidden {
			t.Errorf("an upload with the cookie alone: %d, want 403", noCSRF.StatusCode)
		}

		// A live stream on the cookie ends when the browser signs out.
		conv := tandemv1connect.NewConversationServiceClient(&http.Client{Transport: jar}, url)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		stream, err := conv.Watch(ctx, &tandemv1.WatchRequest{WorkspaceId: w.W1.ID})
		if err != nil {
			t.Fatal(err)
		}
		if !stream.Receive() {
			t.Fatalf("watch: %v", stream.Err())
		}
		out, _ := rpctest.Do(t, &http.Client{Transport: &cookieJar{base: http.DefaultTransport, cookies: jar.cookies}}, http.MethodDelete,
			url+"/app/session", nil, "")
		if out.StatusCode != http.StatusForbidden {
			t.Errorf("sign out without the CSRF token: %d, want 403", out.StatusCode)
		}
		out, _ = rpctest.Do(t, &http.Client{Transport: jar}, http.MethodDelete, url+"/app/session", nil, "")
		if cleared := cookieNamed(out, access.SessionCookie); out.StatusCode != http.StatusNoContent || cleared == nil || cleared.MaxAge >= 0 {
			t.Fatalf("sign out: %d, session cookie %+v, want 204 clearing it", out.StatusCode, cleared)
		}
		for stream.Receive() {
		}
		rpctest.WantCode(t, stream.Err(), connect.CodeUnauthenticated)
		_, err = whoAmI(jar)
		rpctest.WantCode(t, err, connect.CodeUnauthenticated)
	})
}
