package contact

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/workspace"
)

// Sign is how a store signs an identity: hex HMAC-SHA256 of the exact JSON
// bytes with the workspace's widget secret.
func Sign(secret, identityJSON string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(identityJSON))
	return hex.EncodeToString(m.Sum(nil))
}

// verifyIdentity checks a store-signed identity: signed with the workspace's
// widget secret (or the one a rotation replaced, in its grace period), an
// object with an external id, issued no later than now and not expired, and
// living no longer than the server allows. The times are read only once the
// signature holds: unsigned ones mean nothing.
func (s *Service) verifyIdentity(ws workspace.Workspace, identityJSON, signature string) (*Identity, error) {
	now := s.now()
	sig := []byte(strings.ToLower(signature))
	signed := false
	for _, secret := range ws.WidgetSecrets(store.NowMillis(now)) {
		if hmac.Equal(sig, []byte(Sign(secret, identityJSON))) {
			signed = true
		}
	}
	if !signed {
		return nil, apperr.Invalid("identity_signature", "does not match identity_json: sign it with the workspace's widget secret")
	}
	id := &Identity{}
	if err := json.Unmarshal([]byte(identityJSON), id); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) && (typeErr.Field == "iat" || typeErr.Field == "exp") {
			return nil, apperr.Invalid("identity_json", typeErr.Field+" is not a whole number of unix seconds")
		}
		return nil, apperr.Invalid("identity_json", "is not a JSON object with external_id, name, email, attributes, iat and exp")
	}
	if id.ExternalID == "" {
		return nil, apperr.Invalid("identity_json", "has no external_id")
	}
	// The email is held to the rule a visitor's own is (mail goes to it:
	// transcripts, missed replies), however well signed.
	if id.Email != "" && (!emailPattern.MatchString(id.Email) || len(id.Email) > 254) {
		return nil, apperr.Invalid("identity_json", "email is not an email address")
	}
	if id.Expires <= 0 {
		return nil, apperr.Invalid("identity_json", fmt.Sprintf("has no exp: sign an expiry in unix seconds, at most %s after iat", s.maxAge))
	}
	if id.IssuedAt <= 0 {
		return nil, apperr.Invalid("identity_json", "has no iat: sign the time it was issued, in unix seconds")
	}
	issued, expires := time.Unix(id.IssuedAt, 0), time.Unix(id.Expires, 0)
	switch {
	case !expires.After(issued):
		return nil, apperr.Invalid("identity_json", "exp is not after iat")
	case expires.Sub(issued) > s.maxAge:
		return nil, apperr.Invalid("identity_json", fmt.Sprintf("lives %s from iat to exp; this server accepts at most %s", expires.Sub(issued), s.maxAge))
	case issued.After(now.Add(s.skew)):
		return nil, apperr.Invalid("identity_json", "iat is in the future: check the clock of the server that signs identities")
	case !expires.Add(s.skew).After(now):
		return nil, apperr.Newf(apperr.Unauthenticated, "identity_json expired at %s: sign a fresh identity for each visit",
			expires.UTC().Format(time.RFC3339))
	}
	return id, nil
}

// emailPattern is a valid email address as the HTML standard defines it,
// the rule the API's own email fields follow (protovalidate's
// string.email): no quoted local parts, comments or display names.
var emailPattern = regexp.MustCompile(`^[a-zA-Z0-9.!#$%&'*+/=?^_\x60{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$`) //nolint:gochecknoglobals // compiled once, read-only
