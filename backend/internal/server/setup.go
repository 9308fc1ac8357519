package server

import (
	"context"
	"crypto/subtle"
	"errors"
	"html/template"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/workspace"
)

// SetupTTL is how long the first start's setup link stays valid (unless
// used first, or the server restarts).
const SetupTTL = 24 * time.Hour

// setupPrefix marks setup tokens, as access's prefixes mark credentials.
const setupPrefix = "tdsetup_"

// setup is the one-time link through which the first owner account and
// workspace are created on a server that has no account yet. Only the
// token's hash is kept, in memory: a restart makes a new link.
type setup struct {
	mu      sync.Mutex
	hash    []byte // nil: no link is open
	expires time.Time
}

// open makes a new token and returns it.
func (st *setup) open(now time.Time) string {
	token, hash := access.NewSecret(setupPrefix)
	st.mu.Lock()
	defer st.mu.Unlock()
	st.hash, st.expires = hash, now.Add(SetupTTL)
	return token
}

// valid reports whether token opens the link now; the caller holds mu.
func (st *setup) valid(token string, now time.Time) bool {
	return st.hash != nil && now.Before(st.expires) &&
		subtle.ConstantTimeCompare(access.HashSecret(token), st.hash) == 1
}

// offerSetup prints the setup link when no account exists yet.
func (s *Server) offerSetup(ctx context.Context) error {
	exists, err := s.domain.Accounts.HasUsers(ctx, nil)
	if err != nil || exists {
		return err
	}
	token := s.setup.open(time.Now())
	s.logger.WarnContext(ctx, "no account yet: open this one-time link to create the owner account and first workspace "+
		"(valid until used, for 24h, or until tandemd restarts; `tandemd user create` does it from a script)",
		"url", s.setupURL(token), "expires", time.Now().Add(SetupTTL).UTC().Format(time.RFC3339))
	return nil
}

