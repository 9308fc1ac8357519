package account

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"time"

	"connectrpc.com/connect"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
)

// WebSessions signs browsers in and out of the agent web app: the session
// token goes into an HttpOnly cookie instead of the page's hands, with the
// CSRF token beside it (see access.CSRFToken). Everything else the web app
// does goes through the RPCs like any client, with the cookie as its
// credential.
type WebSessions struct {
	svc    *Service
	authn  access.Authenticator
	errors *connect.ErrorWriter
	logger *slog.Logger
}

// NewWebSessions returns the sign-in routes of the web app.
func NewWebSessions(svc *Service, authn access.Authenticator, logger *slog.Logger) *WebSessions {
	return &WebSessions{svc: svc, authn: authn, errors: connect.NewErrorWriter(), logger: logger}
}

// WebSessionPath is where the web app signs in (POST) and out (DELETE).
const WebSessionPath = "/app/session"

// Register mounts the routes.
func (ws *WebSessions) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST "+WebSessionPath, ws.signIn)
	mux.HandleFunc("DELETE "+WebSessionPath, ws.signOut)
}

// webSignIn is what the sign-in form posts.
type webSignIn struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// webSession is the answer to a sign-in: never the token itself.
type webSession struct {
	CSRF         string `json:"csrf"`
	ExpireTimeMs int64  `json:"expire_time_ms"`
	UserID       string `json:"user_id"`
	Email        string `json:"email"`
	DisplayName  string `json:"display_name"`
}

// errForeignOrigin refuses a sign-in posted from another site (login CSRF:
// signing a victim into the attacker's account).
var errForeignOrigin = apperr.New(apperr.PermissionDenied, "sign in from Tandem's own page: requests from other sites are refused")

func (ws *WebSessions) signIn(w http.ResponseWriter, r *http.Request) {
	// A JSON body cannot be posted by a plain form: a foreign page needs
	// a CORS preflight, which is never granted for this route.
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/json" {
		ws.fail(w, r, apperr.Invalid("content-type", "must be application/json"))
		return
	}
	if !sameOrigin(r) {
		ws.fail(w, r, errForeignOrigin)
		return
	}
	var in webSignIn
	if err := json.NewDecoder(io.LimitReader(r.Body, 8<<10)).Decode(&in); err != nil {
		ws.fail(w, r, apperr.Invalid("body", "must be a JSON object with email and password"))
		return
	}
	if in.Email == "" {
		ws.fail(w, r, apperr.Invalid("email", "is required"))
		return
	}
	if in.Password == "" {
		ws.fail(w, r, apperr.Invalid("password", "is required"))
		return
	}
	issued, err := ws.svc.Login(r.Context(), in.Email, in.Password, access.ClientIP(r.Context()))
	if err != nil {
		ws.fail(w, r, err)
		return
	}
	expires := time.UnixMilli(issued.ExpiresAt)
	csrf := access.CSRFToken(issued.Token)
	http.SetCookie(w, cookie(access.SessionCookie, issued.Token, expires, true))
	http.SetCookie(w, cookie(access.CSRFCookie, csrf, expires, false))
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(webSession{CSRF: csrf, ExpireTimeMs: issued.ExpiresAt, UserID: issued.User.ID,
		Email: issued.User.Email, DisplayName: issued.User.DisplayName})
}

// signOut revokes the cookie's session (with its CSRF token, like any
// change) and clears both cookies. A browser whose session is already gone
// gets its cookies cleared all the same.
func (ws *WebSessions) signOut(w http.ResponseWriter, r *http.Request) {
	p, err := ws.authn.AuthenticateRequest(r.Context(), r.Header)
	switch {
	case errors.Is(err, access.ErrCSRF):
		ws.fail(w, r, err)
		return
	case err == nil && p != nil && p.SessionID != "":
		if err := ws.svc.Logout(r.Context(), p.SessionID); err != nil {
			ws.fail(w, r, err)
			return
		}
	}
	http.SetCookie(w, cookie(access.SessionCookie, "", time.Unix(0, 0), true))
	http.SetCookie(w, cookie(access.CSRFCookie, "", time.Unix(0, 0), false))
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}

// cookie is one of the web app's cookies: Secure (browsers accept it on
// https and on http://localhost, 127.0.0.1), SameSite=Strict, for the
// whole origin (the RPCs live at /tandem.v1.*).
func cookie(name, value string, expires time.Time, httpOnly bool) *http.Cookie {
	// The CSRF cookie alone is not HttpOnly: the page must read it.
	c := &http.Cookie{Name: name, Value: value, Path: "/", Expires: expires, Secure: true, HttpOnly: httpOnly, //nolint:gosec // see above
		SameSite: http.SameSiteStrictMode}
	if value == "" {
		c.MaxAge = -1
	}
	return c
}

// sameOrigin tells whether a request comes from a page of this server: no
// Origin (not a browser's cross-site request), or one whose host is the
// request's.
func sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return r.Header.Get("Sec-Fetch-Site") == "" || r.Header.Get("Sec-Fetch-Site") == "same-origin"
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host == r.Host
}

func (ws *WebSessions) fail(w http.ResponseWriter, r *http.Request, err error) {
	cerr, internal := apperr.ToConnect(err)
	if internal {
		ws.logger.Error("web session", "method", r.Method, "err", err)
	}
	w.Header().Set("Cache-Control", "no-store")
	_ = ws.errors.Write(w, r, cerr)
}
