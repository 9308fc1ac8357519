package access

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/tandem-inbox/tandem/backend/internal/apperr"
)

// A browser signed in to the agent web app (/app) holds its session token
// in an HttpOnly cookie that scripts cannot read. A cookie rides along on
// any request the browser makes, including one a foreign page triggers, so
// a cookie alone never authenticates: the request must also carry the
// session's CSRF token in a header. The token is derived from the session
// secret, so it cannot be guessed or reused with another session; the page
// reads it from a second cookie (not HttpOnly) that only its own origin can
// read, and a custom header cannot be sent cross-origin without a CORS
// preflight, which Tandem never grants with credentials.
const (
	SessionCookie = "tandem_session"
	CSRFCookie    = "tandem_csrf"
	CSRFHeader    = "Tandem-Csrf"
)

// ErrCSRF refuses a cookie-authenticated request without its CSRF token.
var ErrCSRF = apperr.New(apperr.PermissionDenied,
	"a signed-in browser must send its session's CSRF token in the "+CSRFHeader+" header (cross-site requests are refused)")

// CSRFToken is the CSRF token of a session secret.
func CSRFToken(secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("tandem csrf v1"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// SessionFromCookie returns the session secret a request's cookie holds, if
// any.
func SessionFromCookie(h http.Header) string {
	for _, line := range h.Values("Cookie") {
		cookies, err := http.ParseCookie(line)
		if err != nil {
			continue
		}
		for _, c := range cookies {
			if c.Name == SessionCookie && strings.HasPrefix(c.Value, PrefixSession) {
				return c.Value
			}
		}
	}
	return ""
}

// AuthenticateRequest returns the principal of a request's credential: the
// Authorization header when it has one, else a session cookie together
// with its CSRF token. No credential is an anonymous caller (nil, nil).
func (a Authenticator) AuthenticateRequest(ctx context.Context, h http.Header) (*Principal, error) {
	if header := h.Get("Authorization"); header != "" {
		return a.Authenticate(ctx, header)
	}
	secret := SessionFromCookie(h)
	if secret == "" {
		return nil, nil
	}
	if !hmac.Equal([]byte(h.Get(CSRFHeader)), []byte(CSRFToken(secret))) {
		return nil, ErrCSRF
	}
	return a.Authenticate(ctx, "Bearer "+secret)
}