// setupURL is the link to the setup page, on an address a browser on this
// machine can open.
func (s *Server) setupURL(token string) string {
	host, port, err := net.SplitHostPort(s.cfg.Addr)
	if err != nil {
		host, port = "localhost", "8080"
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	scheme := "http"
	if s.cfg.TLSCert != "" {
		scheme = "https"
	}
	u := url.URL{Scheme: scheme, Host: net.JoinHostPort(host, port), Path: "/setup", RawQuery: url.Values{"token": {token}}.Encode()}
	return u.String()
}

// mountSetup serves the setup page: GET shows the form, POST creates the
// owner account and workspace.
func (s *Server) mountSetup(mux *http.ServeMux) {
	mux.HandleFunc("GET /setup", s.setupPage)
	mux.HandleFunc("POST /setup", s.setupSubmit)
}

// setupView is what the page shows.
type setupView struct {
	Token, Email, Name, Workspace string
	Error                         string
	Done                          bool
	Gone                          bool
}

func (s *Server) setupPage(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	s.setup.mu.Lock()
	ok := s.setup.valid(token, time.Now())
	s.setup.mu.Unlock()
	if !ok {
		s.renderSetup(w, r, http.StatusNotFound, setupView{Gone: true})
		return
	}
	s.renderSetup(w, r, http.StatusOK, setupView{Token: token})
}

func (s *Server) setupSubmit(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	v := setupView{Token: r.PostForm.Get("token"), Email: r.PostForm.Get("email"), Name: r.PostForm.Get("name"),
		Workspace: r.PostForm.Get("workspace")}
	// One submission at a time: the link makes exactly one owner.
	s.setup.mu.Lock()
	defer s.setup.mu.Unlock()
	if !s.setup.valid(v.Token, time.Now()) {
		// A wrong token guesses nothing, but it still costs the client.
		if _, err := s.domain.Accounts.Attempt(r.Context(), "", access.ClientIP(r.Context())); err != nil {
			http.Error(w, "too many attempts; wait a minute", http.StatusTooManyRequests)
			return
		}
		s.renderSetup(w, r, http.StatusNotFound, setupView{Gone: true})
		return
	}
	if v.Workspace == "" {
		v.Error = "workspace: give your team's workspace a name"
		s.renderSetup(w, r, http.StatusBadRequest, v)
		return
	}
	u, ws, err := s.domain.Workspaces.Enroll(r.Context(), workspace.Enrollment{Email: v.Email, DisplayName: v.Name,
		Password: r.PostForm.Get("password"), Workspace: v.Workspace, Role: access.RoleOwner, FirstUser: true})
	var ae *apperr.Error
	switch {
	case errors.Is(err, workspace.ErrSetupDone):
		s.setup.hash = nil
		s.renderSetup(w, r, http.StatusNotFound, setupView{Gone: true})
		return
	case errors.As(err, &ae) && ae.Kind != apperr.Internal:
		v.Error = ae.Public
		if ae.Field != "" {
			v.Error = ae.Field + ": " + ae.Public
		}
		s.renderSetup(w, r, http.StatusBadRequest, v)
		return
	case err != nil:
		s.logger.ErrorContext(r.Context(), "setup", "request_id", RequestID(r.Context()), "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	s.setup.hash = nil // used
	s.logger.InfoContext(r.Context(), "setup done: owner account and workspace created; the setup link is closed",
		"email", u.Email, "user_id", u.ID, "workspace_id", ws.ID)
	s.renderSetup(w, r, http.StatusCreated, setupView{Done: true, Email: u.Email, Workspace: ws.Name})
}

func (s *Server) renderSetup(w http.ResponseWriter, r *http.Request, status int, v setupView) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
	h.Set("Referrer-Policy", "no-referrer") // the token is in the URL
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	if err := setupTemplate.Execute(w, v); err != nil {
		s.logger.WarnContext(r.Context(), "setup page", "err", err)
	}
}

//nolint:gochecknoglobals // a parsed template, read-only
var setupTemplate = template.Must(template.New("setup").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Set up Tandem</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;color:#1f2937}
label{display:block;margin-top:1rem;font-weight:600}
input{width:100%;box-sizing:border-box;padding:.5rem;font:inherit;border:1px solid #9ca3af;border-radius:.375rem}
button{margin-top:1.5rem;padding:.6rem 1.2rem;font:inherit;background:#2563eb;color:#fff;border:0;border-radius:.375rem}
.error{background:#fef2f2;color:#991b1b;padding:.75rem;border-radius:.375rem}
small{color:#6b7280}
</style></head><body>
{{if .Done}}
<h1>Tandem is set up</h1>
<p>The owner account <strong>{{.Email}}</strong> and the workspace <strong>{{.Workspace}}</strong> exist.
Sign in with them in the desktop app, or through <code>AuthService.Login</code>. This link is now closed.</p>
{{else if .Gone}}
<h1>This setup link is closed</h1>
<p>It was used, it expired, or tandemd restarted (each start without an account prints a new link in its log).
If an account exists, sign in with it.</p>
{{else}}
<h1>Set up Tandem</h1>
<p>Create the owner account and your team's first workspace. This link works once.</p>
{{if .Error}}<p class="error" role="alert">{{.Error}}</p>{{end}}
<form method="post" action="/setup">
<input type="hidden" name="token" value="{{.Token}}">
<label for="email">Your email</label><input id="email" name="email" type="email" required autocomplete="username" value="{{.Email}}">
<label for="name">Your name</label><input id="name" name="name" autocomplete="name" value="{{.Name}}">
<label for="password">Password</label><input id="password" name="password" type="password" required minlength="10" autocomplete="new-password">
<small>At least 10 characters, not a common one.</small>
<label for="workspace">Workspace name</label><input id="workspace" name="workspace" required value="{{.Workspace}}" placeholder="Acme Support">
<button type="submit">Create owner account</button>
</form>
{{end}}
</body></html>
`))
